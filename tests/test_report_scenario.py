"""The ``report`` scenario: tonight's absences as the league's injury report had them at 5:30 PM ET.

A synthetic league's reports are made from its final inactive lists: every inactive player OUT at
5:30 PM, except one late scratch per few team-games listed QUESTIONABLE then and OUT at 6:30 PM.
The real reports are in ``tests/test_injury_report.py``; the scenario's numbers on them in
``benchmarks/bench_report.py`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import synthetic_league_with_news, write_gamelogs, write_news
from mlflow_nbaprops.data.news import News, load_news
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.features import build_features, get_feature_set, scenario_feature_set
from mlflow_nbaprops.features.report import chosen_publications

FAST = {"n_estimators": 25, "learning_rate": 0.2}
REPORT, INACTIVE = get_feature_set("full", "v5.1-report"), get_feature_set("full", "v5.1-inactive")
ABSENCES = ["team_out_n", "team_out_min", "opp_out_n", "opp_out_min", "out_min_expected"]


@pytest.fixture(scope="module")
def league():
    return synthetic_league_with_news(2, seed=17, teams=8, games=24)


def reports_of(frame: pd.DataFrame, news: News, scratch_every: int = 4, tip: str = "19:30") -> pd.DataFrame:
    """The league's report history as its lists would have had it (see the module doc)."""
    inactive = news.pregame[news.pregame["STATUS"] == "INACTIVE"].reset_index(drop=True)
    games = frame.drop_duplicates(["GAME_ID", "TEAM"]).set_index(["GAME_ID", "TEAM"])
    home = frame[frame["HOME"]].drop_duplicates("GAME_ID").set_index("GAME_ID")["TEAM"]
    away = frame[~frame["HOME"]].drop_duplicates("GAME_ID").set_index("GAME_ID")["TEAM"]
    late = np.arange(len(inactive)) % scratch_every == 0 if scratch_every else np.zeros(len(inactive), dtype=bool)
    day = inactive["GAME_DATE"].dt.strftime("%Y-%m-%d")
    base = pd.DataFrame({"GAME_DATE": day, "GAME_TIME": tip, "GAME_ID": inactive["GAME_ID"],
                         "MATCHUP": away.reindex(inactive["GAME_ID"]).to_numpy() + "@" + home.reindex(inactive["GAME_ID"]).to_numpy(),
                         "TEAM": inactive["TEAM"], "PLAYER_ID": inactive["PLAYER_ID"].astype(str),
                         "PLAYER_NAME": "", "REASON": "Injury/Illness - Left Ankle; Sprain", "REASON_KIND": "injury"})
    evening = base.assign(REPORT_TIME=day + "T17:30", STATUS=np.where(late, "QUESTIONABLE", "OUT"),
                          SOURCE="Injury-Report_" + day + "_05PM.pdf")
    later = base.assign(REPORT_TIME=day + "T18:30", STATUS="OUT", SOURCE="Injury-Report_" + day + "_06PM.pdf")
    assert len(games)
    return pd.concat([evening, later], ignore_index=True)


def with_reports(news: News, reports: pd.DataFrame, tmp_path, name: str = "reports.csv") -> News:
    reports.to_csv(tmp_path / name, index=False)
    return News(news.pregame, news.lines, reports=load_news(tmp_path / name).reports)


def test_the_report_counts_who_it_rules_out_at_5_30_and_nothing_later(league, tmp_path):
    frame, news = league
    exact = build_features(frame, REPORT, news=with_reports(news, reports_of(frame, news, scratch_every=0), tmp_path))
    listed = build_features(frame, INACTIVE, news=news)
    # a report that rules out exactly the final lists' players tells tonight's absences as they do
    pd.testing.assert_frame_equal(exact[ABSENCES], listed[ABSENCES], check_exact=True)

    late = with_reports(news, reports_of(frame, news), tmp_path, "late.csv")
    scratched = build_features(frame, REPORT, news=late)
    fewer = scratched["team_out_n"] < listed["team_out_n"]
    assert fewer.any() and (scratched["team_out_n"] <= listed["team_out_n"]).all()  # the late scratches: not yet out
    # the 6:30 PM publication (which rules them out) is never read: without it, not a bit moves
    evening = late.reports[late.reports["REPORT_TIME"].dt.hour == 17]
    alone = build_features(frame, REPORT, news=News(news.pregame, news.lines, reports=evening))
    pd.testing.assert_frame_equal(alone, scratched, check_exact=True)
    # the history the row's recent form was played under still comes from the final lists
    np.testing.assert_array_equal(scratched["out_min_recent"], listed["out_min_recent"])


def test_an_afternoon_game_reads_the_last_publication_before_its_tip_off(league, tmp_path):
    frame, news = league
    day = frame["GAME_DATE"].max().strftime("%Y-%m-%d")
    rows = pd.DataFrame({"REPORT_TIME": pd.to_datetime([f"{day}T12:30", f"{day}T17:30", f"{day}T17:30"]),
                         "GAME_DATE": pd.to_datetime([day] * 3), "GAME_TIME": ["15:00", "15:00", "19:30"],
                         "TEAM": ["AAA", "AAA", "BBB"], "PLAYER_ID": pd.array([1, 2, 3], dtype="Int64"),
                         "STATUS": ["OUT", "OUT", "NOT_SUBMITTED"]})
    games = pd.DataFrame({"GAME_DATE": pd.to_datetime([day, day, day]), "TEAM": ["AAA", "BBB", "CCC"]})
    chosen = chosen_publications(games, rows)
    assert [f"{t:%H:%M}" for t in chosen["PUBLISHED"]] == ["12:30", "17:30", "17:30"]
    assert chosen["REPORT_TIME"].isna().tolist() == [False, True, False]  # BBB: not submitted, none earlier
    assert chosen["ERA"].all()
    noon = chosen_publications(games.assign(TEAM="AAA"), rows.assign(GAME_TIME="12:00"))
    assert noon["PUBLISHED"].isna().all() and noon["ERA"].all()  # no publication before a noon tip: nobody out
    outside = chosen_publications(games.assign(GAME_DATE=games["GAME_DATE"] - pd.Timedelta(days=400)), rows)
    assert not outside["ERA"].any()  # a day no publication lists: the lists stand in


def test_a_report_model_trains_walks_forward_and_the_cli_asks_for_the_reports(league, tmp_path):
    frame, news = league
    reported = with_reports(news, reports_of(frame, news), tmp_path)
    season = frame["SEASON"].max()
    config = BacktestConfig(season, refit_every=28, minutes_params=FAST, pra_params=FAST, availability="report")
    result = walk_forward(frame, config, progress=False, news=reported)
    assert "availability report: tonight's 5:30 PM ET injury report" in result.summary()
    assert scenario_feature_set("full", "report") == REPORT and REPORT.needs_reports and not INACTIVE.needs_reports
    with pytest.raises(ValueError, match="reads the league's injury reports"):
        walk_forward(frame, config, progress=False, news=news)

    logs = tmp_path / "logs.parquet"
    write_gamelogs(frame, logs)
    written = write_news(news, tmp_path / "news", stem="league")
    command = ["backtest", "--data", str(logs), "--test-season", season, "--availability", "report",
               "--refit-every", "28", "--minutes-params", '{"n_estimators": 20}', "--pra-params",
               '{"n_estimators": 20}', "--output", str(tmp_path / "p.csv"), "--news", ",".join(written)]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2 and "'report' reads the league's injury reports" in refused.stderr
    ran = CliRunner().invoke(main, [*command, "--news", str(tmp_path / "reports.csv")])
    assert ran.exit_code == 0, ran.output
    assert "5:30 PM ET injury report" in ran.output


def test_a_report_model_is_saved_loaded_and_answers_a_slate_with_the_reports_statuses(league, tmp_path):
    """Served, the slate's STATUS is the 5:30 PM report (OUT and DOUBTFUL ruled out, QUESTIONABLE
    playing): the model answers as the ``report`` scenario, and a doubtful player gets no forecast."""
    from mlflow_nbaprops.model.persistence import load_predictor, save_predictor
    from mlflow_nbaprops.model.predictor import PropsPredictor, news_slate

    frame, news = league
    night = sorted(frame["GAME_DATE"].unique())[-1]
    history = frame[frame["GAME_DATE"] < night]
    config = BacktestConfig(frame["SEASON"].max(), minutes_params=FAST, pra_params=FAST, availability="report")
    model = PropsPredictor.train(history, config.estimator(), config.features,
                                 news=with_reports(news, reports_of(frame, news), tmp_path))
    assert model.scenario == "report" and model.fallback_scenario is None
    (tmp_path / "model").mkdir()
    save_predictor(model, tmp_path / "model")
    model = load_predictor(tmp_path / "model")
    slate = news_slate(history, frame[frame["GAME_DATE"] == night], news)
    playing = slate.index[slate["STATUS"] == "AVAILABLE"]
    slate.loc[playing[:2], "STATUS"] = ["QUESTIONABLE", "DOUBTFUL"]
    out = model.predict(slate.drop(columns=["STARTER"]))
    assert out.loc[playing[0], "answered_by"] == "report" and out.loc[playing[0], "pred_PRA"] > 0
    assert out.loc[playing[1], "answered_by"] == "not playing" and out.loc[playing[1], "pred_PRA"] == 0.0
