"""The MLproject workflow: a real `mlflow run` of train (twice: reproducible), the tracking
standard on the run, data versions, compare, and the registry path with rollback."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner
from processes import mlflow_cli, python_env
from stores import forget_active_experiment, store_path

from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import write_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.features import FEATURE_SETS, get_feature_set
from mlflow_nbaprops.promotion import alias_stack, history

PROJECT = Path(__file__).resolve().parents[1]
FAST = '{"n_estimators": 25, "learning_rate": 0.2}'
SMALL = "synthetic:2x6x16"
TRAIN_ARGS = ["--refit-every", "21", "--minutes-params", FAST, "--pra-params", FAST, "--quiet"]


def cli(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def runs_of(experiment: str) -> list:
    exp = mlflow.get_experiment_by_name(experiment)
    return mlflow.MlflowClient().search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"])


@pytest.mark.slow
def test_mlflow_run_train_is_reproducible_and_tagged(tmp_path):
    """`mlflow run . -e train --env-manager local` twice: identical metrics and predictions,
    the plugin's tags on the resumed runs, standardized run names."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = python_env(MLFLOW_TRACKING_URI=uri, NBAPROPS_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):
        done = subprocess.run(
            mlflow_cli("run", str(PROJECT), "-e", "train", "--env-manager", "local",
                       "--experiment-name", "NBAProps/Phase2_Model",
                       "-P", f"data={SMALL}", "-P", "refit_every=21", "-P", f"minutes_params={FAST}",
                       "-P", f"pra_params={FAST}"),
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    mlflow.set_tracking_uri(uri)
    try:
        first, second = runs_of("NBAProps/Phase2_Model")
        client = mlflow.MlflowClient()
        assert first.info.status == second.info.status == "FINISHED"
        assert first.data.metrics == second.data.metrics and len(first.data.metrics) > 30
        assert first.data.params == second.data.params
        paths = [client.download_artifacts(r.info.run_id, "predictions/predictions.parquet", str(tmp_path / r.info.run_id))
                 for r in (first, second)]
        pd.testing.assert_frame_equal(pd.read_parquet(paths[0]), pd.read_parquet(paths[1]))
        head = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "HEAD"], capture_output=True, text=True)
        for run in (first, second):
            tags = run.data.tags
            assert tags["mlflow.source.type"] == "PROJECT"  # really made by `mlflow run`
            assert tags["nbaprops.plugin_version"] == "0.1.0" and tags["nbaprops.features.hash"]
            if head.returncode == 0:
                assert tags["nbaprops.git.commit"] == head.stdout.strip()
            assert tags["nbaprops.data.digest"] == run.data.params["data_version"]
        assert first.info.run_name.endswith("_model_full_walkforward21d_v1")
        assert second.info.run_name.endswith("_model_full_walkforward21d_v2")
    finally:
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def league_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "league.parquet"
    write_gamelogs(synthesize_league(2, seed=21, n_teams=8, games_per_team=24), path)
    return path


@pytest.fixture(scope="module")
def _trained_template(tmp_path_factory, league_file, _empty_store) -> tuple[Path, dict[str, str]]:
    """Three `nbaprops train` runs of ``league_file`` in NBAProps/Phase2_Model, made once per
    module: full with seeds 1 and 2, core with seed 7 (no registrations, no aliases)."""
    root = tmp_path_factory.mktemp("trained-store")
    store = root / "mlflow.db"
    shutil.copyfile(_empty_store, store)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{store}", "NBAPROPS_CACHE_DIR": str(root / "cache")}
    with contextlib.chdir(root):  # (the experiment's artifacts: root/mlruns)
        for extra in (["--seed", "1"], ["--seed", "2"], ["--feature-set", "core"]):
            result = CliRunner().invoke(main, ["train", *TRAIN_ARGS, "--data", str(league_file), *extra], env=env)
            assert result.exit_code == 0, result.output + repr(result.exception)
    forget_active_experiment()
    client = mlflow.MlflowClient(env["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("NBAProps/Phase2_Model").experiment_id
    full_1, full_2, core = client.search_runs([experiment], order_by=["attributes.start_time ASC"])
    assert (full_2.data.params["seed"], core.data.params["feature_set"]) == ("2", "core")
    return store, {"full-1": full_1.info.run_id, "full-2": full_2.info.run_id, "core": core.info.run_id}


@pytest.fixture
def trained(_trained_template) -> dict[str, str]:
    """This test's tracking store holds the template's three runs (run ids by "full-1", "full-2",
    "core"); what the test adds stays in its own copy."""
    store, names = _trained_template
    shutil.copyfile(store, store_path())
    return names


@pytest.mark.slow
def test_training_run_follows_the_standard(league_file):
    cli("train", *TRAIN_ARGS, "--data", str(league_file), "--phase", "features", "--register", "NBAPropsModel")
    (run,) = runs_of("NBAProps/Phase1_Features")
    client = mlflow.MlflowClient()
    params, tags, metrics = run.data.params, run.data.tags, run.data.metrics
    assert {"stage1.n_estimators", "stage1.learning_rate", "stage1.objective", "stage2.objective", "stage2.num_leaves", "feature_set_version",
            "feature_set_hash", "refit_every_days", "train_window_days", "seed", "data_version"} <= set(params)
    assert params["stage1.n_estimators"] == "25" and params["stage1.objective"] == params["stage2.objective"] == "l1"
    contexts = {i.dataset.name: [t.value for t in i.tags] for i in run.inputs.dataset_inputs}
    assert sorted(v[0] for v in contexts.values()) == ["training", "validation"]
    assert all(len(i.dataset.digest) == 32 for i in run.inputs.dataset_inputs)
    assert tags["nbaprops.architecture"] == "two_stage" and tags["nbaprops.phase"] == "features"
    assert tags["nbaprops.validation"] == "walkforward21d" and float(tags["nbaprops.baseline_mae"]) > 0
    for key in ("val_pra_mae", "val_pra_rmse", "val_pra_r2", "val_pra_within_3", "val_pra_within_10", "val_min_mae",
                "val_min_r2", "val_vs_l10_pct", "val_vs_single_pct", "val_vs_season_pct", "val_bet_roi",
                "val_bet_win_rate", "val_bet_clv", "val_bet_sharpe", "val_bet_max_drawdown", "val_bet_brier",
                "val_bet_calibration_error", "val_bet_kelly_fraction", "val_seg_home_home_mae"):
        assert key in metrics, key
    folds = client.get_metric_history(run.info.run_id, "val_fold_mae")
    assert [m.step for m in folds] == list(range(len(folds))) and len(folds) >= 3
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    artifacts |= {a.path for d in ("figures", "analysis", "predictions") for a in client.list_artifacts(run.info.run_id, d)}
    assert {"feature_lineage.json", "training_config.json", "predictions/predictions.parquet",
            "analysis/error_by_segment.json", "figures/feature_importance.png", "figures/calibration_curve.png",
            "figures/residuals.png", "figures/mae_over_season.png"} <= artifacts
    lineage = json.loads(Path(client.download_artifacts(run.info.run_id, "feature_lineage.json")).read_text())
    # game logs without news: auto trains the observed scenario, full v4.1 (the set the run read, not the latest)
    full, core = get_feature_set("full", "v4.1"), FEATURE_SETS["core"]
    assert lineage["name"] == "full" and lineage["version"] == "v4.1" and lineage["availability"] == "observed"
    assert sorted(lineage["vs_baseline"]["added"]) == sorted(set(full.names) - set(core.names))
    version = client.get_model_version("NBAPropsModel", "1")
    assert version.run_id == run.info.run_id


@pytest.mark.slow
def test_changed_data_changes_the_data_version(tmp_path, league_file, trained):
    changed = tmp_path / "changed.parquet"
    frame = pd.read_parquet(league_file)
    frame.loc[frame.index[10], "PTS"] += 1
    frame.to_parquet(changed, index=False)
    cli("train", *TRAIN_ARGS, "--data", str(changed), "--feature-set", "core")
    same, other = (r for r in runs_of("NBAProps/Phase2_Model") if r.info.run_id in (trained["core"], trained["full-1"]))
    assert same.data.params["data_version"] == other.data.params["data_version"]  # one file, one version
    b = runs_of("NBAProps/Phase2_Model")[-1]
    assert b.info.run_id not in trained.values()
    assert same.data.params["data_version"] != b.data.params["data_version"]
    assert b.data.tags["nbaprops.data.digest"] == b.data.params["data_version"]


def test_bad_train_parameters_are_refused_before_any_run(tmp_path):
    for args, message in ((["--minutes-params", "{not json"], "not JSON"),
                          (["--refit-every", "7.5"], "not a whole number"),
                          (["--feature-set", "nope"], "unknown feature set"),
                          (["--data", str(tmp_path / "missing.csv")], "missing.csv"),
                          (["--data", "synthetic:3x"], "SEASONSxTEAMSxGAMES"),
                          (["--test-season", "1999-00"], "not in the data")):
        result = cli("train", *TRAIN_ARGS, *(args if "--data" in args else ["--data", SMALL, *args]), ok=False)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert mlflow.get_experiment_by_name("NBAProps/Phase2_Model") is None or not runs_of("NBAProps/Phase2_Model")


@pytest.mark.slow
def test_compare_by_filter_with_baseline(tmp_path, trained):
    runs = {r.info.run_id: r for r in runs_of("NBAProps/Phase2_Model")}
    base, other = runs[trained["full-1"]], runs[trained["core"]]
    result = cli("compare", "--experiment", "NBAProps/Phase2_Model", "--filter",
                 "metrics.val_pra_mae < 100 and params.seed != '2'",
                 "--baseline-run", base.info.run_id, "--output-dir", str(tmp_path / "cmp"), "--log-run")
    assert base.info.run_name in result.output and other.info.run_name in result.output
    assert runs[trained["full-2"]].info.run_name not in result.output  # filtered out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert list(table["feature_set"]) == ["full", "core"]
    assert table.loc[0, "val_pra_mae_delta"] == 0
    assert table.loc[1, "val_pra_mae_delta"] == pytest.approx(
        other.data.metrics["val_pra_mae"] - base.data.metrics["val_pra_mae"])
    assert (tmp_path / "cmp" / "fold_mae.png").stat().st_size > 1000
    assert "| run_name |" in (tmp_path / "cmp" / "comparison.md").read_text()
    (logged,) = runs_of("NBAProps/Comparisons")
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(logged.info.run_id, "comparison")}
    assert "comparison/comparison.csv" in names and "comparison/fold_mae.png" in names
    bad = cli("compare", "--experiment", "NBAProps/Phase2_Model", "--filter", "metrics.val_pra_mae <", ok=False)
    assert bad.exit_code == 1 and "bad filter" in bad.output


@pytest.mark.slow
def test_register_promote_and_roll_back_with_history(trained):
    # v1 = the weaker run, so the stronger v2 passes "not worse than production" whatever the
    # seeds give on the synthetic league (which of the two wins is the model's business, not this test's)
    first, second = sorted((r for r in runs_of("NBAProps/Phase2_Model") if r.info.run_id in
                            (trained["full-1"], trained["full-2"])), key=lambda run: -run.data.metrics["val_pra_mae"])
    client = mlflow.MlflowClient()

    out = cli("register", "--run-id", first.info.run_id, "--alias", "production", "--reason", "first model").output
    assert "PASS" in out and "NBAPropsModel@production -> version 1" in out
    # a failing criterion leaves every alias where it was and exits non-zero
    refused = cli("register", "--run-id", second.info.run_id, "--alias", "production", "--max-pra-mae", "1",
                  ok=False)
    assert refused.exit_code == 1 and "FAIL" in refused.output and "no alias changed" in refused.output
    assert str(client.get_model_version_by_alias("NBAPropsModel", "production").version) == "1"

    cli("register", "--version", "2", "--alias", "staging", "--reason", "candidate")
    cli("register", "--version", "2", "--alias", "production", "--reason", "better on 2022-23",
        "--allow-worse-than-production")
    assert str(client.get_model_version_by_alias("NBAPropsModel", "production").version) == "2"
    assert client.get_model_version("NBAPropsModel", "1").tags["archived"] == "true"
    assert json.loads(client.get_model_version("NBAPropsModel", "1").tags["nbaprops.archived"])["replaced_by"] == "2"

    rolled = cli("rollback", "--reason", "bad live results").output
    assert "version 2 -> 1" in rolled
    assert str(client.get_model_version_by_alias("NBAPropsModel", "production").version) == "1"
    events = history("NBAPropsModel")
    assert [(e["action"], e["alias"], e["version"]) for e in events] == [
        ("promote", "production", "1"), ("promote", "staging", "2"), ("promote", "production", "2"),
        ("rollback", "production", "1")]
    assert events[-1]["reason"] == "bad live results" and events[-1]["from_version"] == "2"
    assert alias_stack("NBAPropsModel", "production") == ["1"]
    again = cli("rollback", "--reason", "again", ok=False)
    assert again.exit_code == 1 and "nothing to roll back" in again.output
    from mlflow_nbaprops import flavor

    production = flavor.load_model("models:/NBAPropsModel@production")
    assert production.info["data_version"] == first.data.params["data_version"]
    assert "rollback" in cli("history").output


def test_every_front_door_defaults_to_the_models_training_window():
    """`nbaprops backtest`, `nbaprops train`, the MLproject and the Python API train on the same window."""
    import yaml

    from mlflow_nbaprops.evaluation import BacktestConfig
    from mlflow_nbaprops.model.predictor import DEFAULT_TRAIN_WINDOW_DAYS

    for command in ("backtest", "train"):
        option = next(p for p in main.commands[command].params if p.name == "train_window")
        assert option.default == DEFAULT_TRAIN_WINDOW_DAYS, command
    project = yaml.safe_load((Path(__file__).parents[1] / "MLproject").read_text())
    assert project["entry_points"]["train"]["parameters"]["train_window"]["default"] == DEFAULT_TRAIN_WINDOW_DAYS
    assert BacktestConfig(test_season="2023-24").train_window_days == DEFAULT_TRAIN_WINDOW_DAYS


@pytest.mark.slow
def test_racing_registrations_of_one_run_make_one_version_on_sqlite(trained, tmp_path):
    """Three `nbaprops register --run-id R` processes at once: one version, all three report it."""
    import os
    import sys

    exe = str(Path(sys.executable).parent / "nbaprops")
    racers = [subprocess.Popen([exe, "register", "--run-id", trained["full-2"], "--name", "OneRun", "--alias", "none"],
                               env=dict(os.environ), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True) for _ in range(3)]
    outputs = [r.communicate(timeout=180)[0] for r in racers]
    assert [r.returncode for r in racers] == [0, 0, 0], outputs
    versions = mlflow.MlflowClient().search_model_versions("name = 'OneRun'")
    assert len(versions) == 1 and all(f"OneRun version {versions[0].version}" in out for out in outputs)


@pytest.mark.slow
def test_history_of_a_model_without_moves_says_so(trained):
    cli("register", "--run-id", trained["core"], "--name", "Quiet", "--alias", "none")
    assert mlflow.MlflowClient().get_model_version("Quiet", "1").run_id == trained["core"]
    assert "no recorded alias moves for Quiet" in cli("history", "--name", "Quiet").output


def test_a_run_lands_in_its_experiment_when_another_process_creates_it_meanwhile(monkeypatch):
    """Two trainings started together on a new server both find the experiment missing; the one
    whose create loses gets RESOURCE_ALREADY_EXISTS. Its run still lands in the experiment,
    not in Default (``mlflow.set_experiment`` returns there without activating it)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    from mlflow_nbaprops.tracking.runs import use_experiment

    create = SqlAlchemyStore.create_experiment

    def lose_the_race(self, name, *args, **kwargs):
        create(self, name, *args, **kwargs)  # the other process's create, between our lookup and ours
        return create(self, name, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(SqlAlchemyStore, "create_experiment", lose_the_race)
        exp_id = use_experiment("NBAProps/Raced")
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == exp_id == mlflow.get_experiment_by_name("NBAProps/Raced").experiment_id
