"""Team scale: a real PostgreSQL-backed `mlflow server` — the whole flow, concurrent writers,
racing promotions, and faults (server killed mid-run, database restart, corrupted model
file, failing artifact upload)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pgserver import client_env, mlflow_server, nbaprops, postgres_cluster, restart, why_unavailable
from processes import free_port, mlflow_cli, running
from stores import forget_active_experiment

from mlflow_nbaprops import flavor, promotion
from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import load_gamelogs, write_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.errors import ModelIntegrityError

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.skipif(why_unavailable() is not None, reason=str(why_unavailable()))]
FAST = '{"n_estimators": 25, "learning_rate": 0.2}'
TRAIN = ["train", "--refit-every", "21", "--minutes-params", FAST, "--pra-params", FAST, "--quiet"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("team")
    data = root / "league.parquet"
    write_gamelogs(synthesize_league(2, seed=31, n_teams=6, games_per_team=16), data)
    with postgres_cluster() as cluster, mlflow_server(cluster, root / "server") as server:
        yield {"server": server, "cluster": cluster, "data": data, "root": root}


@pytest.fixture(scope="module")
def flow_runs(stack) -> tuple[str, str]:
    """Two trainings on the server (seeds 1 and 2, NBAProps/Phase4_Production), each registered
    as a version of FlowModel at the end of its run; other tests register them under their own names."""
    env = client_env(stack["server"], NBAPROPS_CACHE_DIR=str(stack["root"] / "cache"))
    for seed in ("1", "2"):
        result = CliRunner().invoke(main, [*TRAIN, "--data", str(stack["data"]), "--seed", seed, "--phase",
                                           "production", "--register", "FlowModel"], env=env)
        assert result.exit_code == 0, result.output + repr(result.exception)
    forget_active_experiment()
    first, second = runs(mlflow.MlflowClient(stack["server"].url), "NBAProps/Phase4_Production")
    return first.info.run_id, second.info.run_id


@pytest.fixture
def on_server(stack, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", stack["server"].url)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    return mlflow.MlflowClient(stack["server"].url)


def cli(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def train_process(stack, *extra: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(nbaprops(*TRAIN, "--data", str(stack["data"]), *extra), cwd=cwd,
                            env=client_env(stack["server"], NBAPROPS_CACHE_DIR=str(cwd / "cache")),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def runs(client, experiment: str) -> list:
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"]) if exp else []


def test_whole_flow_train_register_promote_serve_compare_rollback(stack, flow_runs, on_server, tmp_path):
    client = on_server
    name = "FlowModel"
    first, second = runs(client, "NBAProps/Phase4_Production")
    assert (first.info.run_id, second.info.run_id) == flow_runs
    for run in (first, second):
        assert run.info.status == "FINISHED"
        tags = run.data.tags
        assert tags["nbaprops.plugin_version"] == "0.1.0" and tags["nbaprops.features.hash"]
        assert tags["nbaprops.data.digest"] == run.data.params["data_version"]
    # production = the weaker version, so the stronger one passes "not worse than production"
    # whatever the seeds give on the synthetic league (which wins is the model's business)
    version_of = {v.run_id: str(v.version) for v in client.search_model_versions(f"name = '{name}'")}
    weaker, stronger = (version_of[r.info.run_id] for r in
                        sorted((first, second), key=lambda run: -run.data.metrics["val_pra_mae"]))
    cli("register", "--version", weaker, "--name", name, "--alias", "production", "--reason", "first")
    cli("register", "--version", stronger, "--name", name, "--alias", "staging", "--reason", "candidate")
    cli("register", "--version", stronger, "--name", name, "--alias", "production", "--reason", "promote")
    assert str(client.get_model_version_by_alias(name, "production").version) == stronger

    # serve the production alias from the server's registry and artifact store
    port = free_port()
    serve = mlflow_cli("models", "serve", "-m", f"models:/{name}@production", "--env-manager", "local",
                       "-h", "127.0.0.1", "-p", str(port), "-w", "1")
    frame = load_gamelogs(stack["data"]).frame
    last = frame[frame["GAME_DATE"] == frame["GAME_DATE"].max()].head(3)
    slate = {"dataframe_records": [
        {"PLAYER_ID": float(r.PLAYER_ID), "GAME_DATE": (r.GAME_DATE + pd.Timedelta(days=2)).strftime("%Y-%m-%d"),
         "TEAM": r.TEAM, "OPPONENT": r.OPPONENT, "HOME": bool(r.HOME), "LINE": 15.5} for r in last.itertuples()]}
    with running(serve, f"http://127.0.0.1:{port}/ping", client_env(stack["server"]), tmp_path / "serve.log"):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", json.dumps(slate).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            served = json.loads(response.read())["predictions"]
    expected = flavor.load_model(f"models:/{name}@production").predict(pd.DataFrame(slate["dataframe_records"]))
    np.testing.assert_allclose([p["pred_PRA"] for p in served], expected["pred_PRA"], rtol=1e-9)

    out = cli("compare", "--runs", f"{first.info.run_id},{second.info.run_id}", "--baseline-run",
              first.info.run_id, "--output-dir", str(tmp_path / "cmp")).output
    assert first.info.run_name in out and second.info.run_name in out
    cli("rollback", "--name", name, "--reason", "drift")
    assert str(client.get_model_version_by_alias(name, "production").version) == weaker
    assert [e["action"] for e in promotion.history(name, client)][-1] == "rollback"


def test_concurrent_training_processes_register_unique_versions(stack, on_server, tmp_path):
    client = on_server
    procs = [train_process(stack, "--seed", str(i), "--phase", "tuning", "--register", "ConcurrentModel", cwd=tmp_path)
             for i in range(3)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(o[-1500:] for o in outputs)
    finished = runs(client, "NBAProps/Phase3_Tuning")
    assert len(finished) == 3 and all(r.info.status == "FINISHED" for r in finished)
    assert len({r.info.run_name for r in finished}) == 3  # v1, v2, v3 even when started together
    versions = client.search_model_versions("name = 'ConcurrentModel'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]
    assert sorted(v.run_id for v in versions) == sorted(r.info.run_id for r in finished)
    for run in finished:  # every run complete: metrics, params, artifacts, model
        assert "val_pra_mae" in run.data.metrics and "data_version" in run.data.params
        assert client.list_artifacts(run.info.run_id, "figures")


def test_racing_promotions_end_consistent_with_history(stack, flow_runs, on_server, tmp_path):
    client = on_server
    name = "RaceModel"
    for run_id in flow_runs:  # versions 1 and 2
        cli("register", "--run-id", run_id, "--name", name, "--alias", "none")
    env = client_env(stack["server"])
    moves = 0
    for round_ in range(3):
        racers = [subprocess.Popen(nbaprops("register", "--version", v, "--name", name, "--alias", "production",
                                            "--reason", f"race {round_}", "--allow-worse-than-production"),
                                   env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                  for v in ("1", "2")]
        results = [r.communicate(timeout=180) for r in racers]
        assert all(r.returncode == 0 for r in racers), results
        moves += sum(f"{name}@production -> version" in out for out, _ in results)
    events = [e for e in promotion.history(name, client) if e["alias"] == "production"]
    assert len(events) == moves >= 3  # every move is in the history: none overwritten by a racer
    assert str(client.get_model_version_by_alias(name, "production").version) == promotion.alias_stack(
        name, "production", client)[-1]


def test_server_killed_mid_run_then_rerun_works(stack, on_server, tmp_path):
    client = on_server
    server = stack["server"]
    before = stack["data"].read_bytes()
    proc = train_process(stack, "--phase", "features", "--experiment", "Killed", cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not runs(client, "Killed") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runs(client, "Killed"), "the run never appeared"
    os.killpg(server.proc.pid, signal.SIGKILL)  # the server and its uvicorn worker, mid-run
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "Error: MLflow:" in output and "Traceback" not in output, output[-2000:]
    restart(server)
    (orphan,) = runs(client, "Killed")
    assert orphan.info.status in ("RUNNING", "FAILED")  # resumable or failed, never "finished"
    assert stack["data"].read_bytes() == before and not (tmp_path / "mlruns").exists()  # nothing local touched
    rerun = train_process(stack, "--phase", "features", "--experiment", "Killed", cwd=tmp_path)
    out, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, out[-2000:]
    assert [r.info.status for r in runs(client, "Killed")].count("FINISHED") == 1


def test_database_restarted_between_runs(stack, flow_runs, on_server):
    """The server's pool holds connections from the runs before (``flow_runs``); the database
    restarts under it; the next training run still finishes."""
    assert on_server.get_run(flow_runs[0]).info.status == "FINISHED"
    stack["cluster"].ctl("restart")
    result = cli(*TRAIN, "--data", str(stack["data"]), "--experiment", "Restarted", ok=False)
    if result.exit_code != 0:  # a pooled connection may die with the database: one retry is what a user does
        cli(*TRAIN, "--data", str(stack["data"]), "--experiment", "Restarted")
    assert [r.info.status for r in runs(on_server, "Restarted")].count("FINISHED") == 1


def test_model_file_corrupted_after_logging_is_refused(stack, on_server):
    cli(*TRAIN, "--data", str(stack["data"]), "--experiment", "Corrupt", "--register", "CorruptModel")
    version = on_server.get_model_version("CorruptModel", "1")
    model_id = version.source.rsplit("/", 1)[-1]
    (pra,) = [p for p in (stack["root"] / "server" / "artifacts").rglob("pra.txt") if model_id in str(p)]
    pra.write_text(pra.read_text().replace("leaf_value=", "leaf_value=1", 1))
    with pytest.raises(ModelIntegrityError, match="pra.txt failed its SHA-256 check"):
        flavor.load_model("models:/CorruptModel/1")


def test_failing_artifact_upload_fails_the_run_cleanly(stack, on_server):
    client = on_server
    client.create_experiment("Unwritable", artifact_location="file:///proc/nbaprops-cannot-write-here")
    result = cli(*TRAIN, "--data", str(stack["data"]), "--experiment", "Unwritable", "--register", "NeverModel",
                 ok=False)
    assert result.exit_code == 1 and "Error:" in result.output
    (run,) = runs(client, "Unwritable")
    assert run.info.status == "FAILED"  # marked failed, not left running
    assert not client.search_model_versions("name = 'NeverModel'")


def test_racing_registrations_of_one_run_make_one_version(stack, flow_runs, on_server, tmp_path):
    """Three `register --run-id R` at once used to make versions 1, 2 and 3 of the same run."""
    client = on_server
    run = client.get_run(flow_runs[1])
    env = client_env(stack["server"])
    racers = [subprocess.Popen(nbaprops("register", "--run-id", run.info.run_id, "--name", "OneRunModel",
                                        "--alias", "none"), env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [r.communicate(timeout=180)[0] for r in racers]
    assert [r.returncode for r in racers] == [0, 0, 0], outputs
    versions = client.search_model_versions("name = 'OneRunModel'")
    assert len(versions) == 1 and versions[0].run_id == run.info.run_id
    assert all(f"OneRunModel version {versions[0].version}" in out for out in outputs)


def test_tuning_workers_share_one_study_and_a_killed_worker_leaves_a_failed_trial(stack, on_server, tmp_path,
                                                                                  tune_space):
    """Two `nbaprops tune` processes on one Optuna study in PostgreSQL, runs on the shared server.
    One is killed (SIGKILL, no cleanup) mid-trial: its trial ends FAIL and its run FAILED, the
    other finishes the study; no trial is lost or duplicated, each has exactly one run."""
    import optuna

    client = on_server
    stack["cluster"].create_database("optuna")
    storage = stack["cluster"].uri("optuna")
    args = nbaprops("tune", "--space", str(tune_space), "--data", str(stack["data"]),
                    "--validation-season", "2022-23", "--trials", "8", "--study", "team", "--storage", storage,
                    "--heartbeat", "2", "--threads", "1")
    env = client_env(stack["server"], NBAPROPS_CACHE_DIR=str(tmp_path / "cache"))
    workers = [subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for _ in range(2)]
    victim, survivor = workers
    try:
        deadline = time.monotonic() + 300
        while True:  # the victim has finished a trial and is inside another, its run created
            assert time.monotonic() < deadline, "the victim never got a second trial going"
            assert victim.poll() is None, victim.communicate()[0][-3000:]
            try:
                trials = optuna.load_study(study_name="team", storage=storage).get_trials()
            except KeyError:  # not created yet
                trials = []
            mine = [t for t in trials if f":{victim.pid}:" in t.user_attrs.get("worker", "")]
            if any(t.state.name in ("COMPLETE", "PRUNED") for t in mine) and any(
                    t.state.name == "RUNNING" and "mlflow_run_id" in t.user_attrs for t in mine):
                break
            time.sleep(0.3)
        victim.kill()
        victim.wait(timeout=30)
        out = survivor.communicate(timeout=900)[0]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert survivor.returncode == 0, out[-3000:]

    trials = optuna.load_study(study_name="team", storage=storage).get_trials()
    states = [t.state.name for t in trials]
    assert states.count("FAIL") == 1 and states.count("RUNNING") == 0
    assert states.count("COMPLETE") + states.count("PRUNED") == 8  # the killed trial started again, no overrun
    assert len({t.user_attrs["worker"] for t in trials}) == 2  # both worked on the one study
    experiment = client.get_experiment_by_name("NBAProps/Phase3_Tuning")
    runs = client.search_runs([experiment.experiment_id], "tags.`nbaprops.tune.study` = 'team'", max_results=500)
    parents = [r for r in runs if r.data.tags["nbaprops.tune.role"] == "study"]
    children = [r for r in runs if r.data.tags["nbaprops.tune.role"] == "trial"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert sorted(r.info.run_id for r in children) == sorted(t.user_attrs["mlflow_run_id"] for t in trials)
    assert sorted(int(r.data.tags["nbaprops.tune.trial"]) for r in children) == sorted(t.number for t in trials)
    assert all(r.data.tags["mlflow.parentRunId"] == parents[0].info.run_id for r in children)
    killed = next(t for t in trials if t.state.name == "FAIL")
    run = client.get_run(killed.user_attrs["mlflow_run_id"])
    assert run.info.status == "FAILED" and "no heartbeat" in run.data.tags["nbaprops.tune.failure"]
    assert all(client.get_run(t.user_attrs["mlflow_run_id"]).info.status in ("FINISHED", "KILLED")
               for t in trials if t.state.name != "FAIL")
    assert "postgresql" in out and "@" not in out.split("study team (", 1)[1].split(")", 1)[0]  # no credentials
