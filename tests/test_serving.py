"""A real ``mlflow models serve -m models:/NBAPropsModel@production`` process answering slates."""

from __future__ import annotations

import json
import time
import subprocess
import urllib.error
import urllib.request

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking._tracking_service.utils import _use_tracking_uri
from processes import free_port, mlflow_cli, python_env, running

import mlflow_nbaprops.flavor as nbaprops_flavor
from mlflow_nbaprops.model import TwoStageRegressor
from mlflow_nbaprops.model.predictor import OUTPUT_COLUMNS, PropsPredictor

pytestmark = pytest.mark.slow
FAST = {"n_estimators": 30, "learning_rate": 0.2}
MODEL = "NBAPropsModel"


@pytest.fixture(scope="module")
def served(small_league, tmp_path_factory):
    """Train, log, register, alias ``production``, and serve that alias for the module."""
    root = tmp_path_factory.mktemp("serving")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    cut = np.sort(small_league["GAME_DATE"].unique())[-3]
    history = small_league[small_league["GAME_DATE"] < cut].reset_index(drop=True)
    future = small_league[small_league["GAME_DATE"] >= cut].reset_index(drop=True)
    slate = future[["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]].assign(LINE=future["LINE_PRA"])
    slate = slate.dropna().head(12).reset_index(drop=True)
    predictor = PropsPredictor.train(history, TwoStageRegressor(minutes_params=FAST, pra_params=FAST))
    with _use_tracking_uri(uri):
        experiment = mlflow.create_experiment("serving", artifact_location=str(root / "art"))
        with mlflow.start_run(experiment_id=experiment):
            info = nbaprops_flavor.log_model(predictor, name="model", registered_model_name=MODEL)
        mlflow.MlflowClient().set_registered_model_alias(MODEL, "production", info.registered_model_version)
    port = free_port()
    cmd = mlflow_cli("models", "serve", "-m", f"models:/{MODEL}@production", "--env-manager", "local",
                     "-h", "127.0.0.1", "-p", str(port), "-w", "1")
    env = python_env(MLFLOW_TRACKING_URI=uri)
    with running(cmd, f"http://127.0.0.1:{port}/ping", env, root / "serve.log"):
        yield {"url": f"http://127.0.0.1:{port}/invocations", "slate": slate, "predictor": predictor,
               "uri": uri, "root": root, "env": env}


def post(url: str, body: str | bytes, content_type: str = "application/json") -> tuple[int, dict]:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _request_json(slate: pd.DataFrame, orient: str) -> str:
    wire = nbaprops_flavor.as_slate_request(slate)
    if orient == "split":
        return json.dumps({"dataframe_split": json.loads(wire.to_json(orient="split", index=False))})
    return json.dumps({"dataframe_records": json.loads(wire.to_json(orient="records"))})


def _answers(payload: dict) -> pd.DataFrame:
    return pd.DataFrame(payload["predictions"])[OUTPUT_COLUMNS]


@pytest.mark.parametrize("form", ["split", "records"])
def test_served_answers_equal_in_process_predictions(served, form):
    slate = served["slate"]
    status, payload = post(served["url"], _request_json(slate, form))
    assert status == 200, payload
    expected = served["predictor"].predict(slate)
    got = _answers(payload)
    numeric = OUTPUT_COLUMNS[:-2]
    np.testing.assert_allclose(got[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=1e-9)
    assert got["unknown_player"].tolist() == expected["unknown_player"].tolist()


def test_fractional_numbers_are_not_truncated(served):
    """Feature-mode rows are all fractions: any cast to an integer type would change the answer."""
    predictor = served["predictor"]
    slate = served["slate"].head(5)
    features = predictor.snapshot.features(slate, predictor.feature_set)
    features = features.assign(LINE=slate["LINE"].to_numpy())
    assert (features["min_l10"] % 1 != 0).any()
    wire = nbaprops_flavor.as_slate_request(features.drop(columns=["GAME_ID", "SEASON"]))
    status, payload = post(served["url"], json.dumps({"dataframe_split": json.loads(wire.to_json(orient="split", index=False))}))
    assert status == 200, payload
    expected = predictor.predict(features)
    np.testing.assert_allclose(_answers(payload)["pred_PRA"], expected["pred_PRA"], rtol=1e-9)
    body = json.loads(_request_json(slate.head(1), "records"))
    body["dataframe_records"][0]["PLAYER_ID"] += 0.5
    status, payload = post(served["url"], json.dumps(body))
    assert status == 400 and "PLAYER_ID must be a whole number" in payload["message"]


def _records(served, **changes) -> str:
    body = json.loads(_request_json(served["slate"].head(2), "records"))
    for record in body["dataframe_records"]:
        record.update(changes)
    return json.dumps(body)


@pytest.mark.parametrize("name,body,status,message", [
    ("missing column", lambda s: json.dumps({"dataframe_records": [{"PLAYER_ID": 1.0, "GAME_DATE": "2023-01-01"}]}),
     400, "slate is missing column(s) TEAM, OPPONENT, HOME: a slate row needs"),
    ("text in a numeric column", lambda s: _records(s, LINE="twenty"), 400, "LINE"),
    ("impossible minutes projection", lambda s: _records(s, MIN_PROJ=-4.0), 400, "MIN_PROJ must be between 0 and 73"),
    ("empty payload", lambda s: "", 400, ""),
    ("no rows", lambda s: json.dumps({"dataframe_records": []}), 400, ""),
    ("bad date", lambda s: _records(s, GAME_DATE="not a date"), 400, "GAME_DATE must be a date"),
    ("NaN player", lambda s: _records(s, PLAYER_ID=None), 400, "PLAYER_ID"),
])
def test_bad_requests_get_400_naming_the_problem_and_the_server_keeps_serving(served, name, body, status, message):
    code, payload = post(served["url"], body(served))
    assert code == status, (name, payload)
    assert message in payload.get("message", ""), payload
    assert len(payload.get("message", "")) < 600, payload  # the problem, not a dump of the schema
    if message:  # the model's own words first, not MLflow's echo of the request
        assert payload["message"].startswith(("slate is", "bad slate input", "column ")), payload
    ok, _ = post(served["url"], _request_json(served["slate"].head(1), "split"))
    assert ok == 200


def test_a_minutes_projection_reaches_stage_two_through_the_server(served):
    slate = served["slate"].head(4).assign(MIN_PROJ=[34.5, None, 12.0, None])
    status, payload = post(served["url"], _request_json(slate, "records"))
    assert status == 200, payload
    got, expected = _answers(payload), served["predictor"].predict(slate)
    assert got["pred_MIN"][[0, 2]].tolist() == [34.5, 12.0]
    np.testing.assert_allclose(got["pred_PRA"], expected["pred_PRA"], rtol=1e-9)


def test_unknown_player_and_missing_line_get_flagged_answers(served):
    body = json.loads(_request_json(served["slate"].head(2), "records"))
    body["dataframe_records"][0]["PLAYER_ID"] = 987654321.0
    body["dataframe_records"][1].pop("LINE")
    status, payload = post(served["url"], json.dumps(body))
    assert status == 200, payload
    first, second = payload["predictions"]
    assert first["unknown_player"] is True and "not in the model's history" in first["warning"]
    assert second["p_over"] is None and second["pred_PRA"] > 0


def test_mlflow_models_predict_cli(served, tmp_path):
    slate = served["slate"].head(4)
    request = tmp_path / "slate.json"
    request.write_text(_request_json(slate, "split"))
    out = tmp_path / "out.json"
    result = subprocess.run(
        mlflow_cli("models", "predict", "-m", f"models:/{MODEL}@production", "-i", str(request), "-o", str(out),
                   "-t", "json", "--env-manager", "local"),
        env=served["env"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    got = _answers(json.loads(out.read_text()))
    np.testing.assert_allclose(got["pred_PRA"], served["predictor"].predict(slate)["pred_PRA"], rtol=1e-9)


def test_a_csv_slate_gets_the_answers_json_gets(served):
    """``text/csv`` (what ``data slate`` writes) reaches the model as sent, as JSON does: the same
    answers, blank cells as missing values, and the model's own one-line 400 for a bad cell."""
    slate = served["slate"].head(4).assign(STATUS=["AVAILABLE", None, "OUT", None])
    slate.loc[1, "LINE"] = None
    wire = slate.assign(GAME_DATE=slate["GAME_DATE"].dt.strftime("%Y-%m-%d"))
    body = wire.to_csv(index=False)
    assert ",," in body  # blank cells on the wire
    status, payload = post(served["url"], body, "text/csv")
    assert status == 200, payload
    got, expected = _answers(payload), served["predictor"].predict(slate)
    numeric = OUTPUT_COLUMNS[:-2]
    np.testing.assert_allclose(got[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=1e-9)
    assert got["answered_by"].tolist()[2] == "not playing" and payload["predictions"][1]["p_over"] is None
    status, json_payload = post(served["url"], _request_json(slate, "records"))
    assert status == 200 and json_payload == payload
    bad = wire.astype({"HOME": object})
    bad.loc[0, "HOME"] = "maybe"
    status, payload = post(served["url"], bad.to_csv(index=False), "text/csv")
    assert status == 400 and "HOME must be" in payload["message"] and len(payload["message"]) < 600, payload


def test_home_sent_as_text_is_judged_by_the_model_not_cast_by_mlflow(served):
    """MLflow used to cast "false", "no", "away" and "0" to a *home* game (boolean schema)."""
    slate, predictor = served["slate"].reset_index(drop=True), served["predictor"]
    flipped = slate.assign(HOME=~slate["HOME"].astype(bool))  # (every game's home and away swapped: still a slate)
    gap = predictor.predict(flipped)["pred_PRA"] - predictor.predict(slate)["pred_PRA"]
    pick = int(gap.abs().idxmax())  # a row whose answer depends on where the game is
    assert gap.abs().max() > 0
    row = json.loads(_request_json(slate.iloc[[pick]], "records"))["dataframe_records"][0]

    def answer(home):
        status, payload = post(served["url"], json.dumps({"dataframe_records": [{**row, "HOME": home}]}))
        assert status == 200, (home, payload)
        return payload["predictions"][0]["pred_PRA"]

    away, home = answer(False), answer(True)
    assert away != home
    assert [answer(v) for v in ("false", "no", "away", "0", 0)] == [away] * 5
    assert [answer(v) for v in ("true", "yes", "home", "1", 1)] == [home] * 5
    status, payload = post(served["url"], json.dumps({"dataframe_records": [{**row, "HOME": None}]}))
    assert status == 400 and "HOME" in json.dumps(payload)


def test_a_huge_text_field_is_refused_fast_and_not_echoed(served):
    """A 5 MB digit string as GAME_DATE used to keep a worker busy past the timeout."""
    row = json.loads(_request_json(served["slate"].head(1), "records"))["dataframe_records"][0]
    start = time.perf_counter()
    status, payload = post(served["url"], json.dumps({"dataframe_records": [{**row, "GAME_DATE": "1" * 5_000_000}]}))
    elapsed = time.perf_counter() - start
    text = json.dumps(payload)
    assert status == 400 and "GAME_DATE is too long" in text
    assert elapsed < 10 and len(text) < 5_000
