"""Where a run's data comes from: game-log paths, or the embedded synthetic league named by a
``synthetic[:SEASONSxTEAMSxGAMES]`` specification (what ``--data`` takes everywhere), and the
pre-game news beside them (``--news``; the synthetic league publishes its own)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mlflow_nbaprops.data.lines import Lines, lines_from_logs, load_lines
from mlflow_nbaprops.data.loader import canonicalize_frame, load_gamelogs
from mlflow_nbaprops.data.news import News, load_news, news_frames
from mlflow_nbaprops.data.synth import synthesize_league, synthesize_league_with_news
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
    news: News | None = None  # pregame lists and game lines of these games (None: not given)
    lines: Lines | None = None  # the books' PRA props of these games (None: not given)


def synthetic_league(seasons: int, seed: int, teams: int = 30, games: int = 82, start_year: int = 2021) -> pd.DataFrame:
    """The embedded synthetic league, through the same validation real data gets."""
    frame = synthesize_league(seasons, seed, start_year=start_year, n_teams=teams, games_per_team=games)
    return canonicalize_frame(frame, source=SYNTHETIC)


def synthetic_league_with_news(seasons: int, seed: int, teams: int = 30, games: int = 82,
                               start_year: int = 2021) -> tuple[pd.DataFrame, News]:
    """The embedded synthetic league and its pre-game news, both through the validation real files get."""
    frame, pregame, lines = synthesize_league_with_news(seasons, seed, start_year=start_year, n_teams=teams,
                                                        games_per_team=games)
    logs = canonicalize_frame(frame, source=SYNTHETIC)
    return logs, news_frames(pregame, lines, source=f"{SYNTHETIC} news", logs=logs)


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


def split_paths(specs) -> list[str]:
    """Paths given repeated and/or comma-separated, as one list."""
    specs = (specs,) if isinstance(specs, str) else tuple(specs or ())
    return [p.strip() for spec in specs for p in str(spec).split(",") if p.strip()]


def load_data(specs: str | tuple[str, ...] | list[str], seed: int, news=(), lines=()) -> DataInfo:
    """Game-log paths (repeated or comma-separated; files or folders), or one synthetic spec
    (the league drawn with ``seed``, with its own news and its bookmaker's lines); ``news``: pregame
    and game-line paths, ``lines``: props files, both checked against the game logs (for the
    synthetic league they replace its own)."""
    parts = split_paths(specs)
    if not parts:
        raise DataSpecError("no data given: pass game-log paths or synthetic[:SEASONSxTEAMSxGAMES]")
    shape = synthetic_shape(parts[0]) if len(parts) == 1 else None
    if shape is not None:
        seasons, teams, games = shape
        try:
            frame, own = synthetic_league_with_news(seasons, seed, teams, games)
        except ValueError as exc:
            raise DataSpecError(f"{parts[0]!r}: {exc}") from exc
        given = split_paths(news)
        priced = split_paths(lines)
        return DataInfo(frame, f"{SYNTHETIC}:{seasons}x{teams}x{games} seed {seed}", content_digest(frame),
                        news=load_news(given, frame) if given else own,
                        lines=load_lines(priced, frame) if priced else lines_from_logs(frame))
    return game_logs([Path(p) for p in parts], news, lines)


def game_logs(paths, news=(), lines=()) -> DataInfo:
    """Game-log files/folders (and news and props paths, checked against them): frame, source and data
    version. Logs that carry a bookmaker's ``LINE_PRA`` give their own lines when no props are given."""
    logs = load_gamelogs(paths)
    given, priced = split_paths(news), split_paths(lines)
    own = lines_from_logs(logs.frame) if "LINE_PRA" in logs.frame and logs.frame["LINE_PRA"].notna().any() else None
    return DataInfo(logs.frame, logs.version.source, logs.version.digest, tuple(str(p) for p in paths),
                    load_news(given, logs.frame) if given else None,
                    load_lines(priced, logs.frame) if priced else own)
