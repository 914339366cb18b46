"""Features: the registry of definitions (with lineage) and the leakage-safe builder.

    get_feature_set(name, version=None) -> FeatureSet     registered sets (names, hash, lineage)
    scenario_feature_set(name, availability)              the set a scenario trains ("none": box scores only)
    build_features(history, targets=None, fs) -> frame    features from games strictly before each date
    HistorySnapshot                                        the history a served model keeps (features/snapshot.py)

The face is lazy: ``features.registry`` (standard library only) is what the run-context plugin
imports on every ``import mlflow``, and it must not load the builder, pandas and pyarrow.
"""

from mlflow_nbaprops._exports import lazy_face, public_names

_EXPORTS = {
    "builder": ["ABSENCE_COLUMNS", "KEY_COLUMNS", "TARGET_COLUMNS", "build_features", "lagged_mean"],
    "registry": ["AVAILABILITY_SCENARIOS", "AVAILABILITY_TIER", "DEFAULT_FEATURE_SET", "FEATURES", "FEATURE_SETS",
                 "Feature", "FeatureSet", "box_scores_only", "diff", "get_feature_set", "scenario_feature_set"],
    "snapshot": ["HistorySnapshot"],
}
__all__ = public_names(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
