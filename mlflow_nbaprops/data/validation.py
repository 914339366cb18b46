"""Validation of canonical game logs: each check names file, column and rows.

Row-level parse failures are recorded while reading (see ``loader``); the checks here
look at values and at how rows relate (duplicates, the two teams of a game).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema

#: How many example rows a message names per file.
SHOW_ROWS = 5


@dataclass(frozen=True)
class Problem:
    """One failed check: which column, what, how many rows, and where (file -> first rows)."""

    check: str
    column: str
    description: str
    count: int
    locations: dict[str, list[int]]
    examples: tuple = ()

    def __str__(self) -> str:
        where = "; ".join(
            f"{file} rows {', '.join(map(str, rows))}" + (" …" if len(rows) >= SHOW_ROWS else "")
            for file, rows in self.locations.items()
        )
        text = f"column {self.column}: {self.description}: {self.count} row(s)"
        if where:
            text += f" [{where}]"
        if self.examples:
            text += f" (e.g. {', '.join(repr(v) for v in self.examples)})"
        return text


@dataclass
class RowFlags:
    """Collects (file, row) pairs that failed a check, grouped by check and column."""

    _entries: list[tuple[str, str, str, np.ndarray, np.ndarray, tuple]] = field(default_factory=list)

    def add(self, source, check: str, column: str, description: str, rows, values=None) -> None:
        """Flag ``rows`` (1-based data rows) of ``source`` (a file name, or an array of them)."""
        rows = np.asarray(rows, dtype=np.int64)
        sources = np.broadcast_to(np.asarray(source, dtype=object), rows.shape)
        examples = tuple(pd.Series(values).drop_duplicates().head(3).tolist()) if values is not None else ()
        self._entries.append((check, column, description, sources, rows, examples))

    def flagged(self, source: str, column: str) -> set[int]:
        """Rows of ``source`` already flagged for ``column``."""
        return {
            int(r)
            for _, col, _, srcs, rows, _ in self._entries
            if col == column
            for s, r in zip(srcs, rows)
            if s == source
        }

    def _keys(self, frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([frame["_file"].to_numpy(object), frame["_row"].to_numpy()])

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array over ``frame``: True where the row failed any check."""
        if not self._entries:
            return np.zeros(len(frame), dtype=bool)
        flagged = pd.MultiIndex.from_arrays(
            [np.concatenate([e[3] for e in self._entries]), np.concatenate([e[4] for e in self._entries])]
        )
        return self._keys(frame).isin(flagged)

    def reasons(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row of ``frame``: the first failed check as ``"column: description"`` (or "")."""
        out = np.full(len(frame), "", dtype=object)
        keys = self._keys(frame)
        for check, column, description, srcs, rows, _ in reversed(self._entries):
            hit = keys.isin(pd.MultiIndex.from_arrays([srcs, rows]))
            out[hit] = f"{column}: {description}"
        return out

    def problems(self) -> list[Problem]:
        """One :class:`Problem` per (check, column), in the order first seen."""
        grouped: dict[tuple[str, str, str], list] = {}
        for check, column, description, srcs, rows, examples in self._entries:
            grouped.setdefault((check, column, description), []).append((srcs, rows, examples))
        out = []
        for (check, column, description), parts in grouped.items():
            srcs = np.concatenate([p[0] for p in parts])
            rows = np.concatenate([p[1] for p in parts])
            locations: dict[str, list[int]] = {}
            for s, r in sorted(zip(srcs, rows), key=lambda sr: (str(sr[0]), int(sr[1]))):
                shown = locations.setdefault(str(s), [])
                if len(shown) < SHOW_ROWS:
                    shown.append(int(r))
            examples = tuple(dict.fromkeys(v for p in parts for v in p[2]))[:3]
            out.append(Problem(check, column, description, len(rows), locations, examples))
        return out


def format_problems(problems: list[Problem], what: str = "game logs") -> str:
    """A readable multi-line message for a list of problems (``what``: the kind of input)."""
    total = sum(p.count for p in problems)
    lines = [f"invalid {what}: {len(problems)} problem(s), {total} flagged row(s) (rows are 1-based data rows):"]
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


def validate_frame(frame: pd.DataFrame, flags: RowFlags) -> list[Problem]:
    """Run the value and cross-row checks on a frame with ``_file``/``_row``; return all problems."""

    def flag(mask, check: str, column: str, description: str, values=None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            flags.add(
                frame["_file"].to_numpy(object)[mask], check, column, description,
                frame["_row"].to_numpy()[mask], None if values is None else pd.Series(values)[mask],
            )

    for col in schema.COUNT_COLUMNS:
        if col in frame.columns:
            flag(frame[col] < 0, "negative_stat", col, "negative value", frame[col].to_numpy())
    minutes = frame["MIN"]
    flag((minutes < 0) | (minutes > schema.MAX_MINUTES), "impossible_minutes", "MIN",
         f"impossible minutes (outside 0..{schema.MAX_MINUTES:g})", minutes.to_numpy())

    dup = frame.duplicated(["PLAYER_ID", "GAME_ID"], keep="first") & frame["PLAYER_ID"].notna()
    flag(dup, "duplicate", "PLAYER_ID, GAME_ID", "duplicate player-game (first kept)",
         (frame["PLAYER_ID"].astype("string") + "/" + frame["GAME_ID"].astype("string")).to_numpy())

    game = frame.groupby("GAME_ID", sort=False)
    n_teams = game["TEAM"].transform("nunique")
    flag(n_teams != 2, "game_teams", "TEAM", "game does not have exactly two teams",
         (frame["GAME_ID"].astype("string") + ": " + n_teams.astype("string") + " team(s)").to_numpy())

    first, last = game["TEAM"].transform("min"), game["TEAM"].transform("max")
    other = first.where(frame["TEAM"] != first, last)
    mismatch = (n_teams == 2) & frame["OPPONENT"].notna() & (frame["OPPONENT"] != other)
    mismatch |= frame["OPPONENT"].notna() & (frame["OPPONENT"] == frame["TEAM"])
    flag(mismatch, "team_mismatch", "OPPONENT", "OPPONENT is not the other team of the game",
         (frame["TEAM"].astype("string") + " vs " + frame["OPPONENT"].astype("string")).to_numpy())

    flag(game["GAME_DATE"].transform("nunique") > 1, "date_conflict", "GAME_DATE",
         "rows of one game disagree on its date", frame["GAME_ID"].to_numpy())

    # a team, or a player, plays at most one game a day (a night copied under a new GAME_ID is not a game)
    dated = frame["GAME_DATE"].notna()
    for key, who in (("TEAM", "a team"), ("PLAYER_ID", "a player")):
        games_that_day = frame[dated].groupby([key, "GAME_DATE"], sort=False)["GAME_ID"].transform("nunique")
        two = pd.Series(False, index=frame.index)
        two[dated] = games_that_day > 1
        flag(two, "two_games_one_day", f"{key}, GAME_DATE", f"{who} with two games on one date",
             (frame[key].astype("string") + " " + frame["GAME_DATE"].dt.strftime("%Y-%m-%d").astype("string")).to_numpy())

    # a date inside its season: from July of the season's start year to October of the next (the
    # 2019-20 season's restart ran to October 2020); a typo'd year is not a game of that season
    start = pd.to_numeric(frame["SEASON"].astype("string").str[:4], errors="coerce")
    year, month = frame["GAME_DATE"].dt.year, frame["GAME_DATE"].dt.month
    inside = ((year == start) & (month >= 7)) | ((year == start + 1) & (month <= 10))
    flag(dated & start.notna() & ~inside, "date_season", "GAME_DATE", "date outside its SEASON",
         (frame["GAME_DATE"].dt.strftime("%Y-%m-%d").astype("string") + " in " + frame["SEASON"].astype("string")).to_numpy())

    home = frame["HOME"].map({True: 1, False: 0}).astype("float64")
    with_home = frame.assign(_home=home)
    mixed = with_home.groupby(["GAME_ID", "TEAM"], sort=False)["_home"].transform("nunique") > 1
    homes = with_home.groupby("GAME_ID", sort=False)["_home"].transform("sum")
    rows = game["TEAM"].transform("size")
    # exactly one team at home: neither no home rows nor every row at home
    conflict = mixed | ((n_teams == 2) & ((homes == 0) | (homes == rows)))
    flag(conflict & frame["HOME"].notna(), "home_conflict", "HOME",
         "game has no home team, two home teams, or a team both home and away", frame["GAME_ID"].to_numpy())
    return flags.problems()
