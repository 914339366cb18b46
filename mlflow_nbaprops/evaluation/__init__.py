"""Evaluation: walk-forward backtests, metrics and plots (no MLflow here)."""

from mlflow_nbaprops.evaluation.backtest import PREDICTION_COLUMNS, BacktestConfig, BacktestResult, walk_forward
from mlflow_nbaprops.evaluation.metrics import betting_simulation, regression_metrics, reliability

__all__ = [
    "PREDICTION_COLUMNS",
    "BacktestConfig",
    "BacktestResult",
    "betting_simulation",
    "regression_metrics",
    "reliability",
    "walk_forward",
]
