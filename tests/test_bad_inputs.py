"""The bad-input matrix: one test per row of the table in docs/reliability.md.

Every case runs twice: against a sqlite store and against a real PostgreSQL-backed ``mlflow
server`` (where PostgreSQL is installed). Each case says what was sent, what must come back (message fragment and exit code or HTTP
status) and what proves nothing was lost or half-written; the doc's table is rendered from
this list (``test_reliability_doc_lists_every_case`` keeps them in step).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow.tracking._tracking_service.utils import _use_tracking_uri
from pgserver import mlflow_server, postgres_cluster, why_unavailable
from processes import free_port, mlflow_cli, python_env, running

import mlflow_nbaprops.flavor as nbaprops_flavor
from mlflow_nbaprops import promotion
from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import write_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.model import TwoStageRegressor
from mlflow_nbaprops.model.predictor import PropsPredictor

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
PROJECT = Path(__file__).resolve().parents[1]
FAST = '{"n_estimators": 20, "learning_rate": 0.2}'
TRAIN = ["train", "--refit-every", "28", "--minutes-params", FAST, "--pra-params", FAST, "--quiet"]


@dataclass
class Case:
    area: str
    sent: str
    code: str  # exit code, or "HTTP nnn"
    expect: str  # fragment of the message that must come back
    intact: str  # what proves nothing was lost or half-written
    run: Callable  # (env) -> (code, output); asserts the "intact" part itself


# ----------------------------------------------------------------------------- environment


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    """The tracking store the matrix runs against: a sqlite file, and a real PostgreSQL-backed
    ``mlflow server`` (skipped where PostgreSQL is not installed)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'mlflow.db'}"
        return
    if why_unavailable() is not None:
        pytest.skip(str(why_unavailable()))
    root = tmp_path_factory.mktemp("pg")
    with postgres_cluster() as cluster, mlflow_server(cluster, root) as server:
        yield server.url


@pytest.fixture(scope="module")
def env(tmp_path_factory, store):
    """A valid league file, a tracking store with two trained runs (v1 @production) and a served model."""
    root = tmp_path_factory.mktemp("matrix")
    league = root / "league.parquet"
    frame = synthesize_league(2, seed=41, n_teams=6, games_per_team=20)
    write_gamelogs(frame, league)
    uri = store
    runner_env = {"MLFLOW_TRACKING_URI": uri, "NBAPROPS_CACHE_DIR": str(root / "cache")}
    for seed in ("1", "2"):
        result = CliRunner().invoke(main, [*TRAIN, "--data", str(league), "--seed", seed, "--register", "Matrix"],
                                    env=runner_env)
        assert result.exit_code == 0, result.output
    CliRunner().invoke(main, ["register", "--version", "1", "--name", "Matrix", "--alias", "production"], env=runner_env)
    predictor = PropsPredictor.train(frame, TwoStageRegressor(minutes_params=json.loads(FAST),
                                                              pra_params=json.loads(FAST)))
    # "Lineage": two trainings (v1, v2) of the league up to a few nights before its end, v1 @production,
    # v2 @staging: what the registry-history cases change (Matrix stays as the other cases expect)
    nights = sorted(frame["GAME_DATE"].unique())
    with _use_tracking_uri(uri):
        client = mlflow.MlflowClient()
        for seed in (1, 2):
            early = PropsPredictor.train(frame[frame["GAME_DATE"] <= nights[-4]], TwoStageRegressor(
                minutes_params=json.loads(FAST), pra_params=json.loads(FAST), random_state=seed))
            mlflow.set_experiment("NBAProps/Phase2_Model")
            with mlflow.start_run():
                mlflow.log_metrics({"val_pra_mae": 6.0, "val_vs_l10_pct": -3.0, "val_n_predictions": 1000.0,
                                    "val_bet_calibration_error": 0.02})
                nbaprops_flavor.log_model(early, name="model", registered_model_name="Lineage")
        client.set_registered_model_alias("Lineage", "staging", "2")
    assert CliRunner().invoke(main, ["register", "--version", "1", "--name", "Lineage", "--alias", "production"],
                              env=runner_env).exit_code == 0
    model_dir = root / "served-model"
    nbaprops_flavor.save_model(predictor, model_dir)
    port = free_port()
    serve = mlflow_cli("models", "serve", "-m", str(model_dir), "--env-manager", "local", "-h", "127.0.0.1",
                       "-p", str(port), "-w", "1")
    slate_row = nbaprops_flavor.slate_example(predictor).iloc[0].to_dict()
    with running(serve, f"http://127.0.0.1:{port}/ping", python_env(MLFLOW_TRACKING_URI=uri), root / "serve.log"):
        yield {"root": root, "league": league, "frame": frame, "uri": uri, "runner_env": runner_env,
               "url": f"http://127.0.0.1:{port}/invocations", "row": slate_row}


def invoke(env, *args) -> tuple[str, str]:
    result = CliRunner().invoke(main, list(args), env=env["runner_env"])
    return str(result.exit_code), result.output


def with_file(env, name: str, change: Callable[[pd.DataFrame], pd.DataFrame] | None = None, text: str | None = None
              ) -> Path:
    path = env["root"] / "bad" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text)
    else:
        out = change(env["frame"].copy())
        out.assign(GAME_DATE=out["GAME_DATE"].astype(str)).to_csv(path, index=False)
    return path


def validate(env, path: Path) -> tuple[str, str]:
    before = path.read_bytes() if path.is_file() else None
    code, out = invoke(env, "data", "validate", str(path))
    assert before is None or path.read_bytes() == before  # the input is never modified
    return code, out


def no_output(env, name: str, *args) -> tuple[str, str]:
    target = env["root"] / "out" / name
    code, out = invoke(env, *[a.replace("{out}", str(target)) for a in args])
    assert not target.exists()  # nothing half-written
    return code, out


def no_new_run(env, *args) -> tuple[str, str]:
    with _use_tracking_uri(env["uri"]):
        before = len(mlflow.search_runs(search_all_experiments=True))
        code, out = invoke(env, *args)
        assert len(mlflow.search_runs(search_all_experiments=True)) == before
    return code, out


def registry_unchanged(env, *args) -> tuple[str, str]:
    with _use_tracking_uri(env["uri"]):
        client = mlflow.MlflowClient()
        before = (str(client.get_model_version_by_alias("Matrix", "production").version),
                  len(client.search_model_versions("name = 'Matrix'")))
        code, out = invoke(env, *args)
        after = (str(client.get_model_version_by_alias("Matrix", "production").version),
                 len(client.search_model_versions("name = 'Matrix'")))
        assert after == before
    return code, out


def http(env, body: str | bytes, content_type: str = "application/json") -> tuple[str, str]:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(env["url"], data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    good = json.dumps({"dataframe_records": [env["row"]]})
    ok = urllib.request.Request(env["url"], data=good.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(ok, timeout=60) as response:
        assert response.status == 200  # the server keeps serving
    return f"HTTP {status}", text


def no_prediction(env, name: str, slate: str) -> tuple[str, str]:
    """``predict`` that must fail: no predictions file, no run."""
    target = env["root"] / "out" / name
    code, out = no_new_run(env, "predict", "--model", "models:/Matrix@production", "--slate", slate, "--output",
                           str(target))
    assert not target.exists()
    return code, out


def damaged_model(env, how: str) -> Path:
    """A copy of the served model with its LightGBM stage-2 file broken (checksum updated to
    match), or its requirements.txt edited."""
    import hashlib
    import shutil

    copy = env["root"] / f"damaged-{how}"
    if not copy.exists():
        shutil.copytree(env["root"] / "served-model", copy)
        if how == "booster":
            target = copy / "predictor" / "pra.txt"
            target.write_text(target.read_text().replace("Tree=1\n", "Tree=1\n\n", 1))
            mlmodel = mlflow.models.Model.load(str(copy))
            mlmodel.flavors["nbaprops"]["sha256"]["pra.txt"] = hashlib.sha256(target.read_bytes()).hexdigest()
            mlmodel.save(str(copy / "MLmodel"))
        else:
            (copy / "requirements.txt").write_text("mlflow-nbaprops\nsomething-else==1.0\n")
    return copy


def predict_with(env, model: Path) -> tuple[str, str]:
    target = env["root"] / "out" / f"{model.name}.csv"
    code, out = invoke(env, "predict", "--model", str(model), "--slate", slate_file(env, "ok.csv"), "--output",
                       str(target), "--no-log")
    assert not target.exists()
    return code, out


def other_team(env) -> str:
    """A team of the league the example row's player has never played for."""
    frame = env["frame"]
    played = set(frame.loc[frame["PLAYER_ID"] == int(env["row"]["PLAYER_ID"]), "TEAM"])
    return sorted(set(frame["TEAM"]) - played - {env["row"]["OPPONENT"]})[0]


def records(env, **changes) -> str:
    return json.dumps({"dataframe_records": [{**env["row"], **changes}]})


def csv_row(env, **changes) -> str:
    """The good row as a CSV slate, with ``changes`` (None: the column left out)."""
    row = {k: v for k, v in {**env["row"], **changes}.items() if v is not None}
    return pd.DataFrame([row]).to_csv(index=False)


def mlflow_run(env, *params: str) -> tuple[str, str]:
    args = [p for param in params for p in ("-P", param)]
    done = subprocess.run(mlflow_cli("run", str(PROJECT), "-e", "train", "--env-manager", "local",
                                     "--experiment-name", "MatrixRuns", *args),
                          cwd=env["root"], env=python_env(MLFLOW_TRACKING_URI=env["uri"]), capture_output=True,
                          text=True, timeout=300)
    with _use_tracking_uri(env["uri"]):
        finished = mlflow.search_runs(experiment_names=["MatrixRuns"], filter_string="attributes.status = 'FINISHED'")
        assert len(finished) == 0  # no run claims success
    return ("0" if done.returncode == 0 else "1"), done.stdout + done.stderr


L, C, P, S, R, D = "loader", "CLI", "MLproject", "served model", "registry", "daily loop"


def slate_file(env, name: str, drop: str = "", **changes) -> str:
    """A one-row slate file for the Matrix production model (``changes`` applied, ``drop`` left out)."""
    path = env["root"] / "slates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{**env["row"], **changes}]).drop(columns=[drop] if drop else []).to_csv(path, index=False)
    return str(path)


def last_night_changed(env) -> str:
    """The league file with one box score of the model's last night changed."""
    frame = env["frame"].copy()
    frame.loc[frame.index[frame["GAME_DATE"] == frame["GAME_DATE"].max()][0], "PTS"] += 7
    path = env["root"] / "bad" / "corrected.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_gamelogs(frame, path)
    return str(path)
# ----------------------------------------------------------------------------- round 3 helpers


def league_file(env, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> str:
    """The league (canonical Parquet) with ``change`` applied."""
    path = env["root"] / "bad" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_gamelogs(change(env["frame"].copy()), path)
    return str(path)


def night_moved_to(env, day: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """One night's games (the league's last) dated ``day``, SEASON unchanged."""
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        last = frame["GAME_DATE"] == frame["GAME_DATE"].max()
        frame.loc[last, "GAME_DATE"] = pd.Timestamp(day)
        return frame
    return change


def in_the_future(frame: pd.DataFrame) -> pd.DataFrame:
    """Every game seven years later, seasons relabelled to match: consistent, and after today."""
    frame["GAME_DATE"] = frame["GAME_DATE"] + pd.DateOffset(years=7)
    frame["SEASON"] = frame["SEASON"].map(lambda s: f"{int(s[:4]) + 7}-{(int(s[:4]) + 8) % 100:02d}")
    return frame


def home_flipped(frame: pd.DataFrame) -> pd.DataFrame:
    """A held game (the league's last) with its home and away teams swapped."""
    game = frame.loc[frame["GAME_DATE"] == frame["GAME_DATE"].max(), "GAME_ID"].iloc[0]
    frame.loc[frame["GAME_ID"] == game, "HOME"] = ~frame.loc[frame["GAME_ID"] == game, "HOME"]
    return frame


def night_copied(frame: pd.DataFrame) -> pd.DataFrame:
    """A night's rows copied under new GAME_IDs: every team of it with two games that date."""
    night = frame[frame["GAME_DATE"] == frame["GAME_DATE"].max()].copy()
    night["GAME_ID"] = night["GAME_ID"].str[:-3] + "999"
    return pd.concat([frame, night], ignore_index=True)


def history_unchanged(env, name: str, *args) -> tuple[str, str]:
    """A registry command that must fail without recording anything in ``name``'s history."""
    with _use_tracking_uri(env["uri"]):
        before = len(promotion.history(name))
        code, out = invoke(env, *args)
        assert len(promotion.history(name)) == before
    return code, out


def rollback_to_deleted(env) -> tuple[str, str]:
    """Lineage: v1 -> v2 promoted, v1 deleted, then rollback (its target is gone)."""
    with _use_tracking_uri(env["uri"]):
        client = mlflow.MlflowClient()
        if promotion.current_version("Lineage", "production") == "1":
            promotion.promote("Lineage", "2", "production", "second", promotion.Criteria(), client)
        if client.search_model_versions("name = 'Lineage' and version_number = 1"):
            client.delete_model_version("Lineage", "1")
    return history_unchanged(env, "Lineage", "rollback", "--name", "Lineage", "--reason", "back")


def refresh_other_lineage(env) -> tuple[str, str]:
    """``refresh --model models:/Lineage@staging --alias production``: staging is another training of the
    same games. Production moves as a promotion, so rollback returns to the model it replaced."""
    with _use_tracking_uri(env["uri"]):
        client = mlflow.MlflowClient()
        client.set_registered_model_alias("Lineage", "production", "2")  # (reset: v2, a lineage of its own)
        promotion.promote("Lineage", "2", "production", "reset", promotion.Criteria(), client)
        staging = _fresh_training(env, client)
        client.set_registered_model_alias("Lineage", "staging", staging)
        code, out = invoke(env, "refresh", "--model", "models:/Lineage@staging", "--data", str(env["league"]),
                           "--alias", "production")
        refreshed = promotion.current_version("Lineage", "production")
        assert refreshed not in ("2", staging) and promotion.history("Lineage")[-1]["action"] == "promote"
        back = invoke(env, "rollback", "--name", "Lineage", "--reason", "staging was not ready")
        assert back[0] == "0" and promotion.current_version("Lineage", "production") == "2", back[1]
    return code, out


def _fresh_training(env, client) -> str:
    """One more registered training of Lineage's games (its own lineage): its version."""
    frame = env["frame"]
    nights = sorted(frame["GAME_DATE"].unique())
    early = PropsPredictor.train(frame[frame["GAME_DATE"] <= nights[-4]], TwoStageRegressor(
        minutes_params=json.loads(FAST), pra_params=json.loads(FAST), random_state=9))
    mlflow.set_experiment("NBAProps/Phase2_Model")
    with mlflow.start_run():
        mlflow.log_metrics({"val_pra_mae": 6.0, "val_vs_l10_pct": -3.0, "val_n_predictions": 1000.0,
                            "val_bet_calibration_error": 0.02})
        info = nbaprops_flavor.log_model(early, name="model", registered_model_name="Lineage")
    return str(info.registered_model_version)


def predicted_twice(env) -> tuple[str, str]:
    """The same slate predicted again with prices added: a new slate, logged (grading needs the prices)."""
    plain = slate_file(env, "priced.csv")
    first = invoke(env, "predict", "--model", "models:/Matrix@production", "--slate", plain, "--output",
                   str(env["root"] / "out" / "priced1.csv"))
    assert first[0] == "0", first[1]
    priced = slate_file(env, "priced2.csv", ODDS_OVER=-125, ODDS_UNDER=105)
    return invoke(env, "predict", "--model", "models:/Matrix@production", "--slate", priced, "--output",
                  str(env["root"] / "out" / "priced2.csv"))


def tune_space_file(env, name: str, text: str) -> str:
    path = env["root"] / "spaces" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


ALIAS_BOMB = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9 if i else ['"x"'] * 9)
                     + "]\n" for i in range(9))


def tune_worker_interrupted(env) -> tuple[str, str]:
    """A tuning worker stopped by Ctrl-C in its first trial: no run it made is left RUNNING."""
    import signal
    import time

    space = tune_space_file(env, "slow.yaml", "refit_every: 7\nminutes:\n  n_estimators: [4000, 5000]\n")  # seconds a trial
    cmd = [str(Path(sys.executable).parent / "nbaprops"), "tune", "--space", space, "--data", str(env["league"]),
           "--validation-season", "2022-23", "--trials", "3", "--study", "interrupted",
           "--storage", f"sqlite:///{env['root'] / 'tune.db'}", "--no-pruning"]
    # Ctrl-C's default action in the worker, whatever the suite inherited: a shell's background job
    # (`nohup ... &`) ignores SIGINT, a child inherits that, and Python then installs no handler
    proc = subprocess.Popen(cmd, env=python_env(MLFLOW_TRACKING_URI=env["uri"]), cwd=env["root"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    with _use_tracking_uri(env["uri"]):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            runs = mlflow.search_runs(experiment_names=["NBAProps/Phase3_Tuning"],
                                      filter_string="tags.`nbaprops.tune.role` = 'trial'")
            if len(runs):
                break
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
        left = mlflow.search_runs(experiment_names=["NBAProps/Phase3_Tuning"],
                                  filter_string="attributes.status = 'RUNNING'")
        assert len(left) == 0, left[["run_id", "tags.mlflow.runName"]]
    return ("1" if proc.returncode else "0"), out


def secret_in_uri(env) -> tuple[str, str]:
    """``predict`` (it logs a run) with user and password in an http tracking URI: nothing prints them."""
    uri = env["uri"]
    if uri.startswith("http://"):
        uri = uri.replace("http://", "http://analyst:s3cret-pw@", 1)
    result = CliRunner().invoke(main, ["predict", "--model", "models:/Matrix@production", "--slate",
                                       slate_file(env, "secret.csv", LINE=31.5), "--output",
                                       str(env["root"] / "out" / "secret.csv")],
                                env={**env["runner_env"], "MLFLOW_TRACKING_URI": uri})
    assert "s3cret-pw" not in result.output
    return str(result.exit_code), result.output


def garbage_prediction_run(env) -> tuple[str, str]:
    """A prediction run whose predictions.parquet is garbage, beside a good one: grade names it,
    skips it and grades the rest."""
    from mlflow_nbaprops.daily.predict import PREDICTIONS_ARTIFACT

    good = invoke(env, "predict", "--model", "models:/Matrix@production", "--slate",
                  slate_file(env, "good.csv", LINE=12.5), "--output", str(env["root"] / "out" / "good.csv"))
    assert good[0] == "0", good[1]
    with _use_tracking_uri(env["uri"]):
        client = mlflow.MlflowClient()
        experiment = client.get_experiment_by_name("NBAProps/Predictions").experiment_id
        run = client.create_run(experiment, tags={"nbaprops.phase": "predict", "nbaprops.graded": "false",
                                                  "nbaprops.model": "Matrix/1", "nbaprops.lineage": "Matrix/1"})
        bad = env["root"] / "garbage" / Path(PREDICTIONS_ARTIFACT).name
        bad.parent.mkdir(parents=True, exist_ok=True)
        bad.write_bytes(b"PAR1 this is not a parquet file")
        client.log_artifact(run.info.run_id, str(bad), str(Path(PREDICTIONS_ARTIFACT).parent))
        client.set_terminated(run.info.run_id)
    results = league_file(env, "graded.parquet", lambda f: pd.concat([f, _played_tonight(env)], ignore_index=True))
    code, out = invoke(env, "grade", "--data", results)
    assert f"run {run.info.run_id}: {PREDICTIONS_ARTIFACT}" in out and "graded, PRA MAE" in out
    return code, out


def _played_tonight(env) -> pd.DataFrame:
    """The example row's game played the night after the league ends (a result for the slates)."""
    frame = env["frame"]
    row = env["row"]
    last = frame[frame["GAME_DATE"] == frame["GAME_DATE"].max()]
    game = last[last["TEAM"].isin([row["TEAM"], row["OPPONENT"]])]
    if game["TEAM"].nunique() < 2:  # (the example's teams did not meet last night: take both teams' last rows)
        game = frame[frame["TEAM"].isin([row["TEAM"], row["OPPONENT"]])].sort_values("GAME_DATE").groupby(
            "TEAM").tail(8)
    out = game.copy()
    out["GAME_ID"] = "0029999999"
    out["GAME_DATE"] = pd.Timestamp(row["GAME_DATE"])
    out["OPPONENT"] = out["TEAM"].map({row["TEAM"]: row["OPPONENT"], row["OPPONENT"]: row["TEAM"]})
    out["HOME"] = out["TEAM"] == row["TEAM"] if row["HOME"] else out["TEAM"] != row["TEAM"]
    out = out.drop_duplicates("PLAYER_ID")
    if not (out["PLAYER_ID"] == int(row["PLAYER_ID"])).any():
        out.loc[out.index[0], ["PLAYER_ID", "TEAM"]] = [int(row["PLAYER_ID"]), row["TEAM"]]
    return out


def postponed(env) -> tuple[str, str]:
    """A slate for the night after the league; that game never comes, but its teams play two nights
    later: the predictions are void, not pending forever."""
    slate = slate_file(env, "postponed.csv", LINE=18.5, PLAYER_ID=int(env["row"]["PLAYER_ID"]))
    first = invoke(env, "predict", "--model", "models:/Matrix@production", "--slate", slate, "--output",
                   str(env["root"] / "out" / "postponed.csv"))
    assert first[0] == "0", first[1]
    later = _played_tonight(env).assign(GAME_DATE=pd.Timestamp(env["row"]["GAME_DATE"]) + pd.Timedelta(days=2),
                                        GAME_ID="0029999998")
    results = league_file(env, "postponed.parquet", lambda f: pd.concat([f, later], ignore_index=True))
    code, out = invoke(env, "grade", "--data", results)
    with _use_tracking_uri(env["uri"]):
        waiting = mlflow.search_runs(experiment_names=["NBAProps/Predictions"],
                                     filter_string="tags.`nbaprops.graded` = 'false'")
        assert len(waiting) == 0  # nothing left pending for a game that will never be played that day
    return code, out


def slate_rows(env, name: str, rows: list[dict]) -> str:
    path = env["root"] / "slates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def two_rows(env, **second) -> list[dict]:
    """The example row and a second row changed by ``second`` (another player by default)."""
    frame = env["frame"]
    mate = frame.loc[(frame["TEAM"] == env["row"]["TEAM"]) & (frame["PLAYER_ID"] != int(env["row"]["PLAYER_ID"])),
                     "PLAYER_ID"].iloc[0]
    return [env["row"], {**env["row"], "PLAYER_ID": int(mate), **second}]


def many_dates(env) -> str:
    start = pd.Timestamp(env["row"]["GAME_DATE"])
    rows = [{**env["row"], "GAME_DATE": str((start + pd.Timedelta(days=k)).date())} for k in range(1000)]
    return json.dumps({"dataframe_records": rows})


def other_league(env) -> list[dict]:
    return [{**env["row"], "TEAM": "ZZA", "OPPONENT": "ZZB"}]
UNCHANGED = "input file byte-identical afterwards"
NO_FILE = "no output file created"
NO_RUN = "no run created"
SERVING = "server answers the next good request"
NO_MOVE = "aliases and versions unchanged"

CASES: dict[str, Case] = {
    "path-missing": Case(L, "`data validate` on a path that does not exist", "1", "no such file or folder", UNCHANGED,
                         lambda e: validate(e, e["root"] / "nope.csv")),
    "header-only": Case(L, "a CSV with a header and no rows", "1", "has no rows", UNCHANGED,
                        lambda e: validate(e, with_file(e, "header.csv", text="GAME_ID,GAME_DATE,PLAYER_ID,PTS\n"))),
    "folder-empty": Case(L, "a folder with no .csv/.csv.gz/.parquet files", "1", "no game-log files", UNCHANGED,
                         lambda e: validate(e, with_file(e, "empty/readme.txt", text="x").parent)),
    "wrong-extension": Case(L, "a .txt file", "1", "unsupported", UNCHANGED,
                            lambda e: validate(e, with_file(e, "logs.txt", text="a,b\n1,2\n"))),
    "missing-column": Case(L, "a file without the PTS column", "1", "PTS", UNCHANGED,
                           lambda e: validate(e, with_file(e, "nopts.csv", lambda f: f.drop(columns="PTS")))),
    "bad-date": Case(L, "GAME_DATE `not a date` in one row", "1", "GAME_DATE", UNCHANGED,
                     lambda e: validate(e, with_file(e, "date.csv", lambda f: f.assign(
                         GAME_DATE=f["GAME_DATE"].astype(str).where(f.index != 3, "not a date"))))),
    "text-in-number": Case(L, "PTS `ten` in one row", "1", "PTS", UNCHANGED,
                           lambda e: validate(e, with_file(e, "text.csv", lambda f: f.astype({"PTS": object}).assign(
                               PTS=f["PTS"].astype(object).where(f.index != 5, "ten"))))),
    "fraction-count": Case(L, "REB 2.5", "1", "REB", UNCHANGED,
                           lambda e: validate(e, with_file(e, "frac.csv", lambda f: f.astype({"REB": float}).assign(
                               REB=f["REB"].astype(float).where(f.index != 7, 2.5))))),
    "negative-stat": Case(L, "AST -1", "1", "AST", UNCHANGED,
                          lambda e: validate(e, with_file(e, "neg.csv", lambda f: f.assign(
                              AST=f["AST"].where(f.index != 2, -1))))),
    "impossible-minutes": Case(L, "MIN 80", "1", "MIN", UNCHANGED,
                               lambda e: validate(e, with_file(e, "min.csv", lambda f: f.assign(
                                   MIN=f["MIN"].where(f.index != 4, 80.0))))),
    "duplicate-row": Case(L, "the same (PLAYER_ID, GAME_ID) twice", "1", "duplicate", UNCHANGED,
                          lambda e: validate(e, with_file(e, "dup.csv", lambda f: pd.concat([f, f.head(1)])))),
    "empty-team": Case(L, "TEAM empty in one row", "1", "TEAM", UNCHANGED,
                       lambda e: validate(e, with_file(e, "team.csv", lambda f: f.assign(
                           TEAM=f["TEAM"].astype(object).where(f.index != 1, None))))),
    "corrupt-parquet": Case(L, "a .parquet file of random bytes", "1", "corrupt.parquet", UNCHANGED,
                            lambda e: validate(e, with_file(e, "corrupt.parquet", text="PAR1 not really"))),
    "empty-file": Case(L, "an empty .csv", "1", "empty.csv", UNCHANGED,
                       lambda e: validate(e, with_file(e, "empty.csv", text=""))),
    "synth-bad-suffix": Case(C, "`data synth --output league.txt`", "2", "unsupported output type", NO_FILE,
                             lambda e: no_output(e, "league.txt", "data", "synth", "--output", "{out}")),
    "synth-zero-seasons": Case(C, "`data synth --seasons 0`", "2", "below the minimum", NO_FILE,
                               lambda e: no_output(e, "zero.parquet", "data", "synth", "--seasons", "0",
                                                   "--output", "{out}")),
    "backtest-unknown-season": Case(C, "`backtest --test-season 1999-00`", "1", "not in the data", NO_FILE,
                                    lambda e: no_output(e, "p.csv", "backtest", "--data", str(e["league"]),
                                                        "--test-season", "1999-00", "--output", "{out}", "--quiet")),
    "backtest-unknown-features": Case(C, "`backtest --feature-set nope`", "2", "unknown feature set", NO_FILE,
                                      lambda e: no_output(e, "p2.csv", "backtest", "--data", str(e["league"]),
                                                          "--test-season", "2022-23", "--feature-set", "nope",
                                                          "--output", "{out}")),
    "train-params-not-json": Case(C, "`train --minutes-params '{not json'`", "2", "not JSON", NO_RUN,
                                  lambda e: no_new_run(e, *TRAIN, "--data", str(e["league"]), "--minutes-params",
                                                       "{not json")),
    "train-params-not-object": Case(C, "`train --pra-params '[1, 2]'`", "2", "must be a JSON object", NO_RUN,
                                    lambda e: no_new_run(e, *TRAIN, "--data", str(e["league"]), "--pra-params",
                                                         "[1, 2]")),
    "train-params-misspelt": Case(C, "`train --pra-params '{\"n_estimatorz\": 5}'`", "2", "did you mean 'n_estimators'",
                                  NO_RUN, lambda e: no_new_run(e, *TRAIN, "--data", str(e["league"]), "--pra-params",
                                                               '{"n_estimatorz": 5}')),
    "train-fractional-days": Case(C, "`train --refit-every 7.5`", "2", "not a whole number", NO_RUN,
                                  lambda e: no_new_run(e, *TRAIN, "--data", str(e["league"]), "--refit-every", "7.5")),
    "train-bad-synthetic": Case(C, "`train --data synthetic:3x`", "2", "SEASONSxTEAMSxGAMES", NO_RUN,
                                lambda e: no_new_run(e, *TRAIN, "--data", "synthetic:3x")),
    "train-unknown-season": Case(C, "`train --test-season 1999-00`", "2", "not in the data", NO_RUN,
                                 lambda e: no_new_run(e, *TRAIN, "--data", str(e["league"]), "--test-season",
                                                      "1999-00")),
    "train-unknown-backend": Case(C, "`train --backend catboost`", "2", "catboost", NO_RUN,
                                  lambda e: no_new_run(e, *TRAIN, "--data", str(e["league"]), "--backend", "catboost")),
    "train-missing-data": Case(C, "`train --data missing.csv`", "1", "missing.csv", NO_RUN,
                               lambda e: no_new_run(e, *TRAIN, "--data", str(e["root"] / "missing.csv"))),
    "compare-nothing": Case(C, "`compare` with neither runs nor experiment", "1", "give run ids", NO_RUN,
                            lambda e: no_new_run(e, "compare", "--output-dir", str(e["root"] / "cmp0"))),
    "compare-bad-filter": Case(C, "`compare --filter 'metrics.val_pra_mae <'`", "1", "bad filter", NO_RUN,
                               lambda e: no_new_run(e, "compare", "--experiment", "NBAProps/Phase2_Model", "--filter",
                                                    "metrics.val_pra_mae <", "--output-dir", str(e["root"] / "c1"))),
    "compare-unknown-run": Case(C, "`compare --runs 0123abc`", "1", "not found", NO_RUN,
                                lambda e: no_new_run(e, "compare", "--runs", "0123abc", "--output-dir",
                                                     str(e["root"] / "c2"))),
    "compare-unknown-experiment": Case(C, "`compare --experiment Nope`", "1", "not found", NO_RUN,
                                       lambda e: no_new_run(e, "compare", "--experiment", "Nope", "--output-dir",
                                                            str(e["root"] / "c3"))),
    "mlproject-text-number": Case(P, "`mlflow run . -e train -P refit_every=weekly`", "1", "not a whole number",
                                  "no FINISHED run", lambda e: mlflow_run(e, "refit_every=weekly")),
    "mlproject-bad-json": Case(P, "`mlflow run . -e train -P minutes_params={oops`", "1", "not JSON",
                               "no FINISHED run", lambda e: mlflow_run(e, "minutes_params={oops")),
    "serve-missing-column": Case(S, "a slate record without TEAM", "HTTP 400", "TEAM", SERVING,
                                 lambda e: http(e, json.dumps({"dataframe_records": [
                                     {k: v for k, v in e["row"].items() if k != "TEAM"}]}))),
    "serve-text-line": Case(S, "LINE `twenty`", "HTTP 400", "LINE", SERVING,
                            lambda e: http(e, records(e, LINE="twenty"))),
    "serve-fractional-id": Case(S, "PLAYER_ID 1626508.5", "HTTP 400", "PLAYER_ID must be a whole number", SERVING,
                                lambda e: http(e, records(e, PLAYER_ID=e["row"]["PLAYER_ID"] + 0.5))),
    "serve-null-id": Case(S, "PLAYER_ID null", "HTTP 400", "PLAYER_ID", SERVING,
                          lambda e: http(e, records(e, PLAYER_ID=None))),
    "serve-bad-date": Case(S, "GAME_DATE `tomorrow`", "HTTP 400", "GAME_DATE must be a date", SERVING,
                           lambda e: http(e, records(e, GAME_DATE="tomorrow"))),
    "serve-same-teams": Case(S, "OPPONENT equal to TEAM", "HTTP 400", "OPPONENT must differ", SERVING,
                             lambda e: http(e, records(e, OPPONENT=e["row"]["TEAM"]))),
    "serve-empty-body": Case(S, "an empty body", "HTTP 400", "", SERVING, lambda e: http(e, "")),
    "serve-no-rows": Case(S, '`{"dataframe_records": []}`', "HTTP 400", "", SERVING,
                          lambda e: http(e, json.dumps({"dataframe_records": []}))),
    "serve-malformed-json": Case(S, "`{dataframe_records: [`", "HTTP 400", "", SERVING,
                                 lambda e: http(e, "{dataframe_records: [")),
    "serve-wrong-content-type": Case(S, "a slate as text/plain", "HTTP 415", "", SERVING,
                                     lambda e: http(e, records(e), "text/plain")),
    "serve-unknown-player": Case(S, "a PLAYER_ID the model never saw", "HTTP 200", "\"unknown_player\": true",
                                 SERVING, lambda e: http(e, records(e, PLAYER_ID=987654321.0))),
    "serve-no-line": Case(S, "a record without LINE", "HTTP 200", "\"p_over\": null", SERVING,
                          lambda e: http(e, json.dumps({"dataframe_records": [
                              {k: v for k, v in e["row"].items() if k != "LINE"}]}))),
    "serve-unknown-status": Case(S, "STATUS `injured`", "HTTP 400", "STATUS must be one of OUT, DOUBTFUL", SERVING,
                                 lambda e: http(e, records(e, STATUS="injured"))),
    "serve-status-out": Case(S, "STATUS `OUT` (ruled out tonight)", "HTTP 200", "not playing", SERVING,
                             lambda e: http(e, records(e, STATUS="OUT"))),
    "refresh-not-game-logs": Case(D, "`refresh --data` a file without the PTS column", "1", "PTS", NO_MOVE,
                                  lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                               "--data", str(with_file(e, "nopts.csv", lambda f: f.drop(
                                                                   columns="PTS"))), "--alias", "production")),
    "refresh-nothing-new": Case(D, "`refresh --data` games the model already holds", "0", "no new version", NO_MOVE,
                                lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                             "--data", str(e["league"]), "--alias", "production")),
    "refresh-changed-box-score": Case(D, "`refresh --data` with a held box score changed", "1",
                                      "differ from the snapshot", NO_MOVE,
                                      lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                                   "--data", last_night_changed(e), "--alias",
                                                                   "production")),
    "refresh-not-registered": Case(D, "`refresh --model` a path, not a registered version", "1",
                                   "refresh makes a new version of a registered model", NO_MOVE,
                                   lambda e: registry_unchanged(e, "refresh", "--model", str(e["root"] / "served-model"),
                                                                "--data", str(e["league"]))),
    "predict-past-date": Case(D, "`predict` a slate dated on the model's last night", "1",
                              "GAME_DATE must be after the model's history cutoff", f"{NO_FILE}, {NO_RUN}",
                              lambda e: no_prediction(e, "past.csv", slate_file(
                                  e, "past.csv", GAME_DATE=str(e["frame"]["GAME_DATE"].max().date())))),
    "predict-not-a-slate": Case(D, "`predict` a slate without TEAM", "1", "missing column(s) TEAM",
                                f"{NO_FILE}, {NO_RUN}",
                                lambda e: no_prediction(e, "noteam.csv", slate_file(e, "noteam.csv", drop="TEAM"))),
    "predict-missing-file": Case(D, "`predict --slate` a file that does not exist", "1", "no such file",
                                 f"{NO_FILE}, {NO_RUN}",
                                 lambda e: no_prediction(e, "x.csv", str(e["root"] / "nope.csv"))),
    "grade-nothing-predicted": Case(D, "`grade` before any prediction was logged", "0", "no ungraded prediction runs",
                                    NO_RUN, lambda e: no_new_run(e, "grade", "--data", str(e["league"]))),
    "monitor-unknown-model": Case(D, "`monitor --name Nope`", "1", "no such registered model version", NO_MOVE,
                                  lambda e: registry_unchanged(e, "monitor", "--name", "Nope", "--output-dir",
                                                               str(e["root"] / "m"))),
    "monitor-nothing-graded": Case(D, "`monitor` before any prediction was graded", "0", "no graded predictions yet",
                                   NO_MOVE, lambda e: registry_unchanged(e, "monitor", "--name", "Matrix",
                                                                         "--output-dir", str(e["root"] / "m"))),
    "serve-home-null": Case(S, "HOME null", "HTTP 400", "HOME must be true/false", SERVING,
                            lambda e: http(e, records(e, HOME=None))),
    "serve-line-huge": Case(S, "LINE 1e9", "HTTP 400", "LINE must be between 0 and 150", SERVING,
                            lambda e: http(e, records(e, LINE=1e9))),
    "serve-line-boolean": Case(S, "LINE `true`", "HTTP 400", "LINE must be a number", SERVING,
                               lambda e: http(e, records(e, LINE=True))),
    "serve-ambiguous-date": Case(S, "GAME_DATE `03/04/2023` (day or month first?)", "HTTP 400",
                                 "GAME_DATE must be a date written YYYY-MM-DD", SERVING,
                                 lambda e: http(e, records(e, GAME_DATE="03/04/2023"))),
    "serve-epoch-date": Case(S, "GAME_DATE `1700000000` (a number)", "HTTP 400",
                             "GAME_DATE must be a date written YYYY-MM-DD", SERVING,
                             lambda e: http(e, records(e, GAME_DATE=1700000000))),
    "serve-relative-date": Case(S, "GAME_DATE `today`", "HTTP 400", "GAME_DATE must be a date written YYYY-MM-DD",
                                SERVING, lambda e: http(e, records(e, GAME_DATE="today"))),
    "serve-year-out-of-range": Case(S, "GAME_DATE `2999-01-01`", "HTTP 400", "1946-2100", SERVING,
                                    lambda e: http(e, records(e, GAME_DATE="2999-01-01"))),
    "serve-huge-text": Case(S, "a 5 MB GAME_DATE", "HTTP 400", "GAME_DATE is too long (at most 32 characters)",
                            SERVING, lambda e: http(e, records(e, GAME_DATE="1" * 5_000_000))),
    "serve-unknown-team": Case(S, "TEAM `XYZ`", "HTTP 200", "not a team in the model's history", SERVING,
                               lambda e: http(e, records(e, TEAM="XYZ"))),
    "serve-player-new-team": Case(S, "a player under a team he has never played for", "HTTP 200",
                                  "has not played for TEAM", SERVING,
                                  lambda e: http(e, records(e, TEAM=other_team(e), OPPONENT=e["row"]["TEAM"]))),
    "serve-min-proj-zero": Case(S, "MIN_PROJ 0 (ruled out)", "HTTP 200", "not playing: MIN_PROJ is 0", SERVING,
                                lambda e: http(e, records(e, MIN_PROJ=0))),
    "serve-csv-bad-line": Case(S, "a text/csv slate with `LINE` twenty", "HTTP 400", "LINE must be a number", SERVING,
                               lambda e: http(e, csv_row(e, LINE="twenty"), "text/csv")),
    "serve-csv-missing-column": Case(S, "a text/csv slate without `TEAM`", "HTTP 400",
                                     "slate is missing column(s) TEAM", SERVING,
                                     lambda e: http(e, csv_row(e, TEAM=None), "text/csv")),
    "load-broken-booster": Case(D, "`predict --model` a model whose LightGBM file was edited and its checksum updated",
                                "1", "not a valid LightGBM model", f"{NO_FILE}, the process survives",
                                lambda e: predict_with(e, damaged_model(e, "booster"))),
    "load-edited-requirements": Case(D, "`predict --model` a model whose requirements.txt was edited", "1",
                                     "requirements.txt failed its SHA-256 check", NO_FILE,
                                     lambda e: predict_with(e, damaged_model(e, "requirements"))),
    "backtest-unwritable-output": Case(C, "`backtest --output` under a file (a place that cannot be made)", "2",
                                       "cannot be written here", f"{NO_FILE}, refused before any data is read",
                                       lambda e: no_output(e, "never.csv", "backtest", "--data", str(e["league"]),
                                                           "--test-season", "2022-23", "--output",
                                                           str(e["league"]) + "/x.csv")),
    "register-unknown-model-version": Case(R, "`register --version 1 --name DoesNotExist`", "1", "has no version",
                                           NO_MOVE, lambda e: registry_unchanged(e, "register", "--version", "1",
                                                                                 "--name", "DoesNotExist")),
    "register-unknown-run": Case(R, "`register --run-id 0123abc`", "1", "not found", NO_MOVE,
                                 lambda e: registry_unchanged(e, "register", "--run-id", "0123abc", "--name", "Matrix")),
    "register-both-sources": Case(R, "`register --run-id X --version 1`", "2", "exactly one of", NO_MOVE,
                                  lambda e: registry_unchanged(e, "register", "--run-id", "x", "--version", "1",
                                                               "--name", "Matrix")),
    "register-failing-criterion": Case(R, "`register --version 2 --alias production --max-pra-mae 1`", "1",
                                       "no alias changed", NO_MOVE,
                                       lambda e: registry_unchanged(e, "register", "--version", "2", "--name", "Matrix",
                                                                    "--alias", "production", "--max-pra-mae", "1")),
    "register-unknown-alias": Case(R, "`register --alias champion`", "2", "champion", NO_MOVE,
                                   lambda e: registry_unchanged(e, "register", "--version", "2", "--name", "Matrix",
                                                                "--alias", "champion")),
    "rollback-no-history": Case(R, "`rollback` with a single production version", "1", "nothing to roll back",
                                NO_MOVE, lambda e: registry_unchanged(e, "rollback", "--name", "Matrix", "--reason",
                                                                      "try")),
    "rollback-no-reason": Case(R, "`rollback --reason ''`", "1", "needs a --reason", NO_MOVE,
                               lambda e: registry_unchanged(e, "rollback", "--name", "Matrix", "--reason", " ")),
    "history-unknown-model": Case(R, "`history --name Nope`", "1", "not found", NO_MOVE,
                                  lambda e: registry_unchanged(e, "history", "--name", "Nope")),
}

ROUND_3: dict[str, Case] = {
    "refresh-date-outside-season": Case(D, "`refresh --data` with one night dated 2092-12-30, SEASON unchanged", "1",
                                        "date outside its SEASON", NO_MOVE,
                                        lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                                     "--data", league_file(e, "2092.parquet", night_moved_to(
                                                                         e, "2092-12-30")), "--alias", "production")),
    "refresh-after-today": Case(D, "`refresh --data` with games after today (seasons consistent)", "1",
                                "dated after today", NO_MOVE,
                                lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                             "--data", league_file(e, "future.parquet", in_the_future),
                                                             "--alias", "production")),
    "refresh-changed-identity": Case(D, "`refresh --data` with a held game's HOME flipped", "1",
                                     "held row(s) differ from the snapshot", NO_MOVE,
                                     lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                                  "--data", league_file(e, "flipped.parquet", home_flipped),
                                                                  "--alias", "production")),
    "refresh-moved-date": Case(D, "`refresh --data` with a held game moved a day later", "1",
                               "GAME_DATE", NO_MOVE,
                               lambda e: registry_unchanged(e, "refresh", "--model", "models:/Matrix@production",
                                                            "--data", league_file(e, "moved.parquet", night_moved_to(
                                                                e, str((e["frame"]["GAME_DATE"].max()
                                                                        + pd.Timedelta(days=1)).date()))),
                                                            "--alias", "production")),
    "validate-two-games-one-day": Case(L, "a night's rows copied under new GAME_IDs", "1",
                                       "a team with two games on one date", UNCHANGED,
                                       lambda e: validate(e, Path(league_file(e, "copied.parquet", night_copied)))),
    "rollback-deleted-target": Case(R, "`rollback` whose target version was deleted", "1", "no longer exists",
                                    "nothing recorded in the history", rollback_to_deleted),
    "refresh-other-lineage": Case(R, "`refresh --model models:/Lineage@staging --alias production` (another training)",
                                  "0", "Lineage@production -> version",
                                  "recorded as a promotion: rollback returns to the model it replaced",
                                  refresh_other_lineage),
    "predict-odds-added": Case(D, "`predict` a logged slate again with ODDS_OVER/ODDS_UNDER added", "0",
                               "logged as run", "a new run: grading reads its prices", predicted_twice),
    "tune-alias-bomb": Case(C, "`tune --space` a 600-byte YAML of nested aliases", "2", "anchors or aliases",
                            f"{NO_RUN}, refused in milliseconds",
                            lambda e: no_new_run(e, "tune", "--space", tune_space_file(e, "bomb.yaml", ALIAS_BOMB),
                                                 "--data", str(e["league"]), "--validation-season", "2022-23")),
    "tune-huge-space": Case(C, "`tune --space` a 1 MB file", "2", "is not a search space", NO_RUN,
                            lambda e: no_new_run(e, "tune", "--space", tune_space_file(e, "huge.yaml", "#" * 1_000_000),
                                                 "--data", str(e["league"]), "--validation-season", "2022-23")),
    "tune-infinite-bound": Case(C, "`tune --space` with `high: .inf`", "2", "must be a finite number", NO_RUN,
                                lambda e: no_new_run(e, "tune", "--space", tune_space_file(
                                    e, "inf.yaml", "pra:\n  learning_rate: {low: 0.01, high: .inf}\n"), "--data",
                                    str(e["league"]), "--validation-season", "2022-23")),
    "tune-worker-interrupted": Case(C, "Ctrl-C to a tuning worker in its first trial", "1", "KeyboardInterrupt",
                                    "no run left RUNNING (trial FAILED, study KILLED)", tune_worker_interrupted),
    "secret-in-tracking-uri": Case(D, "`predict` with MLFLOW_TRACKING_URI=http://user:secret@host/", "0",
                                   "logged as run", "the password is printed nowhere", secret_in_uri),
    "serve-many-dates": Case(S, "1,000 rows on 1,000 different dates", "HTTP 400", "at most 7 game dates", SERVING,
                             lambda e: http(e, many_dates(e))),
    "grade-unreadable-artifact": Case(D, "`grade` with one prediction run's predictions.parquet garbage", "0",
                                      "their predictions unreadable", "the other runs graded; the bad one named and set "
                                      "aside", garbage_prediction_run),
    "predict-output-into-model": Case(C, "`predict --output` into a saved model's folder", "2",
                                      "inside the saved model", "the model's files unchanged",
                                      lambda e: no_prediction_into(e, e["root"] / "served-model" / "predictor" /
                                                                   "history.parquet")),
    "slice-output-over-input": Case(C, "`data slice X --output X`", "2", "would overwrite the input",
                                    UNCHANGED, lambda e: unchanged_input(e, "data", "slice", "{in}", "--until",
                                                                         "2022-12-01", "--output", "{in}")),
    "predict-duplicate-player": Case(D, "a slate listing one player twice", "1", "listed more than once",
                                     f"{NO_FILE}, {NO_RUN}",
                                     lambda e: no_prediction(e, "dup.csv", slate_rows(e, "dup.csv", [e["row"], e["row"]]))),
    "predict-player-both-teams": Case(D, "a slate with one player on both teams", "1", "listed more than once",
                                      f"{NO_FILE}, {NO_RUN}",
                                      lambda e: no_prediction(e, "both.csv", slate_rows(e, "both.csv", [
                                          e["row"], {**e["row"], "TEAM": e["row"]["OPPONENT"], "OPPONENT": e["row"]["TEAM"],
                                                     "HOME": not e["row"]["HOME"]}]))),
    "predict-both-home": Case(D, "a slate with both teams of a game at home", "1", "both teams of a game at home",
                              f"{NO_FILE}, {NO_RUN}",
                              lambda e: no_prediction(e, "home.csv", slate_rows(e, "home.csv", [
                                  e["row"], {**two_rows(e)[1], "TEAM": e["row"]["OPPONENT"],
                                             "OPPONENT": e["row"]["TEAM"], "HOME": e["row"]["HOME"]}]))),
    "predict-two-opponents": Case(D, "a slate giving a team two opponents on one date", "1",
                                  "a team with two opponents on one date", f"{NO_FILE}, {NO_RUN}",
                                  lambda e: no_prediction(e, "two.csv", slate_rows(e, "two.csv", two_rows(
                                      e, OPPONENT=other_team_than(e))))),
    "predict-unknown-league": Case(D, "a slate whose teams are all unknown to the model", "1",
                                   "none of the slate's teams", f"{NO_FILE}, {NO_RUN}",
                                   lambda e: no_prediction(e, "league.csv", slate_rows(e, "league.csv", other_league(e)))),
    "grade-postponed-game": Case(D, "`grade` when a predicted game never came but its teams played later", "0",
                                 "void (the game was not played that day: postponed)",
                                 "no prediction left pending forever", postponed),
    "monitor-nan-tolerance": Case(C, "`monitor --tolerance nan`", "2", "not a finite number", NO_MOVE,
                                  lambda e: registry_unchanged(e, "monitor", "--name", "Matrix", "--tolerance", "nan")),
    "grade-nan-edge": Case(C, "`grade --min-edge nan`", "2", "not a finite number", NO_RUN,
                           lambda e: no_new_run(e, "grade", "--data", str(e["league"]), "--min-edge", "nan")),
    "model-name-with-quote": Case(D, "`monitor --name \"Bob's\"`", "1", "no such registered model version", NO_MOVE,
                                  lambda e: registry_unchanged(e, "monitor", "--name", "Bob's", "--output-dir",
                                                               str(e["root"] / "m"))),
}
CASES.update(ROUND_3)


def no_prediction_into(env, target: Path) -> tuple[str, str]:
    before = {p: p.read_bytes() for p in target.parent.iterdir() if p.is_file()}
    code, out = invoke(env, "predict", "--model", "models:/Matrix@production", "--slate", slate_file(env, "ok.csv"),
                       "--output", str(target), "--no-log")
    assert {p: p.read_bytes() for p in target.parent.iterdir() if p.is_file()} == before
    return code, out


def unchanged_input(env, *args) -> tuple[str, str]:
    source = Path(league_file(env, "slice-me.parquet", lambda f: f))
    before = source.read_bytes()
    code, out = invoke(env, *[a.replace("{in}", str(source)) for a in args])
    assert source.read_bytes() == before
    return code, out


def other_team_than(env) -> str:
    return sorted(set(env["frame"]["TEAM"]) - {env["row"]["TEAM"], env["row"]["OPPONENT"]})[0]


@pytest.mark.slow
@pytest.mark.parametrize("case_id", list(CASES))
def test_bad_input(env, case_id):
    case = CASES[case_id]
    code, output = case.run(env)
    assert code == case.code, f"{case_id}: got {code}\n{output[-1500:]}"
    assert case.expect in output, f"{case_id}: {case.expect!r} not in\n{output[-1500:]}"


def render_table() -> str:
    lines = ["| # | area | what was sent | what came back | nothing lost or half-written | test id |",
             "|---|---|---|---|---|---|"]
    for number, (case_id, c) in enumerate(CASES.items(), start=1):
        came_back = (f"{c.code}" if c.code.startswith("HTTP") else f"exit {c.code}") + (
            f", message contains `{c.expect}`" if c.expect else "")
        lines.append(f"| {number} | {c.area} | {c.sent} | {came_back} | {c.intact} | `{case_id}` |")
    return "\n".join(lines)


def test_reliability_doc_lists_every_case():
    text = DOC.read_text(encoding="utf-8")
    assert render_table() in text, "docs/reliability.md is out of date: paste render_table() output"
    assert f"{len(CASES)} rows" in text and len(CASES) >= 40


if __name__ == "__main__":  # python tests/test_bad_inputs.py > table.md
    print(render_table())
