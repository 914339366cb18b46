"""The daily loop: refresh without refit, score and log a slate, grade, monitor — and the
replay that shows the loop makes exactly the backtest's predictions."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import Model
from test_workflow import FAST, cli

from mlflow_nbaprops import flavor, promotion
from mlflow_nbaprops.daily import grade, refresh, score_slate
from mlflow_nbaprops.daily.grade import GRADED_ARTIFACT, live_run_id
from mlflow_nbaprops.data import (
    canonicalize_frame,
    content_digest,
    synthetic_league_with_news,
    write_gamelogs,
    write_table,
)
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.errors import DataValidationError
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.features.snapshot import HistorySnapshot
from mlflow_nbaprops.model.persistence import SNAPSHOT_FILES
from mlflow_nbaprops.model.predictor import PropsPredictor, news_slate, observed_slate
from mlflow_nbaprops.tracking.training import fallback_model
from mlflow_nbaprops.data import DataInfo

NAME = "NBAPropsModel"
PARAMS = json.loads(FAST)


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    return canonicalize_frame(synthesize_league(2, seed=31, n_teams=8, games_per_team=30), source="synthetic")


@pytest.fixture(scope="module")
def news(league):
    """The same league's pre-game news (its own random stream: the logs are the fixture's)."""
    frame, news = synthetic_league_with_news(2, seed=31, teams=8, games=30)
    pd.testing.assert_frame_equal(frame, league)
    return news


def _nights(league: pd.DataFrame) -> list[pd.Timestamp]:
    return [pd.Timestamp(d) for d in sorted(league["GAME_DATE"].unique())]


def _data(frame: pd.DataFrame, news=None) -> DataInfo:
    return DataInfo(frame, "test games", content_digest(frame),
                    news=None if news is None else news.for_games(frame["GAME_ID"]))


def _register(predictor: PropsPredictor, val_mae: float = 6.0) -> str:
    """Log ``predictor`` with validation metrics as a training run would, register it, make it production."""
    mlflow.set_experiment("NBAProps/Phase2_Model")
    with mlflow.start_run():
        mlflow.log_metrics({"val_pra_mae": val_mae, "val_vs_l10_pct": -3.0, "val_n_predictions": 1000.0,
                            "val_bet_calibration_error": 0.02})
        mlflow.set_tag("nbaprops.test_season", "2022-23")
        info = flavor.log_model(predictor, name="model", registered_model_name=NAME)
    version = str(info.registered_model_version)
    assert promotion.promote(NAME, version, "production", "trained", promotion.Criteria()).moved
    return version


def _sha(uri: str) -> dict[str, str]:
    local = mlflow.artifacts.download_artifacts(uri)
    return Model.load(local).flavors["nbaprops"]["sha256"]


# --------------------------------------------------------------------------- snapshot and refresh


def test_an_extended_snapshot_is_the_snapshot_of_the_longer_history():
    league = canonicalize_frame(synthesize_league(3, seed=31, n_teams=6, games_per_team=40), source="synthetic")
    nights = _nights(league)  # three seasons: more games per player than a snapshot keeps
    cut, end = nights[len(nights) * 2 // 3], nights[len(nights) * 2 // 3 + 6]
    before = HistorySnapshot.from_history(league[league["GAME_DATE"] <= cut], days=120)
    extended, ext = before.extend(league[league["GAME_DATE"] <= end])  # the whole file again, as users pass it
    direct = HistorySnapshot.from_history(league[league["GAME_DATE"] <= end], days=120)
    pd.testing.assert_frame_equal(extended.rows, direct.rows)
    key = ["PLAYER_ID", "TEAM"]
    pd.testing.assert_frame_equal(extended.prior_games.sort_values(key).reset_index(drop=True),
                                  direct.prior_games.sort_values(key).reset_index(drop=True))
    assert len(direct.prior_games) and extended.cutoff == end
    new = league[(league["GAME_DATE"] > cut) & (league["GAME_DATE"] <= end)]
    assert (ext.new_rows, ext.new_games) == (len(new), new["GAME_ID"].nunique())
    assert ext.already_held == len(before.rows) and ext.before_cutoff == len(league[league["GAME_DATE"] <= cut]) - len(before.rows)
    same, nothing = extended.extend(league[league["GAME_DATE"] <= end])
    assert same is extended and nothing.new_rows == 0


def test_a_changed_box_score_is_reported_not_silently_replaced(league):
    nights = _nights(league)
    snapshot = HistorySnapshot.from_history(league[league["GAME_DATE"] <= nights[30]])
    changed = league[league["GAME_DATE"] <= nights[32]].copy()
    row = changed.index[changed["GAME_DATE"] == nights[30]][0]
    changed.loc[row, ["PTS", "MIN"]] = changed.loc[row, ["PTS", "MIN"]] + [4, 1]
    with pytest.raises(DataValidationError) as caught:
        snapshot.extend(changed)
    text = str(caught.value)
    assert f"GAME_ID {changed.loc[row, 'GAME_ID']} PLAYER_ID {changed.loc[row, 'PLAYER_ID']}" in text
    assert "PTS" in text and "MIN" in text and "Nothing was changed" in text
    fixed, ext = snapshot.extend(changed, accept_corrections=True)
    assert len(ext.corrected) == 1
    pd.testing.assert_frame_equal(fixed.rows, HistorySnapshot.from_history(changed).rows)


def test_refresh_makes_a_version_with_the_same_boosters_and_newer_history(league, tmp_path):
    nights = _nights(league)
    cut = nights[40]
    trained = PropsPredictor.train(league[league["GAME_DATE"] <= cut],
                                   BacktestConfig("2022-23", minutes_params=PARAMS, pra_params=PARAMS).estimator())
    parent = _register(trained)
    results = tmp_path / "last_night.csv"
    write_gamelogs(league[league["GAME_DATE"] <= nights[42]], results)  # the season file, grown by two nights

    out = cli("refresh", "--data", str(results), "--alias", "production").output
    client = mlflow.MlflowClient()
    child = str(client.get_model_version_by_alias(NAME, "production").version)
    assert child != parent and f"{NAME}@production -> version {child}" in out
    before, after = _sha(f"models:/{NAME}/{parent}"), _sha(f"models:/{NAME}/{child}")
    boosters = {f for f in before if f not in SNAPSHOT_FILES}
    assert {"minutes.txt", "pra.txt", "regressor.json"} <= boosters
    assert {f: after[f] for f in boosters} == {f: before[f] for f in boosters} and set(after) == set(before)
    assert after["history.parquet"] != before["history.parquet"]

    refreshed = flavor.load_model(f"models:/{NAME}@production")
    assert refreshed.snapshot.cutoff == nights[42]
    pd.testing.assert_frame_equal(refreshed.snapshot.rows.reset_index(drop=True),
                                  HistorySnapshot.from_history(league[league["GAME_DATE"] <= nights[42]]).rows,
                                  check_dtype=False)
    mv = client.get_model_version(NAME, child)
    assert mv.tags["nbaprops.parent_version"] == parent and mv.tags["nbaprops.lineage"] == parent
    record = json.loads(mv.tags["nbaprops.refresh"])
    assert (record["first_date"], record["last_date"]) == (f"{nights[41]:%Y-%m-%d}", f"{nights[42]:%Y-%m-%d}")
    run = client.get_run(mv.run_id)
    assert run.data.params["parent_version"] == parent and run.data.tags["nbaprops.phase"] == "refresh"
    assert run.data.metrics["val_pra_mae"] == 6.0  # the boosters' validation travels with them
    assert run.data.tags["nbaprops.data.digest"] == record["data_version"]
    event = promotion.history(NAME)[-1]
    assert (event["action"], event["reason"], event["version"], event["from_version"]) == (
        "refresh", "refresh", child, parent)

    again = cli("refresh", "--data", str(results), "--alias", "production").output
    assert "no new version" in again and len(client.search_model_versions(f"name = '{NAME}'")) == 2

    edited = league[league["GAME_DATE"] <= nights[43]].copy()
    edited.loc[edited.index[edited["GAME_DATE"] == nights[42]][0], "REB"] += 5
    write_gamelogs(edited, results)
    refused = cli("refresh", "--data", str(results), "--alias", "production", ok=False)
    assert refused.exit_code == 1 and "differ from the snapshot" in refused.output and "REB" in refused.output
    assert len(client.search_model_versions(f"name = '{NAME}'")) == 2  # nothing half-written
    assert "refresh makes a new version of a registered model" in cli(
        "refresh", "--model", str(tmp_path), "--data", str(results), ok=False).output


def test_rolling_back_after_refreshes_restores_the_previous_model_not_yesterdays_snapshot(league):
    trained = PropsPredictor.train(league[league["GAME_DATE"] <= _nights(league)[30]],
                                   BacktestConfig("2022-23", minutes_params=PARAMS, pra_params=PARAMS).estimator())
    first = _register(trained)
    second = _register(trained)  # a newer model (the same files serve here: the registry is under test)
    client = mlflow.MlflowClient()
    uri = client.get_model_version(NAME, second).source
    for _ in range(2):  # two nightly refreshes of the second model (its lineage, as refresh tags them)
        version = mlflow.register_model(uri, NAME, tags={"nbaprops.lineage": second}).version
        promotion.promote(NAME, str(version), "production", "refresh", promotion.Criteria(), action="refresh")
    assert promotion.alias_stack(NAME, "production") == [first, str(version)]
    assert promotion.rollback(NAME, "live drift") == (str(version), first)
    assert client.get_model_version(NAME, first).tags["nbaprops.rolled_back_to_production"]


# --------------------------------------------------------------------------- predict, grade, monitor


def test_predict_logs_a_slate_once_grade_is_idempotent_and_monitor_flags_drift(league, tmp_path):
    nights = _nights(league)
    cut = nights[40]
    history = league[league["GAME_DATE"] <= cut]
    trained = PropsPredictor.train(history, BacktestConfig("2022-23", minutes_params=PARAMS,
                                                          pra_params=PARAMS).estimator())
    version = _register(trained, val_mae=7.0)
    tonight = league[league["GAME_DATE"] == nights[41]]
    slate = observed_slate(history, tonight).assign(LINE=20.5)
    slate_file = tmp_path / "slate.csv"
    write_table(slate.assign(GAME_DATE=slate["GAME_DATE"].dt.strftime("%Y-%m-%d")), slate_file)

    out = cli("predict", "--slate", str(slate_file), "--output", str(tmp_path / "pred.csv")).output
    assert f"scored by {NAME}/{version}" in out and "logged as run" in out
    written = pd.read_csv(tmp_path / "pred.csv")
    assert len(written) == len(slate) and {"pred_PRA", "pred_MIN", "p_over", "baseline_L10_PRA", "STATUS",
                                           "warning"} <= set(written.columns)
    assert (written.loc[written["STATUS"] == "OUT", "pred_PRA"] == 0).all()
    again = cli("predict", "--slate", str(slate_file), "--output", str(tmp_path / "pred2.csv")).output
    assert "already logged" in again
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name("NBAProps/Predictions")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.data.tags["nbaprops.model"] == f"{NAME}/{version}" and run.data.tags["nbaprops.graded"] == "false"
    assert run.data.tags["nbaprops.slate_dates"] == f"{nights[41]:%Y-%m-%d}"
    assert "nbaprops.git.commit" in run.data.tags or "nbaprops.context.error" in run.data.tags  # the plugin ran

    past = slate.assign(GAME_DATE=cut)
    write_table(past, tmp_path / "past.csv")
    refused = cli("predict", "--slate", str(tmp_path / "past.csv"), "--output", str(tmp_path / "p.csv"), ok=False)
    assert refused.exit_code == 1 and "GAME_DATE must be after the model's history cutoff" in refused.output
    assert len(client.search_runs([exp.experiment_id])) == 1

    results = tmp_path / "results.csv"
    write_gamelogs(league[league["GAME_DATE"] <= nights[41]], results)
    graded = cli("grade", "--data", str(results)).output
    assert f"{nights[41]:%Y-%m-%d}" in graded and "PRA MAE" in graded
    live = live_run_id(client, f"{NAME}/{version}")
    history_of = client.get_metric_history(live, "live_pra_mae")
    assert [m.step for m in history_of] == [int(f"{nights[41]:%Y%m%d}")]
    rows = pd.read_parquet(client.download_artifacts(live, GRADED_ARTIFACT, str(tmp_path)))
    played = slate["STATUS"] == "AVAILABLE"
    assert len(rows) == played.sum()
    want = np.abs(rows["PRA"] - rows["pred_PRA"]).mean()
    assert history_of[0].value == pytest.approx(want)
    for key in ("live_min_mae", "live_l10_pra_mae", "live_coverage_80", "live_calibration_error", "live_bets"):
        assert client.get_metric_history(live, key), key
    assert client.get_run(run.info.run_id).data.tags["nbaprops.graded"] == "true"
    assert "no ungraded prediction runs" in cli("grade", "--data", str(results)).output
    assert len(client.get_metric_history(live, "live_pra_mae")) == 1  # grading twice changes nothing

    calm = cli("monitor", "--min-rows", "100000", "--output-dir", str(tmp_path / "m"))
    assert calm.exit_code == 0 and "not enough rows to judge" in calm.output
    drifted = cli("monitor", "--min-rows", "1", "--tolerance", "0", "--output-dir", str(tmp_path / "m"), ok=False)
    live_mae = history_of[0].value
    if live_mae > 7.0 or "worse than the previous-10 mean" in drifted.output:
        assert drifted.exit_code == 1 and "DRIFT" in drifted.output
    else:
        assert drifted.exit_code == 0 and "OK: no drift" in drifted.output
    assert (tmp_path / "m" / "live_mae.png").stat().st_size > 1000


def test_monitor_exits_1_when_live_error_drifts(league, tmp_path):
    nights = _nights(league)
    history = league[league["GAME_DATE"] <= nights[40]]
    trained = PropsPredictor.train(history, BacktestConfig("2022-23", minutes_params=PARAMS,
                                                          pra_params=PARAMS).estimator())
    _register(trained, val_mae=5.0)
    slate = observed_slate(history, league[league["GAME_DATE"] == nights[41]])
    score_slate(f"models:/{NAME}@production", slate)
    blowout = league[league["GAME_DATE"] <= nights[41]].copy()
    blowout.loc[blowout["GAME_DATE"] == nights[41], "PTS"] += 25  # a night nobody could forecast
    report = grade(_data(blowout))
    assert sum(len(d) for d in report.graded_dates.values()) == 1
    result = cli("monitor", "--min-rows", "10", "--output-dir", str(tmp_path), ok=False)
    assert result.exit_code == 1 and "DRIFT: worse than validation beyond the tolerance" in result.output


# --------------------------------------------------------------------------- the loop equals the backtest


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["observed", "lineups"])
def test_the_daily_loop_replays_the_backtest_row_for_row(league, news, scenario):
    """Retrain on the backtest's refit dates, refresh with each night's games between them, score
    the next night's slate (absences declared as the injury report would; in the lineups scenario
    the night's lists, lineups and lines as the pregame news had them), grade: the logged
    predictions equal ``walk_forward``'s for the same refit schedule, exactly."""
    season = sorted(league["SEASON"].unique())[-1]
    config = BacktestConfig(season, refit_every=7, minutes_params=PARAMS, pra_params=PARAMS, availability=scenario)
    reads = news if config.features.needs_news else None
    backtest = walk_forward(league, config, progress=False, news=reads).predictions
    nights = sorted(backtest["GAME_DATE"].unique())[-6:]  # (a refit inside, refreshes between)
    refits = pd.Series(pd.date_range(pd.Timestamp(sorted(backtest["GAME_DATE"].unique())[0]), nights[-1],
                                     freq="7D"))
    client = mlflow.MlflowClient()
    trained_at, trainings, refreshes = None, 0, 0
    for night in map(pd.Timestamp, nights):
        start = refits[refits <= night].iloc[-1]
        before = league[league["GAME_DATE"] < night]
        if start != trained_at:
            history = league[league["GAME_DATE"] < start]
            model = PropsPredictor.train(history, config.estimator(), config.features, config.train_window_days,
                                         as_of=start, news=None if reads is None else reads.for_games(history["GAME_ID"]),
                                         fallback=fallback_model(config))
            _register(model)
            trained_at, trainings = start, trainings + 1
        if before["GAME_DATE"].max() > flavor.load_model(f"models:/{NAME}@production").snapshot.cutoff:
            refresh(f"models:/{NAME}@production", _data(before, reads), alias="production", client=client)
            refreshes += 1
        tonight = league[league["GAME_DATE"] == night]
        slate = observed_slate(before, tonight) if reads is None else news_slate(before, tonight, reads)
        scored = score_slate(f"models:/{NAME}@production", slate, client=client)
        assert (scored.table.loc[~scored.table["OUT"].eq(True), "answered_by"] == scenario).all()
    assert trainings >= 2 and refreshes >= 2  # the replay crosses a refit, and refreshes between refits
    report = grade(_data(league), client=client)
    assert sum(len(d) for d in report.graded_dates.values()) == len(nights)
    live = pd.concat([pd.read_parquet(client.download_artifacts(live_run_id(client, lineage), GRADED_ARTIFACT))
                      for lineage in report.live_runs])
    live["GAME_DATE"] = pd.to_datetime(live["GAME_DATE"])
    want = backtest[backtest["GAME_DATE"].isin(nights)]
    both = want.merge(live, on=["PLAYER_ID", "GAME_DATE"], suffixes=("", "_live"), validate="one_to_one")
    assert len(both) == len(want) > 150
    for column in ("pred_MIN", "pred_PRA", "pred_PRA_q10", "pred_PRA_q50", "pred_PRA_q90", "baseline_L10_PRA"):
        np.testing.assert_array_equal(both[f"{column}_live"].to_numpy(), both[column].to_numpy(), err_msg=column)
    np.testing.assert_array_equal(both["PRA_live"], both["PRA"])
