"""Walk-forward backtests and the ``nbaprops backtest`` command on small synthetic seasons (and, where
the real nba_api files are, on a season after them)."""

from __future__ import annotations

from dataclasses import replace as dataclasses_replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REAL_DATA, requires_real_data
from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import canonicalize_frame, write_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.evaluation import PREDICTION_COLUMNS, BacktestConfig, walk_forward
from mlflow_nbaprops.evaluation.metrics import american_to_implied, american_to_profit, betting_simulation
from mlflow_nbaprops.features import lagged_mean

FAST = {"n_estimators": 30, "learning_rate": 0.2}


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    return canonicalize_frame(synthesize_league(2, seed=9, n_teams=8, games_per_team=24))


@pytest.fixture(scope="module")
def result(league):
    config = BacktestConfig(test_season="2022-23", refit_every=21, minutes_params=FAST, pra_params=FAST)
    return walk_forward(league, config, progress=False)


def test_one_prediction_per_eligible_player_game(league, result):
    season = league[league["SEASON"] == "2022-23"].sort_values("GAME_DATE")
    earlier = season.groupby("PLAYER_ID").cumcount() >= 1
    eligible = season[(season["MIN"] > 0) & earlier]
    preds = result.predictions
    assert set(PREDICTION_COLUMNS) <= set(preds.columns)
    assert len(preds) == len(eligible)
    assert set(zip(preds["PLAYER_ID"], preds["GAME_ID"])) == set(zip(eligible["PLAYER_ID"], eligible["GAME_ID"]))
    assert preds[["pred_MIN", "pred_PRA", "pred_PRA_q10", "pred_PRA_q90"]].notna().all().all()


def test_each_refit_trains_only_on_earlier_games(league, result):
    folds = result.folds
    assert (folds["n_train"].diff().dropna() > 0).all()  # the training set grows with time
    preds = result.predictions
    for fold in folds.itertuples():
        in_fold = preds[preds["fold"] == fold.fold]
        assert (in_fold["GAME_DATE"] >= fold.start).all() and (in_fold["GAME_DATE"] <= fold.end).all()
        # n_train is exactly the rows with history dated before the refit
        before = league[(league["GAME_DATE"] < fold.start)]
        assert fold.n_train <= len(before)


def test_baselines_are_the_previous_ten_games_of_the_season(league, result):
    frame = league.assign(PRA=league["PTS"] + league["REB"] + league["AST"]).sort_values("GAME_DATE")
    l10 = frame.groupby(["PLAYER_ID", "SEASON"])["PRA"].transform(lambda s: s.shift(1).rolling(10, min_periods=1).mean())
    want = pd.Series(l10.to_numpy(), index=pd.MultiIndex.from_frame(frame[["PLAYER_ID", "GAME_ID"]]))
    got = result.predictions.set_index(["PLAYER_ID", "GAME_ID"])["baseline_L10_PRA"]
    assert np.allclose(got, want.loc[got.index])
    assert np.allclose(lagged_mean(frame, ["PLAYER_ID", "SEASON"], frame["PRA"], 10), l10.to_numpy(), equal_nan=True)


def test_later_games_do_not_move_a_single_earlier_prediction(league, result):
    """Box scores changed strictly after a mid-season date D (every row up to D byte-identical):
    every prediction up to D is bit-identical, those of refits after D included, because each
    refit trains on earlier rows and each row's features depend on earlier rows only."""
    dates = np.sort(league.loc[league["SEASON"] == "2022-23", "GAME_DATE"].unique())
    day = dates[len(dates) // 2]
    changed = league.copy()
    later = changed["GAME_DATE"] > day
    rng = np.random.default_rng(2)
    for col in ("MIN", "PTS", "REB", "AST", "FGA", "FTA", "TOV", "OREB", "PF", "PLUS_MINUS"):
        factor = rng.uniform(0.5, 1.5, later.sum())
        changed.loc[later, col] = (changed.loc[later, col] * factor).round().astype(changed[col].dtype)
    again = walk_forward(changed, result.config, progress=False)

    key = ["GAME_ID", "PLAYER_ID"]
    before, after = (r.predictions.set_index(key).sort_index() for r in (result, again))
    up_to = before.index[before["GAME_DATE"] <= day]
    assert len(up_to) > 300 and before.loc[up_to, "fold"].nunique() >= 2
    numeric = [c for c in before.columns if before[c].dtype.kind == "f"]
    pd.testing.assert_frame_equal(after.loc[up_to, numeric], before.loc[up_to, numeric], check_exact=True)
    beyond = before.index[before["GAME_DATE"] > day].intersection(after.index)
    assert (after.loc[beyond, "pred_PRA"] != before.loc[beyond, "pred_PRA"]).mean() > 0.5  # the change did arrive


def test_metrics_report_model_and_baselines_on_the_same_rows(result):
    m = result.metrics
    preds = result.predictions
    assert m["pra_mae"] == pytest.approx((preds["PRA"] - preds["pred_PRA"]).abs().mean())
    assert m["l10_pra_mae"] == pytest.approx((preds["PRA"] - preds["baseline_L10_PRA"]).abs().mean())
    for key in ("pra_rmse", "pra_r2", "pra_within_3", "pra_within_5", "pra_within_10", "min_mae", "min_r2",
                "single_pra_mae", "season_pra_mae", "vs_l10_pct", "vs_single_pct", "brier", "calibration_error"):
        assert key in m and np.isfinite(m[key]), key
    assert m["pra_mae"] < m["l10_pra_mae"]  # the model beats the naive baseline on this league
    assert set(result.segments["segment"]) >= {"tier", "home", "back_to_back", "month", "season", "edge"}
    assert result.line_source == "bookmaker" and "clv" in m and "roi" in m and "sharpe" in m
    summary = result.summary()
    assert "previous-10 mean (baseline)" in summary and "two-stage" in summary and "bookmaker lines" in summary


def test_a_point_only_backtest_scores_the_same_forecasts_and_fits_less(league, result):
    """point_only (a tuning trial): the same two-stage forecasts and MAE, without the single-stage
    booster, the predictive distribution or bets."""
    import dataclasses

    points = walk_forward(league, dataclasses.replace(result.config, point_only=True), progress=False)
    assert np.array_equal(points.predictions["pred_PRA"], result.predictions["pred_PRA"])
    assert points.metrics["pra_mae"] == result.metrics["pra_mae"]
    assert points.metrics["min_mae"] == result.metrics["min_mae"]
    assert not {"single_pra_mae", "coverage_80", "brier", "bets"} & set(points.metrics)
    assert "pred_PRA_q10" not in points.predictions and points.predictions["pred_PRA_single"].isna().all()
    assert "point predictions only" in points.summary() and "single-stage" not in points.summary()


def _fits_by_thread(monkeypatch) -> list[tuple[str, int]]:
    """(thread name, booster threads) of every two-stage fit from now on (a spy: the fit runs)."""
    import threading

    from mlflow_nbaprops.model import two_stage

    fits: list[tuple[str, int]] = []
    fit = two_stage.TwoStageRegressor.fit

    def spied(self, *args, **kwargs):
        fits.append((threading.current_thread().name, self.n_jobs))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(two_stage.TwoStageRegressor, "fit", spied)
    return fits


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_refits_side_by_side_give_the_one_core_numbers_bit_for_bit(league, monkeypatch, backend):
    """Two cores: the refits run two at a time, one booster thread each. One core: in turn. The
    predictions, the single-stage forecasts and the distribution are the same to the bit."""
    pytest.importorskip(backend)
    config = BacktestConfig(test_season="2022-23", refit_every=10, minutes_params=FAST, pra_params=FAST,
                            backend=backend)
    monkeypatch.setenv("NBAPROPS_MAX_THREADS", "2")
    fits = _fits_by_thread(monkeypatch)
    both = walk_forward(league, config, progress=False)
    assert len(both.folds) >= 3
    assert {threads for _, threads in fits} == {1} and all(name.startswith("nbaprops-refit") for name, _ in fits)
    assert len({name for name, _ in fits}) == 2
    fits.clear()
    alone = walk_forward(league, dataclasses_replace(config, n_jobs=1), progress=False)
    assert {name for name, _ in fits} == {"MainThread"}
    pd.testing.assert_frame_equal(alone.predictions, both.predictions, check_exact=True)
    assert alone.metrics == both.metrics
    pd.testing.assert_frame_equal(alone.folds, both.folds, check_exact=True)


def test_a_pruned_backtest_cancels_the_refits_not_started(league, monkeypatch):
    """A tuner pruning a trial (``on_fold`` raises after the first refit): the refits still queued
    are never fitted, and no refit thread outlives the backtest."""
    import threading

    class Pruned(Exception):
        pass

    def prune(fold, n_folds, mae):
        raise Pruned

    monkeypatch.setenv("NBAPROPS_MAX_THREADS", "2")
    fits = _fits_by_thread(monkeypatch)
    config = BacktestConfig(test_season="2022-23", refit_every=3, minutes_params=FAST, pra_params=FAST)
    with pytest.raises(Pruned):
        walk_forward(league, config, progress=False, on_fold=prune)
    assert not [t for t in threading.enumerate() if t.name.startswith("nbaprops-refit")]
    fitted = len(fits)
    refits = len(walk_forward(league, dataclasses_replace(config, point_only=True), progress=False).folds)
    assert refits >= 8
    assert 1 <= fitted <= refits // 2  # the refits still queued at the prune never ran


def _held_pool(monkeypatch, n_jobs: int = 9):
    """A refit pool of ``n_jobs`` jobs on two workers whose refits after the first wait for
    ``release`` (each says it started on ``running``), and what it started."""
    import threading

    from mlflow_nbaprops.evaluation.backtest import _Refit, _RefitPool
    from mlflow_nbaprops.model.backends import get_backend

    monkeypatch.setenv("NBAPROPS_MAX_THREADS", "2")
    started, release, running = [], threading.Event(), threading.Semaphore(0)

    def refit(job, threads):
        started.append((job.fold, threads))
        if job.fold:
            running.release()
            release.wait(30)
        return job.fold

    rows = np.zeros(3, dtype=bool)
    jobs = [_Refit(k, pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-08"), rows, rows) for k in range(n_jobs)]
    return _RefitPool(refit, jobs, 2, get_backend("lightgbm")), started, release, running


def _lightgbm_cap() -> int:
    import ctypes

    from mlflow_nbaprops.model.backends import _lightgbm_lib

    cap = ctypes.c_int(0)
    assert _lightgbm_lib().LGBM_GetMaxThreads(ctypes.byref(cap)) == 0
    return cap.value


def test_closing_the_refits_cancels_those_not_started_and_waits_for_the_running_ones(monkeypatch):
    """What a prune does to the refit pool, exactly: with refit 0 done, refits 1 and 2 running
    (held until after the close began), the other six never start and the running two end."""
    import threading

    pool, started, release, running = _held_pool(monkeypatch)
    before = _lightgbm_cap()
    results = iter(pool)
    assert next(results) == 0
    assert running.acquire(timeout=30) and running.acquire(timeout=30)  # refits 1 and 2 are running
    assert _lightgbm_cap() == 1
    threading.Timer(1.0, release.set).start()  # they end only after the close has begun
    pool.close()
    assert sorted(started) == [(0, 1), (1, 1), (2, 1)]
    assert not [t for t in threading.enumerate() if t.name.startswith("nbaprops-refit")]
    assert _lightgbm_cap() == before


def test_ctrl_c_is_not_held_up_by_the_refits_under_way(monkeypatch):
    """After Ctrl-C the pool returns at once, the refits under way end in the background (daemon
    threads: they do not keep the process alive), nothing more starts, and LightGBM's thread
    setting is lifted when the last of them ends."""
    import threading
    import time

    pool, started, release, running = _held_pool(monkeypatch)
    before = _lightgbm_cap()
    results = iter(pool)
    assert next(results) == 0
    assert running.acquire(timeout=30) and running.acquire(timeout=30)
    workers = [t for t in threading.enumerate() if t.name.startswith("nbaprops-refit")]
    assert len(workers) == 2 and all(t.daemon for t in workers)
    began = time.monotonic()
    pool.close(wait=False)
    assert time.monotonic() - began < 0.5 and all(t.is_alive() for t in workers)
    release.set()
    for thread in workers:
        thread.join(30)
    assert sorted(started) == [(0, 1), (1, 1), (2, 1)]
    assert _lightgbm_cap() == before


def test_a_backtest_interrupted_mid_refit_returns_at_once(league, monkeypatch):
    """Ctrl-C in a backtest whose refits run side by side (here raised where a tuner's report
    runs): walk_forward re-raises it without waiting for the refit in progress."""
    import threading
    import time

    from mlflow_nbaprops.model import two_stage

    config = BacktestConfig(test_season="2022-23", refit_every=7, minutes_params=FAST, pra_params=FAST)
    first = walk_forward(league, dataclasses_replace(config, n_jobs=1, point_only=True), progress=False)
    first_rows = int(first.folds["n_train"].iloc[0])
    fit = two_stage.TwoStageRegressor.fit
    calls = []

    def slow_after_the_first(self, X, *args, **kwargs):
        calls.append(1)
        if len(X) != first_rows:
            time.sleep(5)  # every refit after the first: long, under way when the interrupt comes
        return fit(self, X, *args, **kwargs)

    interrupted_at = []

    def interrupt(fold, n_folds, mae):
        interrupted_at.append(time.monotonic())
        raise KeyboardInterrupt

    monkeypatch.setenv("NBAPROPS_MAX_THREADS", "2")
    monkeypatch.setattr(two_stage.TwoStageRegressor, "fit", slow_after_the_first)
    before = _lightgbm_cap()
    with pytest.raises(KeyboardInterrupt):
        walk_forward(league, config, progress=False, on_fold=interrupt)
    assert time.monotonic() - interrupted_at[0] < 2.0  # not the five seconds of the refit under way
    workers = [t for t in threading.enumerate() if t.name.startswith("nbaprops-refit")]
    assert workers  # the refit under way ends in the background
    for thread in workers:
        thread.join(60)
    # refit 0, the one beside it, and the one refit 0's worker took next: nothing after the interrupt
    assert _lightgbm_cap() == before and len(calls) <= 3


def test_lightgbm_side_by_side_runs_every_call_on_one_thread_and_restores_the_setting_after():
    """LightGBM's thread count is process-wide: while refits run side by side it is capped at one
    (otherwise a predict resetting it to every core overruns a concurrent fit's buffers: a
    segfault), and the cap is lifted after, an error included."""
    from mlflow_nbaprops.model.backends import get_backend

    before = _lightgbm_cap()
    with get_backend("lightgbm").one_thread_each():
        assert _lightgbm_cap() == 1
    assert _lightgbm_cap() == before
    with pytest.raises(KeyError), get_backend("lightgbm").one_thread_each():
        raise KeyError("a refit failed")
    assert _lightgbm_cap() == before


def test_data_without_lines_uses_a_labelled_proxy(league):
    no_lines = league.drop(columns=["LINE_PRA", "ODDS_OVER", "ODDS_UNDER", "CLOSE_LINE_PRA"])
    config = BacktestConfig(test_season="2022-23", refit_every=60, minutes_params=FAST, pra_params=FAST)
    res = walk_forward(no_lines, config, progress=False)
    preds = res.predictions
    assert res.line_source == "proxy"
    assert (preds["line_source"][preds["line"].notna()] == "proxy").all()
    assert np.allclose(preds["line"].dropna(), np.floor(preds["baseline_L10_PRA"].dropna()) + 0.5)
    assert "PROXY lines" in res.summary()


def test_unknown_test_season_is_clear(league):
    with pytest.raises(ValueError, match="test season '1999-00' is not in the data"):
        walk_forward(league, BacktestConfig(test_season="1999-00"), progress=False)


def test_a_season_without_earlier_data_predicts_once_a_refit_has_enough_history(league):
    season = league[league["SEASON"] == "2021-22"].sort_values("GAME_DATE")
    eligible = season[(season["MIN"] > 0) & (season.groupby("PLAYER_ID").cumcount() >= 1)]
    res = walk_forward(league, BacktestConfig(test_season="2021-22", refit_every=7, minutes_params=FAST,
                                              pra_params=FAST), progress=False)
    skipped = int(res.metrics["n_unpredicted"])
    assert skipped > 0 and len(res.predictions) > 0
    assert len(res.predictions) + skipped == len(eligible)  # nothing dropped without being counted
    first = res.predictions["GAME_DATE"].min()
    assert (eligible["GAME_DATE"] < first).sum() == skipped  # only the earliest days are left out
    assert f"{skipped:,} eligible player-games not predicted" in res.summary()

    tiny = canonicalize_frame(synthesize_league(1, seed=9, n_teams=6, games_per_team=7))
    with pytest.raises(ValueError, match="no refit had 1,000 earlier player-games to train on .* add the seasons"):
        walk_forward(tiny, BacktestConfig(test_season=tiny["SEASON"].iloc[0], minutes_params=FAST, pra_params=FAST),
                     progress=False)


def test_betting_arithmetic():
    assert american_to_implied([-110, 150]) == pytest.approx([110 / 210, 100 / 250])
    assert american_to_profit([-110, 150]) == pytest.approx([100 / 110, 1.5])
    frame = pd.DataFrame({
        "GAME_DATE": pd.to_datetime(["2024-01-01"] * 3), "PRA": [20, 10, 15],
        "line": [15.5, 15.5, 15.5], "odds_over": [-110.0] * 3, "odds_under": [-110.0] * 3,
        "close_line": [16.5, 14.5, 15.5], "p_over": [0.7, 0.3, 0.5], "p_under": [0.3, 0.7, 0.5],
    })
    metrics, bets = betting_simulation(frame, min_edge=0.03)
    assert list(bets["side"]) == ["over", "under"]  # the 0.5 row has no edge at -110
    assert metrics["win_rate"] == 1.0 and metrics["roi"] == pytest.approx(100 / 110)
    assert metrics["clv"] == pytest.approx(1.0)


def test_cli_backtest_writes_predictions_and_prints_baselines(league, tmp_path):
    data = tmp_path / "league.parquet"
    write_gamelogs(league, data)
    out = tmp_path / "preds.csv"
    result = CliRunner().invoke(main, ["backtest", "--data", str(data), "--test-season", "2022-23",
                                       "--output", str(out), "--refit-every", "60", "--quiet",
                                       "--minutes-params", '{"n_estimators": 60}', "--pra-params", '{"num_leaves": 15}'])
    assert result.exit_code == 0, result.output
    preds = pd.read_csv(out, dtype={"GAME_ID": str})
    assert set(PREDICTION_COLUMNS) <= set(preds.columns) and len(preds) > 100
    assert "previous-10 mean (baseline)" in result.output and "single-stage" in result.output
    bad = CliRunner().invoke(main, ["backtest", "--data", str(data), "--test-season", "1990-91", "-o", str(out)])
    assert bad.exit_code == 1 and "not in the data" in bad.output
    unknown = CliRunner().invoke(main, ["backtest", "--data", str(data), "--test-season", "2022-23",
                                        "-o", str(out), "--feature-set", "nope"])
    assert unknown.exit_code == 2 and "unknown feature set" in unknown.output
    # a misspelt hyperparameter is refused before any data is read (the path does not exist)
    typo = CliRunner().invoke(main, ["backtest", "--data", str(tmp_path / "absent.csv"), "--test-season", "2022-23",
                                     "-o", str(out), "--pra-params", '{"n_estimatorz": 50}'])
    assert typo.exit_code == 2, typo.output
    assert "--pra-params" in typo.output and "'n_estimatorz'" in typo.output and "'n_estimators'" in typo.output


def test_availability_scenarios_train_on_their_feature_sets_and_report_it(league, result):
    """observed (the default) trains full v4.1 with tonight's absences from the logs; none the
    box scores only (v2.0); both report the scenario and the teammate-out segments."""
    from mlflow_nbaprops.cli import backtest, train
    from mlflow_nbaprops.features import AVAILABILITY_SCENARIOS

    assert result.config.availability == "observed" and result.config.features.version == "v4.1"
    none = walk_forward(league, BacktestConfig(test_season="2022-23", refit_every=21, minutes_params=FAST,
                                               pra_params=FAST, availability="none"), progress=False)
    assert none.config.features.version == "v2.0" and "availability none" in none.summary()
    assert "team_out_n" not in none.model.feature_names_in_ and "team_out_n" in result.model.feature_names_in_
    pd.testing.assert_frame_equal(none.predictions[["GAME_ID", "PLAYER_ID", "PRA"]],
                                  result.predictions[["GAME_ID", "PLAYER_ID", "PRA"]])  # the same rows
    for r in (none, result):
        assert {"a rotation teammate out", "full strength"} == set(r.segments.loc[r.segments["segment"] == "teammates",
                                                                                "value"])
        assert "with a rotation teammate out" in r.summary()
    for command in (backtest, train):  # the CLI offers exactly the registry's scenarios (and auto)
        option = next(p for p in command.params if p.name == "availability")
        assert tuple(option.type.choices) == ("auto", *AVAILABILITY_SCENARIOS)
    with pytest.raises(ValueError, match="availability must be one of observed, none, inactive, lineups"):
        BacktestConfig(test_season="2022-23", availability="rumours").features


@pytest.mark.slow
@requires_real_data
def test_a_season_after_the_shared_ones_walks_forward_from_its_own_nba_api_file(tmp_path):
    """The model is judged with ``nbaprops backtest --availability observed`` on a later real
    season that is not in shared/: its leaguegamefinder file, put beside the others, must load,
    validate and walk forward. 2023-24 relabelled a year later (season id, dates, game ids)
    stands in for it; its numbers are no measurement (it repeats its training season)."""
    source = REAL_DATA / "leaguegamefinder_players_2023-24.csv.gz"
    raw = pd.read_csv(source, dtype={"GAME_ID": str, "SEASON_ID": str})
    (tmp_path / source.name).symlink_to(source)
    later = raw.assign(SEASON_ID="22024", SEASON_LABEL="2024-25", GAME_ID="00224" + raw["GAME_ID"].str[5:],
                       GAME_DATE=(pd.to_datetime(raw["GAME_DATE"]) + pd.Timedelta(days=364)).dt.strftime("%Y-%m-%d"))
    later.to_csv(tmp_path / "leaguegamefinder_players_2024-25.csv.gz", index=False)
    out = tmp_path / "predictions.csv"
    result = CliRunner().invoke(main, ["backtest", "--data", str(tmp_path), "--test-season", "2024-25",
                                       "--availability", "observed", "--refit-every", "60", "--output", str(out),
                                       "--quiet", "--minutes-params", '{"n_estimators": 30}',
                                       "--pra-params", '{"n_estimators": 30}'])
    assert result.exit_code == 0, result.output
    assert "season 2024-25" in result.output and "availability observed" in result.output
    preds = pd.read_csv(out, dtype={"GAME_ID": str}, parse_dates=["GAME_DATE"])
    # every predictable player-game of the new season (played, not his first game of it), nothing else
    played = later[later["MIN"] > 0]
    first = later.sort_values("GAME_DATE").groupby("PLAYER_ID")["GAME_ID"].first()
    expected = played[~played["GAME_ID"].eq(played["PLAYER_ID"].map(first))]
    keys = ["PLAYER_ID", "GAME_ID"]
    assert len(preds) == len(expected)
    assert preds[keys].astype(str).agg("|".join, axis=1).sort_values().tolist() == \
        expected[keys].astype(str).agg("|".join, axis=1).sort_values().tolist()
    assert preds["GAME_ID"].str.startswith("00224").all()
    assert preds["GAME_DATE"].min() >= pd.Timestamp("2024-10-22") and preds["GAME_DATE"].max() <= pd.Timestamp("2025-04-13")
    assert preds["pred_PRA"].notna().all() and preds["team_out_n"].notna().all()
