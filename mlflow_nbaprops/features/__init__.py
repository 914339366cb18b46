"""Features: the registry of definitions (with lineage) and the leakage-safe builder."""

from mlflow_nbaprops.features.builder import ABSENCE_COLUMNS, KEY_COLUMNS, TARGET_COLUMNS, build_features, lagged_mean
from mlflow_nbaprops.features.registry import (
    AVAILABILITY_SCENARIOS,
    AVAILABILITY_TIER,
    DEFAULT_FEATURE_SET,
    FEATURE_SETS,
    FEATURES,
    Feature,
    FeatureSet,
    box_scores_only,
    diff,
    get_feature_set,
    scenario_feature_set,
)

__all__ = [
    "ABSENCE_COLUMNS",
    "AVAILABILITY_SCENARIOS",
    "AVAILABILITY_TIER",
    "DEFAULT_FEATURE_SET",
    "FEATURES",
    "FEATURE_SETS",
    "KEY_COLUMNS",
    "TARGET_COLUMNS",
    "Feature",
    "FeatureSet",
    "box_scores_only",
    "build_features",
    "diff",
    "get_feature_set",
    "lagged_mean",
    "scenario_feature_set",
]
