"""The feed's parsers on real stats.nba.com responses and the league's real injury report, served
over a local HTTP server (``../shared/data/feed`` and ``../shared/data/injury``; skipped where absent).

The suite's stand-in site (``feedserver.Recordings``) builds its answers from a synthetic league;
these tests serve the bodies the real site sent, so what a real response holds that the stand-in
does not (preseason and playoff rows in a season's game log, twenty more fields per game, names
with accents) meets the same code the nightly job runs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL_DATA
from feedserver import FeedServer

pytest.importorskip("nba_api", reason="the feed extra (nba_api) is not installed")
pytest.importorskip("pdfplumber", reason="the feed extra (pdfplumber) is not installed")

from mlflow_nbaprops.feed import StatsClient  # noqa: E402
from mlflow_nbaprops.feed import tonight as night  # noqa: E402

FEED = REAL_DATA.parent / "feed"
INJURY = REAL_DATA.parent / "injury"
pytestmark = pytest.mark.skipif(not FEED.is_dir() or not INJURY.is_dir(),
                                reason=f"the real responses and reports are not at {FEED} and {INJURY}")


class RealSite:
    """What the real site sent, by endpoint (and by date or team where there are several); any other
    request is a 404, as the real site's answer to a game or team it has not got would be."""

    report_published = True

    def __init__(self, tonight: str, report: Path | None = None) -> None:
        self.tonight = pd.Timestamp(tonight)
        self.report = report

    @staticmethod
    def _body(name: str) -> dict:
        return json.loads((FEED / name).read_text())

    def scoreboardv3(self, q: dict[str, str]) -> dict:
        found = {"2025-11-05": "scoreboardv3_2025-11-05.json", "2025-07-15": "scoreboardv3_2025-07-15_no_games.json"}
        return self._body(found[q["GameDate"]])

    def commonteamroster(self, q: dict[str, str]) -> dict:
        if q["TeamID"] != "1610612739":
            raise KeyError(q["TeamID"])
        return self._body("commonteamroster_CLE_2025-26.json")

    def boxscoretraditionalv3(self, q: dict[str, str]) -> dict:
        if q["GameID"] != "0022200552":
            raise KeyError(q["GameID"])
        return self._body("boxscoretraditionalv3_0022200552.json")

    def boxscoresummaryv3(self, q: dict[str, str]) -> dict:
        if q["GameID"] != "0040900407":
            raise KeyError(q["GameID"])
        return self._body("boxscoresummaryv3_0040900407.json")

    def leaguegamefinder(self, q: dict[str, str]) -> dict:
        return self._body("leaguegamefinder_player_2544_2023-24.json")

    def injury_pdf(self) -> bytes:
        return self.report.read_bytes()

    def injury_file(self, name: str) -> bytes:
        """Any of the league's real reports, by its file name (a 404 for one not published)."""
        if self.report is not None:
            return self.report.read_bytes()
        found = sorted(INJURY.glob(f"*/{name}"))
        if not found:
            raise KeyError(name)
        return found[0].read_bytes()


@pytest.fixture
def site(monkeypatch):
    def serve(tonight: str, report: Path | None = None) -> FeedServer:
        server = FeedServer(RealSite(tonight, report)).__enter__()
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        started.append(server)
        return server

    started: list[FeedServer] = []
    yield serve
    for server in started:
        server.__exit__(None, None, None)


def test_the_real_scoreboard_gives_tonights_games_home_and_away_as_its_game_codes_say(site):
    from nba_api.stats.endpoints import ScoreboardV3

    site("2025-11-05")
    board = StatsClient().get(ScoreboardV3, {"GameHeader": night.GAME_COLUMNS, "LineScore": night.LINE_SCORE_COLUMNS},
                              game_date="2025-11-05", league_id="00")
    fixtures, postponed = night._fixtures(board["GameHeader"], board["LineScore"], dt.date(2025, 11, 5))
    assert len(fixtures) == 22 and fixtures["GAME_ID"].nunique() == 11 and not postponed
    home = fixtures[fixtures["HOME"]].set_index("GAME_ID")["TEAM"]
    away = fixtures[~fixtures["HOME"]].set_index("GAME_ID")["TEAM"]
    assert (home["0022500171"], away["0022500171"]) == ("CLE", "PHI")  # gameCode 20251105/PHICLE
    games = json.loads((FEED / "scoreboardv3_2025-11-05.json").read_text())["scoreboard"]["games"]
    assert {g["gameCode"][-6:] for g in games} == {away[i] + home[i] for i in home.index}


def test_a_real_day_without_games_is_no_slate_and_says_so(site):
    site("2025-07-15")
    said: list[str] = []
    built = night.tonight_slate(dt.date(2025, 7, 15), None, say=said.append)
    assert built.slate.empty and built.games == 0 and said == ["schedule: no games to play on 2025-07-15"]


def test_the_real_roster_reads_every_player_and_its_signings(site):
    site("2025-11-05")
    fixtures = pd.DataFrame([{"GAME_ID": "0022500171", "TEAM": "CLE", "OPPONENT": "PHI", "HOME": True}])
    result = night.Tonight(slate=pd.DataFrame())
    roster = night._rosters(StatsClient(), fixtures, dt.date(2025, 11, 5), result)
    body = json.loads((FEED / "commonteamroster_CLE_2025-26.json").read_text())["resultSets"][0]
    assert len(roster) == len(body["rowSet"]) == 19 and roster["TEAM"].eq("CLE").all()
    assert roster["PLAYER_ID"].dtype == "int64" and "Donovan Mitchell" in set(roster["PLAYER_NAME"])
    column = body["headers"].index("HOW_ACQUIRED")
    assert result.two_way == sum("two-way" in str(row[column]).lower() for row in body["rowSet"])


def test_the_real_box_score_names_five_starters_a_side(site):
    site("2022-12-31")
    fixtures = pd.DataFrame([{"GAME_ID": "0022200552", "TEAM": "CLE", "OPPONENT": "CHI", "HOME": True},
                             {"GAME_ID": "0022200552", "TEAM": "CHI", "OPPONENT": "CLE", "HOME": False}])
    box = json.loads((FEED / "boxscoretraditionalv3_0022200552.json").read_text())["boxScoreTraditional"]
    rows = pd.DataFrame([{"GAME_ID": "0022200552", "TEAM": side["teamTricode"], "PLAYER_ID": p["personId"]}
                         for side in (box["homeTeam"], box["awayTeam"]) for p in side["players"]])
    result = night.Tonight(slate=pd.DataFrame())
    night._apply_lineups(StatsClient(), fixtures, rows, result, say=lambda m: None)
    assert result.lineups == 2 and rows.groupby("TEAM")["STARTER"].apply(lambda s: (s == "1").sum()).eq(5).all()
    starters = {p["personId"] for side in (box["homeTeam"], box["awayTeam"]) for p in side["players"] if p["position"]}
    assert set(rows.loc[rows["STARTER"] == "1", "PLAYER_ID"]) == starters


def test_the_real_summary_gives_its_inactive_players(site):
    from nba_api.stats.endpoints import BoxScoreSummaryV3

    from mlflow_nbaprops.feed.season import INACTIVE_COLUMNS

    site("2010-06-17")
    found = StatsClient().get(BoxScoreSummaryV3, {"InactivePlayers": INACTIVE_COLUMNS}, game_id="0040900407")
    summary = json.loads((FEED / "boxscoresummaryv3_0040900407.json").read_text())["boxScoreSummary"]
    want = {p["personId"] for side in ("homeTeam", "awayTeam") for p in summary[side]["inactives"]}
    assert set(found["InactivePlayers"]["personId"].astype(int)) == want and len(want) >= 2


def test_a_real_game_log_answer_keeps_the_regular_season_only(site, tmp_path):
    """The real answer holds LeBron James's 2023-24 preseason, In-Season Tournament final, play-in and
    playoff games beside the 71 regular-season ones: only those 71 are kept, and the rest said. One
    player's games are not a season (each game has one team): the pull refuses it and writes nothing."""
    from nba_api.stats.endpoints import LeagueGameFinder

    from mlflow_nbaprops.errors import DataValidationError
    from mlflow_nbaprops.feed.season import GAMELOG_COLUMNS, Pulled, _pull_logs, gamelog_rows

    site("2024-04-30")
    said: list[str] = []
    found = StatsClient().get(LeagueGameFinder, {"LeagueGameFinderResults": GAMELOG_COLUMNS},
                              player_or_team_abbreviation="P", season_nullable="2023-24")
    rows = gamelog_rows(found["LeagueGameFinderResults"], None, dt.date(2024, 4, 30), said.append)
    body = json.loads((FEED / "leaguegamefinder_player_2544_2023-24.json").read_text())["resultSets"][0]
    regular = [r for r in body["rowSet"] if r[0] == "22023"]
    assert len(rows) == len(regular) == 71 and rows["GAME_ID"].str.startswith("002").all()
    assert rows["PTS"].astype(int).sum() == sum(r[body["headers"].index("PTS")] for r in regular)
    assert rows["GAME_DATE"].between("2023-10-24", "2024-04-14").all()
    assert said == ["game logs: 11 rows of other season types (preseason, playoffs, ...) left out"]
    with pytest.raises(DataValidationError, match="exactly two teams"):
        _pull_logs(tmp_path / "nba", "2023-24", dt.date(2024, 4, 30), StatsClient(), Pulled("2023-24"), lambda m: None)
    assert not (tmp_path / "nba").exists()


def test_the_league_s_real_5_30_report_sets_tonight_s_statuses_and_only_tonight_s(site):
    """2024-01-15's 5:30 PM report, served as the site serves it: tonight's entries (LeBron James
    QUESTIONABLE, the Clippers by the report's "LA Clippers") land on tonight's rows; the next day's
    entries and NOT YET SUBMITTED teams do not."""
    site("2024-01-15", INJURY / "2023-24/Injury-Report_2024-01-15_05PM.pdf")
    rows = pd.DataFrame([
        {"PLAYER_ID": 2544, "PLAYER_NAME": "LeBron James", "TEAM": "LAL", "GAME_ID": "g1", "OPPONENT": "OKC",
         "HOME": True, "STATUS": ""},
        {"PLAYER_ID": 1628983, "PLAYER_NAME": "Shai Gilgeous-Alexander", "TEAM": "OKC", "GAME_ID": "g1",
         "OPPONENT": "LAL", "HOME": False, "STATUS": ""},
        {"PLAYER_ID": 203954, "PLAYER_NAME": "Joel Embiid", "TEAM": "PHI", "GAME_ID": "g2", "OPPONENT": "HOU",
         "HOME": True, "STATUS": ""},
        {"PLAYER_ID": 1, "PLAYER_NAME": "Somebody Else", "TEAM": "HOU", "GAME_ID": "g2", "OPPONENT": "PHI",
         "HOME": False, "STATUS": ""}])
    rows["REASON"] = ""
    result = night.Tonight(slate=pd.DataFrame())
    client = StatsClient()
    night._apply_injury_report(client, dt.date(2024, 1, 15), None, rows, result, say=lambda m: None)
    status = rows.set_index("PLAYER_NAME")["STATUS"].to_dict()
    assert status == {"LeBron James": "QUESTIONABLE", "Shai Gilgeous-Alexander": "QUESTIONABLE",
                      "Joel Embiid": "AVAILABLE", "Somebody Else": "AVAILABLE"}
    assert rows.set_index("PLAYER_NAME").loc["LeBron James", "REASON"].startswith("Injury/Illness - Left Ankle")
    assert "05:30 PM ET" in result.report and not result.not_submitted
    # the same report read for the next night applies only that night's few entries, and says who is not in
    rows["STATUS"], rows["REASON"] = "", ""
    tomorrow = night.Tonight(slate=pd.DataFrame())
    rows.loc[[0, 1], ["TEAM", "OPPONENT", "HOME"]] = [["LAC", "OKC", True], ["OKC", "LAC", False]]
    night._apply_injury_report(client, dt.date(2024, 1, 16), str(INJURY / "2023-24/Injury-Report_2024-01-15_05PM.pdf"),
                               rows, tomorrow, say=lambda m: None)
    assert tomorrow.not_submitted == ["LAC", "OKC"] and rows.loc[[0, 1], "STATUS"].eq("").all()


def test_the_days_reports_are_fetched_as_the_league_names_them_and_made_the_seasons_history(site, tmp_path):
    """``data pull --reports``: each game day's 12:30, 5:30 and 6:30 PM publications the folder lacks,
    byte for byte as published (a publication the site has not got is said, not an error), then the
    season's history beside the pregame lists, which the news loader reads with them."""
    from mlflow_nbaprops.data import load_gamelogs, load_news
    from mlflow_nbaprops.feed.reports import pull_reports
    from mlflow_nbaprops.feed.season import Pulled, _pull_reports, injury_reports_file

    site("2024-01-16")
    days = [dt.date(2024, 1, 15), dt.date(2024, 1, 16), dt.date(2030, 1, 1)]
    said: list[str] = []
    written, absent = pull_reports(StatsClient(), days, tmp_path / "reports", said.append)
    assert [f.name for f in written] == [f"Injury-Report_2024-01-{d}_{h}.pdf" for d in (15, 16)
                                         for h in ("12PM", "05PM", "06PM")]
    assert all(f.read_bytes() == (INJURY / "2023-24" / f.name).read_bytes() for f in written)
    assert absent == [f"Injury-Report_2030-01-01_{h}.pdf" for h in ("12_30PM", "05_30PM", "06_30PM")]  # new names
    assert pull_reports(StatsClient(), days[:2], tmp_path / "reports", said.append) == ([], [])  # nothing again

    logs = load_gamelogs(REAL_DATA / "leaguegamefinder_players_2023-24.csv.gz").frame
    logs = logs[logs["GAME_DATE"].isin(pd.to_datetime(["2024-01-15", "2024-01-16"]))]
    result = Pulled("2023-24")
    _pull_reports(tmp_path / "reports", tmp_path / "news", "2023-24", logs, StatsClient(), result, said.append)
    table = injury_reports_file(tmp_path / "news", "2023-24")
    assert result.report_rows > 300 and str(table) in result.files
    news = load_news(table, logs)
    assert news.reports["REPORT_TIME"].nunique() == 6 and news.version.reports == 6
    lebron = news.reports[(news.reports["PLAYER_ID"] == 2544) & (news.reports["GAME_DATE"] == "2024-01-15")]
    assert lebron["STATUS"].tolist() == ["QUESTIONABLE", "QUESTIONABLE", "QUESTIONABLE"]
