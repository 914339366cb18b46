"""Which data and feature set a project uses, for the run tags.

Environment variables win over the project's ``pyproject.toml``::

    NBAPROPS_DATA=path[:path...]     NBAPROPS_FEATURE_SET=full

    [tool.mlflow-nbaprops]
    data = "data/nba"                # or a list; relative to the pyproject.toml
    feature_set = "full"

The ``pyproject.toml`` is the nearest one at or above the working directory that has the
table. Standard library only.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ENV_DATA = "NBAPROPS_DATA"
ENV_FEATURE_SET = "NBAPROPS_FEATURE_SET"
TABLE = "mlflow-nbaprops"
_PARSED: dict[tuple[str, int], dict] = {}


@dataclass
class ProjectConfig:
    data: list[Path] = field(default_factory=list)
    feature_set: str | None = None
    source: str = "default"  # where the data setting came from
    errors: list[str] = field(default_factory=list)


def load_config(start: Path | None = None) -> ProjectConfig:
    """The project's settings; a malformed file becomes an entry in ``errors``, not an exception."""
    config = ProjectConfig()
    table, where = _find_table(start or Path.cwd(), config.errors)
    if table is not None:
        data = table.get("data")
        if isinstance(data, str):
            data = [data]
        if data is not None and not (isinstance(data, list) and all(isinstance(d, str) and d.strip() for d in data)):
            config.errors.append(f"config: {where}: [tool.{TABLE}] data must be a path or a list of paths, "
                                 "none of them empty")
            data = None
        if data:
            config.data = [(where.parent / d).resolve() for d in data]
            config.source = str(where)
        feature_set = table.get("feature_set")
        if feature_set is not None and not isinstance(feature_set, str):
            config.errors.append(f"config: {where}: [tool.{TABLE}] feature_set must be a name")
        elif feature_set:
            config.feature_set = feature_set
    env_data = os.environ.get(ENV_DATA, "").strip()
    if env_data:
        config.data = [Path(p).expanduser().resolve() for p in env_data.split(os.pathsep) if p.strip()]
        config.source = f"${ENV_DATA}"
    if os.environ.get(ENV_FEATURE_SET, "").strip():
        config.feature_set = os.environ[ENV_FEATURE_SET].strip()
    return config


def _find_table(start: Path, errors: list[str]) -> tuple[dict | None, Path | None]:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        try:
            stat = candidate.stat()
        except OSError:
            continue
        key = (str(candidate), stat.st_mtime_ns)
        if key not in _PARSED:
            try:
                text = candidate.read_text(encoding="utf-8")
                _PARSED[key] = tomllib.loads(text) if TABLE in text else {}
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                errors.append(f"config: {candidate}: {str(exc)[:160]}")
                return None, None
        table = _PARSED[key].get("tool", {}).get(TABLE)
        if table is not None:
            if not isinstance(table, dict):
                errors.append(f"config: {candidate}: [tool.{TABLE}] must be a table")
                return None, None
            return table, candidate
    return None, None
