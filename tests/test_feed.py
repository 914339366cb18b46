"""The nightly feed: nba_api in (recorded responses over a local HTTP server, never the network),
the season files, tonight's slate and one `nbaprops daily` night out."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from feedserver import SHORT_TIMEOUT, FeedServer, Recordings, lines_csv
from stores import store_path
from test_workflow import FAST, cli

from mlflow_nbaprops import promotion
from mlflow_nbaprops.data import load_gamelogs, load_news, synthetic_league_with_news, write_gamelogs
from mlflow_nbaprops.errors import FeedError

pytest.importorskip("nba_api", reason="the feed extra (nba_api) is not installed: pip install -e '.[feed]'")
pytest.importorskip("pdfplumber", reason="the feed extra (pdfplumber) is not installed")

SEASON = "2022-23"


@pytest.fixture(scope="module")
def league_and_news():
    """Two seasons of an 8-team league and its news; the feed's tests live in the second."""
    return synthetic_league_with_news(2, seed=5, teams=8, games=24)


@pytest.fixture(scope="module")
def nights(league_and_news):
    league = league_and_news[0]
    return [pd.Timestamp(d) for d in sorted(league.loc[league["SEASON"] == SEASON, "GAME_DATE"].unique())]


@pytest.fixture(scope="module")
def tonight(league_and_news, nights):
    """A night of the second season with at least three games (one can be postponed)."""
    games = league_and_news[0].groupby("GAME_DATE")["GAME_ID"].nunique()
    return next(day for day in nights[30:] if games[day] >= 3)


@pytest.fixture
def server(league_and_news, tonight, monkeypatch):
    league, news = league_and_news
    with FeedServer(Recordings(league, news, tonight)) as running:
        for key, value in running.env().items():
            monkeypatch.setenv(key, value)
        yield running


def _pull(tmp_path, until, season=SEASON, say=lambda m: None, **kw):
    from mlflow_nbaprops.feed import pull

    return pull(tmp_path / "nba", tmp_path / "pregame", season, until.date(), say=say, **kw)


def _key(frame, columns):
    return frame[columns].sort_values(columns[:2]).reset_index(drop=True)


# --------------------------------------------------------------------------- the recordings' shape


@pytest.mark.parametrize("endpoint,data_sets,params", [
    ("LeagueGameFinder", ["LeagueGameFinderResults"], {"player_or_team_abbreviation": "P", "season_nullable": SEASON}),
    ("CommonTeamRoster", ["CommonTeamRoster", "Coaches"], {"team_id": "__tonight_team__", "season": SEASON}),
    ("BoxScoreTraditionalV3", ["PlayerStats", "TeamStats"], {"game_id": "__first_game__"}),
    ("BoxScoreSummaryV3", ["InactivePlayers", "GameSummary"], {"game_id": "__first_game__"}),
    ("ScoreboardV3", ["GameHeader", "LineScore"], {"game_date": "__tonight__"}),
])
def test_recordings_have_the_shape_nba_api_defines(server, league_and_news, tonight, endpoint, data_sets, params):
    """Each recording, fetched through nba_api's own endpoint class, holds every column of the
    endpoint's ``expected_data`` for the data sets the feed reads (no column empty on every row)."""
    import nba_api.stats.endpoints as endpoints

    from mlflow_nbaprops.feed import StatsClient

    cls = getattr(endpoints, endpoint)
    from feedserver import TEAM_IDS

    league = league_and_news[0]
    playing = league[league["GAME_DATE"] == tonight]
    stand_in = {"__tonight__": f"{tonight:%Y-%m-%d}", "__tonight_team__": TEAM_IDS[playing["TEAM"].iloc[0]],
                "__first_game__": league.loc[league["SEASON"] == SEASON, "GAME_ID"].min()}
    params = {k: stand_in.get(v, v) for k, v in params.items()}
    required = {name: tuple(cls.expected_data[name]) for name in data_sets}
    if endpoint == "BoxScoreSummaryV3":  # a final game's summary: only the inactive list is read
        required["GameSummary"] = ("gameId", "gameCode", "gameStatus", "gameStatusText", "homeTeamId", "awayTeamId")
    frames = StatsClient().get(cls, required, **params)
    for name in data_sets:
        assert set(cls.expected_data[name]) <= set(frames[name].columns), name
    assert len(frames[data_sets[0]]) > 0


# --------------------------------------------------------------------------- data pull


def test_pull_writes_the_season_as_nba_api_has_it_and_resumes_incrementally(server, league_and_news, nights, tonight,
                                                                             tmp_path):
    league, news = league_and_news
    league = league[league["SEASON"] == SEASON]
    last = max(n for n in nights if n < tonight)  # the stand-in has played every game before tonight
    news = news.for_games(league["GAME_ID"])
    first = _pull(tmp_path, nights[20])
    assert first.new_games == league.loc[league["GAME_DATE"] <= nights[20], "GAME_ID"].nunique()
    assert first.pregame_games == first.new_games and first.version
    second = _pull(tmp_path, last)
    calls = dict(server.calls)
    assert calls["leaguegamefinder"] == 2  # the second asked only for the dates after the first's
    held = league[league["GAME_DATE"] <= last]
    assert second.new_rows == len(held) - len(league[league["GAME_DATE"] <= nights[20]])

    logs = load_gamelogs(tmp_path / "nba").frame
    cols = ["GAME_ID", "PLAYER_ID", "TEAM", "OPPONENT", "HOME", "MIN", "PTS", "REB", "AST", "FG3A", "PLUS_MINUS"]
    pd.testing.assert_frame_equal(_key(logs, cols), _key(held, cols), check_dtype=False)
    assert logs["GAME_ID"].str.len().eq(10).all()
    pulled = load_news(tmp_path / "pregame", logs)  # the pregame loader's own checks against the logs
    want = news.pregame[news.pregame["GAME_DATE"] <= last]
    cols = ["GAME_ID", "PLAYER_ID", "TEAM", "STARTER", "STATUS"]
    pd.testing.assert_frame_equal(_key(pulled.pregame, cols), _key(want, cols), check_dtype=False)

    before = {p.name: p.read_bytes() for p in (tmp_path / "nba").iterdir()}
    again = _pull(tmp_path, last)
    assert again.new_rows == 0 and again.version == second.version
    assert {p.name: p.read_bytes() for p in (tmp_path / "nba").iterdir()} == before
    assert server.calls["boxscoretraditionalv3"] == calls["boxscoretraditionalv3"]  # nothing fetched twice


def test_a_429_and_a_timeout_are_retried_and_the_pull_succeeds(server, nights, tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("NBAPROPS_FEED_TIMEOUT", str(SHORT_TIMEOUT))
    server.faults["leaguegamefinder"].extend(["429", "sleep"])
    server.faults["boxscoresummaryv3"].append("503")
    with caplog.at_level("WARNING"):
        result = _pull(tmp_path, nights[3])
    assert result.new_games > 0 and result.pregame_missing == 0
    assert server.calls["leaguegamefinder"] == 3
    said = caplog.text
    assert "leaguegamefinder answered HTTP 429; try 2 of 3" in said and "ReadTimeoutError" in said


def test_a_500_three_times_gives_up_with_a_clear_error_and_writes_nothing(server, nights, tmp_path):
    server.faults["leaguegamefinder"].extend(["500", "500", "500"])
    with pytest.raises(FeedError, match=r"leaguegamefinder \(.*season_nullable=2022-23.*\): gave up after 3 tries"):
        _pull(tmp_path, nights[3])
    assert not (tmp_path / "nba").exists() or not any((tmp_path / "nba").iterdir())
    server.faults["leaguegamefinder"].extend(["500", "500", "500"])
    out = cli("data", "pull", "--data", str(tmp_path / "nba"), "--news", str(tmp_path / "pregame"),
              "--until", f"{nights[3]:%Y-%m-%d}", ok=False)
    assert out.exit_code == 1 and "Error: leaguegamefinder" in out.output and "Traceback" not in out.output


@pytest.mark.parametrize("fault,message", [
    ("malformed", "not JSON nba_api can read"),
    ("rename:PLAYER_ID:PERSON_ID", "LeagueGameFinderResults lacks PLAYER_ID (renamed or dropped by the site?"),
])
def test_a_malformed_or_renamed_answer_is_refused_by_name(server, nights, tmp_path, fault, message):
    server.faults["leaguegamefinder"].append(fault)
    with pytest.raises(FeedError, match=message.replace("(", r"\(").replace("?", r"\?")):
        _pull(tmp_path, nights[3])
    assert not (tmp_path / "nba").exists()


def test_a_renamed_box_score_field_is_refused_by_name(server, nights, tmp_path):
    server.faults["boxscoretraditionalv3"].append("rename:position:pos")
    with pytest.raises(FeedError, match="boxscoretraditionalv3 .*PlayerStats lacks position"):
        _pull(tmp_path, nights[3])


def test_an_interrupted_pull_resumes_where_it_stopped(server, league_and_news, nights, tmp_path, monkeypatch):
    monkeypatch.setattr("mlflow_nbaprops.feed.season.CHECKPOINT", 4)
    league = league_and_news[0]
    games = league.loc[(league["SEASON"] == SEASON) & (league["GAME_DATE"] <= nights[12]), "GAME_ID"].nunique()
    server.faults["boxscoresummaryv3"].extend([None] * 9 + ["500"] * 3)  # the 10th game fails for good
    with pytest.raises(FeedError, match="gave up after 3 tries"):
        _pull(tmp_path, nights[12])
    saved = pd.read_csv(tmp_path / "pregame" / f"pregame_{SEASON}.csv.gz", dtype=str)
    assert saved["GAME_ID"].nunique() == 9  # every finished game kept, the failed one not half-written
    resumed = _pull(tmp_path, nights[12])
    assert resumed.new_rows == 0 and resumed.pregame_games == games
    full = tmp_path / "fresh"
    _pull(full, nights[12])
    a = pd.read_csv(tmp_path / "pregame" / f"pregame_{SEASON}.csv.gz", dtype=str)
    b = pd.read_csv(full / "pregame" / f"pregame_{SEASON}.csv.gz", dtype=str)
    cols = ["GAME_ID", "PLAYER_ID", "TEAM", "STARTER", "STATUS"]
    pd.testing.assert_frame_equal(_key(a, cols), _key(b, cols))


def test_game_lines_from_a_configured_source_are_merged_and_validated(server, league_and_news, nights, tmp_path):
    league, news = league_and_news
    ids = league.loc[(league["SEASON"] == SEASON) & (league["GAME_DATE"] <= nights[3]), "GAME_ID"].unique()
    server.lines_csv = lines_csv(news, ids)
    said: list[str] = []
    result = _pull(tmp_path, nights[3], lines_url=f"{server.lines_url}?apiKey=sekrit123", say=said.append)
    assert result.line_games == len(ids)
    assert any("game lines:" in m for m in said) and not any("sekrit123" in m for m in said)
    loaded = load_news(tmp_path / "pregame", load_gamelogs(tmp_path / "nba").frame)
    assert loaded.lines["GAME_ID"].nunique() == len(ids)
    server.lines_csv = "GAME_ID,HOME_TEAM\n1,ATL\n"
    with pytest.raises(FeedError, match="missing column") as refused:
        _pull(tmp_path, nights[3], lines_url=f"{server.lines_url}?apiKey=sekrit123")
    assert "sekrit123" not in str(refused.value)


# --------------------------------------------------------------------------- tonight's slate


def test_tonight_slate_from_the_feed(server, league_and_news, tonight, tmp_path):
    """Schedule, rosters, injury report and lineups; postponed games, trades, departures, two-way
    players and an injured player no roster knows are all handled and reported."""
    from mlflow_nbaprops.model.predictor import validate_slate

    league, news = league_and_news
    rec = server.recordings
    games = sorted(league.loc[league["GAME_DATE"] == tonight, "GAME_ID"].unique())
    rec.postponed = {games[-1]}
    rec.lineups_for = {games[0]}
    playing = league[league["GAME_ID"].isin(games[:-1])]
    home0 = playing.loc[(playing["GAME_ID"] == games[0]) & playing["HOME"], "TEAM"].iloc[0]
    away0 = playing.loc[(playing["GAME_ID"] == games[0]) & ~playing["HOME"], "TEAM"].iloc[0]
    listed = news.pregame[news.pregame["GAME_ID"] == games[0]]
    bench = listed[(listed["TEAM"] == away0) & (listed["STATUS"] == "PLAYED") & ~listed["STARTER"].astype(bool)]
    mover = int(bench["PLAYER_ID"].iloc[-1])
    rec.traded = {mover: home0}  # traded overnight, away0 -> home0 (both play tonight)
    rec.two_way = {int(listed["PLAYER_ID"].iloc[0])}
    rec.injury_extra = [(home0, "Nobody, John", "Questionable", "Rest")]
    other = playing.loc[playing["GAME_ID"] == games[1], "TEAM"].iloc[0]
    rec.not_submitted = {other}
    history = league[league["GAME_DATE"] < tonight]

    out = tmp_path / "slate.csv"
    write_gamelogs(history, tmp_path / "history.csv")  # a night after the data: the feed builds it
    result = cli("data", "slate", str(tmp_path / "history.csv"), "--date", f"{tonight:%Y-%m-%d}", "-o", str(out))
    slate = pd.read_csv(out, dtype={"GAME_ID": str})
    said = result.output
    assert "postponed, left out" in said and "traded since their last game" in said and "two-way" in said
    assert "Nobody John" not in said and "John Nobody" in said and "no roster knows" in said
    assert f"NOT YET SUBMITTED for {other}" in said
    assert set(slate["GAME_ID"]) == set(games[:-1])
    assert slate.loc[slate["PLAYER_ID"] == mover, "TEAM"].tolist() == [home0]
    out_tonight = news.pregame[(news.pregame["GAME_ID"].isin(games[:-1])) & (news.pregame["STATUS"] == "INACTIVE")]
    submitted = out_tonight[out_tonight["TEAM"] != other]
    got = slate.set_index("PLAYER_ID")["STATUS"]
    assert (got[submitted["PLAYER_ID"]] == "OUT").all()
    unreported = slate[(slate["TEAM"] == other) & slate["REASON"].fillna("").ne("not on tonight's roster")]
    assert len(unreported) and unreported["STATUS"].isna().all()  # no report: no news, not "available"
    starters = slate[slate["GAME_ID"] == games[0]].groupby("TEAM")["STARTER"].sum()
    assert starters.to_dict() == {home0: 5, away0: 5}
    assert slate.loc[slate["GAME_ID"] != games[0], "STARTER"].isna().all()
    gone = history[history["TEAM"].isin(slate["TEAM"])].drop_duplicates("PLAYER_ID", keep="last")
    assert validate_slate(slate).shape[0] == len(slate)  # predict accepts it as it is
    assert not slate.duplicated("PLAYER_ID").any() and len(gone)


@pytest.mark.parametrize("fault,missing", [("rename:games:matches", "scoreboard.games"), ("empty", "scoreboard")])
def test_a_scoreboard_without_its_games_is_an_error_not_a_night_without_games(server, tonight, fault, missing):
    """nba_api reads a renamed or missing ``games`` as an empty schedule: the night would end with
    nothing scored and exit 0. The feed says what is missing instead."""
    from mlflow_nbaprops.feed import tonight_slate

    server.faults["scoreboardv3"].append(fault)
    with pytest.raises(FeedError, match=f"scoreboardv3 .*the answer has no {missing} "):
        tonight_slate(tonight.date(), None, say=lambda m: None)
    assert len(tonight_slate(tonight.date(), None, say=lambda m: None).slate)  # the next answer is read as ever


def test_the_injury_report_is_read_as_the_official_pdf_lays_it_out(server):
    from mlflow_nbaprops.feed import parse_injury_report

    rec = server.recordings
    rec.injury_extra = [("ATL", "Jackson Jr., Jaren", "Doubtful", "Injury/Illness - Right Knee; Soreness")] * 40
    rows = parse_injury_report(rec.injury_pdf()).rows
    want = rec.injury_rows()
    assert len(rows) == len(want) > 30  # over two pages
    assert rows["STATUS"].isin(["OUT", "DOUBTFUL"]).all() and "Jaren Jackson Jr." in set(rows["PLAYER_NAME"])
    assert rows["REASON"].str.startswith("Injury/Illness").all() and rows["TEAM_NAME"].ne("").all()
    assert rows["TEAM"].eq("ATL").sum() >= 40 and rows["GAME_TIME"].eq("19:30").all()
    with pytest.raises(FeedError, match="not a readable PDF"):
        parse_injury_report(b"<html>maintenance</html>", "report")


def test_the_report_file_name_follows_the_leagues_switch_to_quarter_hours():
    import datetime as dt

    from mlflow_nbaprops.feed.injury import report_name

    assert report_name(dt.date(2025, 12, 21)) == "05PM" and report_name(dt.date(2025, 12, 22)) == "05_30PM"
    assert report_name(dt.date(2024, 1, 15), dt.time(12, 30)) == "12PM"  # the 12:30 PM publication
    assert report_name(dt.date(2026, 1, 13), dt.time(13, 30)) == "01_30PM"
    with pytest.raises(ValueError, match="half past"):
        report_name(dt.date(2024, 1, 15), dt.time(17, 0))


# --------------------------------------------------------------------------- nbaprops daily


#: (until -> folder): what ``_registered`` made the first time, for the module's next tests
_REGISTERED: dict[pd.Timestamp, Path] = {}


def _registered(tmp_path, until) -> str:
    """A fast model trained on the pulled seasons up to ``until``, registered @production: the
    data folders and the tracking store as the first test of the module that asked made them
    (pulled and trained then), copied into this test's directory and store."""
    store = store_path()
    if until in _REGISTERED:
        made = _REGISTERED[until]
        for folder in ("nba", "pregame"):
            shutil.copytree(made / folder, tmp_path / folder)
        shutil.copyfile(made / "mlflow.db", store)
    else:
        _pull(tmp_path, pd.Timestamp("2022-07-01"), season="2021-22")
        _pull(tmp_path, until)
        cli("train", "--data", str(tmp_path / "nba"), "--news", str(tmp_path / "pregame"), "--test-season", SEASON,
            "--refit-every", "21", "--minutes-params", FAST, "--pra-params", FAST, "--quiet",
            "--register", "NBAPropsModel")
        client = mlflow.MlflowClient()
        version = max(int(v.version) for v in client.search_model_versions("name='NBAPropsModel'"))
        assert promotion.promote("NBAPropsModel", str(version), "production", "trained", promotion.Criteria()).moved
        made = tmp_path / "registered"
        for folder in ("nba", "pregame"):
            shutil.copytree(tmp_path / folder, made / folder)
        shutil.copyfile(store, made / "mlflow.db")
        _REGISTERED[until] = made
    return str(mlflow.MlflowClient().get_model_version_by_alias("NBAPropsModel", "production").version)


@pytest.mark.slow
def test_daily_runs_a_night_end_to_end_and_twice_is_harmless(server, league_and_news, nights, tmp_path):
    league, news = league_and_news
    server.recordings.tonight = nights[34]
    _registered(tmp_path, nights[32])
    args = ["daily", "--data", str(tmp_path / "nba"), "--news", str(tmp_path / "pregame"),
            "--output-dir", str(tmp_path / "out"), "--min-rows", "1"]

    start = time.perf_counter()
    first = cli(*args, "--date", f"{nights[34]:%Y-%m-%d}", ok=False)
    seconds = time.perf_counter() - start
    assert first.exit_code in (0, 1), first.output
    for i, step in enumerate(("pull", "refresh", "slate", "predict", "grade", "monitor"), start=1):
        assert f"[{i}/6] {step}" in first.output
    assert seconds < 60, f"one night took {seconds:.0f} s"
    assert "-> version" in first.output and "logged as run" in first.output
    journal = json.loads((tmp_path / "out" / f"daily_{nights[34]:%Y-%m-%d}.json").read_text())
    assert [s["step"] for s in journal["steps"]] == ["pull", "refresh", "slate", "predict", "grade", "monitor"]
    assert all(s["ok"] for s in journal["steps"])
    predictions = pd.read_csv(tmp_path / "out" / f"predictions_{nights[34]:%Y-%m-%d}.csv")
    assert len(predictions) and predictions["pred_PRA"].notna().any()

    client = mlflow.MlflowClient()
    versions = len(client.search_model_versions("name='NBAPropsModel'"))
    again = cli(*args, "--date", f"{nights[34]:%Y-%m-%d}", ok=False)
    assert "no new version" in again.output and "already logged" in again.output
    assert len(client.search_model_versions("name='NBAPropsModel'")) == versions

    server.recordings.tonight = nights[35]  # the next night: last night's predictions get graded
    nxt = cli(*args, "--date", f"{nights[35]:%Y-%m-%d}", ok=False)
    assert f"{nights[34]:%Y-%m-%d}" in nxt.output and "PRA MAE" in nxt.output


@pytest.mark.slow
def test_daily_stops_at_the_failing_step_and_says_what_ran(server, nights, tmp_path):
    server.recordings.tonight = nights[34]
    _registered(tmp_path, nights[32])
    server.faults["scoreboardv3"].extend(["500"] * 3)
    out = cli("daily", "--data", str(tmp_path / "nba"), "--news", str(tmp_path / "pregame"), "--output-dir",
              str(tmp_path / "out"), "--date", f"{nights[34]:%Y-%m-%d}", ok=False)
    assert out.exit_code == 1
    assert "stopped at step 3 (slate)" in out.output and "steps done: pull, refresh" in out.output
    assert "not run: predict, grade, monitor" in out.output
    assert not (tmp_path / "out" / f"slate_{nights[34]:%Y-%m-%d}.csv").exists()
    journal = json.loads((tmp_path / "out" / f"daily_{nights[34]:%Y-%m-%d}.json").read_text())
    assert [(s["step"], s["ok"]) for s in journal["steps"]] == [("pull", True), ("refresh", True), ("slate", False)]


@pytest.mark.skipif(os.environ.get("NBAPROPS_LIVE") != "1", reason="talks to stats.nba.com: set NBAPROPS_LIVE=1")
def test_live_scoreboard_and_roster_answer_in_the_shape_the_feed_reads():
    """Opt-in, for a machine that can reach nba.com: the real endpoints still have the columns the feed reads."""
    from nba_api.stats.endpoints import CommonTeamRoster, LeagueGameFinder, ScoreboardV3

    from mlflow_nbaprops.feed import FeedConfig, StatsClient
    from mlflow_nbaprops.feed.season import GAMELOG_COLUMNS
    from mlflow_nbaprops.feed.tonight import GAME_COLUMNS, LINE_SCORE_COLUMNS, ROSTER_COLUMNS

    client = StatsClient(FeedConfig(stats_url="https://stats.nba.com/stats/{endpoint}"))
    client.get(ScoreboardV3, {"GameHeader": GAME_COLUMNS, "LineScore": LINE_SCORE_COLUMNS},
               game_date=f"{pd.Timestamp.today():%Y-%m-%d}", league_id="00")
    client.get(CommonTeamRoster, {"CommonTeamRoster": ROSTER_COLUMNS}, team_id=1610612738, season="2024-25")
    client.get(LeagueGameFinder, {"LeagueGameFinderResults": GAMELOG_COLUMNS}, player_or_team_abbreviation="P",
               season_nullable="2024-25", season_type_nullable="Regular Season", date_from_nullable="01/15/2025",
               date_to_nullable="01/15/2025")


@pytest.mark.slow
def test_daily_at_5_30_pm_scores_with_a_report_model_of_its_own_name(server, nights, tmp_path):
    """The evening's first run: a ``report`` model (trained on the reports' history in ``--news``,
    registered under its own name) scores tonight's slate, whose STATUS is the 5:30 PM report."""
    from test_report_scenario import reports_of

    server.recordings.tonight = nights[34]
    _registered(tmp_path, nights[32])
    logs = load_gamelogs(tmp_path / "nba").frame
    news = load_news(tmp_path / "pregame", logs)
    reports_of(logs, news).to_csv(tmp_path / "pregame" / "injury_reports_2022-23.csv.gz", index=False)
    cli("train", "--data", str(tmp_path / "nba"), "--news", str(tmp_path / "pregame"), "--test-season", SEASON,
        "--availability", "report", "--refit-every", "21", "--minutes-params", FAST, "--pra-params", FAST, "--quiet",
        "--register", "NBAPropsReport")
    assert promotion.promote("NBAPropsReport", "1", "production", "trained", promotion.Criteria()).moved
    night = cli("daily", "--name", "NBAPropsReport", "--data", str(tmp_path / "nba"), "--news",
                str(tmp_path / "pregame"), "--output-dir", str(tmp_path / "out"), "--min-rows", "1",
                "--date", f"{nights[34]:%Y-%m-%d}", ok=False)
    assert night.exit_code in (0, 1) and "scored by NBAPropsReport/" in night.output, night.output
    predictions = pd.read_csv(tmp_path / "out" / f"predictions_{nights[34]:%Y-%m-%d}.csv")
    playing = predictions["answered_by"] != "not playing"
    assert playing.any() and (predictions.loc[playing, "answered_by"] == "report").all()
