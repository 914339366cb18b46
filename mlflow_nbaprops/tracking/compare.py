"""Comparing training runs side by side: a table with deltas vs a baseline run, CSV /
Markdown files and an overlay of fold MAE over the season."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities import Run

from mlflow_nbaprops.errors import NBAPropsError

DEFAULT_METRICS = ("val_pra_mae", "val_min_mae", "val_vs_l10_pct", "val_bet_calibration_error")
KEY_TAGS = {"feature_set": "nbaprops.features.set", "data_version": "nbaprops.data.digest",
            "test_season": "nbaprops.test_season", "phase": "nbaprops.phase", "commit": "nbaprops.git.short_commit"}


class CompareError(NBAPropsError):
    """Nothing to compare, or a run / experiment that does not exist."""


@dataclass
class Comparison:
    table: pd.DataFrame
    folds: dict[str, pd.Series]
    baseline: str | None

    def text(self) -> str:
        shown = self.table.drop(columns=["run_id"])
        return shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def markdown(self) -> str:
        shown = self.table
        header = "| " + " | ".join(shown.columns) + " |"
        rule = "|" + "|".join("---" for _ in shown.columns) + "|"
        rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in shown.itertuples(index=False)]
        return "\n".join([header, rule, *rows]) + "\n"

    def write(self, directory: Path) -> list[Path]:
        from mlflow_nbaprops.evaluation import plots

        directory.mkdir(parents=True, exist_ok=True)
        csv, md, png = directory / "comparison.csv", directory / "comparison.md", directory / "fold_mae.png"
        self.table.to_csv(csv, index=False)
        md.write_text(self.markdown(), encoding="utf-8")
        figure = plots.fold_mae_overlay(self.folds)
        figure.savefig(png, dpi=110)
        return [csv, md, png]


def select_runs(client: mlflow.MlflowClient, run_ids: list[str], experiment: str | None,
                filter_string: str = "", max_results: int = 1000) -> list[Run]:
    """Runs by id, or the runs of ``experiment`` matching an MLflow filter string."""
    if run_ids:
        runs = []
        for run_id in run_ids:
            try:
                runs.append(client.get_run(run_id))
            except mlflow.exceptions.MlflowException as exc:
                raise CompareError(f"run {run_id!r} not found") from exc
        return runs
    if not experiment:
        raise CompareError("give run ids, or an experiment (and optionally a filter)")
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise CompareError(f"experiment {experiment!r} not found")
    try:
        runs = client.search_runs([found.experiment_id], filter_string=filter_string or "", max_results=max_results,
                                  order_by=["attributes.start_time ASC"])
    except mlflow.exceptions.MlflowException as exc:
        raise CompareError(f"bad filter {filter_string!r}: {exc.message.splitlines()[0]}") from exc
    runs = [r for r in runs if "val_pra_mae" in r.data.metrics]
    if not runs:
        raise CompareError(f"no training runs in {experiment!r}" + (f" match {filter_string!r}" if filter_string else ""))
    return runs


def compare(client: mlflow.MlflowClient, runs: list[Run], metrics: list[str] | None = None,
            baseline_run: str | None = None) -> Comparison:
    """The side-by-side table (one row per run) with deltas against ``baseline_run``."""
    metrics = list(metrics or DEFAULT_METRICS)
    rows = []
    for run in runs:
        row = {"run_name": run.info.run_name, "run_id": run.info.run_id}
        row.update({label: run.data.tags.get(tag, "") for label, tag in KEY_TAGS.items()})
        row["backend"] = run.data.params.get("backend", "")
        row.update({m: run.data.metrics.get(m, np.nan) for m in metrics})
        rows.append(row)
    table = pd.DataFrame(rows)
    if baseline_run:
        base = client.get_run(baseline_run).data.metrics
        for m in metrics:
            if m in base:
                table[f"{m}_delta"] = table[m] - base[m]
                table[f"{m}_delta_pct"] = 100.0 * (table[m] - base[m]) / base[m] if base[m] else np.nan
    folds = {}
    for run in runs:
        history = client.get_metric_history(run.info.run_id, "val_fold_mae")
        if history:
            folds[run.info.run_name] = pd.Series({h.step: h.value for h in history}).sort_index()
    return Comparison(table, folds, baseline_run)


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.4f}"
    return str(value)
