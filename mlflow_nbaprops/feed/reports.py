"""``data injuries``: the league's injury reports as a history table, incremental and resumable.

One row per report and listed player (``HISTORY_COLUMNS``): when the report was published
(``REPORT_TIME``, Eastern time to the minute), the game it lists him for (``GAME_DATE``,
``GAME_TIME``, ``MATCHUP``, and ``GAME_ID`` where the game logs hold the game), his ``TEAM``,
``PLAYER_ID`` and ``PLAYER_NAME``, ``STATUS`` and ``REASON`` with its ``REASON_KIND``, and the
file it came from (``SOURCE``). A team the report says is NOT YET SUBMITTED for a game is one row
with ``STATUS`` ``NOT_SUBMITTED`` and no player: until it is in, nothing is known of that team.

Players are matched to their ``PLAYER_ID`` by name (accents, case, punctuation, spaces and
suffixes aside) among the players the game logs and pregame lists know; a name two players share
is settled by the team he was with last before the game. A name nothing settles keeps an empty
``PLAYER_ID``: counted and listed, never guessed.

Over a folder only the files the table does not hold yet are read (by ``SOURCE``); the table is
written atomically after every ``CHECKPOINT`` reports and when the run stops, so an interrupted
run resumes where it stopped. A file that cannot be read as a report, or one whose publication
time another file already has, is skipped, counted and reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.data.loader import read_table, write_table
from mlflow_nbaprops.errors import FeedError
from mlflow_nbaprops.feed.injury import InjuryReport, name_key, read_injury_report

HISTORY_COLUMNS = schema.INJURY_REPORT_COLUMNS
NOT_SUBMITTED = schema.NOT_SUBMITTED
#: The table is written after this many new reports (and when the run stops).
CHECKPOINT = 128

Say = Callable[[str], None]


@dataclass
class History:
    """What ``injury_history`` did: files read and skipped, rows written, names left unmatched."""

    output: Path
    read: int = 0
    already: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)
    unmatched: dict[str, int] = field(default_factory=dict)  # "Name (TEAM)" -> rows

    def summary(self) -> str:
        unmatched = sum(self.unmatched.values())
        return (f"wrote {self.output}: {self.read} new report(s) read, {self.already} already in it, "
                f"{len(self.skipped)} skipped; {self.rows:,} rows in all, {unmatched:,} of the new rows without a "
                f"PLAYER_ID ({len(self.unmatched)} names)")


def report_files(paths: Iterable[Path]) -> list[Path]:
    """The PDFs of ``paths`` (files, or folders searched recursively), in name order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(path.rglob("*.pdf"))
        elif path.is_file():
            files.append(path)
        else:
            raise FeedError(f"{path}: no such file or folder")
    return sorted(set(files), key=lambda p: (p.name, str(p)))


def injury_history(paths: Iterable[Path], output: Path, logs: pd.DataFrame, pregame: pd.DataFrame | None = None,
                   workers: int | None = None, say: Say = print) -> History:
    """Read the reports of ``paths`` that ``output`` does not hold yet and add them to it.
    ``logs`` are the canonical game logs (for GAME_ID and names), ``pregame`` the pregame lists."""
    output = Path(output)
    held = _held(output)
    done = set(held["SOURCE"]) if len(held) else set()
    files = report_files(paths)
    todo = [f for f in files if f.name not in done]
    result = History(output=output, already=len(files) - len(todo))
    players = PlayerIndex(logs, pregame)
    times = dict(zip(held["REPORT_TIME"], held["SOURCE"])) if len(held) else {}
    frames = [held] if len(held) else []
    pending = 0
    workers = workers or min(len(todo), os.cpu_count() or 1) or 1
    try:
        with contextlib.ExitStack() as stack:  # a pool only where it pays (not for a file or two)
            read = (stack.enter_context(ProcessPoolExecutor(workers)).map(_read, todo, chunksize=4) if workers > 1
                    else map(_read, todo))
            for path, report, problem in read:
                if problem is None and report.published is None:
                    problem = "no publication time in its title"
                stamp = f"{report.published:%Y-%m-%dT%H:%M}" if problem is None else ""
                if problem is None and stamp in times:
                    problem = f"published at {stamp} as {times[stamp]} is: two reports for one time"
                if problem is not None:
                    result.skipped.append(f"{path}: {problem}")
                    say(f"skipped {path}: {problem}")
                    continue
                times[stamp] = path.name
                frames.append(players.table(report, path.name, stamp, result.unmatched))
                result.read += 1
                pending += 1
                if pending >= CHECKPOINT:
                    _write(frames, output)
                    pending = 0
                    say(f"{result.read} of {len(todo)} new reports read")
    finally:  # whatever was read is kept, even on an error or Ctrl-C: the next run resumes after it
        if pending:
            _write(frames, output)
    result.rows = sum(len(f) for f in frames)
    if not frames:
        raise FeedError(f"no report read from {', '.join(map(str, paths))}: {output} not written")
    return result


class PlayerIndex:
    """Names to PLAYER_IDs, from the game logs and pregame lists, and (date, team) to GAME_ID."""

    def __init__(self, logs: pd.DataFrame, pregame: pd.DataFrame | None = None) -> None:
        known = [logs[["PLAYER_ID", "PLAYER_NAME", "TEAM", "GAME_DATE"]]]
        if pregame is not None and len(pregame) and "PLAYER_NAME" in pregame:
            known.append(pregame[["PLAYER_ID", "PLAYER_NAME", "TEAM", "GAME_DATE"]])
        seen = pd.concat(known, ignore_index=True).dropna(subset=["PLAYER_NAME", "PLAYER_ID"])
        seen["PLAYER_ID"] = pd.to_numeric(seen["PLAYER_ID"]).astype("int64")
        seen["GAME_DATE"] = pd.to_datetime(seen["GAME_DATE"])
        seen = seen.sort_values("GAME_DATE", kind="stable")
        names = seen.drop_duplicates("PLAYER_ID", keep="last")
        self.names = names.set_index("PLAYER_ID")["PLAYER_NAME"]
        # every name a player went by, reduced; most keys belong to one player
        spelled = seen.drop_duplicates(["PLAYER_ID", "PLAYER_NAME"])
        keys = spelled["PLAYER_NAME"].map(name_key)
        owners = pd.Series(spelled["PLAYER_ID"].to_numpy(), index=keys.to_numpy()).groupby(level=0).unique()
        self.by_key = {key: [int(i) for i in ids] for key, ids in owners.items()}
        shared = {key for key, ids in self.by_key.items() if len(ids) > 1}
        # for a name two players share: each one's (date, team) games, to say who was where before a date
        mine = seen[seen["PLAYER_ID"].isin({i for key in shared for i in self.by_key[key]})]
        self.stints = {int(i): (g["GAME_DATE"].to_numpy(), g["TEAM"].to_numpy(object)) for i, g in mine.groupby("PLAYER_ID")}
        games = logs[["GAME_DATE", "TEAM", "GAME_ID"]].drop_duplicates(["GAME_DATE", "TEAM"])
        self.games = {(f"{d:%Y-%m-%d}", t): g for d, t, g in games.itertuples(index=False)}

    def player(self, name: str, team: str, day: pd.Timestamp) -> int | None:
        """His PLAYER_ID, or None where no known player has this name, or several do and their teams
        before ``day`` do not settle which."""
        ids = self.by_key.get(name_key(name))
        if not ids:
            return None
        if len(ids) == 1:
            return ids[0]
        with_team = []
        for i in ids:
            dates, teams = self.stints[i]
            before = dates.searchsorted(day.to_datetime64()) - 1
            if before >= 0 and teams[before] == team:
                with_team.append(i)
        return with_team[0] if len(with_team) == 1 else None

    def table(self, report: InjuryReport, source: str, stamp: str, unmatched: dict[str, int]) -> pd.DataFrame:
        """The history rows of one report."""
        rows = report.rows
        ids = [self.player(r.PLAYER_NAME, r.TEAM, pd.Timestamp(r.GAME_DATE)) for r in rows.itertuples(index=False)]
        listed = pd.DataFrame({
            "REPORT_TIME": stamp, "GAME_DATE": rows["GAME_DATE"], "GAME_TIME": rows["GAME_TIME"],
            "MATCHUP": rows["MATCHUP"], "TEAM": rows["TEAM"], "PLAYER_ID": pd.array(ids, dtype="Int64"),
            "PLAYER_NAME": rows["PLAYER_NAME"], "STATUS": rows["STATUS"], "REASON": rows["REASON"],
            "REASON_KIND": rows["REASON_KIND"]})
        known = listed["PLAYER_ID"].notna()
        listed.loc[known, "PLAYER_NAME"] = listed.loc[known, "PLAYER_ID"].map(self.names).to_numpy()
        for r in listed[~known].itertuples(index=False):
            label = f"{r.PLAYER_NAME} ({r.TEAM})"
            unmatched[label] = unmatched.get(label, 0) + 1
        silent = report.not_submitted.assign(REPORT_TIME=stamp, STATUS=NOT_SUBMITTED, PLAYER_NAME="", REASON="",
                                             REASON_KIND="", PLAYER_ID=pd.array([None] * len(report.not_submitted),
                                                                                dtype="Int64"))
        out = pd.concat([listed, silent.drop(columns=["TEAM_NAME"])], ignore_index=True)
        out["GAME_ID"] = [self.games.get((d, t), "") for d, t in zip(out["GAME_DATE"], out["TEAM"])]
        out["SOURCE"] = source
        return out[list(HISTORY_COLUMNS)]


def _read(path: Path) -> tuple[Path, InjuryReport | None, str | None]:
    try:
        return path, read_injury_report(path), None
    except FeedError as exc:
        return path, None, str(exc).removeprefix(f"{path}: ")


def _held(output: Path) -> pd.DataFrame:
    """The table as written so far (empty where there is none); one of another shape is an error."""
    if not output.exists():
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    held = read_table(output, "an injury history")
    missing = [c for c in HISTORY_COLUMNS if c not in held.columns]
    if missing:
        raise FeedError(f"{output} is not an injury history (no {', '.join(missing)}): write elsewhere")
    held["PLAYER_ID"] = pd.to_numeric(held["PLAYER_ID"], errors="raise").astype("Int64")
    return held[list(HISTORY_COLUMNS)].fillna({c: "" for c in HISTORY_COLUMNS if c != "PLAYER_ID"})


def _write(frames: list[pd.DataFrame], output: Path) -> None:
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["REPORT_TIME", "GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "PLAYER_NAME"],
                              kind="stable").reset_index(drop=True)
    write_table(table, output)


def pull_reports(client, days: Iterable[dt.date], folder: Path, say: Say = print) -> tuple[list[Path], list[str]]:
    """The league's publications (``PUBLICATIONS``) of each of ``days`` that ``folder`` lacks, fetched
    from the site (``client.config.injury_url``) and written as the league names them, each atomically.
    Returns the files written and the publications the site does not have (403/404: not published)."""
    from mlflow_nbaprops.feed.injury import PUBLICATIONS, report_name

    folder = Path(folder)
    written: list[Path] = []
    absent: list[str] = []
    wanted = [(day, at) for day in sorted(set(days)) for at in PUBLICATIONS]
    todo = [(day, at, f"Injury-Report_{day:%Y-%m-%d}_{report_name(day, at)}.pdf") for day, at in wanted]
    todo = [(day, at, name) for day, at, name in todo if not (folder / name).exists()]
    if todo:
        say(f"injury reports: {len(todo)} publication(s) to fetch into {folder}")
    for day, at, name in todo:
        body = client.get_bytes(client.config.injury_url.format(date=f"{day:%Y-%m-%d}", hour=report_name(day, at)),
                                "injury report")
        if body is None:
            absent.append(name)
            continue
        if not body.startswith(b"%PDF"):
            raise FeedError(f"injury report {name}: the site's answer is not a PDF ({body[:40]!r}...): nothing written")
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp-{os.getpid()}"
        try:
            tmp.write_bytes(body)
            os.replace(tmp, folder / name)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(folder / name)
    if absent:
        say(f"injury reports: {len(absent)} publication(s) not on the site (not published): {', '.join(absent[:6])}"
            + (" ..." if len(absent) > 6 else ""))
    return written, absent
