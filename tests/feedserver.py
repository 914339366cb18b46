"""A stand-in for stats.nba.com and the injury-report site, for the feed's tests.

nba.com cannot be reached from the test machines, so the recorded responses are built from a
synthetic league and its pre-game news, in the wire shape nba_api parses: the legacy
``resultSets`` of LeagueGameFinder and CommonTeamRoster, and the nested JSON of
BoxScoreTraditionalV3, BoxScoreSummaryV3 and ScoreboardV3. ``test_feed.py`` checks every recording
against nba_api's own endpoint definitions (``expected_data``) and parsers, so a recording cannot
drift from the real shape. The injury report is a PDF laid out like the official one (its seven
columns; game, time, matchup and team printed only on the first row they apply to).

The server is a real HTTP server on 127.0.0.1; ``faults`` scripts what an endpoint answers next
(``"429"``, ``"500"``, ``"404"``, ``"sleep"``, ``"malformed"``, ``"empty"`` (a ``{}`` body),
``"rename:OLD:NEW"``), one entry per request.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd

from nba_api.stats.static import teams as _teams

TEAM_IDS = {team["abbreviation"]: team["id"] for team in _teams.get_teams()}
TEAM_NAMES = {team["abbreviation"]: team["full_name"] for team in _teams.get_teams()}
STATS = ("minutes", "fieldGoalsMade", "fieldGoalsAttempted", "fieldGoalsPercentage", "threePointersMade",
         "threePointersAttempted", "threePointersPercentage", "freeThrowsMade", "freeThrowsAttempted",
         "freeThrowsPercentage", "reboundsOffensive", "reboundsDefensive", "reboundsTotal", "assists", "steals",
         "blocks", "turnovers", "foulsPersonal", "points", "plusMinusPoints")


SHORT_TIMEOUT = 2  # seconds: the feed's timeout in the test of a slow answer
SLEEP_SECONDS = SHORT_TIMEOUT + 1  # a ``sleep`` fault outlasts that timeout


def _pct(made, attempted):
    return round(made / attempted, 3) if attempted else None


class Recordings:
    """nba_api-shaped answers for a synthetic league (canonical ``league``, its ``news``) whose games
    on or after ``tonight`` have not been played yet."""

    def __init__(self, league: pd.DataFrame, news, tonight: pd.Timestamp) -> None:
        self.league, self.news, self.tonight = league, news, pd.Timestamp(tonight)
        self.postponed: set[str] = set()
        self.lineups_for: set[str] = set()  # tonight's games whose box score already names starters
        self.traded: dict[int, str] = {}  # player -> tonight's team (a trade since his last game)
        self.two_way: set[int] = set()
        self.injury_extra: list[tuple[str, str, str, str]] = []  # (team, "Last, First", status, reason)
        self.report_published = True
        self.not_submitted: set[str] = set()  # teams whose report says NOT YET SUBMITTED
        self._pdf: bytes | None = None
        self._pdf_lock = threading.Lock()  # a retry arriving mid-build waits for that build

    # --------------------------------------------------------------- stats.nba.com
    def leaguegamefinder(self, q: dict[str, str]) -> dict:
        frame = self.league[(self.league["SEASON"] == q["Season"]) & (self.league["GAME_DATE"] < self.tonight)]
        if q.get("DateFrom"):
            frame = frame[frame["GAME_DATE"] >= pd.Timestamp(q["DateFrom"])]
        if q.get("DateTo"):
            frame = frame[frame["GAME_DATE"] <= pd.Timestamp(q["DateTo"])]
        headers = ["SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID",
                   "GAME_DATE", "MATCHUP", "WL", "MIN", "PTS", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM",
                   "FTA", "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PLUS_MINUS"]
        rows = []
        for r in frame.sort_values(["GAME_DATE", "GAME_ID"], ascending=False).itertuples(index=False):
            rows.append([f"2{r.SEASON[:4]}", int(r.PLAYER_ID), r.PLAYER_NAME, TEAM_IDS[r.TEAM], r.TEAM,
                         TEAM_NAMES.get(r.TEAM, r.TEAM), r.GAME_ID, f"{r.GAME_DATE:%Y-%m-%d}",
                         f"{r.TEAM} {'vs.' if r.HOME else '@'} {r.OPPONENT}", r.WL, int(r.MIN), int(r.PTS), int(r.FGM),
                         int(r.FGA), _pct(r.FGM, r.FGA), int(r.FG3M), int(r.FG3A), _pct(r.FG3M, r.FG3A), int(r.FTM),
                         int(r.FTA), _pct(r.FTM, r.FTA), int(r.OREB), int(r.DREB), int(r.REB), int(r.AST), int(r.STL),
                         int(r.BLK), int(r.TOV), int(r.PF), float(r.PLUS_MINUS)])
        return {"resource": "leaguegamefinder", "parameters": q,
                "resultSets": [{"name": "LeagueGameFinderResults", "headers": headers, "rowSet": rows}]}

    def _teams_of(self, game_id: str) -> tuple[str, str]:
        games = self.league[self.league["GAME_ID"] == game_id]
        home = games.loc[games["HOME"], "TEAM"].iloc[0]
        away = games.loc[~games["HOME"], "TEAM"].iloc[0]
        return home, away

    def _team(self, tricode: str, players: list, **extra) -> dict:
        city, _, name = TEAM_NAMES.get(tricode, f"{tricode} {tricode}").rpartition(" ")
        return {"teamId": TEAM_IDS[tricode], "teamCity": city, "teamName": name, "teamTricode": tricode,
                "teamSlug": name.lower(), "players": players, **extra}

    def boxscoretraditionalv3(self, q: dict[str, str]) -> dict:
        game_id = q["GameID"]
        home, away = self._teams_of(game_id)
        day = self.league.loc[self.league["GAME_ID"] == game_id, "GAME_DATE"].iloc[0]
        played = self.league[self.league["GAME_ID"] == game_id].set_index("PLAYER_ID")
        listed = self.news.pregame[self.news.pregame["GAME_ID"] == game_id]
        teams = {}
        for side, tricode in (("homeTeam", home), ("awayTeam", away)):
            players = []
            for i, p in enumerate(listed[listed["TEAM"] == tricode].itertuples(index=False)):
                if day >= self.tonight:  # before tip-off: only the starters, once announced
                    if game_id not in self.lineups_for:
                        continue
                    position, comment, stats = ("F" if p.STARTER else ""), "", {s: None for s in STATS}
                elif p.STATUS == "INACTIVE" and i % 2 == 0:
                    continue  # on the summary's inactive list only
                else:
                    position = ("G", "F", "C")[i % 3] if p.STARTER else ""
                    comment = {"PLAYED": "", "DNP": "DNP - Coach's Decision",
                               "INACTIVE": "DND - Injury/Illness"}[p.STATUS]
                    stats = {s: 0 for s in STATS}
                    if p.STATUS == "PLAYED" and p.PLAYER_ID not in played.index:
                        comment = "DNP - Coach's Decision"  # a name the source could not match to the logs
                    elif p.STATUS == "PLAYED":
                        r = played.loc[p.PLAYER_ID]
                        stats.update(minutes=f"{int(r.MIN)}:00", points=int(r.PTS), reboundsTotal=int(r.REB),
                                     assists=int(r.AST))
                first, _, family = p.PLAYER_NAME.partition(" ")
                players.append({"personId": int(p.PLAYER_ID), "firstName": first, "familyName": family,
                                "nameI": f"{first[:1]}. {family}", "playerSlug": p.PLAYER_NAME.lower().replace(" ", "-"),
                                "position": position, "comment": comment, "jerseyNum": str(i), "statistics": stats})
            teams[side] = self._team(tricode, players, statistics={s: 0 for s in STATS})
        return {"meta": {"version": 1, "request": "boxscoretraditionalv3", "time": "2024-01-01T00:00:00Z"},
                "boxScoreTraditional": {"gameId": game_id, "awayTeamId": TEAM_IDS[away], "homeTeamId": TEAM_IDS[home],
                                        **teams}}

    def boxscoresummaryv3(self, q: dict[str, str]) -> dict:
        game_id = q["GameID"]
        home, away = self._teams_of(game_id)
        listed = self.news.pregame[self.news.pregame["GAME_ID"] == game_id]
        teams = {}
        for side, tricode in (("homeTeam", home), ("awayTeam", away)):
            inactives = []
            for i, p in enumerate(listed[listed["TEAM"] == tricode].itertuples(index=False)):
                if p.STATUS == "INACTIVE" and i % 2 == 0:
                    first, _, family = p.PLAYER_NAME.partition(" ")
                    inactives.append({"personId": int(p.PLAYER_ID), "firstName": first, "familyName": family,
                                      "jerseyNum": str(i)})
            teams[side] = {**self._team(tricode, []), "inactives": inactives, "periods": [], "score": 0}
        return {"meta": {"version": 1, "request": "boxscoresummaryv3"},
                "boxScoreSummary": {"gameId": game_id, "gameCode": f"x/{away}{home}", "gameStatus": 3,
                                    "gameStatusText": "Final", "homeTeamId": TEAM_IDS[home],
                                    "awayTeamId": TEAM_IDS[away], **teams}}

    def scoreboardv3(self, q: dict[str, str]) -> dict:
        day = pd.Timestamp(q["GameDate"])
        games = []
        for game_id in sorted(self.league.loc[self.league["GAME_DATE"] == day, "GAME_ID"].unique()):
            home, away = self._teams_of(game_id)
            text = "PPD" if game_id in self.postponed else "7:30 pm ET" if day >= self.tonight else "Final"
            games.append({"gameId": game_id, "gameCode": f"{day:%Y%m%d}/{away}{home}", "gameStatus": 1,
                          "gameStatusText": text, "period": 0, "gameClock": "", "gameTimeUTC": f"{day:%Y-%m-%d}T23:30:00Z",
                          "gameEt": f"{day:%Y-%m-%d}T19:30:00Z", "regulationPeriods": 4,
                          "seriesGameNumber": "", "gameLabel": "", "gameSubLabel": "", "seriesText": "",
                          "ifNecessary": False, "seriesConference": "", "poRoundDesc": "", "gameSubtype": "",
                          "isNeutral": False,
                          "homeTeam": {"teamId": TEAM_IDS[home], "teamTricode": home, "teamCity": "", "teamName": "",
                                       "teamSlug": "", "wins": 0, "losses": 0, "score": 0, "seed": 0,
                                       "inBonus": "0", "timeoutsRemaining": 7},
                          "awayTeam": {"teamId": TEAM_IDS[away], "teamTricode": away, "teamCity": "", "teamName": "",
                                       "teamSlug": "", "wins": 0, "losses": 0, "score": 0, "seed": 0,
                                       "inBonus": "0", "timeoutsRemaining": 7}})
        return {"meta": {"version": 1, "request": "scoreboardv3"},
                "scoreboard": {"gameDate": f"{day:%Y-%m-%d}", "leagueId": "00", "leagueName": "NBA", "games": games}}

    def roster(self, tricode: str) -> pd.DataFrame:
        """Tonight's roster of a team: everyone its pregame list of tonight names, with trades applied."""
        listed = self.news.pregame[(self.news.pregame["GAME_DATE"] == self.tonight)]
        names = listed.drop_duplicates("PLAYER_ID").set_index("PLAYER_ID")
        team = listed.drop_duplicates("PLAYER_ID").set_index("PLAYER_ID")["TEAM"].to_dict()
        team.update(self.traded)
        ids = sorted(p for p, t in team.items() if t == tricode)
        return names.loc[ids, ["PLAYER_NAME"]].reset_index()

    def commonteamroster(self, q: dict[str, str]) -> dict:
        tricode = {v: k for k, v in TEAM_IDS.items()}[int(q["TeamID"])]
        headers = ["TeamID", "SEASON", "LeagueID", "PLAYER", "NICKNAME", "PLAYER_SLUG", "NUM", "POSITION", "HEIGHT",
                   "WEIGHT", "BIRTH_DATE", "AGE", "EXP", "SCHOOL", "PLAYER_ID", "HOW_ACQUIRED"]
        rows = [[int(q["TeamID"]), q["Season"][:4], "00", r.PLAYER_NAME, r.PLAYER_NAME.split()[0],
                 r.PLAYER_NAME.lower().replace(" ", "-"), str(i), "G", "6-5", "210", "JAN 01, 2000", 24.0, "3", "",
                 int(r.PLAYER_ID), "Signed (Two-Way)" if r.PLAYER_ID in self.two_way else "Draft"]
                for i, r in enumerate(self.roster(tricode).itertuples(index=False))]
        coaches = ["TEAM_ID", "SEASON", "COACH_ID", "FIRST_NAME", "LAST_NAME", "COACH_NAME", "IS_ASSISTANT",
                   "COACH_TYPE", "SORT_SEQUENCE"]
        return {"resource": "commonteamroster", "parameters": q,
                "resultSets": [{"name": "CommonTeamRoster", "headers": headers, "rowSet": rows},
                               {"name": "Coaches", "headers": coaches, "rowSet": []}]}

    # --------------------------------------------------------------- the injury report
    def injury_rows(self) -> list[tuple[str, str, str, str]]:
        """(team, "Last, First", status, reason): tonight's inactive players Out, plus the extras."""
        listed = self.news.pregame[(self.news.pregame["GAME_DATE"] == self.tonight)
                                   & (self.news.pregame["STATUS"] == "INACTIVE")]
        rows = []
        for p in listed.itertuples(index=False):
            first, _, family = p.PLAYER_NAME.partition(" ")
            name = unicodedata.normalize("NFKD", f"{family}, {first}").encode("ascii", "ignore").decode()
            rows.append((p.TEAM, name, "Out", "Injury/Illness - Left Ankle; Sprain"))  # the report prints ASCII
        return rows + self.injury_extra

    def injury_pdf(self) -> bytes:
        with self._pdf_lock:
            if self._pdf is None:
                self._pdf = self._build_pdf()
        return self._pdf

    def _build_pdf(self) -> bytes:
        from fpdf import FPDF

        pdf = FPDF(orientation="L", unit="pt", format="letter")
        pdf.set_auto_page_break(False)
        pdf.set_font("Helvetica", size=8)
        x = [20, 105, 175, 250, 380, 540, 640]
        header = ["Game Date", "Game Time", "Matchup", "Team", "Player Name", "Current Status", "Reason"]
        games = self.league[self.league["GAME_DATE"] == self.tonight].drop_duplicates("GAME_ID")
        by_team = collections.defaultdict(list)
        for row in self.injury_rows():
            by_team[row[0]].append(row[1:])
        lines = []
        first_of_day = True
        for game in games.itertuples(index=False):
            home, away = self._teams_of(game.GAME_ID)
            first_of_game = True
            for team in (away, home):
                entries = [("", "", "NOT YET SUBMITTED")] if team in self.not_submitted else by_team.get(team, [])
                for j, (player, status, reason) in enumerate(entries):
                    lines.append([f"{self.tonight:%m/%d/%Y}" if first_of_day else "",
                                  "07:30 (ET)" if first_of_game else "", f"{away}@{home}" if first_of_game else "",
                                  TEAM_NAMES.get(team, team) if j == 0 else "", player, status, reason])
                    first_of_day = first_of_game = False
        per_page = 30
        for start in range(0, max(len(lines), 1), per_page):
            pdf.add_page()
            pdf.set_xy(20, 20)
            pdf.cell(0, 10, f"Injury Report: {self.tonight:%m/%d/%y} 05:00 PM")
            y = 50
            for xi, text in zip(x, header):
                pdf.text(xi, y, text)
            for line in lines[start:start + per_page]:
                y += 14
                for xi, text in zip(x, line):
                    if text:
                        pdf.text(xi, y, text)
            pdf.text(380, 590, f"Page {start // per_page + 1} of {(len(lines) - 1) // per_page + 1}")
        return bytes(pdf.output())


class FeedServer:
    """The recordings served over HTTP; ``stats_url``/``injury_url`` are the templates the feed takes."""

    def __init__(self, recordings: Recordings) -> None:
        self.recordings = recordings
        self.faults: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.calls: collections.Counter = collections.Counter()
        self.lines_csv: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                name = url.path.rstrip("/").rsplit("/", 1)[-1].lower()
                server.calls[name] += 1
                fault = server.faults[name].popleft() if server.faults[name] else None
                if fault in ("429", "500", "503", "404"):
                    return self._send(int(fault), b'{"Message":"nope"}', extra={"Retry-After": "0"})
                if fault == "sleep":
                    time.sleep(SLEEP_SECONDS)
                try:
                    body, kind = server.answer(url.path, name, query)
                except KeyError:
                    return self._send(404, b"not found")
                if fault == "malformed":
                    body = body[: len(body) // 2]
                elif fault == "empty":
                    body = b"{}"
                elif fault and fault.startswith("rename:"):
                    _, old, new = fault.split(":")
                    body = body.replace(f'"{old}"'.encode(), f'"{new}"'.encode())
                self._send(200, body, kind)

            def _send(self, status, body, kind="application/json", extra=None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (extra or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        host, port = self.httpd.server_address
        self.base = f"http://{host}:{port}"
        self.stats_url = f"{self.base}/stats/{{endpoint}}"
        self.injury_url = f"{self.base}/injury/Injury-Report_{{date}}_{{hour}}.pdf"
        self.lines_url = f"{self.base}/lines/game_lines.csv"

    def answer(self, path: str, name: str, query: dict[str, str]) -> tuple[bytes, str]:
        if path.startswith("/stats/"):
            return json.dumps(getattr(self.recordings, name)(query)).encode(), "application/json"
        if path.startswith("/injury/"):
            named = getattr(self.recordings, "injury_file", None)  # a site of real reports, by file name
            if named is not None:
                return named(path.rsplit("/", 1)[-1]), "application/pdf"
            if not self.recordings.report_published or f"{self.recordings.tonight:%Y-%m-%d}" not in path:
                raise KeyError(path)
            return self.recordings.injury_pdf(), "application/pdf"
        if path.startswith("/lines/") and self.lines_csv is not None:
            return self.lines_csv.encode(), "text/csv"
        raise KeyError(path)

    def env(self, timeout: float = 20) -> dict[str, str]:
        """The feed's settings for this server. The timeout is generous: a loaded CI machine must not
        turn a slow answer into a failed test; the test of the ``sleep`` fault passes ``SHORT_TIMEOUT``."""
        return {"NBAPROPS_STATS_URL": self.stats_url, "NBAPROPS_INJURY_URL": self.injury_url,
                "NBAPROPS_FEED_INTERVAL": "0", "NBAPROPS_FEED_TIMEOUT": str(timeout), "NBAPROPS_FEED_BACKOFF": "0"}

    def __enter__(self) -> "FeedServer":
        import fpdf  # noqa: F401  -- imported before the first request, not inside its timeout

        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def lines_csv(news, games) -> str:
    """The game-lines CSV a user's source would serve, for ``games`` (ids)."""
    rows = news.lines[news.lines["GAME_ID"].isin(set(games))]
    return rows.assign(GAME_DATE=rows["GAME_DATE"].dt.strftime("%Y-%m-%d")).to_csv(index=False)
