"""Tracking: the run standard every training run follows, and run comparison."""

from mlflow_nbaprops.tracking.standard import DataInfo, experiment_name, log_training_run, run_name

__all__ = ["DataInfo", "experiment_name", "log_training_run", "run_name"]
