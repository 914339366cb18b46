"""The two-stage estimator: scikit-learn contract, out-of-fold minutes, calibrated distribution."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mlflow_nbaprops.data import canonicalize_frame, write_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.features import build_features, get_feature_set
from mlflow_nbaprops.model import PRED_MINUTES, TwoStageRegressor

FAST = {"n_estimators": 40, "learning_rate": 0.15}


@pytest.fixture(scope="module")
def data():
    league = canonicalize_frame(synthesize_league(2, seed=5, n_teams=8, games_per_team=30))
    fs = get_feature_set("full")
    feats = build_features(league, fs)
    keep = (feats["games_career"] >= 1).to_numpy()
    X = feats.loc[keep, fs.names].reset_index(drop=True)
    y = pd.DataFrame({"MIN": league["MIN"], "PRA": league["PTS"] + league["REB"] + league["AST"]})[keep]
    dates = league.loc[keep, "GAME_DATE"].to_numpy()
    late = dates >= np.quantile(dates.astype("int64"), 0.8).astype("datetime64[ns]")
    return X, y.reset_index(drop=True), dates, late


def test_estimator_contract():
    model = TwoStageRegressor(backend="xgboost", pra_params={"max_depth": 3}, n_folds=4)
    assert model.get_params()["pra_params"] == {"max_depth": 3}
    assert not [k for k in vars(model) if k.endswith("_")]  # __init__ only stores parameters
    cloned = clone(model)
    assert cloned.get_params() == model.get_params() and cloned is not model
    model.set_params(n_folds=3, backend="lightgbm")
    assert model.n_folds == 3 and model.backend == "lightgbm"
    with pytest.raises(NotFittedError):
        model.predict(pd.DataFrame({"a": [1.0]}))


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_fit_returns_self_and_predicts_with_both_backends(data, backend):
    X, y, dates, late = data
    model = TwoStageRegressor(backend=backend, minutes_params=FAST, pra_params=FAST)
    assert model.fit(X[~late], y[~late], groups=dates[~late]) is model
    learned = [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]
    assert {"minutes_model_", "pra_model_", "feature_names_in_", "residual_quantiles_"} <= set(learned)
    dist = model.predict_distribution(X[late], lines=np.full(late.sum(), 15.5))
    assert list(dist.columns[:5]) == [PRED_MINUTES, "pred_PRA", "pred_PRA_q10", "pred_PRA_q50", "pred_PRA_q90"]
    assert (dist["pred_PRA_q10"] <= dist["pred_PRA_q50"] + 1e-9).all()
    assert (dist["pred_PRA_q50"] <= dist["pred_PRA_q90"] + 1e-9).all()
    assert np.allclose(dist["p_over"] + dist["p_under"], 1.0)
    assert np.allclose(model.predict(X[late]), dist["pred_PRA"])
    mae = np.abs(dist["pred_PRA"] - y["PRA"][late].to_numpy()).mean()
    naive = np.abs(y["PRA"][~late].mean() - y["PRA"][late].to_numpy()).mean()
    assert mae < 0.8 * naive  # it learned something real


def test_an_uncalibrated_fit_gives_the_same_points_without_a_distribution(data, tmp_path):
    """calibrate=False (a tuning trial) skips stage 2's out-of-fold fits: the same point forecasts,
    no quantiles or P(over), and it cannot be saved as a servable model."""
    from mlflow_nbaprops.model.persistence import save_regressor

    X, y, dates, late = data
    full = TwoStageRegressor(minutes_params=FAST, pra_params=FAST).fit(X[~late], y[~late], groups=dates[~late])
    points = TwoStageRegressor(minutes_params=FAST, pra_params=FAST, calibrate=False).fit(
        X[~late], y[~late], groups=dates[~late])
    assert np.array_equal(points.predict(X[late]), full.predict(X[late]))
    assert list(points.predict_distribution(X[late]).columns) == [PRED_MINUTES, "pred_PRA"]
    assert not hasattr(points, "residual_quantiles_") and set(points.oof_mae_) == {"minutes"}
    with pytest.raises(ValueError, match="calibrate=False: it has no P\\(over\\)"):
        points.predict_distribution(X[late], lines=np.full(late.sum(), 15.5))
    target = tmp_path / "model"
    target.mkdir()
    with pytest.raises(ValueError, match="fit it with calibrate=True to save it"):
        save_regressor(points, target)
    assert not list(target.iterdir())  # refused before anything was written


def test_stage2_is_trained_on_out_of_fold_minutes(data):
    X, y, dates, late = data
    model = TwoStageRegressor(minutes_params=FAST, pra_params=FAST).fit(X, y, groups=dates)
    assert PRED_MINUTES in list(model.pra_model_.feature_name_)
    in_sample = np.abs(model.predict_minutes(X) - y["MIN"].to_numpy()).mean()
    # out-of-fold minutes are honest: noticeably worse than the final model's in-sample fit
    assert model.oof_mae_["minutes"] > in_sample * 1.05


def test_p_over_falls_as_the_line_rises_and_is_calibrated(data):
    X, y, dates, late = data
    model = TwoStageRegressor(minutes_params=FAST, pra_params=FAST).fit(X[~late], y[~late], groups=dates[~late])
    Xl = X[late]
    probs = [model.predict_distribution(Xl, lines=np.full(len(Xl), line))["p_over"].to_numpy() for line in (5.5, 15.5, 30.5)]
    assert (probs[0] >= probs[1]).all() and (probs[1] >= probs[2]).all()
    dist = model.predict_distribution(Xl)
    actual = y["PRA"][late].to_numpy()
    coverage = ((actual >= dist["pred_PRA_q10"]) & (actual <= dist["pred_PRA_q90"])).mean()
    assert 0.72 < coverage < 0.88
    lines = np.floor(dist["pred_PRA"].to_numpy()) + 0.5
    p_over = model.predict_distribution(Xl, lines=lines)["p_over"].to_numpy()
    assert abs(p_over.mean() - (actual > lines).mean()) < 0.06


def test_rate_target_predicts_minutes_times_rate(data):
    X, y, dates, late = data
    model = TwoStageRegressor(stage2_target="rate", minutes_params=FAST, pra_params=FAST)
    model.fit(X[~late], y[~late], groups=dates[~late])
    Xl = X[late]
    pred_min = model.predict_minutes(Xl)
    rate = model.pra_model_.predict(Xl.assign(**{PRED_MINUTES: pred_min}))
    assert np.allclose(model.predict(Xl), np.clip(rate * pred_min, 0, None))


def test_stage2_can_train_on_a_recent_window_while_stage1_keeps_all_history(data):
    X, y, dates, late = data
    days = 40
    model = TwoStageRegressor(minutes_params=FAST, pra_params=FAST, stage2_recent_days=days)
    model.fit(X, y, groups=dates)
    recent = dates >= dates.max() - np.timedelta64(days, "D")
    assert model.n_train_rows_ == {"minutes": len(X), "pra": int(recent.sum())}
    assert 0 < recent.sum() < len(X)
    assert model.predict(X[late]).shape == (late.sum(),)


def test_bad_arguments_are_clear(data):
    X, y, dates, late = data
    with pytest.raises(ValueError, match="backend must be one of"):
        TwoStageRegressor(backend="catboost").fit(X, y)
    with pytest.raises(ValueError, match="stage2_target"):
        TwoStageRegressor(stage2_target="log").fit(X, y)
    with pytest.raises(ValueError, match="y needs columns MIN and PRA"):
        TwoStageRegressor().fit(X, y[["MIN"]])
    with pytest.raises(TypeError, match="DataFrame"):
        TwoStageRegressor().fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match=r"stage 1 \(minutes\) parameter 'n_estimatorz' .*did you mean 'n_estimators'"):
        TwoStageRegressor(minutes_params={"n_estimatorz": 5}).fit(X, y)
    with pytest.raises(ValueError, match=r"stage 2 \(PRA\) parameter 'num_leaves' is not a parameter of xgboost"):
        TwoStageRegressor(backend="xgboost", pra_params={"num_leaves": 7}).fit(X, y)
    with pytest.raises(ValueError, match=r"stage 2 \(PRA\) parameter 'random_state' is set by the estimator"):
        TwoStageRegressor(pra_params={"random_state": 1}).fit(X, y)
    with pytest.raises(ValueError, match=r"stage 1 \(minutes\) parameter 'seed' is set by the estimator"):
        TwoStageRegressor(minutes_params={"seed": 3}).fit(X, y)  # an alias of random_state
    with pytest.raises(ValueError, match=r"stage 1 \(minutes\): the lightgbm booster failed \(parameters: .*'learning_rate': 'fast'"):
        TwoStageRegressor(minutes_params={"learning_rate": "fast"}).fit(X, y)
    model = TwoStageRegressor(minutes_params=FAST, pra_params=FAST).fit(X[~late], y[~late])
    with pytest.raises(ValueError, match="missing feature column.*pra_l10"):
        model.predict(X.drop(columns=["pra_l10"]))


def _lightgbm_used(model) -> tuple[int, float]:
    return model.booster_.num_trees(), float(model.booster_.params["min_data_in_leaf"])


def _xgboost_used(model) -> tuple[int, float]:
    config = json.loads(model.get_booster().save_config())
    return model.get_booster().num_boosted_rounds(), float(config["learner"]["gradient_booster"]["tree_train_param"]["eta"])


@pytest.mark.parametrize("backend, params, used, expected", [
    # LightGBM aliases (num_iterations = n_estimators, min_data_in_leaf = min_child_samples)
    ("lightgbm", {"num_iterations": 7, "lambda_l2": 1.0, "min_data_in_leaf": 30}, _lightgbm_used, (7, 30.0)),
    # XGBoost's native names (eta = learning_rate, lambda = reg_lambda)
    ("xgboost", {"n_estimators": 7, "eta": 0.25, "lambda": 1.0}, _xgboost_used, (7, 0.25)),
])
def test_native_parameter_names_and_aliases_are_accepted_and_used(data, backend, params, used, expected):
    X, y, dates, late = data
    model = TwoStageRegressor(backend=backend, minutes_params=params, pra_params=params).fit(X, y, groups=dates)
    for stage in (model.minutes_model_, model.pra_model_):
        trees, value = used(stage)
        assert trees == expected[0] and value == pytest.approx(expected[1])


def test_seed_averaged_stages_predict_the_mean_of_their_boosters_and_steady_forecasts(data):
    """n_seeds=3: each stage is three boosters with their own seeds, and predicts their mean;
    member 0 is the single-seed booster. Two averaged models with different seeds disagree
    less, forecast by forecast, than two single-seed models do."""
    from mlflow_nbaprops.model.two_stage import SeedAverage, stage_predict

    X, y, dates, late = data
    fit = lambda seed, n: TwoStageRegressor(minutes_params=FAST, pra_params=FAST, random_state=seed,  # noqa: E731
                                            n_seeds=n).fit(X[~late], y[~late], groups=dates[~late])
    single, averaged = fit(0, 1), fit(0, 3)
    assert isinstance(averaged.minutes_model_, SeedAverage) and len(averaged.pra_model_.members) == 3
    members = np.vstack([stage_predict(m, X[late]) for m in averaged.minutes_model_.members])
    np.testing.assert_allclose(averaged.predict_minutes(X[late]), np.clip(members.mean(axis=0), 0, None))
    np.testing.assert_array_equal(members[0], stage_predict(single.minutes_model_, X[late]))
    assert set(averaged.stage_importances()) == {"minutes", "pra"}

    spread_single = np.median(np.abs(single.predict(X[late]) - fit(10, 1).predict(X[late])))
    spread_averaged = np.median(np.abs(averaged.predict(X[late]) - fit(10, 3).predict(X[late])))
    assert spread_averaged < 0.85 * spread_single
    with pytest.raises(ValueError, match="n_seeds must be a whole number >= 1, not 0"):
        TwoStageRegressor(n_seeds=0).fit(X, y)


def _without_xgboost(*args: str) -> "subprocess.CompletedProcess":
    """``nbaprops ARGS`` in a process where ``import xgboost`` fails (a base install: XGBoost is an extra)."""
    import subprocess
    import sys

    code = "import sys\nsys.modules['xgboost'] = None\nfrom mlflow_nbaprops.cli import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_base_install_trains_lightgbm_and_says_how_to_get_xgboost(tmp_path):
    refused = _without_xgboost("backtest", "--data", "x", "--test-season", "2022-23", "--output",
                               str(tmp_path / "o.csv"), "--backend", "xgboost", "--minutes-params",
                               '{"n_estimators": 5}')
    assert refused.returncode == 1 and "pip install 'mlflow-nbaprops[xgboost]'" in refused.stderr, refused.stderr
    assert "xgboost-cpu" in refused.stderr and "Traceback" not in refused.stderr
    league = tmp_path / "league.parquet"
    write_gamelogs(synthesize_league(2, seed=2, n_teams=6, games_per_team=20), league)
    done = _without_xgboost("backtest", "--data", str(league), "--test-season", "2022-23", "--output",
                            str(tmp_path / "p.csv"), "--refit-every", "28", "--quiet", "--minutes-params",
                            '{"n_estimators": 10}', "--pra-params", '{"n_estimators": 10}')
    assert done.returncode == 0, done.stderr[-2000:]


def test_given_minutes_scale_the_forecast_in_proportion(data):
    """A projection of 20 minutes gives 20/34 of what 34 give (per-minute production held),
    quantiles scale with it, and rows without one are the model's own forecast."""
    X, y, dates, late = data
    model = TwoStageRegressor(minutes_params=FAST, pra_params=FAST).fit(X[~late], y[~late], groups=dates[~late])
    Xl = X[late].reset_index(drop=True)
    own = model.predict_distribution(Xl)
    starters = (own["pred_MIN"] >= 1).to_numpy()
    short = model.predict_distribution(Xl, minutes=np.full(len(Xl), 20.0))
    long = model.predict_distribution(Xl, minutes=np.full(len(Xl), 34.0))
    np.testing.assert_allclose(short["pred_PRA"][starters], long["pred_PRA"][starters] * 20 / 34)
    np.testing.assert_allclose(short["pred_PRA"][starters],
                               own["pred_PRA"][starters] * 20 / own["pred_MIN"][starters])
    assert (short["pred_MIN"] == 20.0).all()
    grid = short[["pred_PRA_q10", "pred_PRA_q50", "pred_PRA_q90"]].to_numpy()
    assert (np.diff(grid, axis=1) >= 0).all() and (long["pred_PRA_q90"] - long["pred_PRA_q10"]).mean() > (
        short["pred_PRA_q90"] - short["pred_PRA_q10"]).mean()
    mixed = model.predict_distribution(Xl, minutes=np.where(np.arange(len(Xl)) % 2 == 0, np.nan, 20.0))
    pd.testing.assert_frame_equal(mixed.iloc[::2], own.iloc[::2])


def test_score_is_r2_of_the_pra_prediction_whichever_y_it_is_given(data):
    from sklearn.metrics import r2_score

    X, y, dates, late = data
    model = TwoStageRegressor(minutes_params=FAST, pra_params=FAST).fit(X[~late], y[~late], groups=dates[~late])
    expected = r2_score(y["PRA"][late], model.predict(X[late]))
    assert model.score(X[late], y[late]) == pytest.approx(expected)  # the frame fit takes
    assert model.score(X[late], y[late].to_numpy()) == pytest.approx(expected)  # (n, 2): minutes, PRA
    assert model.score(X[late], y["PRA"][late]) == pytest.approx(expected)  # PRA alone
    assert 0.2 < expected < 0.9


@pytest.mark.parametrize("quantiles,message", [
    ((), "at least one level"), ((0.1, 1.0), "1.0 must be a number strictly between 0 and 1"),
    ((0.5, 0.5), "repeat a level"), ("0.5", "sequence of levels"), ((0.1, True), "True must be a number"),
])
def test_quantiles_are_checked_when_fitting(data, quantiles, message):
    X, y, dates, late = data
    with pytest.raises(ValueError, match=message):
        TwoStageRegressor(quantiles=quantiles).fit(X[:50], y[:50])


def test_quantile_columns_are_named_in_one_place():
    from mlflow_nbaprops.model.quantiles import central_interval, quantile_column, quantiles_in

    assert [quantile_column(q) for q in (0.05, 0.1, 0.5, 0.9, 0.975)] == [
        "pred_PRA_q05", "pred_PRA_q10", "pred_PRA_q50", "pred_PRA_q90", "pred_PRA_q97.5"]
    columns = ["pred_PRA", "pred_PRA_q05", "pred_PRA_q50", "pred_PRA_q97.5", "p_over"]
    assert quantiles_in(columns) == {0.05: "pred_PRA_q05", 0.5: "pred_PRA_q50", 0.975: "pred_PRA_q97.5"}
    assert central_interval(columns) == ("pred_PRA_q05", "pred_PRA_q97.5", 92)
    assert central_interval(["pred_PRA_q50"]) is None


def test_parameter_names_come_from_the_libraries_public_interfaces():
    """LightGBM's aliases from its documented C API, XGBoost's names from an untrained booster's
    configuration: no private module, no throwaway model (issue 16)."""
    from mlflow_nbaprops.model.backends import get_backend

    lightgbm, xgboost = get_backend("lightgbm"), get_backend("xgboost")
    assert lightgbm.canonical("eta") == "learning_rate" and lightgbm.canonical("num_iterations") == "num_iterations"
    assert {"n_estimators", "num_leaves", "min_data_in_leaf", "bagging_fraction"} <= lightgbm.known_params()
    assert {"n_estimators", "eta", "max_depth", "min_child_weight", "tree_method"} <= xgboost.known_params()
    assert "n_estimatorz" not in lightgbm.known_params() | xgboost.known_params()


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_max_threads_caps_the_boosters_threads_and_a_bad_value_is_named(data, backend, monkeypatch):
    """Two jobs on two cores set NBAPROPS_MAX_THREADS=1: each stage's booster then runs one thread."""
    X, y, dates, late = data
    monkeypatch.setenv("NBAPROPS_MAX_THREADS", "1")
    model = TwoStageRegressor(backend=backend, minutes_params=FAST, pra_params=FAST, n_jobs=2).fit(X, y, groups=dates)
    assert model.n_jobs == 2  # the estimator's parameter is the user's; the cap is the machine's
    for stage in (model.minutes_model_, model.pra_model_):
        assert stage.get_params()["n_jobs"] == 1
    monkeypatch.setenv("NBAPROPS_MAX_THREADS", "two")
    with pytest.raises(ValueError, match="NBAPROPS_MAX_THREADS='two'"):
        TwoStageRegressor(backend=backend, minutes_params=FAST, pra_params=FAST).fit(X, y, groups=dates)
