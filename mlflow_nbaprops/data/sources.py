"""Where a run's data comes from: game-log paths, or the embedded synthetic league named by a
``synthetic[:SEASONSxTEAMSxGAMES]`` specification (what ``--data`` takes everywhere)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mlflow_nbaprops.data.loader import canonicalize_frame, load_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.data.version import content_digest
from mlflow_nbaprops.errors import DataSpecError

SYNTHETIC = "synthetic"
#: ``synthetic`` alone: three seasons of a full league.
DEFAULT_SHAPE = (3, 30, 82)


@dataclass
class DataInfo:
    """The frame a run trains, validates or refreshes on, and where it came from."""

    frame: pd.DataFrame
    source: str
    digest: str
    paths: tuple[str, ...] = ()  # the files/folders read; empty for the synthetic league


def synthetic_league(seasons: int, seed: int, teams: int = 30, games: int = 82, start_year: int = 2021) -> pd.DataFrame:
    """The embedded synthetic league, through the same validation real data gets."""
    frame = synthesize_league(seasons, seed, start_year=start_year, n_teams=teams, games_per_team=games)
    return canonicalize_frame(frame, source=SYNTHETIC)


def synthetic_shape(spec: str) -> tuple[int, int, int] | None:
    """(seasons, teams, games) of a ``synthetic[:SxTxG]`` spec; None for anything else (paths)."""
    text = spec.strip()
    if not text.startswith(SYNTHETIC):
        return None
    shape = text[len(SYNTHETIC):].lstrip(":")
    if not shape:
        return DEFAULT_SHAPE
    try:
        seasons, teams, games = (int(x) for x in shape.split("x"))
    except ValueError:
        raise DataSpecError(f"{spec!r}: expected synthetic or synthetic:SEASONSxTEAMSxGAMES "
                            "(e.g. synthetic:3x30x82)") from None
    return seasons, teams, games


def load_data(specs: str | tuple[str, ...] | list[str], seed: int) -> DataInfo:
    """Game-log paths (repeated or comma-separated; files or folders), or one synthetic spec
    (the league drawn with ``seed``)."""
    specs = (specs,) if isinstance(specs, str) else tuple(specs)
    parts = [p.strip() for spec in specs for p in str(spec).split(",") if p.strip()]
    if not parts:
        raise DataSpecError("no data given: pass game-log paths or synthetic[:SEASONSxTEAMSxGAMES]")
    shape = synthetic_shape(parts[0]) if len(parts) == 1 else None
    if shape is not None:
        seasons, teams, games = shape
        try:
            frame = synthetic_league(seasons, seed, teams, games)
        except ValueError as exc:
            raise DataSpecError(f"{parts[0]!r}: {exc}") from exc
        return DataInfo(frame, f"{SYNTHETIC}:{seasons}x{teams}x{games} seed {seed}", content_digest(frame))
    return game_logs([Path(p) for p in parts])


def game_logs(paths) -> DataInfo:
    """Game-log files/folders: frame, source and data version."""
    logs = load_gamelogs(paths)
    return DataInfo(logs.frame, logs.version.source, logs.version.digest, tuple(str(p) for p in paths))
