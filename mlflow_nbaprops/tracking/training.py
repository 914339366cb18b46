"""The training workflow: walk-forward validation, the final fit, and one run logged by the
run standard (``nbaprops train`` and the ``train`` entry point are this function)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import mlflow

from mlflow_nbaprops.context import NBAPropsRunContext
from mlflow_nbaprops.data import DataInfo
from mlflow_nbaprops.errors import TrainingError
from mlflow_nbaprops.evaluation import BacktestConfig, BacktestResult, walk_forward
from mlflow_nbaprops.features.registry import FALLBACK_SCENARIO
from mlflow_nbaprops.model import PropsPredictor
from mlflow_nbaprops.model.market import FEATURES as MARKET_FEATURES
from mlflow_nbaprops.model.market import MarketCalibration
from mlflow_nbaprops.tracking.project import name_project_run, project_run_id
from mlflow_nbaprops.tracking.runs import use_experiment
from mlflow_nbaprops.tracking.standard import claim_run_name, experiment_name, log_training_run, validation_label


@dataclass
class Trained:
    """A finished training run: the backtest, the run, and the model it logged."""

    result: BacktestResult
    run_id: str
    run_name: str
    experiment_id: str
    model_uri: str
    registered_version: str | None
    notes: list[str]
    experiment_name: str = ""


def fit(data: DataInfo, config: BacktestConfig, progress: bool = True,
        book: str | None = None) -> tuple[BacktestResult, PropsPredictor]:
    """Walk forward through ``config.test_season``, then fit the final predictor on all of ``data``
    (a ``lineups`` model with its ``inactive`` fallback for rows without an announced lineup; with the
    books' lines, the market report and a market-aware P(over) fitted on every lined validation row)."""
    news = data.news if config.features.needs_news else None
    info = {"data_version": data.digest, "scenario": config.availability}
    if news is not None:
        info["news_version"] = news.version.digest
    if data.lines is not None:
        info["lines_version"] = data.lines.version.digest
    try:
        result = walk_forward(data.frame, config, progress=progress, news=news, lines=data.lines, book=book)
        predictor = PropsPredictor.train(data.frame, config.estimator(), config.features, config.train_window_days,
                                         info=info, news=news, fallback=fallback_model(config))
    except ValueError as exc:  # too little history, a booster refusing a hyperparameter value...
        raise TrainingError(str(exc)) from exc
    if result.market is not None and len(result.market.rows):
        rows = result.market.rows[result.market.rows["over"].notna()]
        predictor.market = MarketCalibration.fit(rows[list(MARKET_FEATURES)].to_numpy(float), rows["over"].to_numpy(),
                                                 rows["GAME_DATE"])
    return result, predictor


def fallback_model(config: BacktestConfig):
    """The (estimator, feature set) answering rows without the scenario's tonight news, or None."""
    other = FALLBACK_SCENARIO.get(config.availability)
    if other is None:
        return None
    fallback = dataclasses.replace(config, availability=other)
    if fallback.features is config.features:  # (a set without news tiers: the same model)
        return None
    return fallback.estimator(), fallback.features


def plugin_tags() -> dict[str, str]:
    """The run-context plugin's tags, applied by hand: MLflow calls providers only for runs it
    creates itself, not for the run ``mlflow run`` made. Never raises (a tagging problem must
    not fail training)."""
    plugin = NBAPropsRunContext()
    return plugin.tags() if plugin.in_context() else {}


def train(data: DataInfo, config: BacktestConfig, phase: str = "model", experiment: str | None = None,
          register_as: str | None = None, baseline_run: str | None = None, progress: bool = True,
          tags: dict[str, str] | None = None, book: str | None = None) -> Trained:
    """Validate and fit (:func:`fit`), then log one run by the run standard, the model with it.

    Inside ``mlflow run`` the project's run is used (its experiment is the one ``mlflow run``
    chose); otherwise a run starts in ``experiment`` (default ``NBAProps/<Phase>``). The run
    gets the next free standard name, safely when several trainings start at once.
    """
    result, predictor = fit(data, config, progress, book)
    notes = [note for note in [name_project_run("train", rename=False)] if note]
    if not project_run_id():
        use_experiment(experiment or experiment_name(phase))
    with mlflow.start_run() as run:
        client = mlflow.MlflowClient()
        name = claim_run_name(client, client.get_run(run.info.run_id), phase, config.feature_set,
                              validation_label(config.refit_every))
        logged: dict[str, Any] = log_training_run(result, predictor, data, phase, {**plugin_tags(), **(tags or {})},
                                                  baseline_run=baseline_run, registered_model_name=register_as)
        experiment_label = client.get_experiment(run.info.experiment_id).name
    return Trained(result, logged["run_id"], name, run.info.experiment_id, logged["model_uri"],
                   logged["registered_version"], notes, experiment_label)
