"""The run standard: what every training run records, in one place.

``log_training_run`` takes a finished walk-forward backtest and the final predictor and
writes, to the active run:

- params: every hyperparameter of both stages (defaults merged), feature set name /
  version / hash, refit cadence, window, seed, test season, data version;
- inputs: training and validation data through ``mlflow.log_input`` with the package's
  full-content digest (contexts ``training`` / ``validation``);
- tags: the plugin's git / data / lineage tags (applied explicitly: ``mlflow run`` runs
  never see run-context providers), model type, architecture, phase, validation, baseline;
- metrics: headline ``val_*``, per fold with ``step`` = fold, segments, betting, deltas
  against the baselines and against a named baseline run;
- artifacts: feature lineage, training config, predictions, error analysis, figures;
- the model (``nbaprops`` flavor), registered when asked.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import warnings
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from mlflow_nbaprops import flavor
from mlflow_nbaprops.data import DataInfo, content_digest, write_table
from mlflow_nbaprops.evaluation import BacktestConfig, BacktestResult, plots
from mlflow_nbaprops.features import FeatureSet, diff, get_feature_set
from mlflow_nbaprops.model import PropsPredictor, effective_params
from mlflow_nbaprops.redact import redact_text
from mlflow_nbaprops.search import quoted

EXPERIMENT_ROOT = "NBAProps"
PHASES = {"features": "Phase1_Features", "model": "Phase2_Model", "tuning": "Phase3_Tuning",
          "production": "Phase4_Production"}
#: The feature set lineage artifacts are compared with (added / removed features).
BASELINE_FEATURE_SET = "core"
#: Headline metrics, as logged (``val_`` + the backtest's name).
HEADLINE = ["pra_mae", "pra_rmse", "pra_r2", "pra_within_3", "pra_within_5", "pra_within_10", "min_mae", "min_r2",
            "l10_pra_mae", "single_pra_mae", "season_pra_mae", "vs_l10_pct", "vs_single_pct", "vs_season_pct",
            "coverage_80", "n_predictions"]
BETTING = ["bets", "roi", "win_rate", "clv", "sharpe", "max_drawdown", "brier", "calibration_error",
           "kelly_fraction", "profit_units"]


def dataset_source(data: DataInfo):
    """What ``mlflow.data`` records as the source: the data's folder/file, or this code."""
    if data.paths:
        import os

        return os.path.commonpath([os.path.abspath(p) for p in data.paths])
    from mlflow.data.code_dataset_source import CodeDatasetSource

    return CodeDatasetSource(tags={"mlflow.source.name": data.source})


def experiment_name(phase: str) -> str:
    """``NBAProps/Phase1_Features`` etc.; an unknown phase becomes its own capitalised folder."""
    return f"{EXPERIMENT_ROOT}/{PHASES.get(phase, phase.replace(' ', '_').title())}"


def run_name(client: mlflow.MlflowClient, experiment_id: str, phase: str, feature_set: str, validation: str,
             today: dt.date | None = None, exclude: str | None = None) -> str:
    """``{date}_{phase}_{feature_set}_{validation}_v{n}``, n one more than the runs so named already."""
    stem = f"{(today or dt.date.today()).strftime('%Y%m%d')}_{phase}_{feature_set}_{validation}"
    existing = client.search_runs([experiment_id], filter_string=f"attributes.run_name LIKE {quoted(stem + '_v%')}",
                                  max_results=1000)
    taken = [int(m.group(1)) for r in existing
             if r.info.run_id != exclude and (m := re.fullmatch(rf"{re.escape(stem)}_v(\d+)", r.info.run_name))]
    return f"{stem}_v{max(taken, default=0) + 1}"


def claim_run_name(client: mlflow.MlflowClient, run, phase: str, feature_set: str, validation: str) -> str:
    """Give ``run`` the next standardized name, safely when several processes start runs at once:
    of runs that took the same name, the earliest-started keeps it and the others take the next."""
    run_id, experiment_id = run.info.run_id, run.info.experiment_id
    mine = (run.info.start_time, run_id)
    for _ in range(50):
        name = run_name(client, experiment_id, phase, feature_set, validation, exclude=run_id)
        client.update_run(run_id, name=name)
        same = client.search_runs([experiment_id], filter_string=f"attributes.run_name = {quoted(name)}")
        if all(mine <= (r.info.start_time, r.info.run_id) for r in same):
            return name
        time.sleep(0.05)
    raise RuntimeError(f"could not claim a unique run name in experiment {experiment_id}")


def validation_label(refit_every: int) -> str:
    return f"walkforward{refit_every}d"


def training_params(result: BacktestResult, data: DataInfo) -> dict[str, Any]:
    """Every parameter that defines the run (both stages' effective hyperparameters included)."""
    return config_params(result.config, data)


def config_params(config: BacktestConfig, data: DataInfo) -> dict[str, Any]:
    """The params of a run that walks ``config`` forward on ``data`` (a training run, a trial)."""
    fs = config.features
    params: dict[str, Any] = {
        "backend": config.backend, "feature_set": fs.name, "feature_set_version": fs.version,
        "availability": config.availability, "n_seeds": config.n_seeds,
        "feature_set_hash": fs.hash, "n_features": len(fs.names), "stage2_target": config.stage2_target,
        "stage2_oof_folds": config.n_folds, "refit_every_days": config.refit_every, "train_window_days": config.train_window_days,
        "test_season": config.test_season, "seed": config.seed, "min_edge": config.min_edge,
        "data_version": data.digest, "data_source": data.source, "data_rows": len(data.frame),
    }
    if data.lines is not None:
        params.update({"lines_version": data.lines.version.digest, "lines_books": len(data.lines.books)})
    if fs.needs_news and data.news is not None:
        params.update({"news_version": data.news.version.digest, "news_source": data.news.version.source,
                       "news_pregame_rows": len(data.news.pregame), "news_line_games": len(data.news.lines)})
    stage1 = effective_params(config.backend, config.minutes_params)
    stage2 = effective_params(config.backend, config.pra_params)
    params.update({f"stage1.{k}": v for k, v in stage1.items()})
    params.update({f"stage2.{k}": v for k, v in stage2.items()})
    return params


def feature_lineage(fs: FeatureSet, baseline: str = BASELINE_FEATURE_SET) -> dict[str, Any]:
    base = get_feature_set(baseline)
    changes = diff(base, fs)
    return {**fs.lineage(), "baseline_set": f"{base.name} {base.version}", "vs_baseline": changes,
            "absences_from": fs.absences, "news_tiers": fs.news_tiers}


def log_training_run(
    result: BacktestResult,
    predictor: PropsPredictor,
    data: DataInfo,
    phase: str,
    context: dict[str, str],
    baseline_run: str | None = None,
    registered_model_name: str | None = None,
) -> dict[str, Any]:
    """Write the whole standard to the active run, the model logged with the ``nbaprops``
    flavor (registered as ``registered_model_name`` when given); returns run id, model URI,
    registered version and the metrics."""
    run = mlflow.active_run()
    client = mlflow.MlflowClient()
    config = result.config
    m = result.metrics

    _log_params(client, run.info.run_id, training_params(result, data))
    season = data.frame["SEASON"] == config.test_season
    news = data.news if config.features.needs_news else None
    for frame, context_name in ((data.frame[~season], "training"), (data.frame[season], "validation")):
        with warnings.catch_warnings():  # MLflow's hint about integer columns is for model schemas
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_pandas(frame, source=dataset_source(data),
                                              name=f"{context_name}-{config.test_season}", digest=content_digest(frame))
            mlflow.log_input(dataset, context=context_name)
    if news is not None:  # the news the run read: one dataset, its full-content version as the digest
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            mlflow.log_input(mlflow.data.from_pandas(news.pregame, source=redact_text(news.version.source), name="news",
                                                     digest=news.version.digest), context="news")

    _set_tags({
        **context,
        **config.features.tags(),  # the set this run trained, not the configured one
        "nbaprops.availability": config.availability,
        "nbaprops.model_type": f"two_stage_{config.backend}",
        "nbaprops.architecture": "two_stage",
        "nbaprops.phase": phase,
        "nbaprops.validation": validation_label(config.refit_every),
        "nbaprops.test_season": config.test_season,
        "nbaprops.line_source": result.line_source,
        "nbaprops.baseline_mae": f"{m['l10_pra_mae']:.4f}",
        # the data this run actually read (the plugin only knows the configured data)
        "nbaprops.data.status": "read by the run",
        "nbaprops.data.digest": data.digest,
        "nbaprops.data.rows": str(len(data.frame)),
        "nbaprops.data.seasons": ",".join(sorted(data.frame["SEASON"].unique())),
        "nbaprops.data.date_range": f"{data.frame['GAME_DATE'].min().date()}..{data.frame['GAME_DATE'].max().date()}",
        "nbaprops.data.source": data.source[:250],
        "nbaprops.backtest_seconds": f"{result.seconds:.1f}",  # a tag: metrics must be reproducible
        **({"nbaprops.news.digest": news.version.digest, "nbaprops.news.summary": news.version.summary()[:500],
            "nbaprops.news.coverage": ", ".join(f"{k} {v:.1%}" for k, v in news.coverage(data.frame).items())}
           if news is not None else {}),
        **({"nbaprops.fallback_scenario": predictor.fallback_scenario} if predictor.fallback is not None else {}),
    })

    metrics = headline_metrics(m)
    metrics["val_pra_mae_delta_vs_l10"] = float(m["pra_mae"] - m["l10_pra_mae"])
    if "single_pra_mae" in m:
        metrics["val_pra_mae_delta_vs_single"] = float(m["pra_mae"] - m["single_pra_mae"])
    metrics.update({f"val_bet_{k}": float(m[k]) for k in BETTING if k in m and np.isfinite(m[k])})
    metrics.update({f"val_{k}": float(v) for k, v in m.items() if k.startswith("seg_") and np.isfinite(v)})
    if baseline_run:
        base = client.get_run(baseline_run).data.metrics.get("val_pra_mae")
        if base is not None:
            metrics["val_pra_mae_delta_vs_baseline_run"] = float(m["pra_mae"] - base)
            metrics["val_vs_baseline_run_pct"] = float(100.0 * (m["pra_mae"] - base) / base)
            mlflow.set_tag("nbaprops.baseline_run", baseline_run)
    if result.market is not None and result.market.n_rows:  # the real line's figures: val_market_*
        metrics.update(result.market.mlflow_metrics())
    mlflow.log_metrics(metrics)
    _log_folds(client, run.info.run_id, result.folds)

    mlflow.log_dict({**feature_lineage(config.features), "availability": config.availability,
                     "known": config.scenario_text(),
                     "news_version": news.version.digest if news is not None else None,
                     "fallback": feature_lineage(predictor.fallback_set) | {"scenario": predictor.fallback_scenario}
                     if predictor.fallback is not None else None}, "feature_lineage.json")
    mlflow.log_dict({"backtest": config.to_dict(), "phase": phase, "data": {"source": redact_text(data.source),
                     "version": data.digest, "rows": len(data.frame)},
                     "news": None if news is None else {"source": redact_text(news.version.source),
                                                        "version": news.version.digest,
                                                        "summary": redact_text(news.version.summary()),
                                                        "skipped": news.skipped, "notes": news.notes},
                     "model_info": predictor.info}, "training_config.json")
    _log_frame(result.predictions, "predictions/predictions.parquet")
    mlflow.log_table(result.segments, "analysis/error_by_segment.json")
    mlflow.log_table(_dates_as_text(result.folds), "analysis/folds.json")
    mlflow.log_table(result.reliability, "analysis/calibration.json")
    _log_figures(result, predictor)
    if result.market is not None and result.market.n_rows:
        _log_market(result.market, data)

    info = flavor.log_model(predictor, name="model", registered_model_name=registered_model_name)
    mlflow.set_tag("nbaprops.model_uri", info.model_uri)  # what `nbaprops register --run-id` registers
    return {"run_id": run.info.run_id, "model_uri": info.model_uri,
            "registered_version": info.registered_model_version, "metrics": metrics}


def _log_market(report, data: DataInfo) -> None:
    """The market report's tables (each says what rows it covers), its policy and the lines' version."""
    note = f"covers only {report.note}"
    for name, table in (("by_edge", report.by_edge), ("by_book", report.by_book), ("by_month", report.by_month),
                        ("calibration", report.calibration)):
        if len(table):
            mlflow.log_table(_dates_as_text(table.assign(covers=note)), f"market/{name}.json")
    mlflow.log_dict({"covers": note, "summary": report.summary(), "metrics": report.metrics, "policy": report.policy,
                     "lines": None if data.lines is None else {"version": data.lines.version.digest,
                                                               "summary": redact_text(data.lines.version.summary()),
                                                               "skipped": data.lines.skipped}},
                    "market/report.json")
    mlflow.set_tags({"nbaprops.lines.digest": data.lines.version.digest if data.lines is not None else "",
                     "nbaprops.market.covers": note[:250]})


def headline_metrics(m: dict[str, float]) -> dict[str, float]:
    """A backtest's headline numbers as logged: ``val_`` + the backtest's name."""
    return {f"val_{k}": float(m[k]) for k in m if (k in HEADLINE or k.startswith("coverage_")) and np.isfinite(m[k])}


def _set_tags(tags: dict[str, str]) -> None:
    """Tags with credentials masked (paths and sources can carry tokens)."""
    mlflow.set_tags({k: redact_text(str(v)) for k, v in tags.items()})


def _log_params(client: mlflow.MlflowClient, run_id: str, params: dict[str, Any]) -> None:
    """Log ``params``; where ``mlflow run`` already logged an entry-point parameter of the same
    name with another spelling (``test_season=''`` -> the season chosen), add ``<name>_resolved``."""
    existing = client.get_run(run_id).data.params
    params = {k: redact_text(v) if isinstance(v, str) else v for k, v in params.items()}
    out = {}
    for key, value in params.items():
        if key in existing and existing[key] != str(value):
            out[f"{key}_resolved"] = value
        elif key not in existing:
            out[key] = value
    mlflow.log_params(out)


def _log_folds(client: mlflow.MlflowClient, run_id: str, folds: pd.DataFrame) -> None:
    """Per-fold metrics in one batch: ``step`` is the fold index, the timestamp its start date."""
    from mlflow.entities import Metric

    batch = []
    for row in folds.itertuples(index=False):
        stamp = int(pd.Timestamp(row.start).timestamp() * 1000)
        values = {"val_fold_mae": row.mae, "val_fold_l10_mae": row.l10_mae, "val_fold_n": row.n_predictions,
                  "val_fold_n_train": row.n_train, "val_fold_start_yyyymmdd": float(pd.Timestamp(row.start).strftime("%Y%m%d"))}
        batch += [Metric(k, float(v), stamp, int(row.fold)) for k, v in values.items() if pd.notna(v)]
    for i in range(0, len(batch), 900):
        client.log_batch(run_id, metrics=batch[i:i + 900])


def _log_frame(frame: pd.DataFrame, artifact_file: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(artifact_file).name
        write_table(frame, path)
        mlflow.log_artifact(str(path), str(Path(artifact_file).parent))


def _log_figures(result: BacktestResult, predictor: PropsPredictor) -> None:
    figures = {
        "figures/feature_importance.png": plots.feature_importance(predictor.regressor.stage_importances()),
        "figures/residuals.png": plots.residuals(result.predictions),
        "figures/mae_over_season.png": plots.mae_over_season(result.folds),
    }
    if len(result.reliability):  # the backtest's own reliability table and ECE (empty without lines)
        figures["figures/calibration_curve.png"] = plots.calibration_curve(
            result.reliability, result.metrics["calibration_error"], result.line_source)
    for name, fig in figures.items():
        mlflow.log_figure(fig, name)


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out
