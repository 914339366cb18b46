"""Is the production model still doing what its validation said? (``nbaprops monitor``)

Reads the live record of the model an alias points at (its lineage: refreshed versions
share it) and applies :func:`~mlflow_nbaprops.evaluation.live.drift_check`: over the last
``window_days`` of graded game dates, with at least ``min_rows`` graded predictions, drift is
a live PRA MAE above the validation MAE by more than ``tolerance_pct`` %, or above the
previous-10 mean's MAE on the same rows. The CLI exits 1 on drift, so a cron job can call
``nbaprops rollback``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow

from mlflow_nbaprops.daily.grade import graded_rows, live_run_id
from mlflow_nbaprops.daily.runs import ModelRef, resolve
from mlflow_nbaprops.evaluation import plots
from mlflow_nbaprops.evaluation.live import Drift, daily_errors, drift_check
from mlflow_nbaprops.promotion import RegistryError

FIGURE = "live_mae.png"


@dataclass
class Monitored:
    model: ModelRef
    drift: Drift
    live_run: str | None
    figure: Path | None

    def summary(self) -> str:
        head = f"{self.model.label} (lineage {self.model.lineage_label}, live run {self.live_run or 'none yet'})"
        return head + "\n" + self.drift.summary() + (f"\nfigure: {self.figure}" if self.figure else "")


def monitor(name: str, alias: str = "production", window_days: int = 14, tolerance_pct: float = 10.0,
            min_rows: int = 200, output_dir: Path | None = None,
            client: mlflow.MlflowClient | None = None) -> Monitored:
    """The drift check for ``models:/name@alias`` (see module doc); the figure goes to
    ``output_dir`` and to the live run (``monitor/live_mae.png``)."""
    client = client or mlflow.MlflowClient()
    model = resolve(f"models:/{name}@{alias}", client)
    validation = client.get_run(model.run_id).data.metrics.get("val_pra_mae") if model.run_id else None
    if validation is None:
        raise RegistryError(f"{model.label} has no validation PRA MAE (val_pra_mae) on its run to monitor against")
    live_id = live_run_id(client, model.lineage_label)
    graded = graded_rows(client, live_id)
    drift = drift_check(graded, validation, window_days, tolerance_pct, min_rows)
    figure = None
    if len(graded):
        fig = plots.live_mae(daily_errors(graded, window_days), validation, tolerance_pct, window_days)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(output_dir) if output_dir else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            figure = folder / FIGURE
            fig.savefig(figure, dpi=110)
            client.log_artifact(live_id, str(figure), "monitor")
            if not output_dir:
                figure = None
        client.set_tag(live_id, "nbaprops.last_monitor", json.dumps({
            "version": model.version, "window_end": f"{drift.window_end:%Y-%m-%d}", "rows": drift.rows,
            "live_mae": round(drift.live_mae, 4), "drifted": drift.drifted}))
    return Monitored(model, drift, live_id, figure)


__all__ = ["Monitored", "monitor"]
