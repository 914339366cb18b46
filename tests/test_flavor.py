"""The nbaprops flavor in-process: round trips, file formats, checksums, pickle gate, signature,
slate and feature modes. (The real ``mlflow models serve`` process is in test_serving.py.)"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from sklearn.ensemble import HistGradientBoostingRegressor

import mlflow_nbaprops.flavor as nbaprops_flavor
from mlflow_nbaprops.errors import DataValidationError, ModelIntegrityError
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.features import build_features, get_feature_set
from mlflow_nbaprops.features.snapshot import HistorySnapshot
from mlflow_nbaprops.model import TwoStageRegressor
from mlflow_nbaprops.model.predictor import OUTPUT_COLUMNS, PropsPredictor

FAST = {"n_estimators": 30, "learning_rate": 0.2}


def _regressor(backend) -> TwoStageRegressor:
    params = None if not isinstance(backend, str) else FAST
    return TwoStageRegressor(backend=backend, minutes_params=params, pra_params=params)


@pytest.fixture(scope="module")
def split(small_league):
    """History up to the last five game days, and those days as a slate with lines."""
    cut = np.sort(small_league["GAME_DATE"].unique())[-5]
    history = small_league[small_league["GAME_DATE"] < cut].reset_index(drop=True)
    future = small_league[small_league["GAME_DATE"] >= cut].reset_index(drop=True)
    slate = future[["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]].assign(LINE=future["LINE_PRA"])
    return history, future, slate


@pytest.fixture(scope="module")
def trained(split):
    history, _, _ = split
    return {b: PropsPredictor.train(history, _regressor(b)) for b in ("lightgbm", "xgboost")}


@pytest.mark.parametrize("backend,ext", [("lightgbm", "txt"), ("xgboost", "ubj")])
def test_round_trip_native_formats_and_identical_predictions(trained, split, tmp_path, backend, ext):
    predictor = trained[backend]
    path = tmp_path / "model"
    nbaprops_flavor.save_model(predictor, path)
    files = sorted(p.name for p in (path / "predictor").iterdir())
    assert files == sorted([f"minutes.{ext}", f"pra.{ext}", "regressor.json", "predictor.json",
                            "history.parquet", "prior_games.parquet", "league.parquet"])
    assert not list(path.rglob("*.pkl"))  # nothing the package trained is pickled
    if backend == "lightgbm":
        assert (path / "predictor" / "pra.txt").read_text().startswith("tree")
    loaded = nbaprops_flavor.load_model(str(path))
    slate = split[2]
    pd.testing.assert_frame_equal(loaded.predict(slate), predictor.predict(slate))
    pyfunc = mlflow.pyfunc.load_model(str(path))
    request = nbaprops_flavor.as_slate_request(slate)
    answer = pyfunc.predict(request)
    assert answer["p_over"].isna().any()  # rows without a line: None, i.e. null in JSON
    nullable = {c: float for c in ("p_over", "p_under", "p_over_model", "ev_over", "ev_under")}
    pd.testing.assert_frame_equal(answer.astype(nullable), predictor.predict(slate))
    # loaded for serving, it builds the night after its history ahead of the first request
    served = mlflow.pyfunc.load_model(str(path)).get_raw_model().snapshot
    key = (served.next_night(), predictor.feature_set.hash)
    deadline = time.monotonic() + 60
    while key not in served._nights and time.monotonic() < deadline:
        time.sleep(0.05)
    assert key in served._nights


def test_a_seed_averaged_model_saves_every_booster_natively_and_checks_each(split, tmp_path):
    history, _, slate = split
    predictor = PropsPredictor.train(history, TwoStageRegressor(minutes_params={"n_estimators": 20},
                                                                pra_params={"n_estimators": 20}, n_seeds=2))
    path = tmp_path / "model"
    nbaprops_flavor.save_model(predictor, path)
    boosters = sorted(p.name for p in (path / "predictor").glob("*.txt"))
    assert boosters == ["minutes.1.txt", "minutes.txt", "pra.1.txt", "pra.txt"]
    conf = mlflow.models.Model.load(str(path)).flavors["nbaprops"]
    assert set(boosters) <= set(conf["sha256"])
    pd.testing.assert_frame_equal(nbaprops_flavor.load_model(str(path)).predict(slate), predictor.predict(slate))
    (path / "predictor" / "pra.1.txt").write_text("tree\n")  # a member tampered with: refused
    with pytest.raises(ModelIntegrityError, match="pra.1.txt"):
        nbaprops_flavor.load_model(str(path))


def test_mlmodel_records_lineage_and_checksums(trained, tmp_path):
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["xgboost"], path)
    conf = mlflow.models.Model.load(str(path)).flavors["nbaprops"]
    fs = trained["xgboost"].feature_set
    assert conf["feature_set"] == {"name": fs.name, "version": fs.version, "hash": fs.hash, "n_features": len(fs.features)}
    assert conf["backends"] == {"minutes": "xgboost", "pra": "xgboost"}
    assert len(conf["data_version"]) == 32 and conf["train_start"] < conf["train_end"]
    assert set(conf["sha256"]) == {p.name for p in (path / "predictor").iterdir()}
    reqs = (path / "requirements.txt").read_text().split()
    assert "mlflow-nbaprops==0.1.0" in reqs
    assert any(r.startswith("xgboost==") for r in reqs) and not any(r.startswith("lightgbm") for r in reqs)


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_tampered_files_are_refused(trained, tmp_path, damage):
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["lightgbm"], path)
    target = path / "predictor" / "pra.txt"
    if damage == "flip":
        text = target.read_text()
        target.write_text(text.replace("leaf_value=", "leaf_value=9", 1))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    else:
        target.unlink()
    with pytest.raises(ModelIntegrityError, match="pra.txt"):
        nbaprops_flavor.load_model(str(path))
    with pytest.raises(ModelIntegrityError):
        mlflow.pyfunc.load_model(str(path))


@pytest.mark.parametrize("name", ["requirements.txt", "python_env.yaml", "conda.yaml"])
def test_the_environment_files_are_checksummed_too(trained, tmp_path, name):
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["lightgbm"], path)
    (path / name).write_text((path / name).read_text() + "\nevil-package==6.6.6\n")
    with pytest.raises(ModelIntegrityError, match=f"{name} failed its SHA-256 check"):
        nbaprops_flavor.load_model(str(path))


def test_a_malformed_checksum_entry_is_an_integrity_error(trained, tmp_path):
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["lightgbm"], path)
    mlmodel = mlflow.models.Model.load(str(path))
    mlmodel.flavors["nbaprops"]["sha256"] = ["pra.txt", "0" * 64]
    mlmodel.save(str(path / "MLmodel"))
    with pytest.raises(ModelIntegrityError, match="sha256 entry is malformed"):
        nbaprops_flavor.load_model(str(path))


BROKEN_BOOSTERS = [("lightgbm", "num_leaves"), ("lightgbm", "left_child"), ("lightgbm", "split_feature"),
                   ("lightgbm", "shifted"), ("xgboost", "zeroed"), ("xgboost", "truncated")]


def _break_booster(predictor, path: Path, backend: str, edit: str) -> str:
    """Save ``predictor`` to ``path`` with its stage-2 booster file edited by ``edit`` and the
    checksum updated to match; returns the file's name."""
    import hashlib
    import re

    nbaprops_flavor.save_model(predictor, path)
    name = "pra.txt" if backend == "lightgbm" else "pra.ubj"
    target = path / "predictor" / name
    if backend == "lightgbm":
        text = target.read_text()
        text = {"num_leaves": lambda t: re.sub(r"num_leaves=(\d+)", lambda m: f"num_leaves={int(m[1]) + 9}", t,
                                               count=1),
                "left_child": lambda t: re.sub(r"left_child=-?\d+", "left_child=9999", t, count=1),
                "split_feature": lambda t: re.sub(r"split_feature=\d+", "split_feature=999", t, count=1),
                "shifted": lambda t: t.replace("Tree=1\n", "Tree=1\n\n", 1)}[edit](text)
        target.write_text(text)
    else:
        data = target.read_bytes()
        middle = len(data) // 2
        # zeroed: 64 bytes over the middle tree's child links (zeros in a run of floats would
        # still be a valid model, just another one); truncated: the file cut in half
        at = data.find(b"left_children", middle) - 2
        assert at > 0
        target.write_bytes(data[:at] + b"\x00" * 64 + data[at + 64:] if edit == "zeroed" else data[:middle])
    mlmodel = mlflow.models.Model.load(str(path))
    mlmodel.flavors["nbaprops"]["sha256"][name] = hashlib.sha256(target.read_bytes()).hexdigest()
    mlmodel.save(str(path / "MLmodel"))
    return name


@pytest.fixture(scope="module")
def broken_loads(trained, tmp_path_factory) -> tuple[dict[tuple[str, str], tuple[str, str]], str]:
    """One fresh process loads every broken model in turn and prints what each load said (one
    process for all: a load that killed it leaves the ones after it without an answer). By case:
    (the broken file's name, what the load said); and how the process ended."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("broken")
    paths = {case: root / "-".join(case) for case in BROKEN_BOOSTERS}
    names = {(backend, edit): _break_booster(trained[backend], path, backend, edit)
             for (backend, edit), path in paths.items()}
    code = ("import sys\nimport mlflow_nbaprops.flavor as f\n"
            "from mlflow_nbaprops.errors import ModelIntegrityError\n"
            "for path in sys.argv[1:]:\n"
            "    try:\n        f.load_model(path)\n        print(path, 'loaded', flush=True)\n"
            "    except ModelIntegrityError as e:\n        print(path, 'refused:', e, flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code, *map(str, paths.values())], capture_output=True, text=True,
                          timeout=300)
    said = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in done.stdout.splitlines() if " " in line}
    return {case: (names[case], said.get(str(path), "")) for case, path in paths.items()}, (
        f"exit {done.returncode}: {done.stderr[-500:]}")


@pytest.mark.slow
@pytest.mark.parametrize("backend,edit", BROKEN_BOOSTERS)
def test_a_broken_booster_with_a_matching_checksum_raises_instead_of_killing_the_process(broken_loads, backend,
                                                                                         edit):
    """LightGBM ends the process (std::terminate) and XGBoost segfaults on some malformed model
    files; a process loading one, its checksum updated to match, must get an exception."""
    loads, process = broken_loads
    name, said = loads[backend, edit]
    library = "LightGBM" if backend == "lightgbm" else "XGBoost"
    assert said.startswith(f"refused: model file {name} is not a valid {library} model"), (said, process)


def test_models_without_checksums_are_refused(trained, tmp_path):
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["lightgbm"], path)
    mlmodel = mlflow.models.Model.load(str(path))
    del mlmodel.flavors["nbaprops"]["sha256"]
    mlmodel.save(str(path / "MLmodel"))
    with pytest.raises(ModelIntegrityError, match="no file checksums"):
        nbaprops_flavor.load_model(str(path))


def test_changed_feature_definitions_are_refused(trained, tmp_path):
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["lightgbm"], path)
    meta_file = path / "predictor" / "predictor.json"
    meta = json.loads(meta_file.read_text())
    meta["feature_set"]["hash"] = "0" * 16
    meta_file.write_text(json.dumps(meta))
    # re-record the checksum so only the definitions check can catch it
    mlmodel = mlflow.models.Model.load(str(path))
    mlmodel.flavors["nbaprops"]["sha256"]["predictor.json"] = nbaprops_flavor._sha256(meta_file)
    mlmodel.save(str(path / "MLmodel"))
    with pytest.raises(ModelIntegrityError, match="definitions hash"):
        nbaprops_flavor.load_model(str(path))


def test_foreign_estimator_is_pickled_and_honours_the_pickle_gate(split, tmp_path, monkeypatch):
    history, _, slate = split
    foreign = HistGradientBoostingRegressor(max_iter=20)  # a user's own regressor (handles NaN)
    predictor = PropsPredictor.train(history, _regressor(foreign), feature_set="core")
    path = tmp_path / "model"
    nbaprops_flavor.save_model(predictor, path)
    assert (path / "predictor" / "minutes.pkl").exists() and not list((path / "predictor").glob("*.txt"))
    reqs = (path / "requirements.txt").read_text().split()
    assert any(r.startswith("cloudpickle==") for r in reqs)
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    with pytest.raises(ModelIntegrityError, match="MLFLOW_ALLOW_PICKLE_DESERIALIZATION"):
        nbaprops_flavor.load_model(str(path))
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    loaded = nbaprops_flavor.load_model(str(path))
    assert isinstance(loaded.regressor.minutes_model_, HistGradientBoostingRegressor)
    pd.testing.assert_frame_equal(loaded.predict(slate), predictor.predict(slate))


def test_log_register_and_load_by_alias(trained, split):
    with mlflow.start_run():
        info = nbaprops_flavor.log_model(trained["lightgbm"], name="model", registered_model_name="NBAPropsModel")
    client = mlflow.MlflowClient()
    client.set_registered_model_alias("NBAPropsModel", "production", info.registered_model_version)
    loaded = nbaprops_flavor.load_model("models:/NBAPropsModel@production")
    pd.testing.assert_frame_equal(loaded.predict(split[2]), trained["lightgbm"].predict(split[2]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        example = Path(mlflow.artifacts.download_artifacts(info.model_uri)) / "serving_input_example.json"
        result = mlflow.models.validate_serving_input(info.model_uri, example.read_text())
    assert list(result.columns) == OUTPUT_COLUMNS and len(result) == 3


def test_slate_outputs_flags_and_lines(trained, split):
    predictor = trained["lightgbm"]
    history, future, slate = split
    out = predictor.predict(slate.assign(STATUS="AVAILABLE"))
    silent = predictor.predict(slate)  # no STATUS: the same numbers, and a warning that says so
    pd.testing.assert_frame_equal(silent.drop(columns="warning"), out.drop(columns="warning"))
    assert silent["warning"].str.contains("no availability news").all()
    slate = slate.assign(STATUS="AVAILABLE")
    assert list(out.columns) == OUTPUT_COLUMNS and out.index.equals(slate.index)
    assert (out["pred_PRA_q10"] <= out["pred_PRA_q50"]).all() and (out["pred_PRA_q50"] <= out["pred_PRA_q90"]).all()
    has_line = slate["LINE"].notna().to_numpy()
    assert has_line.sum() > 100 and (~has_line).any()
    assert np.allclose((out["p_over"] + out["p_under"])[has_line], 1.0) and out["p_over"][~has_line].isna().all()
    assert not out["unknown_player"].any() and (out["warning"] == "").all()
    # a higher line is less likely to go over; no line -> NaN probabilities
    higher = predictor.predict(slate.assign(LINE=slate["LINE"] + 5))
    assert (higher["p_over"][has_line] <= out["p_over"][has_line] + 1e-12).all()
    assert (higher["p_over"] < out["p_over"]).any()
    assert predictor.predict(slate.drop(columns="LINE"))["p_over"].isna().all()
    # a fractional line is used as sent, not truncated
    slate = slate[has_line]
    half = predictor.predict(slate.head(1).assign(LINE=20.7))["p_over"].iloc[0]
    whole = predictor.predict(slate.head(1).assign(LINE=20.0))["p_over"].iloc[0]
    assert half == predictor.predict(slate.head(1).assign(LINE=20.5))["p_over"].iloc[0] and half <= whole


def test_a_player_ruled_out_gets_no_forecast_and_his_teammates_absorb_his_minutes(trained, split):
    """STATUS OUT: an explicit not-playing row, and his teammates' availability features (and
    so their minutes) see him out; the other team's rows see an opponent absence."""
    predictor = trained["lightgbm"]
    slate = split[2]
    day = slate["GAME_DATE"].min()
    game = slate[slate["GAME_DATE"] == day].assign(STATUS="AVAILABLE")
    team = game["TEAM"].iloc[0]
    features = predictor.snapshot.features(game, predictor.feature_set)
    star = features.loc[features["TEAM"].to_numpy() == team, "min_l10"].idxmax()
    ruled = game.copy()
    ruled.iloc[star, ruled.columns.get_loc("STATUS")] = "out"  # any case
    before, after = predictor.predict(game), predictor.predict(ruled)
    row = after.iloc[star]
    assert row[["pred_MIN", "pred_PRA", "pred_PRA_q90"]].tolist() == [0.0, 0.0, 0.0] and np.isnan(row["p_over"])
    assert row["warning"].startswith("not playing")
    mates = (game["TEAM"].to_numpy() == team) & (np.arange(len(game)) != star)
    assert after.loc[mates, "pred_MIN"].sum() > before.loc[mates, "pred_MIN"].sum()
    seen = predictor.snapshot.features(ruled.drop(index=ruled.index[star]), predictor.feature_set,
                                       ruled.iloc[[star]][["PLAYER_ID", "TEAM", "GAME_DATE"]])
    assert (seen.loc[seen["TEAM"].to_numpy() == team, "team_out_n"] == 1).all()
    assert (seen.loc[seen["OPPONENT"].to_numpy() == team, "opp_out_n"] == 1).all()
    with pytest.raises(DataValidationError, match=r"column STATUS must be one of OUT, DOUBTFUL.*row 0 \('injured'\)"):
        predictor.predict(game.assign(STATUS=["injured"] + ["AVAILABLE"] * (len(game) - 1)))


def test_a_minutes_projection_replaces_stage_one_where_given(trained, split):
    """MIN_PROJ (news: a starter out, a minutes limit) feeds stage 2 instead of stage 1's forecast."""
    predictor = trained["lightgbm"]
    slate = split[2].head(40).reset_index(drop=True)
    base = predictor.predict(slate)
    projection = np.where(np.arange(len(slate)) % 2 == 0, np.nan, 36.0)
    out = predictor.predict(slate.assign(MIN_PROJ=projection))
    given = ~np.isnan(projection)
    assert (out["pred_MIN"][given] == 36.0).all()
    pd.testing.assert_frame_equal(out[~given], base[~given])  # rows without a projection are untouched
    low = predictor.predict(slate.assign(MIN_PROJ=8.0))
    high = predictor.predict(slate.assign(MIN_PROJ=38.0))
    assert high["pred_PRA"].mean() > base["pred_PRA"].mean() > low["pred_PRA"].mean()
    # feature mode takes it too, and an unknown player says the projection was not used
    features = predictor.snapshot.features(slate, predictor.feature_set)
    np.testing.assert_allclose(predictor.predict(features.assign(MIN_PROJ=38.0))["pred_PRA"], high["pred_PRA"])
    stranger = predictor.predict(slate.head(1).assign(PLAYER_ID=987654321, MIN_PROJ=30.0))
    assert stranger["unknown_player"].iloc[0] and "MIN_PROJ not used" in stranger["warning"].iloc[0]


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_unknown_players_and_dates_get_flags_not_crashes(trained, split, backend):
    predictor = trained[backend]
    row = split[2].head(1)
    mixed = predictor.predict(pd.concat([row, row.assign(PLAYER_ID=999_999_999)], ignore_index=True))
    assert mixed["unknown_player"].tolist() == [False, True] and (mixed.dtypes[OUTPUT_COLUMNS[:7]] == float).all()
    rookie = predictor.predict(row.assign(PLAYER_ID=999_999_999, LINE=0.5))
    assert rookie["unknown_player"].iloc[0] and "not in the model's history" in rookie["warning"].iloc[0]
    # the prior is what debut games in the training window looked like
    history = split[0]
    firsts = history.sort_values("GAME_DATE").groupby("PLAYER_ID").head(1)
    firsts = firsts[firsts["GAME_DATE"] > firsts["GAME_DATE"].min() + pd.Timedelta(days=365)]  # new players
    assert rookie["pred_MIN"].iloc[0] == pytest.approx(predictor.info["prior"]["min_mean"])
    assert abs(rookie["pred_MIN"].iloc[0] - firsts["MIN"].mean()) < 3
    debut_pra = firsts["PTS"] + firsts["REB"] + firsts["AST"]
    assert abs(rookie["pred_PRA"].iloc[0] - debut_pra.median()) < 3
    assert rookie["pred_PRA_q10"].iloc[0] < rookie["pred_PRA"].iloc[0] < rookie["pred_PRA_q90"].iloc[0]
    assert 0 < rookie["p_over"].iloc[0] < 1
    cutoff = predictor.snapshot.cutoff
    early = predictor.predict(row.assign(GAME_DATE=cutoff - pd.Timedelta(days=30)))
    assert "not after the model's data cutoff" in early["warning"].iloc[0]
    late = predictor.predict(row.assign(GAME_DATE=cutoff + pd.Timedelta(days=200)))
    assert "200 days after" in late["warning"].iloc[0]


def test_slate_features_match_full_history_features():
    """The snapshot is compact, yet gives a slate the full-history features (EWMs to within
    the weight of games older than a player's last 82)."""
    league = synthesize_league(4, seed=3, n_teams=6, games_per_team=30)
    cut = np.sort(league["GAME_DATE"].unique())[-3]
    history = league[league["GAME_DATE"] < cut].reset_index(drop=True)
    future = league[league["GAME_DATE"] == cut].reset_index(drop=True)
    slate = future[["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]]
    # each team's busiest player of the last game declared out tonight (as a slate's STATUS would)
    mine = history[history["TEAM"].isin(slate["TEAM"])]
    last = mine[mine["GAME_DATE"] == mine.groupby("TEAM")["GAME_DATE"].transform("max")]
    out = last.sort_values("MIN").groupby("TEAM").tail(1)[["PLAYER_ID", "TEAM"]].assign(GAME_DATE=cut)
    slate = slate[~slate["PLAYER_ID"].isin(out["PLAYER_ID"])]
    fs = get_feature_set("full")
    snapshot = HistorySnapshot.from_history(history)
    assert len(snapshot.rows) < 0.9 * len(history) and snapshot.prior_games["games"].sum() > 0
    full = build_features(history, fs, targets=slate, absences=out)
    expected = full.loc[full["is_target"], list(fs.names)].reset_index(drop=True)
    got = snapshot.features(slate, fs, out)[list(fs.names)]
    assert (got["team_out_n"] > 0).any() and (got["opp_out_n"] > 0).any()
    ewm = [n for n in fs.names if "ewm" in n]
    exact = [n for n in fs.names if n not in ewm]
    np.testing.assert_allclose(got[exact].to_numpy(), expected[exact].to_numpy(), rtol=1e-9, atol=1e-9)
    assert (got[ewm] - expected[ewm]).abs().max().max() < 0.5


def test_multi_day_slates_featurize_each_day_from_the_snapshot_alone(trained, split):
    """Day 1 of a slate is not a game the player has played by day 2; a player twice on one date is
    refused (a duplicate row, or the same player for both teams)."""
    predictor = trained["lightgbm"]
    slate = split[2]
    assert slate["GAME_DATE"].nunique() > 1
    together = predictor.predict(slate)
    for _, day in slate.groupby("GAME_DATE"):
        pd.testing.assert_frame_equal(predictor.predict(day), together.loc[day.index])
    with pytest.raises(DataValidationError, match="PLAYER_ID is listed more than once on one date"):
        predictor.predict(pd.concat([slate.head(3), slate.head(3)], ignore_index=True))


def test_feature_mode_equals_slate_mode(trained, split):
    predictor = trained["lightgbm"]
    _, _, slate = split
    feats = predictor.snapshot.features(slate.reset_index(drop=True), predictor.feature_set)
    out = predictor.predict(feats.assign(LINE=slate["LINE"].to_numpy()))
    pd.testing.assert_frame_equal(out[OUTPUT_COLUMNS[:-2]], predictor.predict(slate.reset_index(drop=True))[OUTPUT_COLUMNS[:-2]])


@pytest.mark.parametrize("change,message", [
    (lambda s: s.drop(columns="TEAM"), "missing column(s) TEAM"),
    (lambda s: s.assign(PLAYER_ID=1.5), "PLAYER_ID must be a whole number"),
    (lambda s: s.assign(PLAYER_ID=np.nan), "PLAYER_ID must be a whole number"),
    (lambda s: s.assign(GAME_DATE="yesterday"), "GAME_DATE must be a date"),
    (lambda s: s.assign(HOME="maybe"), "HOME must be true/false"),
    (lambda s: s.assign(LINE="twenty"), "LINE must be a number"),
    (lambda s: s.assign(MIN_PROJ="thirty"), "MIN_PROJ must be a number of minutes"),
    (lambda s: s.assign(MIN_PROJ=80.0), "MIN_PROJ must be between 0 and 73"),
    (lambda s: s.assign(OPPONENT=s["TEAM"]), "OPPONENT must differ from TEAM"),
    (lambda s: s.iloc[0:0], "no rows"),
    # round 2 (issue 15): every class of value the validator used to let through or garble
    (lambda s: s.assign(PLAYER_ID=True), "PLAYER_ID must be a whole number"),
    (lambda s: s.assign(PLAYER_ID=-5), "PLAYER_ID must be a whole number above 0"),
    (lambda s: s.assign(GAME_DATE="03/04/2023"), "GAME_DATE must be a date written YYYY-MM-DD"),
    (lambda s: s.assign(GAME_DATE=1700000000), "GAME_DATE must be a date written YYYY-MM-DD"),
    (lambda s: s.assign(GAME_DATE="today"), "GAME_DATE must be a date written YYYY-MM-DD"),
    (lambda s: s.assign(GAME_DATE="2024-02-30"), "GAME_DATE must be a date written YYYY-MM-DD"),
    (lambda s: s.assign(GAME_DATE="9999-01-01"), "1946-2100"),
    (lambda s: s.assign(GAME_DATE="2" * 100_000), "GAME_DATE is too long (at most 32 characters): row 0 ('222"),
    (lambda s: s.assign(TEAM=42), "TEAM must be a team abbreviation"),
    (lambda s: s.assign(HOME=None), "HOME must be true/false"),
    (lambda s: s.assign(LINE=np.inf), "LINE must be between 0 and 150"),
    (lambda s: s.assign(LINE=1e9), "LINE must be between 0 and 150"),
    (lambda s: s.assign(LINE=True), "LINE must be a number"),
])
def test_bad_slates_name_the_problem(trained, split, change, message):
    with pytest.raises(DataValidationError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        trained["lightgbm"].predict(change(split[2].head(3).reset_index(drop=True)))
    assert len(str(caught.value)) < 1_000  # a bad value is quoted by a short prefix, never whole
    pyfunc_model = nbaprops_flavor._PyFuncModel(trained["lightgbm"])
    with pytest.raises(MlflowException):
        pyfunc_model.predict(change(split[2].head(3).reset_index(drop=True)))


def test_dates_as_objects_and_iso_text_are_the_same_day(trained, split):
    slate = split[2].head(3).reset_index(drop=True)
    predictor = trained["lightgbm"]
    base = predictor.predict(slate)
    for form in (slate["GAME_DATE"].dt.strftime("%Y-%m-%d"), slate["GAME_DATE"].dt.strftime("%Y-%m-%dT19:30:00"),
                 slate["GAME_DATE"].dt.date):
        pd.testing.assert_frame_equal(predictor.predict(slate.assign(GAME_DATE=form)), base)


def test_minutes_projection_zero_means_not_playing_and_teams_are_checked(trained, split):
    """MIN_PROJ 0 is a player ruled out (as STATUS OUT): no forecast, absent for his team. A team
    the model has never seen, or a player under a team he never played for, is answered with a
    warning that says so."""
    predictor = trained["lightgbm"]
    slate = split[2].head(4).reset_index(drop=True)
    out = predictor.predict(slate.assign(MIN_PROJ=[0.0, np.nan, np.nan, np.nan]))
    assert out.loc[0, ["pred_MIN", "pred_PRA"]].tolist() == [0.0, 0.0] and np.isnan(out.loc[0, "p_over"])
    assert "not playing: MIN_PROJ is 0" in out.loc[0, "warning"]
    assert not out.loc[1:, "warning"].str.contains("not playing").any()
    strange = predictor.predict(slate.head(1).assign(TEAM="XYZ"))
    assert "TEAM 'XYZ' not a team in the model's history" in strange.loc[0, "warning"]
    player, team = slate.loc[0, "PLAYER_ID"], slate.loc[0, "TEAM"]
    history = predictor.snapshot.rows
    elsewhere = sorted(set(history["TEAM"]) - set(history.loc[history["PLAYER_ID"] == player, "TEAM"])
                       - {slate.loc[0, "OPPONENT"]})[0]
    moved = predictor.predict(slate.head(1).assign(TEAM=elsewhere))
    assert "has not played for TEAM" in moved.loc[0, "warning"]
    assert "has not played for TEAM" not in predictor.predict(slate.head(1)).loc[0, "warning"]
    assert team in set(history["TEAM"])


def test_other_quantiles_hold_end_to_end_through_save_serve_and_signature(split, tmp_path):
    """quantiles=(0.05, 0.5, 0.95) names its own columns everywhere: the answer, the saved and
    loaded model, the pyfunc signature (issue 16: it used to fail with KeyError 'pred_PRA_q10')."""
    history, _, slate = split
    predictor = PropsPredictor.train(history, TwoStageRegressor(minutes_params=FAST, pra_params=FAST,
                                                                quantiles=(0.05, 0.5, 0.95)))
    answer = predictor.predict(slate)
    quantile_columns = ["pred_PRA_q05", "pred_PRA_q50", "pred_PRA_q95"]
    assert list(answer.columns) == predictor.output_columns
    assert list(answer.columns[2:5]) == quantile_columns and "pred_PRA_q10" not in answer
    assert (answer["pred_PRA_q05"] <= answer["pred_PRA_q95"]).all()
    path = tmp_path / "model"
    nbaprops_flavor.save_model(predictor, path)
    outputs = [c["name"] for c in mlflow.models.Model.load(str(path)).signature.outputs.to_dict()]
    assert outputs == predictor.output_columns
    loaded = nbaprops_flavor.load_model(str(path))
    assert loaded.regressor.quantiles == (0.05, 0.5, 0.95)
    pd.testing.assert_frame_equal(loaded.predict(slate), answer)
    pyfunc = mlflow.pyfunc.load_model(str(path)).predict(nbaprops_flavor.as_slate_request(slate))
    np.testing.assert_array_equal(pyfunc[quantile_columns].to_numpy(float), answer[quantile_columns].to_numpy(float))


def test_the_model_declares_its_answer_and_lists_its_slate_columns_but_casts_no_input(trained, split, tmp_path):
    """No input schema (MLflow would cast, or its CSV reader fail); the slate's columns are in
    the flavor's ``slate_columns`` and the input example, and a slate read back from CSV (text
    cells, blanks as NaN) gets the answers the frame gets."""
    import io

    _, _, slate = split
    path = tmp_path / "model"
    nbaprops_flavor.save_model(trained["lightgbm"], path)
    mlmodel = mlflow.models.Model.load(str(path))
    assert mlmodel.signature.inputs is None and mlmodel.signature.outputs is not None
    columns = mlmodel.flavors["nbaprops"]["slate_columns"]
    assert columns["required"] == ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]
    assert {"LINE", "MIN_PROJ", "STATUS", "STARTER", "SPREAD", "TOTAL", "ODDS_OVER", "ODDS_UNDER"} == set(
        columns["optional"])
    example = json.loads((path / "serving_input_example.json").read_text())["dataframe_split"]["columns"]
    assert set(columns["required"]) <= set(example)
    pyfunc = mlflow.pyfunc.load_model(str(path))
    wire = slate.head(6).assign(GAME_DATE=lambda f: f["GAME_DATE"].dt.strftime("%Y-%m-%d"))
    from_csv = pd.read_csv(io.StringIO(wire.to_csv(index=False)))
    np.testing.assert_array_equal(pyfunc.predict(from_csv)["pred_PRA"].to_numpy(float),
                                  trained["lightgbm"].predict(slate.head(6))["pred_PRA"].to_numpy(float))


def test_a_new_booster_library_is_one_backend_entry(split, tmp_path, monkeypatch):
    """Adding a library touches the backend table and nothing else: an entry registered under a
    new name trains, validates its parameter names, saves natively, loads, serves and pins its
    distribution (here LightGBM's extremely randomised trees stand in for a new library)."""
    from mlflow_nbaprops.model import backends

    class ExtraTrees(backends.LightGBM):
        name = "lightgbm_extra"
        extension = "extra.txt"
        defaults = {**backends.LightGBM.defaults, "extra_trees": True, "n_estimators": 30}

    monkeypatch.setitem(backends.BACKENDS, ExtraTrees.name, ExtraTrees())
    history, _, slate = split
    with pytest.raises(ValueError, match="'n_estimatorz' is not a parameter of lightgbm_extra"):
        TwoStageRegressor(backend="lightgbm_extra", minutes_params={"n_estimatorz": 3}).fit(
            pd.DataFrame({"a": [1.0, 2.0]}), np.array([[1.0, 2.0], [2.0, 3.0]]))
    predictor = PropsPredictor.train(history, TwoStageRegressor(backend="lightgbm_extra"), feature_set="core")
    assert predictor.regressor.minutes_model_.get_params()["extra_trees"] is True
    path = tmp_path / "model"
    nbaprops_flavor.save_model(predictor, path)
    assert (path / "predictor" / "minutes.extra.txt").exists() and not list(path.rglob("*.pkl"))
    assert any(r.startswith("lightgbm==") for r in (path / "requirements.txt").read_text().split())
    assert mlflow.models.Model.load(str(path)).flavors["nbaprops"]["backends"]["minutes"] == "lightgbm_extra"
    pd.testing.assert_frame_equal(nbaprops_flavor.load_model(str(path)).predict(slate), predictor.predict(slate))
