"""``data pull``: a season's game logs and pregame lists from nba_api, incremental and resumable.

- **Game logs**: ``LeagueGameFinder`` (players, regular season) from the newest date the season
  file holds (asked again: a game not final at the last pull) up to ``until``, rows already held
  left as they are; the new rows are validated with the old ones by the
  game-log loader and the file is rewritten atomically, in the endpoint's own columns
  (``leaguegamefinder_players_<season>.csv.gz``, the format of ``../shared/data/nba/``).
- **Pregame lists**: for every game of the logs the pregame file does not hold yet,
  ``BoxScoreTraditionalV3`` (a non-empty ``position``: a starter; ``comment``: why he did not play)
  and ``BoxScoreSummaryV3``'s ``InactivePlayers``, in the format of ``../shared/data/pregame/``
  (``pregame_<season>.csv.gz``). The file is rewritten atomically every ``CHECKPOINT`` games, and
  when the pull stops on an error or Ctrl-C: the files themselves say what is done, so the next
  pull resumes with the games still missing.
- **Game lines** (optional): a CSV in the ``game_lines`` format at a URL the user configures, merged
  into ``game_lines_<season>.csv.gz`` (a game's newer row replaces its older one).
- **Injury reports** (optional, ``reports_dir``): the league's 12:30, 5:30 and 6:30 PM ET publications
  of every game day of the logs that the folder lacks, as the league names them, and the season's
  report history (``injury_reports_<season>.csv.gz`` beside the pregame lists, the format of
  ``nbaprops data injuries``), only the new reports read.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.data.loader import canonicalize_frame, read_table, write_table
from mlflow_nbaprops.data.version import data_version
from mlflow_nbaprops.errors import DataLoadError, FeedError
from mlflow_nbaprops.feed.http import StatsClient
from mlflow_nbaprops.redact import redact_url

_logger = logging.getLogger(__name__)

#: The columns the feed reads from LeagueGameFinder (players): the endpoint's, as the shared files hold them.
GAMELOG_COLUMNS = ("SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID",
                   "GAME_DATE", "MATCHUP", "WL", "MIN", "PTS", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT",
                   "FTM", "FTA", "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PLUS_MINUS")
BOX_COLUMNS = ("gameId", "teamId", "teamTricode", "personId", "firstName", "familyName", "position", "comment")
INACTIVE_COLUMNS = ("gameId", "teamId", "personId", "firstName", "familyName")
#: Pregame lists written after this many games (and on any stop): an interrupted pull loses at most these.
CHECKPOINT = 25
#: ``comment`` prefixes of box scores: dressed and not used (DNP) vs not available at all.
DNP_PREFIXES = ("DNP",)
INACTIVE_PREFIXES = ("DND", "NWT", "SUSP", "INACTIVE", "NOT WITH TEAM")

Say = Callable[[str], None]


def gamelog_file(folder: Path, season: str) -> Path:
    return Path(folder) / f"leaguegamefinder_players_{season}.csv.gz"


def pregame_file(folder: Path, season: str) -> Path:
    return Path(folder) / f"pregame_{season}.csv.gz"


def game_lines_file(folder: Path, season: str) -> Path:
    return Path(folder) / f"game_lines_{season}.csv.gz"


@dataclass
class Pulled:
    """What a pull did: rows and games added, files written, the data version, requests made."""

    season: str
    new_rows: int = 0
    new_games: int = 0
    pregame_games: int = 0
    pregame_missing: int = 0
    line_games: int = 0
    reports: int = 0  # injury reports fetched
    report_rows: int = 0  # rows of the season's report history
    files: list[str] = field(default_factory=list)
    version: str = ""
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        news = f"pregame lists for {self.pregame_games:,} games"
        if self.pregame_missing:
            news += f" ({self.pregame_missing:,} still missing)"
        lines = f", game lines for {self.line_games:,} games" if self.line_games else ""
        if self.report_rows:
            lines += f", {self.reports:,} new injury report(s) ({self.report_rows:,} history rows)"
        return (f"pulled {self.season}: {self.new_rows:,} new rows in {self.new_games:,} games, {news}{lines}; "
                f"{self.requests:,} requests; data version {self.version or '(no game logs)'}")


def pull(data_dir: Path, news_dir: Path, season: str, until: dt.date, client: StatsClient | None = None,
         lines_url: str | None = None, reports_dir: Path | None = None, say: Say = print) -> Pulled:
    """Bring ``data_dir``'s and ``news_dir``'s files of ``season`` up to ``until`` (inclusive), and
    ``reports_dir``'s injury reports with their history beside the pregame lists."""
    client = client or StatsClient()
    result = Pulled(season)
    logs = _pull_logs(Path(data_dir), season, until, client, result, say)
    if logs is not None:
        _pull_pregame(Path(news_dir), season, logs, client, result, say)
    if lines_url:
        _pull_lines(Path(news_dir), season, lines_url, client, result, say)
    if reports_dir is not None and logs is not None:
        _pull_reports(Path(reports_dir), Path(news_dir), season, logs, client, result, say)
    result.requests = client.requests
    return result


# --------------------------------------------------------------------------- game logs


def _pull_logs(folder: Path, season: str, until: dt.date, client: StatsClient, result: Pulled,
               say: Say) -> pd.DataFrame | None:
    from nba_api.stats.endpoints import LeagueGameFinder

    path = gamelog_file(folder, season)
    held = _read_raw(path, "game logs") if path.exists() else None
    # the newest date held is asked again (a game that was not final at the last pull), its rows deduplicated
    since = pd.Timestamp(held["GAME_DATE"].max()).date() if held is not None and len(held) else None
    if since is not None and since > until:
        say(f"game logs: {path} already holds every game up to {until}")
        return _finish_logs(held, path, result)
    span = f"{since or 'the season start'} .. {until}"
    say(f"game logs: asking LeagueGameFinder for {season} games {span}")
    params = {"player_or_team_abbreviation": "P", "season_nullable": season,
              "season_type_nullable": "Regular Season", "league_id_nullable": "00",
              "date_to_nullable": f"{until:%m/%d/%Y}"}
    if since is not None:
        params["date_from_nullable"] = f"{since:%m/%d/%Y}"
    found = client.get(LeagueGameFinder, {"LeagueGameFinderResults": GAMELOG_COLUMNS}, **params)
    new = gamelog_rows(found["LeagueGameFinderResults"], since, until, say)
    if held is not None:
        known = set(zip(held["PLAYER_ID"].astype(str), held["GAME_ID"]))
        new = new[[key not in known for key in zip(new["PLAYER_ID"].astype(str), new["GAME_ID"])]]
    combined = new if held is None else pd.concat([held, new.astype(str)], ignore_index=True)
    combined = combined.astype(str).replace({"None": "", "nan": ""})
    # the season file as it would be written, through every check of the loader: nothing is written if not
    frame = _finish_logs(combined, path, result)
    result.new_rows, result.new_games = len(new), int(new["GAME_ID"].nunique())
    if len(new) or held is None:
        write_table(combined.sort_values(["GAME_DATE", "GAME_ID", "TEAM_ABBREVIATION", "PLAYER_ID"], kind="stable"),
                    path)
        result.files.append(str(path))
        say(f"game logs: +{len(new):,} rows in {result.new_games} games -> {path}")
    else:
        say(f"game logs: no new games since {since}")
    return frame


def gamelog_rows(answer: pd.DataFrame, since: dt.date | None, until: dt.date, say: Say = print) -> pd.DataFrame:
    """The rows of a LeagueGameFinder answer the season file keeps: its columns, regular-season games
    dated ``since`` .. ``until``, ids as ten-digit text and dates as ``YYYY-MM-DD``."""
    new = answer[list(GAMELOG_COLUMNS)].copy()
    new["GAME_ID"] = new["GAME_ID"].astype(str).str.zfill(10)
    # the site answers some requests with every season type (preseason, the In-Season Tournament's
    # final, play-in, playoffs); a regular-season game's SEASON_ID starts with 2, its GAME_ID with 002
    regular = new["SEASON_ID"].astype(str).str.startswith("2") & new["GAME_ID"].str.startswith("002")
    if not regular.all():
        say(f"game logs: {int((~regular).sum())} rows of other season types (preseason, playoffs, ...) left out")
        new = new[regular]
    new["GAME_DATE"] = pd.to_datetime(new["GAME_DATE"]).dt.strftime("%Y-%m-%d")
    new = new[pd.to_datetime(new["GAME_DATE"]).dt.date <= until]
    if since is not None:
        new = new[pd.to_datetime(new["GAME_DATE"]).dt.date >= since]
    return new


def _finish_logs(raw: pd.DataFrame, path: Path, result: Pulled) -> pd.DataFrame:
    frame = canonicalize_frame(raw, source=str(path))
    result.version = data_version(frame, str(path)).digest
    return frame


def _read_raw(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 -- a damaged file is named, never overwritten blindly
        raise DataLoadError(f"{path}: cannot be read as {what} ({type(exc).__name__}: {exc}); move it away to "
                            "pull the season again") from exc


# --------------------------------------------------------------------------- pregame lists


def _pull_pregame(folder: Path, season: str, logs: pd.DataFrame, client: StatsClient, result: Pulled,
                  say: Say) -> None:
    path = pregame_file(folder, season)
    held = _read_raw(path, "pregame lists") if path.exists() else pd.DataFrame(columns=list(schema.PREGAME_COLUMNS))
    games = logs.drop_duplicates("GAME_ID").sort_values(["GAME_DATE", "GAME_ID"])
    todo = games[~games["GAME_ID"].isin(set(held["GAME_ID"]))]
    result.pregame_games = int(games["GAME_ID"].isin(set(held["GAME_ID"])).sum())
    if todo.empty:
        say(f"pregame lists: {path} holds every game's")
        return
    say(f"pregame lists: {len(todo):,} games to fetch (2 requests each)")
    done: list[pd.DataFrame] = []

    def save() -> None:
        if not done:
            return
        rows = pd.concat([held, *done], ignore_index=True)
        write_table(rows, path)
        if str(path) not in result.files:
            result.files.append(str(path))

    try:
        for i, game in enumerate(todo.itertuples(index=False), start=1):
            played = logs.loc[logs["GAME_ID"] == game.GAME_ID, "PLAYER_ID"]
            done.append(game_lists(client, game.GAME_ID, game.GAME_DATE, set(played)))
            result.pregame_games += 1
            if i % CHECKPOINT == 0:
                save()
                say(f"pregame lists: {i:,}/{len(todo):,} games")
    finally:
        save()
        result.pregame_missing = len(todo) - len(done)
    say(f"pregame lists: +{len(done):,} games -> {path}")


def game_lists(client: StatsClient, game_id: str, day: pd.Timestamp, played: set[int]) -> pd.DataFrame:
    """One game's pregame rows: who started, who played, sat (DNP) or was inactive."""
    from nba_api.stats.endpoints import BoxScoreSummaryV3, BoxScoreTraditionalV3

    box = client.get(BoxScoreTraditionalV3, {"PlayerStats": BOX_COLUMNS}, game_id=game_id)["PlayerStats"]
    summary = client.get(BoxScoreSummaryV3, {"InactivePlayers": INACTIVE_COLUMNS}, game_id=game_id)["InactivePlayers"]
    if box.empty:
        raise FeedError(f"boxscoretraditionalv3 (game_id={game_id}): no players in the box score of a game the "
                        "game logs hold")
    tricode = dict(zip(box["teamId"], box["teamTricode"]))
    comment = box["comment"].fillna("").astype(str).str.strip().str.upper()
    status = pd.Series("DNP", index=box.index)
    status[comment.str.startswith(INACTIVE_PREFIXES)] = "INACTIVE"
    status[box["personId"].astype(int).isin(played)] = "PLAYED"
    rows = pd.DataFrame({"PLAYER_ID": box["personId"].astype(int), "TEAM": box["teamTricode"],
                         "PLAYER_NAME": _full_name(box), "STATUS": status,
                         "STARTER": box["position"].fillna("").astype(str).str.strip().ne("").astype(int)})
    if len(summary):
        unknown = set(summary["teamId"]) - set(tricode)
        if unknown:
            raise FeedError(f"boxscoresummaryv3 (game_id={game_id}): inactive players of team id(s) "
                            f"{sorted(unknown)}, which the box score does not have")
        inactive = pd.DataFrame({"PLAYER_ID": summary["personId"].astype(int), "TEAM": summary["teamId"].map(tricode),
                                 "PLAYER_NAME": _full_name(summary), "STATUS": "INACTIVE", "STARTER": 0})
        rows = pd.concat([rows[~rows["PLAYER_ID"].isin(set(inactive["PLAYER_ID"]))], inactive], ignore_index=True)
    rows.insert(0, "GAME_DATE", f"{pd.Timestamp(day):%Y-%m-%d}")
    rows.insert(0, "GAME_ID", game_id)
    return rows[list(schema.PREGAME_COLUMNS)].astype(str)


def _full_name(frame: pd.DataFrame) -> pd.Series:
    return (frame["firstName"].fillna("").astype(str) + " " + frame["familyName"].fillna("").astype(str)).str.strip()


# --------------------------------------------------------------------------- injury reports


def injury_reports_file(folder: Path, season: str) -> Path:
    return Path(folder) / f"injury_reports_{season}.csv.gz"


def _pull_reports(folder: Path, news_dir: Path, season: str, logs: pd.DataFrame, client: StatsClient,
                  result: Pulled, say: Say) -> None:
    from mlflow_nbaprops.feed.reports import injury_history, pull_reports

    days = sorted({d.date() for d in logs["GAME_DATE"]})
    written, _ = pull_reports(client, days, folder, say)
    result.reports = len(written)
    files = [f for day in days for f in sorted(folder.glob(f"Injury-Report_{day:%Y-%m-%d}_*.pdf"))]
    if not files:
        say(f"injury reports: none in {folder} for {season}")
        return
    path = pregame_file(news_dir, season)
    pregame = _read_raw(path, "pregame lists") if path.exists() else None
    history = injury_history(files, injury_reports_file(news_dir, season), logs, pregame, say=say)
    result.report_rows = history.rows
    if history.read:
        result.files.append(str(history.output))
    for skipped in history.skipped:
        result.notes.append(f"injury report skipped: {skipped}")
    if history.unmatched:
        result.notes.append(f"injury reports name {len(history.unmatched)} player(s) no log or list knows "
                            f"(PLAYER_ID left empty): {', '.join(sorted(history.unmatched)[:10])}")
    say(f"injury reports: {history.summary()}")


# --------------------------------------------------------------------------- game lines


def _pull_lines(folder: Path, season: str, url: str, client: StatsClient, result: Pulled, say: Say) -> None:
    body = client.get_bytes(url, "game lines")
    url = redact_url(url)  # shown without its query string: an API key travels there
    if body is None:
        raise FeedError(f"game lines ({url}): not found (HTTP 404)")
    try:
        fresh = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001
        raise FeedError(f"game lines ({url}): not a CSV ({type(exc).__name__}: {exc})") from exc
    fresh.columns = [str(c).strip().upper() for c in fresh.columns]
    missing = [c for c in schema.GAME_LINE_COLUMNS if c not in fresh.columns]
    if missing:
        raise FeedError(f"game lines ({url}): missing column(s) {', '.join(missing)} "
                        f"(a game-lines CSV has {', '.join(schema.GAME_LINE_COLUMNS)})")
    fresh = fresh[list(schema.GAME_LINE_COLUMNS)]
    fresh["GAME_ID"] = fresh["GAME_ID"].str.zfill(10)
    path = game_lines_file(folder, season)
    held = read_table(path, "game lines") if path.exists() else fresh.iloc[:0]
    merged = pd.concat([held[~held["GAME_ID"].isin(set(fresh["GAME_ID"]))], fresh], ignore_index=True)
    from mlflow_nbaprops.data.news import news_frames

    news_frames(lines=merged, source=f"{url} (as pulled)")  # validated before it is written
    write_table(merged.sort_values(["GAME_DATE", "GAME_ID"]), path)
    result.files.append(str(path))
    result.line_games = len(fresh)
    say(f"game lines: {len(fresh):,} games from {url} -> {path}")
