"""Tracking stores in tests: the current test's sqlite file, and forgetting the process-wide
active experiment that the CLI (``mlflow.set_experiment``) leaves behind."""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import mlflow.tracking.fluent as fluent


def store_path() -> Path:
    """The sqlite file of the tracking store this test uses (``MLFLOW_TRACKING_URI``)."""
    uri = mlflow.get_tracking_uri()
    assert uri.startswith("sqlite:///"), uri
    return Path(uri.removeprefix("sqlite:///"))


def forget_active_experiment() -> None:
    """``mlflow.set_experiment`` leaves a process-wide active experiment and sets
    ``MLFLOW_EXPERIMENT_ID``: both would point the next run at another store's experiment."""
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
