"""The model layer: the two-stage minutes -> PRA estimator, the predictor that serves it from a
history snapshot, the booster libraries and the files they are saved in (no MLflow here).

    TwoStageRegressor(backend="lightgbm", ...)      scikit-learn estimator: fit / predict / score
    PropsPredictor.train(frame, estimator, fs)      estimator + feature set + history snapshot
    save_predictor(p, dir) / load_predictor(dir)    native booster files, JSON and Parquet
    BACKENDS, get_backend(name)                     one entry per booster library
    quantile_column(0.1) -> "pred_PRA_q10"          the predictive distribution's column names

The face is lazy, so ``model.backends`` (the CLI's ``--backend`` choices) loads alone.
"""

from mlflow_nbaprops._exports import lazy_face, public_names

_EXPORTS = {
    "backends": ["BACKENDS", "BACKEND_NAMES", "Backend", "get_backend"],
    "persistence": ["load_predictor", "save_predictor"],
    "predictor": ["OUTPUT_COLUMNS", "PropsPredictor", "news_slate", "observed_slate", "scenario_of", "validate_slate"],
    "quantiles": ["DEFAULT_QUANTILES", "PRED_MINUTES", "PRED_PRA", "output_columns", "quantile_column"],
    "two_stage": ["TwoStageRegressor", "effective_params", "make_booster"],
}
__all__ = public_names(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
