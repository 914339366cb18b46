"""Tuning: an Optuna study over a declarative search space, trials as nested MLflow runs,
workers on several machines sharing one study through Optuna's relational storage.

    load_space(path) -> SearchSpace                 YAML/JSON, checked before any data is read
    tune(data, space, validation_season, ...)        join or start a study; returns a TuneReport
    params_from(run_id) -> dict                      a study's best configuration, for `train`

Optuna is the ``tune`` extra (``pip install "mlflow-nbaprops[tune]"``): only :func:`tune`
imports it, and the core package never does. Beside the daily loop, above tracking.
"""

from mlflow_nbaprops._exports import lazy_face, public_names

_EXPORTS = {
    "space": ["SearchSpace", "SpaceError", "load_space", "parse_space"],
    "study": ["DEFAULT_STORAGE", "TuneReport", "TuningError", "params_from", "tune"],
}
__all__ = public_names(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
