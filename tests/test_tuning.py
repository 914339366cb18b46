"""`nbaprops tune`: the search space file, a local study (nested runs, pruning, the next season
scored once), and its best configuration straight into `train`. Several workers on a real
PostgreSQL are in tests/test_team_scale.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from click.testing import CliRunner

from mlflow_nbaprops.cli import main
from mlflow_nbaprops.tuning import SpaceError, load_space, parse_space

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tune_space.yaml"


def cli(*args: str, code: int = 0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output + repr(result.exception)
    return result


def test_the_example_space_parses_and_starts_from_the_package_defaults():
    space = load_space(EXAMPLE)
    assert space.backend == "lightgbm" and "pra.learning_rate" in space.searched
    defaults = space.defaults()
    assert defaults["pra.learning_rate"] == 0.09 and defaults["train_window_days"] == 1500
    config = space.config({**defaults, "refit_every": 30}, "2022-23")
    assert config.refit_every == 30 and config.pra_params["n_estimators"] == 150


@pytest.mark.parametrize("text,message", [
    ("minutes:\n  n_estimatorz: {low: 10, high: 20}\n", "'n_estimatorz' is not a parameter of lightgbm; did you mean 'n_estimators'"),
    ("pra:\n  random_state: [1, 2]\n", "set by the estimator itself"),
    ("refit_evry: [7, 14]\n", "unknown key 'refit_evry'; did you mean 'refit_every'"),
    ("feature_set: [full, fancy]\n", "feature_set 'fancy' is not a registered set"),
    ("train_window_days: {low: 10, high: 20}\n", "train_window_days must be whole days >= 30"),
    ("pra:\n  learning_rate: {low: 0.2, high: 0.1}\n", "low 0.2 must be below high 0.1"),
    ("pra:\n  learning_rate: {low: 0, high: 0.1, log: true}\n", "a log range needs low > 0"),
    ("pra:\n  learning_rate: {low: 0.01, hi: 0.1}\n", "a range is {low, high"),
    ("backend: catboost\npra:\n  n_estimators: [1, 2]\n", "backend 'catboost' is not one of lightgbm, xgboost"),
    ("refit_every: 7\n", "nothing to search"),
    ("minutes: [1, 2\n", "not valid YAML"),
])
def test_a_bad_space_is_refused_before_any_data_is_read(tmp_path, text, message):
    path = tmp_path / "space.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpaceError, match=message.replace("(", r"\(").replace("{", r"\{")) as caught:
        load_space(path)
    assert str(path) in str(caught.value)
    out = cli("tune", "--space", str(path), "--data", "does-not-exist", "--validation-season", "2022-23", code=2).output
    assert "--space" in out and "does-not-exist" not in out  # the space is checked first


def test_json_spaces_and_xgboost_names_are_checked_too(tmp_path):
    path = tmp_path / "space.json"
    path.write_text('{"backend": "xgboost", "pra": {"eta": {"low": 0.05, "high": 0.2}, "max_dept": [3, 6]}}')
    with pytest.raises(SpaceError, match="'max_dept' is not a parameter of xgboost; did you mean 'max_depth'"):
        load_space(path)
    space = parse_space({"backend": "xgboost", "pra": {"eta": {"low": 0.05, "high": 0.2}}})
    assert space.searched == ["pra.eta"] and space.defaults() == {}  # 0.09 is `learning_rate`'s default


@pytest.mark.slow
def test_a_local_study_logs_nested_trials_prunes_poor_ones_and_scores_the_next_season(tmp_path, monkeypatch,
                                                                                     tune_space):
    monkeypatch.chdir(tmp_path)  # the embedded default storage lands here
    out = cli("tune", "--space", str(tune_space), "--data", "synthetic:3x6x16", "--validation-season", "2022-23",
              "--trials", "10", "--study", "local", "--heartbeat", "2").output
    assert (tmp_path / "nbaprops-tuning.db").is_file()
    assert "2023-24, scored once: best" in out and "train it: nbaprops train --params-from" in out

    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("NBAProps/Phase3_Tuning")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    parents = [r for r in runs if r.data.tags.get("nbaprops.tune.role") == "study"]
    trials = [r for r in runs if r.data.tags.get("nbaprops.tune.role") == "trial"]
    assert len(parents) == 1 and len(trials) == 10
    parent = parents[0]
    assert parent.info.status == "FINISHED" and parent.data.params["validation_season"] == "2022-23"
    for run in trials:  # every trial: nested, the plugin's tags, the data version, the trial's params
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert "nbaprops.plugin_version" in run.data.tags and run.data.params["data_version"]
        assert {"minutes.n_estimators", "pra.n_estimators", "pra.learning_rate"} <= set(run.data.params)
    numbers = sorted(int(r.data.tags["nbaprops.tune.trial"]) for r in trials)
    assert numbers == list(range(10))
    defaults = [r for r in trials if r.data.tags["nbaprops.tune.kind"] == "defaults"]
    assert len(defaults) == 1 and defaults[0].data.params["pra.learning_rate"] == "0.09"

    pruned = [r for r in trials if r.data.tags["nbaprops.tune.state"] == "PRUNED"]
    complete = [r for r in trials if r.data.tags["nbaprops.tune.state"] == "COMPLETE"]
    assert pruned and all(r.info.status == "KILLED" for r in pruned)
    assert all(r.info.status == "FINISHED" and "val_pra_mae" in r.data.metrics for r in complete)
    folds = max(r.data.metrics["folds_fitted"] for r in complete)
    assert all(r.data.metrics["folds_fitted"] < folds for r in pruned)
    assert parent.data.metrics["refits_done"] < parent.data.metrics["refits_without_pruning"]

    best = min(r.data.metrics["val_pra_mae"] for r in complete)
    history = client.get_metric_history(parent.info.run_id, "best_val_pra_mae")
    assert history[-1].value == pytest.approx(best) and sorted(m.step for m in history) == numbers
    assert all(a.value >= b.value for a, b in zip(history, history[1:]))  # best so far only improves
    assert {"next_best_pra_mae", "next_defaults_pra_mae", "defaults_val_pra_mae"} <= set(parent.data.metrics)
    figures = {a.path for a in client.list_artifacts(parent.info.run_id, "figures")}
    assert figures == {"figures/optimisation_history.png", "figures/param_importances.png"}

    trained = cli("train", "--params-from", "local", "--data", "synthetic:3x6x16", "--quiet").output
    assert "configuration from tuning run local" in trained
    model_runs = client.search_runs([client.get_experiment_by_name("NBAProps/Phase2_Model").experiment_id])
    best_run = client.get_run(parent.data.tags["nbaprops.tune.best_run"])
    assert model_runs[0].data.tags["nbaprops.params_from"] == "local"
    for name in ("minutes.n_estimators", "pra.n_estimators"):  # the tuned values, as the booster params
        stage = "stage1" if name.startswith("minutes") else "stage2"
        assert model_runs[0].data.params[f"{stage}.n_estimators"] == best_run.data.params[name]


@pytest.mark.slow
def test_the_core_package_never_imports_optuna_and_its_absence_is_a_clear_error(tmp_path, tune_space):
    code = "import sys, mlflow_nbaprops.cli, mlflow_nbaprops.tuning; print('optuna' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
    code = ("import sys\nsys.modules['optuna'] = None\nfrom mlflow_nbaprops.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code, "tune", "--space", str(tune_space), "--data",
                           "synthetic:2x6x16", "--validation-season", "2022-23"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 1 and "pip install 'mlflow-nbaprops[tune]'" in done.stderr


@pytest.mark.slow
def test_a_trial_another_worker_is_running_counts_toward_the_budget_and_one_worker_finishes(tmp_path, tune_space):
    """Trials are not started past the budget while another worker's trial runs (Optuna's own
    MaxTrialsCallback counts finished trials only: each extra worker overran by one). Exactly one
    worker finishes the study: the one whose trial ended last; a worker that finds every trial
    done and the study unfinished finishes it."""
    import threading
    import time

    import optuna

    from mlflow_nbaprops.data import load_data
    from mlflow_nbaprops.tuning import load_space, tune

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    data, space = load_data("synthetic:2x6x16", 0), load_space(tune_space)
    study = optuna.create_study(study_name="shared", storage=storage, direction="minimize")
    elsewhere = study.ask()  # another worker's trial, in progress
    elsewhere.set_user_attr("worker", "elsewhere:1")
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)

    def end_it_last() -> None:  # the other worker's trial ends after this worker's two (a poor one)
        while len(study.get_trials(states=finished)) < 2:
            time.sleep(0.1)
        study.tell(elsewhere, 99.0)

    other = threading.Thread(target=end_it_last)
    other.start()
    first = tune(data, space, "2022-23", trials=3, study_name="shared", storage=storage, heartbeat=1)
    other.join()
    assert len(study.get_trials()) == 3 and len(study.get_trials(states=finished)) == 3  # 2 here, none past 3
    assert not first.finalized and first.finisher == "elsewhere:1"  # it ran the last trial: it finishes
    assert "finishes it: elsewhere:1" in first.summary()
    parent = mlflow.MlflowClient().get_run(first.parent_run_id)
    assert parent.info.status == "RUNNING" and "trials_complete" not in parent.data.metrics

    last = tune(data, space, "2022-23", trials=3, study_name="shared", storage=storage, heartbeat=1)
    assert last.finalized and len(study.get_trials()) == 3  # nothing more started: the budget was spent
    assert last.best is not None and last.best["value"] < 99.0
    assert mlflow.MlflowClient().get_run(first.parent_run_id).info.status == "FINISHED"
    again = tune(data, space, "2022-23", trials=3, study_name="shared", storage=storage, heartbeat=1)
    assert not again.finalized and again.finisher == last.finisher  # joined when all is done: finished once
    assert mlflow.MlflowClient().get_run(first.parent_run_id).info.status == "FINISHED"
    history = mlflow.MlflowClient().get_metric_history(first.parent_run_id, "trials_complete")
    assert len(history) == 1
