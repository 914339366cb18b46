"""``data slate --date`` from nba_api: tonight's games, rosters, injury report and lineups.

- **Schedule**: ``ScoreboardV3`` for the date (home and away from its line score, checked against
  the game code ``YYYYMMDD/AWAYHOME``); a game whose status says postponed is left out and reported.
- **Rosters**: ``CommonTeamRoster`` for each team playing. A player whose last game this season (in
  the logs) was for another team is reported as traded and slated with his team of tonight; a player whose
  last game this season was for a team playing tonight and who is on no roster fetched tonight is slated ``OUT``
  for it (not with the team), as the replayed slates have it. Two-way players are counted (the
  roster's ``HOW_ACQUIRED`` says so where the site gives it).
- **STATUS**: the official injury report (:mod:`mlflow_nbaprops.feed.injury`) at the publication
  hour asked for; players it does not list are ``AVAILABLE``; a team whose report is NOT YET
  SUBMITTED keeps an empty ``STATUS`` (the model then warns: no news). A listed player no roster
  knows is reported, never guessed.
- **STARTER**: ``BoxScoreTraditionalV3`` of tonight's game, whose ``position`` is filled for the
  five starters once the lineups are in; a team without five gets an empty ``STARTER`` (the model's
  inactive-list fallback scores it).
- **SPREAD / TOTAL**: from game-lines rows for tonight's games, where the user's source gave them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.errors import FeedError
from mlflow_nbaprops.feed.http import StatsClient
from mlflow_nbaprops.feed.injury import name_key, parse_injury_report, report_name
from mlflow_nbaprops.redact import redact_url

_logger = logging.getLogger(__name__)

GAME_COLUMNS = ("gameId", "gameCode", "gameStatus", "gameStatusText")
LINE_SCORE_COLUMNS = ("gameId", "teamId", "teamTricode")
ROSTER_COLUMNS = ("TeamID", "PLAYER", "PLAYER_ID")
LINEUP_COLUMNS = ("gameId", "teamTricode", "personId", "position")
SLATE_COLUMNS = ("PLAYER_ID", "PLAYER_NAME", "GAME_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "STATUS", "STARTER",
                 "SPREAD", "TOTAL", "REASON")


@dataclass
class Tonight:
    """The slate and what building it found worth saying."""

    slate: pd.DataFrame
    games: int = 0
    postponed: list[str] = field(default_factory=list)
    traded: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    two_way: int = 0
    unknown_injured: list[str] = field(default_factory=list)
    not_submitted: list[str] = field(default_factory=list)
    other_games: int = 0  # report entries dated tonight for games not on tonight's schedule (not applied)
    lineups: int = 0
    report: str = ""
    requests: int = 0

    def notes(self) -> list[str]:
        listed = (("postponed, left out: {}", self.postponed),
                  ("traded since their last game (slated with tonight's team): {}", self.traded),
                  ("no longer on their team's roster (slated OUT): {}", self.left),
                  ("injury report lists players no roster knows (not applied): {}", self.unknown_injured),
                  ("injury report NOT YET SUBMITTED for {}: STATUS left empty", self.not_submitted))
        out = [text.format(", ".join(names)) for text, names in listed if names]
        if self.other_games:
            out.append(f"injury report lists {self.other_games} player(s) tonight for games not on the schedule "
                       "(not applied)")
        if self.two_way:
            out.append(f"{self.two_way} two-way players on tonight's rosters (slated like the others)")
        return out

    def summary(self) -> str:
        out = int((self.slate["STATUS"].isin(["OUT", "DOUBTFUL"])).sum()) if len(self.slate) else 0
        return (f"{self.games} games, {len(self.slate):,} players ({out} out or doubtful), lineups in for "
                f"{self.lineups} of {2 * self.games} teams; injury report: {self.report}; {self.requests} requests")


def tonight_slate(day: dt.date, history: pd.DataFrame, client: StatsClient | None = None,
                  injury_report: str | None = None, game_lines: pd.DataFrame | None = None,
                  lineups: bool = True, say: Callable[[str], None] = print) -> Tonight:
    """The slate of ``day`` from the feed; ``history`` is the canonical game logs before it (for
    trades and departures), ``injury_report`` a URL or file (default: the official URL of the day)."""
    from nba_api.stats.endpoints import ScoreboardV3

    client = client or StatsClient()
    board = client.get(ScoreboardV3, {"GameHeader": GAME_COLUMNS, "LineScore": LINE_SCORE_COLUMNS},
                       game_date=f"{day:%Y-%m-%d}", league_id="00")
    fixtures, postponed = _fixtures(board["GameHeader"], board["LineScore"], day)
    result = Tonight(slate=pd.DataFrame(columns=list(SLATE_COLUMNS)), games=len(fixtures) // 2 if len(fixtures) else 0,
                     postponed=postponed)
    if fixtures.empty:
        say(f"schedule: no games to play on {day}" + (f" ({len(postponed)} postponed)" if postponed else ""))
        result.requests = client.requests
        return result
    say(f"schedule: {result.games} games on {day}" + (f", {len(postponed)} postponed" if postponed else ""))
    rosters = _rosters(client, fixtures, day, result)
    say(f"rosters: {len(rosters):,} players on {fixtures['TEAM'].nunique()} teams")
    rows = rosters.merge(fixtures, on="TEAM", how="inner")
    rows = pd.concat([rows, _departed(history, rosters, fixtures, day, result)], ignore_index=True)
    rows["STATUS"] = np.where(rows["STATUS"].eq("OUT"), "OUT", "")
    rows["REASON"] = np.where(rows["STATUS"].eq("OUT"), "not on tonight's roster", "")
    _apply_injury_report(client, day, injury_report, rows, result, say)
    rows["STARTER"] = ""
    if lineups:
        _apply_lineups(client, fixtures, rows, result, say)
    rows["SPREAD"], rows["TOTAL"] = np.nan, np.nan
    if game_lines is not None and len(game_lines):
        _apply_lines(game_lines, rows)
    rows["GAME_DATE"] = f"{day:%Y-%m-%d}"
    result.slate = rows[list(SLATE_COLUMNS)].sort_values(["GAME_ID", "TEAM", "PLAYER_ID"]).reset_index(drop=True)
    result.requests = client.requests
    return result


def _fixtures(header: pd.DataFrame, scores: pd.DataFrame, day: dt.date) -> tuple[pd.DataFrame, list[str]]:
    """One row per team playing: GAME_ID, TEAM, OPPONENT, HOME; and the postponed games."""
    postponed: list[str] = []
    rows = []
    for game in header.itertuples(index=False):
        teams = scores[scores["gameId"] == game.gameId]["teamTricode"].tolist()
        if len(teams) != 2:
            raise FeedError(f"scoreboardv3 (game_date={day}): game {game.gameId} has {len(teams)} teams in its "
                            "line score")
        home, away = teams
        code = str(game.gameCode or "")
        if code and not code.endswith(f"{away}{home}"):
            raise FeedError(f"scoreboardv3 (game_date={day}): game {game.gameId}'s code {code!r} does not say "
                            f"{away} at {home}, as its line score does")
        label = f"{away} @ {home}"
        if "PPD" in str(game.gameStatusText).upper() or "POSTPONED" in str(game.gameStatusText).upper():
            postponed.append(label)
            continue
        game_id = str(game.gameId).zfill(10)
        rows += [{"GAME_ID": game_id, "TEAM": home, "OPPONENT": away, "HOME": True},
                 {"GAME_ID": game_id, "TEAM": away, "OPPONENT": home, "HOME": False}]
    return pd.DataFrame(rows, columns=["GAME_ID", "TEAM", "OPPONENT", "HOME"]), postponed


def _rosters(client: StatsClient, fixtures: pd.DataFrame, day: dt.date, result: Tonight) -> pd.DataFrame:
    from nba_api.stats.endpoints import CommonTeamRoster
    from nba_api.stats.static import teams

    ids = {team["abbreviation"]: team["id"] for team in teams.get_teams()}
    season = schema.season_of(pd.Timestamp(day))
    frames = []
    for team in sorted(fixtures["TEAM"].unique()):
        if team not in ids:
            raise FeedError(f"scoreboardv3 (game_date={day}): team {team!r} is not one nba_api knows")
        roster = client.get(CommonTeamRoster, {"CommonTeamRoster": ROSTER_COLUMNS}, team_id=ids[team],
                            season=season)["CommonTeamRoster"]
        if "HOW_ACQUIRED" in roster.columns:
            result.two_way += int(roster["HOW_ACQUIRED"].fillna("").str.contains("two-way", case=False).sum())
        frames.append(pd.DataFrame({"PLAYER_ID": roster["PLAYER_ID"].astype(int), "PLAYER_NAME": roster["PLAYER"],
                                    "TEAM": team, "STATUS": ""}))
    rosters = pd.concat(frames, ignore_index=True)
    twice = rosters[rosters.duplicated("PLAYER_ID", keep=False)]
    if len(twice):
        raise FeedError(f"commonteamroster: player(s) on two rosters tonight: "
                        f"{', '.join(f'{r.PLAYER_NAME} ({r.TEAM})' for r in twice.itertuples())}")
    return rosters


def _departed(history: pd.DataFrame, rosters: pd.DataFrame, fixtures: pd.DataFrame, day: dt.date,
              result: Tonight) -> pd.DataFrame:
    """This season's traded players reported; players gone from a team playing tonight slated OUT for
    it (games of earlier seasons say nothing of tonight's rosters: the summer's moves are not news)."""
    season = schema.season_of(pd.Timestamp(day))
    recent = history[history["SEASON"] == season] if history is not None and "SEASON" in history else None
    if recent is None or recent.empty:
        return pd.DataFrame(columns=[*rosters.columns, *fixtures.columns[fixtures.columns != "TEAM"]])
    last = recent.sort_values("GAME_DATE", kind="stable").drop_duplicates("PLAYER_ID", keep="last")
    now = rosters.set_index("PLAYER_ID")["TEAM"]
    moved = last[last["PLAYER_ID"].isin(now.index) & (last["TEAM"] != last["PLAYER_ID"].map(now))]
    result.traded = [f"{r.PLAYER_NAME} ({r.TEAM} -> {now[r.PLAYER_ID]})" for r in moved.itertuples()]
    gone = last[~last["PLAYER_ID"].isin(now.index) & last["TEAM"].isin(set(fixtures["TEAM"]))]
    result.left = [f"{r.PLAYER_NAME} ({r.TEAM})" for r in gone.itertuples()]
    return gone[["PLAYER_ID", "PLAYER_NAME", "TEAM"]].assign(STATUS="OUT").merge(fixtures, on="TEAM")


def _apply_injury_report(client: StatsClient, day: dt.date, source: str | None, rows: pd.DataFrame,
                         result: Tonight, say: Callable[[str], None]) -> None:
    """STATUS and REASON from the report's entries for tonight's games (its date and matchup: a 5 PM
    report also lists tomorrow's); a player not listed is AVAILABLE, a team NOT YET SUBMITTED stays empty."""
    url = source or client.config.injury_url.format(date=f"{day:%Y-%m-%d}", hour=report_name(day))
    if source and Path(source).is_file():
        pdf: bytes | None = Path(source).read_bytes()
    else:
        pdf = client.get_bytes(url, "injury report")
    url = redact_url(url) if "://" in url else url
    if pdf is None:
        result.report = f"not published at {url}: STATUS left empty"
        say(f"injury report: {result.report}")
        return
    report = parse_injury_report(pdf, url)
    games = rows.drop_duplicates("GAME_ID")
    tonight = {f"{away}@{home}" for away, home in zip(np.where(games["HOME"], games["OPPONENT"], games["TEAM"]),
                                                       np.where(games["HOME"], games["TEAM"], games["OPPONENT"]))}
    mine = f"{day:%Y-%m-%d}"
    listed = report.rows[(report.rows["GAME_DATE"] == mine) & report.rows["MATCHUP"].isin(tonight)]
    silent = report.not_submitted[(report.not_submitted["GAME_DATE"] == mine)
                                  & report.not_submitted["MATCHUP"].isin(tonight)]
    result.not_submitted = sorted(set(silent["TEAM"]))
    result.other_games = int((report.rows["GAME_DATE"] == mine).sum() - len(listed))
    keys = rows["PLAYER_NAME"].map(name_key)
    applied = 0
    for entry in listed.itertuples(index=False):
        match = (keys == name_key(entry.PLAYER_NAME)) & (rows["TEAM"] == entry.TEAM)
        if not match.any():
            result.unknown_injured.append(f"{entry.PLAYER_NAME} ({entry.TEAM}, {entry.STATUS.title()})")
            continue
        rows.loc[match, "STATUS"] = entry.STATUS
        rows.loc[match, "REASON"] = entry.REASON
        applied += 1
    unsubmitted = rows["TEAM"].isin(result.not_submitted)
    rows.loc[rows["STATUS"].eq("") & ~unsubmitted, "STATUS"] = "AVAILABLE"
    when = f" of {report.published:%Y-%m-%d %I:%M %p} ET" if report.published else ""
    result.report = f"{applied} players applied from {url}{when}"
    say(f"injury report: {result.report}" + (f", {len(result.unknown_injured)} unknown" if result.unknown_injured else ""))


def _apply_lineups(client: StatsClient, fixtures: pd.DataFrame, rows: pd.DataFrame, result: Tonight,
                   say: Callable[[str], None]) -> None:
    from nba_api.stats.endpoints import BoxScoreTraditionalV3

    for game_id in fixtures["GAME_ID"].unique():
        found = client.get(BoxScoreTraditionalV3, {"PlayerStats": LINEUP_COLUMNS}, missing_ok=True, game_id=game_id)
        box = found["PlayerStats"] if found is not None else pd.DataFrame()
        if box.empty:  # no box score before tip-off yet: lineups not in
            continue
        starters = box[box["position"].fillna("").astype(str).str.strip().ne("")]
        for team, five in starters.groupby("teamTricode"):
            if len(five) != schema.STARTERS_PER_TEAM:
                continue
            mine = (rows["GAME_ID"] == game_id) & (rows["TEAM"] == team)
            rows.loc[mine, "STARTER"] = np.where(rows.loc[mine, "PLAYER_ID"].isin(set(five["personId"].astype(int))),
                                                 "1", "0")
            result.lineups += 1
    say(f"lineups: announced for {result.lineups} of {len(fixtures)} teams")


def tonight_lines(paths: list[Path]) -> pd.DataFrame | None:
    """The game-line rows of these files or folders (``game_lines_*`` files; tonight's games among them
    where the user's source had them), or ``None``."""
    from mlflow_nbaprops.data.loader import read_table

    files = []
    for path in paths:
        files += sorted(path.glob("game_lines_*.csv*")) if path.is_dir() else [path] if path.is_file() else []
    frames = [read_table(f, "game lines") for f in files]
    frames = [f for f in frames if {"GAME_ID", "SPREAD_HOME", "TOTAL"} <= set(f.columns)]
    if not frames:
        return None
    lines = pd.concat(frames, ignore_index=True)
    lines["GAME_ID"] = lines["GAME_ID"].astype(str).str.zfill(10)
    return lines


def _apply_lines(lines: pd.DataFrame, rows: pd.DataFrame) -> None:
    by_game = lines.drop_duplicates("GAME_ID", keep="last").set_index("GAME_ID")
    spread_home = pd.to_numeric(rows["GAME_ID"].map(by_game["SPREAD_HOME"]), errors="coerce")
    rows["SPREAD"] = np.where(rows["HOME"].astype(bool), spread_home, -spread_home) + 0.0
    rows["TOTAL"] = pd.to_numeric(rows["GAME_ID"].map(by_game["TOTAL"]), errors="coerce")
