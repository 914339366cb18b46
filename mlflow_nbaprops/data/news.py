"""Pre-game news beside the game logs: starting lineups and inactive lists, and game lines.

Two kinds of file, each recognised by its columns (CSV, gzipped CSV or Parquet; a file, several
files or a folder holding both kinds):

- **pregame** (``../shared/data/pregame/``; nba_api's box scores and inactive lists in production):
  ``GAME_ID, GAME_DATE, TEAM, PLAYER_ID[, PLAYER_NAME], STARTER, STATUS``, one row per player listed
  for a game. ``STARTER`` is 1/0; ``STATUS`` is ``PLAYED``, ``INACTIVE`` (the inactive list: known
  before tip-off) or ``DNP`` (dressed, not used: known only after the game);
- **game lines** (``../shared/data/market/game_lines_*``): ``GAME_ID, GAME_DATE, HOME_TEAM,
  AWAY_TEAM, SPREAD_HOME, TOTAL``, one row per game (an empty spread or total: no line);
- **injury reports** (``nbaprops data injuries``): the league's reports as a history table, one row
  per report and listed player (``schema.INJURY_REPORT_COLUMNS``), recognised by ``REPORT_TIME``.
  A report row of a game the logs do not hold yet is kept (a report lists the next day's games).

Validation follows the game logs' standard: every problem names the file, the column, the first
rows (1-based data rows) and how many; nothing is dropped silently. Against the game logs, a news
row whose game is not in them is set aside, counted and reported; a news row that contradicts them
(another date, a team not in the game, a player listed out who has minutes in the box score,
other home and away teams) is an error. The news has a full-content data version of its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.data.loader import (
    PathLike,
    _as_text,
    _dates,
    _game_id,
    _numbers,
    _read_file,
    find_files,
)
from mlflow_nbaprops.data.validation import Problem, RowFlags, format_problems
from mlflow_nbaprops.data.version import DIGEST_LENGTH, content_digest
from mlflow_nbaprops.errors import DataLoadError, DataValidationError

_logger = logging.getLogger(__name__)

PREGAME, GAME_LINES, INJURY_REPORTS = "pregame", "game lines", "injury reports"
_DIGEST_FORMAT = "nbaprops-news-v1"
_PROPS_COLUMNS = {"BOOK", "LINE_PRA"}
_COLUMNS = {PREGAME: schema.PREGAME_COLUMNS, GAME_LINES: schema.GAME_LINE_COLUMNS,
            INJURY_REPORTS: schema.INJURY_REPORT_COLUMNS}
#: What of a report row its version covers (the file it came from is not content)
_REPORT_DIGEST_COLUMNS = tuple(c for c in schema.INJURY_REPORT_COLUMNS if c != "SOURCE")
#: STARTER cells read as 1 / 0.
_STARTER_WORDS = {**dict.fromkeys(("1", "1.0", "true", "t", "yes", "y"), True),
                  **dict.fromkeys(("0", "0.0", "false", "f", "no", "n"), False)}


@dataclass(frozen=True)
class NewsVersion:
    """What a news version says: the digest and a short human summary."""

    digest: str
    pregame_rows: int
    pregame_games: int
    line_games: int
    date_min: str
    date_max: str
    source: str
    report_rows: int = 0
    reports: int = 0

    def summary(self) -> str:
        dates = f"{self.date_min}..{self.date_max}" if self.date_min else "no dates"
        reports = f", {self.report_rows:,} injury-report rows of {self.reports:,} reports" if self.reports else ""
        return (f"{self.pregame_rows:,} pregame rows in {self.pregame_games:,} games, game lines for "
                f"{self.line_games:,} games{reports}, {dates}, source {self.source}")


@dataclass
class News:
    """Canonical pre-game news: ``pregame`` (one row per listed player and game) and ``lines``
    (one row per game). ``skipped`` counts rows set aside (their game is not in the game logs),
    ``notes`` says what is worth knowing about the coverage."""

    pregame: pd.DataFrame = field(default_factory=lambda: _empty(schema.PREGAME_COLUMNS))
    lines: pd.DataFrame = field(default_factory=lambda: _empty(schema.GAME_LINE_COLUMNS))
    files: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)
    #: the league's injury reports (``schema.INJURY_REPORT_COLUMNS``; ``REPORT_TIME`` a timestamp)
    reports: pd.DataFrame = field(default_factory=lambda: _empty(schema.INJURY_REPORT_COLUMNS))

    @property
    def empty(self) -> bool:
        return len(self.pregame) == 0 and len(self.lines) == 0

    @cached_property
    def version(self) -> NewsVersion:
        """The full-content version: independent of files, formats, row and column order."""
        sha = hashlib.sha256(_DIGEST_FORMAT.encode())
        for kind, frame, columns in ((PREGAME, self.pregame, schema.PREGAME_COLUMNS),
                                     (GAME_LINES, self.lines, schema.GAME_LINE_COLUMNS)):
            sha.update(f"|{kind}:{content_digest(frame, columns)}".encode())
        if len(self.reports):  # (news without reports keeps the digest it always had)
            reports = self.reports.assign(REPORT_TIME=self.reports["REPORT_TIME"].dt.strftime("%Y-%m-%dT%H:%M"))
            sha.update(f"|{INJURY_REPORTS}:{content_digest(reports, _REPORT_DIGEST_COLUMNS)}".encode())
        dates = pd.concat([self.pregame["GAME_DATE"], self.lines["GAME_DATE"], self.reports["GAME_DATE"]])
        return NewsVersion(
            digest=sha.hexdigest()[:DIGEST_LENGTH], pregame_rows=len(self.pregame),
            pregame_games=int(self.pregame["GAME_ID"].nunique()), line_games=int(self.lines["GAME_ID"].nunique()),
            date_min=f"{dates.min():%Y-%m-%d}" if len(dates) else "", date_max=f"{dates.max():%Y-%m-%d}" if len(dates) else "",
            source=_source(self.files), report_rows=len(self.reports),
            reports=int(self.reports["REPORT_TIME"].nunique()))

    def for_games(self, game_ids) -> "News":
        """The news of these games only (a snapshot's, a slice's)."""
        keep = set(pd.unique(pd.Series(list(game_ids), dtype=object).astype(str)))
        return News(self.pregame[self.pregame["GAME_ID"].isin(keep)].reset_index(drop=True),
                    self.lines[self.lines["GAME_ID"].isin(keep)].reset_index(drop=True), list(self.files),
                    reports=self.reports[self.reports["GAME_ID"].isin(keep)].reset_index(drop=True))

    def merged(self, newer: "News") -> "News":
        """This news with ``newer``'s rows added; a game both hold takes ``newer``'s rows."""
        pregame = pd.concat([self.pregame[~self.pregame["GAME_ID"].isin(set(newer.pregame["GAME_ID"]))],
                             newer.pregame], ignore_index=True)
        lines = pd.concat([self.lines[~self.lines["GAME_ID"].isin(set(newer.lines["GAME_ID"]))], newer.lines],
                          ignore_index=True)
        reports = pd.concat([self.reports[~self.reports["REPORT_TIME"].isin(set(newer.reports["REPORT_TIME"]))],
                             newer.reports], ignore_index=True)
        return News(_sorted(pregame, PREGAME), _sorted(lines, GAME_LINES), [*self.files, *newer.files],
                    reports=_sorted(reports, INJURY_REPORTS))

    def coverage(self, logs: pd.DataFrame) -> dict[str, float]:
        """Shares of the logs' team-games with a complete lineup (five starters listed), with any
        pregame row, and of the logs' games with a spread and a total."""
        team_games = logs[["GAME_ID", "TEAM"]].drop_duplicates()
        listed = pd.MultiIndex.from_frame(team_games).isin(pd.MultiIndex.from_frame(self.pregame[["GAME_ID", "TEAM"]]))
        starters = self.pregame[self.pregame["STARTER"]].groupby(["GAME_ID", "TEAM"]).size()
        five = starters[starters == schema.STARTERS_PER_TEAM].index
        complete = pd.MultiIndex.from_frame(team_games).isin(five)
        games = logs["GAME_ID"].drop_duplicates()
        priced = self.lines.dropna(subset=["SPREAD_HOME", "TOTAL"])["GAME_ID"]
        n = max(len(team_games), 1)
        return {"team_games_listed": float(listed.sum() / n), "team_games_with_lineup": float(complete.sum() / n),
                "games_with_line": float(games.isin(set(priced)).sum() / max(len(games), 1))}


def load_news(paths: PathLike | Iterable[PathLike], logs: pd.DataFrame | None = None, *,
              on_bad_rows: Literal["raise", "quarantine"] = "raise") -> News:
    """Load and validate pregame and game-line files (files or folders; each file's kind from its
    columns), checked against canonical game ``logs`` when given (see the module doc).

    ``on_bad_rows="quarantine"`` sets invalid rows aside in ``News.quarantined`` (counted and
    logged) instead of raising :class:`DataValidationError`.
    """
    if on_bad_rows not in ("raise", "quarantine"):
        raise ValueError(f"on_bad_rows must be 'raise' or 'quarantine', not {on_bad_rows!r}")
    files = find_files(paths, what="news")
    flags = RowFlags()
    parts: dict[str, list[pd.DataFrame]] = {PREGAME: [], GAME_LINES: [], INJURY_REPORTS: []}
    readers = {PREGAME: _pregame, GAME_LINES: _game_lines, INJURY_REPORTS: _injury_reports}
    for path in files:
        raw = _read_file(path, "news")
        kind = _kind(raw, str(path))
        parts[kind].append(readers[kind](raw, str(path), flags))
    pregame, lines, reports = (pd.concat(parts[kind], ignore_index=True) if parts[kind] else _bookkept(kind)
                               for kind in (PREGAME, GAME_LINES, INJURY_REPORTS))
    _check_pregame(pregame, flags)
    _check_lines(lines, flags)
    _check_reports(reports, flags)
    skipped: dict[str, int] = {}
    notes: list[str] = []
    if logs is not None:
        pregame, lines = _against_logs(pregame, lines, logs, flags, skipped, notes)
        _reports_against_logs(reports, logs, flags)
    problems = flags.problems()
    quarantined = pd.DataFrame()
    if problems:
        if on_bad_rows == "raise":
            raise DataValidationError(format_problems(problems, "news"), problems)
        bad = [flags.mask(frame) for frame in (pregame, lines, reports)]
        quarantined = pd.concat([frame.loc[mask].assign(reason=flags.reasons(frame)[mask])
                                 for frame, mask in zip((pregame, lines, reports), bad)], ignore_index=True)
        pregame, lines, reports = pregame.loc[~bad[0]], lines.loc[~bad[1]], reports.loc[~bad[2]]
        _logger.warning("quarantined %d news row(s):\n%s", len(quarantined), format_problems(problems, "news"))
    for what, count in skipped.items():
        _logger.warning("news: %d %s", count, what)
    news = News(_finish(pregame, PREGAME), _finish(lines, GAME_LINES), [str(f) for f in files], skipped, notes,
                quarantined, problems, reports=_finish(reports, INJURY_REPORTS))
    return news


def news_frames(pregame: pd.DataFrame | None = None, lines: pd.DataFrame | None = None,
                source: str = "<frame>", logs: pd.DataFrame | None = None) -> News:
    """In-memory pregame and game-line frames through the same checks as files (the synthetic
    league's news, a caller's own frames)."""
    flags = RowFlags()
    pre = _pregame(pregame.reset_index(drop=True), source, flags) if pregame is not None and len(pregame) \
        else _bookkept(PREGAME)
    lin = _game_lines(lines.reset_index(drop=True), source, flags) if lines is not None and len(lines) \
        else _bookkept(GAME_LINES)
    _check_pregame(pre, flags)
    _check_lines(lin, flags)
    skipped: dict[str, int] = {}
    notes: list[str] = []
    if logs is not None:
        pre, lin = _against_logs(pre, lin, logs, flags, skipped, notes)
    problems = flags.problems()
    if problems:
        raise DataValidationError(format_problems(problems, "news"), problems)
    return News(_finish(pre, PREGAME), _finish(lin, GAME_LINES), [source], skipped, notes)


def write_news(news: News, folder: PathLike, stem: str = "news") -> list[str]:
    """Write ``news`` as ``{stem}_pregame.csv.gz`` and ``{stem}_game_lines.csv.gz`` (atomically)."""
    from mlflow_nbaprops.data.loader import write_table

    out = []
    for kind, frame in ((PREGAME, news.pregame), ("game_lines", news.lines)):
        if len(frame):
            table = frame.assign(GAME_DATE=frame["GAME_DATE"].dt.strftime("%Y-%m-%d"))
            if "STARTER" in table:
                table["STARTER"] = table["STARTER"].astype(int)
            out.append(str(write_table(table, os.path.join(folder, f"{stem}_{kind}.csv.gz"))))
    return out


# --------------------------------------------------------------------------- internals


def _empty(columns) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame["GAME_DATE"] = pd.Series(dtype="datetime64[ns]")
    if "REPORT_TIME" in frame:
        frame["REPORT_TIME"] = pd.Series(dtype="datetime64[ns]")
        frame["PLAYER_ID"] = pd.Series(dtype="Int64")
        return frame
    for col in ("SPREAD_HOME", "TOTAL"):
        if col in frame:
            frame[col] = pd.Series(dtype=float)
    if "PLAYER_ID" in frame:
        frame["PLAYER_ID"] = pd.Series(dtype="int64")
        frame["STARTER"] = pd.Series(dtype=bool)
    return frame


def _bookkept(kind: str) -> pd.DataFrame:
    frame = _empty(_COLUMNS[kind])
    return frame.assign(_file=pd.Series(dtype=object), _row=pd.Series(dtype="int64"))


def _source(files: list[str]) -> str:
    if not files:
        return "<none>"
    if len(files) == 1:
        return files[0]
    parents = {os.path.dirname(f) for f in files}
    return f"{len(files)} files in {parents.pop() if len(parents) == 1 else 'several folders'}"


def _kind(raw: pd.DataFrame, source: str) -> str:
    columns = set(raw.columns)
    if _PROPS_COLUMNS <= columns:
        raise DataLoadError(f"{source}: this is a player-props file (BOOK, LINE_PRA): pass it with --lines, not as news")
    if "REPORT_TIME" in columns:
        return _complete(raw, source, INJURY_REPORTS, "an injury-report history", schema.INJURY_REPORT_REQUIRED)
    if {"STARTER", "STATUS"} & columns and not {"SPREAD_HOME", "TOTAL"} & columns:
        return _complete(raw, source, PREGAME, "a pregame file", schema.PREGAME_REQUIRED)
    if {"SPREAD_HOME", "TOTAL"} & columns:
        return _complete(raw, source, GAME_LINES, "a game-lines file", schema.GAME_LINE_COLUMNS)
    raise DataLoadError(
        f"{source}: not a news file: a pregame file has {', '.join(schema.PREGAME_REQUIRED)}; a game-lines file "
        f"has {', '.join(schema.GAME_LINE_COLUMNS)}; an injury-report history has "
        f"{', '.join(schema.INJURY_REPORT_REQUIRED)} (this one has: {', '.join(map(str, raw.columns))[:300]})")


def _complete(raw: pd.DataFrame, source: str, kind: str, what: str, required: tuple[str, ...]) -> str:
    """``kind``, once ``raw`` is seen to hold every ``required`` column (else the error naming them)."""
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise DataValidationError(
            f"{source}: {what} is missing required column(s) {', '.join(missing)} "
            f"(has: {', '.join(map(str, raw.columns))})",
            [Problem("missing_columns", ", ".join(missing), "missing required columns", len(raw), {source: []})])
    return kind


def _start(raw: pd.DataFrame, source: str, columns: tuple[str, ...]) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    out["_file"] = source
    out["_row"] = np.arange(1, len(raw) + 1)
    return out


def _text(raw: pd.DataFrame, column: str, source: str, flags: RowFlags, out: pd.DataFrame) -> pd.Series:
    text = _as_text(raw[column]).str.strip()
    empty = text.isna() | (text == "")
    if empty.any():
        flags.add(source, "missing_value", column, "empty value in required column", out["_row"][empty])
    return text.where(~empty, None).str.upper() if column != "PLAYER_NAME" else text


def _pregame(raw: pd.DataFrame, source: str, flags: RowFlags) -> pd.DataFrame:
    out = _start(raw, source, schema.PREGAME_COLUMNS)
    out["GAME_ID"] = _game_id(raw["GAME_ID"])
    out["GAME_DATE"] = _dates(raw["GAME_DATE"], source, flags, out)
    out["TEAM"] = _text(raw, "TEAM", source, flags, out)
    player = _numbers(raw["PLAYER_ID"], "PLAYER_ID", source, flags, out)
    bad = player.notna() & (player <= 0)
    if bad.any():
        flags.add(source, "not_positive", "PLAYER_ID", "must be a whole number above 0", out["_row"][bad], player[bad])
    out["PLAYER_ID"] = player
    if "PLAYER_NAME" in raw.columns:
        out["PLAYER_NAME"] = _as_text(raw["PLAYER_NAME"])
    words = _as_text(raw["STARTER"]).str.strip().str.lower()
    starter = words.map(_STARTER_WORDS)
    bad = starter.isna()
    if bad.any():
        flags.add(source, "not_starter_flag", "STARTER", "must be 1 or 0", out["_row"][bad], raw["STARTER"][bad])
    out["STARTER"] = starter.astype(object)
    status = _as_text(raw["STATUS"]).str.strip().str.upper()
    bad = ~status.isin(schema.PREGAME_STATUSES)
    if bad.any():
        flags.add(source, "unknown_status", "STATUS", f"must be one of {', '.join(schema.PREGAME_STATUSES)}",
                  out["_row"][bad], raw["STATUS"][bad])
    out["STATUS"] = status.where(~bad, None)
    for col in ("GAME_ID", "GAME_DATE", "PLAYER_ID"):
        nulls = out[col].isna() & ~out["_row"].isin(flags.flagged(source, col))
        if nulls.any():
            flags.add(source, "missing_value", col, "empty value in required column", out["_row"][nulls])
    return out


def _game_lines(raw: pd.DataFrame, source: str, flags: RowFlags) -> pd.DataFrame:
    out = _start(raw, source, schema.GAME_LINE_COLUMNS)
    out["GAME_ID"] = _game_id(raw["GAME_ID"])
    out["GAME_DATE"] = _dates(raw["GAME_DATE"], source, flags, out)
    out["HOME_TEAM"] = _text(raw, "HOME_TEAM", source, flags, out)
    out["AWAY_TEAM"] = _text(raw, "AWAY_TEAM", source, flags, out)
    for col in ("SPREAD_HOME", "TOTAL"):
        values = _numbers(raw[col], col, source, flags, out)
        out[col] = values
    spread, total = out["SPREAD_HOME"], out["TOTAL"]
    bad = spread.abs() > schema.MAX_ABS_SPREAD
    if bad.any():
        flags.add(source, "impossible_spread", "SPREAD_HOME", f"a point spread beyond +-{schema.MAX_ABS_SPREAD:g}",
                  out["_row"][bad], spread[bad])
    low, high = schema.TOTAL_RANGE
    bad = (total < low) | (total > high)
    if bad.any():
        flags.add(source, "impossible_total", "TOTAL", f"a game total outside {low:g}..{high:g}", out["_row"][bad],
                  total[bad])
    same = out["HOME_TEAM"].notna() & (out["HOME_TEAM"] == out["AWAY_TEAM"])
    if same.any():
        flags.add(source, "team_mismatch", "AWAY_TEAM", "the same team at home and away", out["_row"][same],
                  out["HOME_TEAM"][same])
    nulls = out["GAME_ID"].isna() | (out["GAME_ID"] == "")
    if nulls.any():
        flags.add(source, "missing_value", "GAME_ID", "empty value in required column", out["_row"][nulls])
    return out


def _injury_reports(raw: pd.DataFrame, source: str, flags: RowFlags) -> pd.DataFrame:
    out = _start(raw, source, schema.INJURY_REPORT_COLUMNS)
    text = _as_text(raw["REPORT_TIME"]).str.strip()
    stamp = pd.to_datetime(text, format="%Y-%m-%dT%H:%M", errors="coerce")
    bad = stamp.isna()
    if bad.any():
        flags.add(source, "bad_time", "REPORT_TIME", "must be the publication's time, YYYY-MM-DDTHH:MM (ET)",
                  out["_row"][bad], raw["REPORT_TIME"][bad])
    out["REPORT_TIME"] = stamp
    out["GAME_DATE"] = _dates(raw["GAME_DATE"], source, flags, out)
    clock = _as_text(raw["GAME_TIME"]).str.strip()
    bad = ~clock.fillna("").str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d")
    if bad.any():
        flags.add(source, "bad_time", "GAME_TIME", "must be the tip-off, HH:MM (ET, 24-hour)", out["_row"][bad],
                  raw["GAME_TIME"][bad])
    out["GAME_TIME"] = clock
    out["MATCHUP"] = _text(raw, "MATCHUP", source, flags, out)
    out["TEAM"] = _text(raw, "TEAM", source, flags, out)
    bad = out["TEAM"].notna() & ~np.array([t in str(m).split("@") for t, m in zip(out["TEAM"], out["MATCHUP"])],
                                           dtype=bool)
    if bad.any():
        flags.add(source, "team_mismatch", "TEAM", "not one of the two teams of its MATCHUP", out["_row"][bad],
                  out["TEAM"][bad])
    status = _as_text(raw["STATUS"]).str.strip().str.upper()
    known = (*schema.REPORT_STATUSES, schema.NOT_SUBMITTED)
    bad = ~status.isin(known)
    if bad.any():
        flags.add(source, "unknown_status", "STATUS", f"must be one of {', '.join(known)}", out["_row"][bad],
                  raw["STATUS"][bad])
    out["STATUS"] = status.where(~bad, None)
    given = _as_text(raw["PLAYER_ID"]).str.strip().replace("", None).notna()
    player = _numbers(raw["PLAYER_ID"].where(given, None), "PLAYER_ID", source, flags, out)
    bad = player.notna() & (player <= 0)
    if bad.any():
        flags.add(source, "not_positive", "PLAYER_ID", "must be a whole number above 0 (or empty: not matched)",
                  out["_row"][bad], player[bad])
    out["PLAYER_ID"] = player
    out["GAME_ID"] = _game_id(raw["GAME_ID"]) if "GAME_ID" in raw.columns else None
    for col in ("PLAYER_NAME", "REASON", "REASON_KIND", "SOURCE"):
        out[col] = _as_text(raw[col]).fillna("") if col in raw.columns else ""
    listed = (out["STATUS"] != schema.NOT_SUBMITTED) & out["STATUS"].notna()
    nameless = listed & out["PLAYER_ID"].isna() & (out["PLAYER_NAME"].str.strip() == "")
    if nameless.any():
        flags.add(source, "missing_value", "PLAYER_NAME", "a listed player needs a PLAYER_ID or a name",
                  out["_row"][nameless])
    return out


def _check_reports(reports: pd.DataFrame, flags: RowFlags) -> None:
    if not len(reports):
        return
    key = reports[["REPORT_TIME", "GAME_DATE", "TEAM", "PLAYER_ID"]]
    twice = reports["PLAYER_ID"].notna() & key.duplicated(keep="first")
    _flag(reports, flags, twice, "duplicate", "REPORT_TIME, GAME_DATE, PLAYER_ID",
          "the same player twice for one game in one report (first kept)",
          (reports["REPORT_TIME"].astype(str) + " " + reports["PLAYER_ID"].astype("string").fillna("?")).to_numpy(object))
    files = reports.groupby("REPORT_TIME", sort=False)["SOURCE"].transform("nunique")
    _flag(reports, flags, files > 1, "duplicate", "REPORT_TIME", "two report files for one publication time",
          reports["REPORT_TIME"].astype(str).to_numpy(object))


def _reports_against_logs(reports: pd.DataFrame, logs: pd.DataFrame, flags: RowFlags) -> None:
    """A report row naming a game the logs hold must agree with them on its date and teams (one of a
    game the logs do not hold yet is kept: a report lists the next day's games)."""
    if not len(reports):
        return
    games = logs.drop_duplicates(["GAME_ID", "TEAM"])[["GAME_ID", "TEAM", "GAME_DATE"]]
    dates = games.drop_duplicates("GAME_ID").set_index("GAME_ID")["GAME_DATE"]
    held = reports["GAME_ID"].isin(dates.index).to_numpy()
    _flag(reports, flags, held & (reports["GAME_DATE"].to_numpy() != dates.reindex(reports["GAME_ID"]).to_numpy()),
          "date_conflict", "GAME_DATE", "differs from the game logs' date of that game",
          reports["GAME_ID"].to_numpy(object))
    in_game = pd.MultiIndex.from_frame(reports[["GAME_ID", "TEAM"]].astype(object)).isin(
        pd.MultiIndex.from_frame(games[["GAME_ID", "TEAM"]]))
    _flag(reports, flags, held & ~in_game, "team_mismatch", "TEAM", "not one of the game's two teams in the game logs",
          (reports["GAME_ID"].astype(str) + ": " + reports["TEAM"].astype(str)).to_numpy(object))


def _flag(frame: pd.DataFrame, flags: RowFlags, mask, check: str, column: str, description: str, values=None):
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        flags.add(frame["_file"].to_numpy(object)[mask], check, column, description, frame["_row"].to_numpy()[mask],
                  None if values is None else pd.Series(np.asarray(values, dtype=object)[mask]))


def _check_pregame(pre: pd.DataFrame, flags: RowFlags) -> None:
    if not len(pre):
        return
    key = pre["GAME_ID"].astype(str) + "/" + pre["PLAYER_ID"].astype("string").fillna("?")
    _flag(pre, flags, pre.duplicated(["GAME_ID", "PLAYER_ID"], keep="first"), "duplicate", "GAME_ID, PLAYER_ID",
          "duplicate player in one game's list (first kept)", key.to_numpy(object))
    starter = pre["STARTER"].eq(True).to_numpy()
    _flag(pre, flags, starter & pre["STATUS"].notna().to_numpy() & (pre["STATUS"] != "PLAYED").to_numpy(),
          "starter_not_played", "STATUS", "a starter (STARTER 1) must have STATUS PLAYED", pre["STATUS"].to_numpy(object))
    starters = pre.assign(_s=starter.astype(int)).groupby(["GAME_ID", "TEAM"], sort=False)["_s"].transform("sum")
    _flag(pre, flags, starter & (starters > schema.STARTERS_PER_TEAM).to_numpy(), "too_many_starters", "STARTER",
          f"a team-game lists more than {schema.STARTERS_PER_TEAM} starters",
          (pre["GAME_ID"].astype(str) + " " + pre["TEAM"].astype(str) + ": " + starters.astype(str) + " starters").to_numpy(object))
    game = pre.groupby("GAME_ID", sort=False)
    teams = game["TEAM"].transform("nunique")
    _flag(pre, flags, teams > 2, "game_teams", "TEAM", "a game lists more than two teams",
          (pre["GAME_ID"].astype(str) + ": " + teams.astype(str) + " teams").to_numpy(object))
    _flag(pre, flags, game["GAME_DATE"].transform("nunique") > 1, "date_conflict", "GAME_DATE",
          "rows of one game disagree on its date", pre["GAME_ID"].to_numpy(object))


def _check_lines(lines: pd.DataFrame, flags: RowFlags) -> None:
    if not len(lines):
        return
    _flag(lines, flags, lines.duplicated("GAME_ID", keep="first"), "duplicate", "GAME_ID",
          "the same game twice (first kept)", lines["GAME_ID"].to_numpy(object))


def _against_logs(pre: pd.DataFrame, lines: pd.DataFrame, logs: pd.DataFrame, flags: RowFlags,
                  skipped: dict[str, int], notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """News rows of games not in ``logs`` set aside (counted); contradictions flagged."""
    games = logs.drop_duplicates(["GAME_ID", "TEAM"])[["GAME_ID", "TEAM", "GAME_DATE", "HOME"]]
    dates = games.drop_duplicates("GAME_ID").set_index("GAME_ID")["GAME_DATE"]
    known = pre["GAME_ID"].isin(dates.index)
    if (~known).any():
        skipped["pregame rows of games not in the game logs: skipped"] = int((~known).sum())
    pre = pre.loc[known]
    if len(pre):
        _flag(pre, flags, (pre["GAME_DATE"] != dates.reindex(pre["GAME_ID"]).to_numpy()).to_numpy()
              & pre["GAME_DATE"].notna().to_numpy(), "date_conflict", "GAME_DATE",
              "differs from the game logs' date of that game", pre["GAME_ID"].to_numpy(object))
        team_games = pd.MultiIndex.from_frame(games[["GAME_ID", "TEAM"]])
        in_game = pd.MultiIndex.from_frame(pre[["GAME_ID", "TEAM"]].astype(object)).isin(team_games)
        _flag(pre, flags, ~in_game & pre["TEAM"].notna().to_numpy(), "team_mismatch", "TEAM",
              "not one of the game's two teams in the game logs",
              (pre["GAME_ID"].astype(str) + ": " + pre["TEAM"].astype(str)).to_numpy(object))
        box = logs[["GAME_ID", "PLAYER_ID", "MIN"]].astype({"GAME_ID": object})
        minutes = pd.Series(box["MIN"].to_numpy(float), index=pd.MultiIndex.from_frame(box[["GAME_ID", "PLAYER_ID"]]))
        key = pd.MultiIndex.from_arrays([pre["GAME_ID"].to_numpy(object), pre["PLAYER_ID"].fillna(-1).astype("int64")])
        played = minutes.reindex(key).to_numpy()
        listed_out = pre["STATUS"].isin(["INACTIVE", "DNP"]).to_numpy()
        _flag(pre, flags, listed_out & (played > 0), "status_conflict", "STATUS",
              "listed as not playing, but the game logs give him minutes",
              (pre["GAME_ID"].astype(str) + "/" + pre["PLAYER_ID"].astype("string").fillna("?") + " "
               + pre["STATUS"].astype(str)).to_numpy(object))
        no_box = (pre["STATUS"] == "PLAYED").to_numpy() & np.isnan(played)
        if no_box.any():
            notes.append(f"{int(no_box.sum()):,} pregame row(s) say PLAYED with no box score in the logs "
                         "(kept: names the source could not match)")
    known = lines["GAME_ID"].isin(dates.index)
    if (~known).any():
        skipped["game-line rows of games not in the game logs: skipped"] = int((~known).sum())
    lines = lines.loc[known]
    if len(lines):
        _flag(lines, flags, (lines["GAME_DATE"] != dates.reindex(lines["GAME_ID"]).to_numpy()).to_numpy()
              & lines["GAME_DATE"].notna().to_numpy(), "date_conflict", "GAME_DATE",
              "differs from the game logs' date of that game", lines["GAME_ID"].to_numpy(object))
        home = games[games["HOME"].eq(True)].set_index("GAME_ID")["TEAM"]
        away = games[games["HOME"].eq(False)].set_index("GAME_ID")["TEAM"]
        wrong = ((lines["HOME_TEAM"].to_numpy(object) != home.reindex(lines["GAME_ID"]).to_numpy(object))
                 | (lines["AWAY_TEAM"].to_numpy(object) != away.reindex(lines["GAME_ID"]).to_numpy(object)))
        _flag(lines, flags, wrong, "team_mismatch", "HOME_TEAM, AWAY_TEAM",
              "not the home and away teams the game logs give",
              (lines["GAME_ID"].astype(str) + ": " + lines["AWAY_TEAM"].astype(str) + " @ "
               + lines["HOME_TEAM"].astype(str)).to_numpy(object))
    return pre, lines


def _finish(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    columns = _COLUMNS[kind]
    frame = frame[[c for c in columns if c in frame.columns]].copy()
    if kind == INJURY_REPORTS:
        frame["PLAYER_ID"] = frame["PLAYER_ID"].astype("Int64")
        frame["REPORT_TIME"] = frame["REPORT_TIME"].astype("datetime64[ns]")
    elif kind == PREGAME:
        frame["PLAYER_ID"] = frame["PLAYER_ID"].astype("int64")
        frame["STARTER"] = frame["STARTER"].astype(bool)
    else:
        frame[["SPREAD_HOME", "TOTAL"]] = frame[["SPREAD_HOME", "TOTAL"]].astype(float)
    return _sorted(frame, kind)


def _sorted(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    keys = {PREGAME: ["GAME_DATE", "GAME_ID", "TEAM", "PLAYER_ID"], GAME_LINES: ["GAME_DATE", "GAME_ID"],
            INJURY_REPORTS: ["REPORT_TIME", "GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "PLAYER_NAME"]}[kind]
    return frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
