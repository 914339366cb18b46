"""Runs that ``mlflow run`` made before an entry point started: find them, name them."""

from __future__ import annotations

import datetime as dt
import os

import mlflow

#: The standard experiment of each entry point's `mlflow run` run.
EXPERIMENT_FOR = {"train": "NBAProps/Phase2_Model", "compare": "NBAProps/Comparisons",
                  "register": "NBAProps/Phase4_Production", "rollback": "NBAProps/Phase4_Production",
                  "refresh": "NBAProps/Phase4_Production", "predict": "NBAProps/Predictions",
                  "grade": "NBAProps/Monitoring", "monitor": "NBAProps/Monitoring",
                  "tune": "NBAProps/Phase3_Tuning"}


def project_run_id() -> str | None:
    """The run ``mlflow run`` made for this entry point (it exports ``MLFLOW_RUN_ID``), if any."""
    return os.environ.get("MLFLOW_RUN_ID") or None


def name_project_run(action: str, detail: str = "", rename: bool = True) -> str | None:
    """Under ``mlflow run``: give its run a standard name and the phase tag (unless ``rename``
    is False: ``train`` claims a numbered name itself). Returns a note to show the user when the
    run landed in ``Default`` — the experiment is chosen with ``mlflow run --experiment-name``;
    nothing here can move a run afterwards. Outside ``mlflow run``: nothing, None."""
    run_id = project_run_id()
    if not run_id:
        return None
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    name = "_".join(p for p in (f"{dt.date.today():%Y%m%d}", action, detail) if p)
    if rename:
        client.update_run(run_id, name=name.replace("/", "_").replace(" ", "_")[:250])
        client.set_tag(run_id, "nbaprops.phase", action)
    if client.get_experiment(run.info.experiment_id).name == "Default":
        return (f"note: this `mlflow run` run ({name}) is in the Default experiment; pass "
                f"--experiment-name {EXPERIMENT_FOR.get(action, 'NBAProps/...')} to mlflow run")
    return None
