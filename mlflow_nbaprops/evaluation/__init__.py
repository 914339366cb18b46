"""Evaluation: walk-forward backtests, metrics and plots (no MLflow here)."""

from mlflow_nbaprops.evaluation.backtest import (
    PREDICTION_COLUMNS,
    BacktestConfig,
    BacktestResult,
    SharedFeatures,
    backtest_features,
    walk_forward,
)
from mlflow_nbaprops.evaluation.metrics import betting_simulation, regression_metrics, reliability

__all__ = [
    "PREDICTION_COLUMNS",
    "BacktestConfig",
    "BacktestResult",
    "SharedFeatures",
    "backtest_features",
    "betting_simulation",
    "regression_metrics",
    "reliability",
    "walk_forward",
]
