"""The model layer: the two-stage minutes -> PRA estimator (no MLflow here)."""

from mlflow_nbaprops.model.two_stage import BACKENDS, DEFAULT_PARAMS, PRED_MINUTES, TwoStageRegressor, make_booster

__all__ = ["BACKENDS", "DEFAULT_PARAMS", "PRED_MINUTES", "TwoStageRegressor", "make_booster"]
