"""The data layer: load and validate game logs, synthesize a league, version data.

Public surface (everything else is internal)::

    load_gamelogs(paths, on_bad_rows="raise") -> GameLogs
    canonicalize_frame(frame) -> DataFrame
    write_gamelogs(frame, path)
    synthesize_league(seasons=..., seed=...) -> DataFrame
    data_version(frame, source) -> DataVersion
"""

from mlflow_nbaprops.data.loader import (
    GameLogs,
    canonicalize_frame,
    find_files,
    load_gamelogs,
    read_table,
    write_gamelogs,
    write_table,
)
from mlflow_nbaprops.data.schema import CANONICAL_COLUMNS, REQUIRED_COLUMNS, pra
from mlflow_nbaprops.data.validation import Problem
from mlflow_nbaprops.data.version import DataVersion, content_digest, data_version

__all__ = [
    "CANONICAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "DataVersion",
    "GameLogs",
    "Problem",
    "canonicalize_frame",
    "content_digest",
    "data_version",
    "find_files",
    "load_gamelogs",
    "pra",
    "read_table",
    "write_gamelogs",
    "write_table",
]
