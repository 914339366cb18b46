"""The daily loop: refresh the production model with last night's games, score tonight's
slate and log it, grade what was predicted when the box scores arrive, and watch for drift.

    refresh(model_uri, data, alias=None) -> Refreshed      new version, same boosters
    score_slate(model_uri, slate) -> Scored                predictions, logged once per slate
    grade(results) -> GradeReport                           live metrics per model lineage
    monitor(name, alias="production") -> Monitored          drift check (CLI exits 1 on drift)

Above the flavor, promotion and tracking (it uses them), below the CLI.
"""

from mlflow_nbaprops.daily.grade import GradeReport, grade
from mlflow_nbaprops.daily.monitor import Monitored, monitor
from mlflow_nbaprops.daily.predict import Scored, score_slate
from mlflow_nbaprops.daily.refresh import Refreshed, refresh

__all__ = ["GradeReport", "Monitored", "Refreshed", "Scored", "grade", "monitor", "refresh", "score_slate"]
