"""Tracking: the run standard every training run follows, the training workflow that logs
it, runs made by ``mlflow run``, and run comparison.

    train(data, config, phase, ...) -> Trained      walk-forward, final fit, one standard run
    fit(data, config) -> (BacktestResult, PropsPredictor)
    log_training_run(result, predictor, data, ...)  the standard, on the active run
    experiment_name(phase) / run_name(...)          NBAProps/Phase2_Model, 20261126_model_full_...
    name_project_run(action) / project_run_id()     the run `mlflow run` made
    compare(client, runs, ...) / select_runs(...)   side-by-side tables and fold plots
"""

from mlflow_nbaprops._exports import lazy_face, public_names

_EXPORTS = {
    "compare": ["Comparison", "compare", "select_runs"],
    "project": ["EXPERIMENT_FOR", "name_project_run", "project_run_id"],
    "runs": ["experiment_id", "loop_run", "search_all"],
    "standard": ["claim_run_name", "config_params", "dataset_source", "experiment_name", "headline_metrics",
                 "log_training_run", "run_name", "training_params", "validation_label"],
    "training": ["Trained", "fit", "plugin_tags", "train"],
}
__all__ = public_names(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
