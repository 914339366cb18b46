"""README blocks are promises: the ones a user runs as written are run here, as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

pytestmark = pytest.mark.slow  # each runs a whole block as a user would: processes, training, servers

README = Path(__file__).resolve().parents[1] / "README.md"


def section(heading: str, page: Path = README) -> str:
    """The README section ``heading`` (or a whole docs page)."""
    text = page.read_text(encoding="utf-8")
    return text if page != README else text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def bash_block(heading: str, page: Path = README) -> str:
    """The first ```bash block under the README section ``heading`` (or on a docs page)."""
    return re.search(r"```bash\n(.*?)```", section(heading, page), re.S).group(1)


def printed_numbers(text: str) -> dict[str, float]:
    """The numbers a "what it prints" sample shows, by what they measure."""
    patterns = {"refresh validation MAE": r"not worse than production\s+([\d.]+)",
                "live PRA MAE": r"PRA MAE ([\d.]+), previous-10",
                "live previous-10 MAE": r"previous-10 ([\d.]+), minutes",
                "live minutes MAE": r"previous-10 [\d.]+, minutes MAE ([\d.]+)",
                "graded": r"(\d+) predictions graded",
                "slate rows": r"(\d+) slate rows"}
    found = {}
    for name, pattern in patterns.items():
        match = re.search(pattern, text)
        if match:
            found[name] = float(match.group(1))
    return found


def test_the_running_it_every_day_block_runs_as_written(tmp_path):
    block = bash_block("Running it every day")
    assert "nbaprops refresh" in block and "nbaprops grade" in block
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "version 1's boosters (byte-identical)" in out and "NBAPropsModel@production -> version 2" in out
    assert "logged as run" in out and "graded, PRA MAE" in out and "live window" in out
    client = mlflow.MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    assert str(client.get_model_version_by_alias("NBAPropsModel", "production").version) == "2"
    assert (tmp_path / "predictions.csv").is_file() and (tmp_path / "monitoring" / "live_mae.png").is_file()
    # the README's sample is what a run prints: every number in it, within 0.02 (counts exactly)
    sample = section("Running it every day").split("What it prints", 1)[1].split("```", 2)[1]
    promised, printed = printed_numbers(sample), printed_numbers(out)
    assert len(promised) == 6 and set(promised) <= set(printed), (promised, printed)
    for name, value in promised.items():
        assert abs(printed[name] - value) <= (0 if value.is_integer() else 0.02), (name, value, printed[name])

    # the serving block, against the model this block put in production (on a free port)
    import json
    import signal

    from processes import free_port

    port = str(free_port())
    serve = bash_block("Serving").replace("5000", port)
    with open(tmp_path / "served.txt", "w") as out:  # the server started in the background keeps running
        proc = subprocess.Popen(["bash", "-e", "-c", serve], cwd=tmp_path, env=env, stdout=out,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert proc.wait(timeout=240) == 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
    text, decoder, answers = (tmp_path / "served.txt").read_text(), json.JSONDecoder(), []
    while (start := text.find('{"predictions"')) >= 0:  # (curl prints each answer without a newline)
        answer, end = decoder.raw_decode(text, start)
        answers.append(answer["predictions"])
        text = text[end:]
    assert len(answers) == 2, (tmp_path / "served.txt").read_text()[-2000:]
    rows = answers[0]
    assert rows[0]["pred_PRA"] > 5 and rows[0]["unknown_player"] is False and 0 < rows[0]["p_over"] < 1
    assert rows[1]["pred_PRA"] == 0 and "not playing" in rows[1]["warning"]
    # the CSV slate, served, answers what `nbaprops predict` answered for it with the same model
    import pandas as pd

    served, predicted = pd.DataFrame(answers[1]), pd.read_csv(tmp_path / "predictions.csv")
    assert len(served) == len(predicted) == printed["slate rows"]
    assert (served["answered_by"] == "not playing").sum() == 5
    assert served["pred_PRA"].to_numpy() == pytest.approx(predicted["pred_PRA"].to_numpy(), rel=1e-9)


def test_the_mlflow_workflow_block_runs_as_written(tmp_path):
    """Two trained models, compared, promoted and rolled back through `mlflow run`: in a copy of
    the project (the block runs `mlflow run .` and writes outputs beside it), on a small league."""
    import shutil

    block = bash_block("The MLflow workflow")
    project = tmp_path / "project"
    shutil.copytree(README.parent, project, ignore=shutil.ignore_patterns(
        ".venv", ".git", "mlruns", "*.egg-info", "__pycache__", ".pytest_cache", "comparison", "monitoring"))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "DATA": "synthetic:2x8x16",
           "NBAPROPS_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-c", block], cwd=project, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    client = mlflow.MlflowClient(tracking_uri=uri)
    assert str(client.get_model_version_by_alias("NBAPropsModel", "production").version) == "1"
    for name, count in (("NBAProps/Phase2_Model", 2), ("NBAProps/Comparisons", 1), ("NBAProps/Phase4_Production", 3)):
        experiment = client.get_experiment_by_name(name)
        runs = client.search_runs([experiment.experiment_id])
        assert len(runs) == count and all(r.info.status == "FINISHED" for r in runs), name
    default = client.get_experiment_by_name("Default")
    assert default is None or not client.search_runs([default.experiment_id])  # nothing litters Default
    assert "rollback" in done.stdout and "v2 -> v1" in done.stdout
    assert "walk-forward refits:" in done.stderr  # progress, readable in a log

    # Quick start's command 1 is this block's second training without its registration: the
    # numbers the README says it prints are the ones that training printed, within 0.01
    quick = re.search(r"mlflow run \. -e train (.*)", bash_block("Quick start")).group(1)
    full = next(line for line in block.replace("\\\n", " ").splitlines() if "feature_set=full" in line)
    full = full.replace("$DATA", env["DATA"]).split("mlflow run . -e train ", 1)[1]
    defaults = {"feature_set": "full"}  # (MLproject's default: asserted below)
    assert options(quick) == {k: v for k, v in options(full).items() if k != "-P register" and
                              not (k.startswith("-P ") and defaults.get(k[3:]) == v)}, (quick, full)
    import yaml

    project_yaml = yaml.safe_load((README.parent / "MLproject").read_text())
    assert project_yaml["entry_points"]["train"]["parameters"]["feature_set"]["default"] == "full"
    printed = done.stdout.split("walk-forward backtest, season")[2]  # the second training's summary
    promised = re.search(r"PRA MAE\s+([\d.]+), minutes MAE\s+([\d.]+),\s+P\(over\) calibration error\s+([\d.]+)",
                         section("Quick start")).groups()
    got = (re.search(r"\ntwo-stage\s+([\d.]+)", printed).group(1), re.search(r"minutes MAE ([\d.]+)", printed).group(1),
           re.search(r"P\(over\) calibration error ([\d.]+)", printed).group(1))
    assert all(abs(float(a) - float(b)) <= 0.01 for a, b in zip(promised, got)), (promised, got)
    assert 'in experiment NBAProps/Phase2_Model' in printed and "in experiment NBAProps/Phase2_Model" in section(
        "Quick start")


def options(command: str) -> dict[str, str]:
    """``--flag value`` and ``-P key=value`` pairs of an ``mlflow run`` command line."""
    words, found = command.split(), {}
    for flag, value in zip(words[::2], words[1::2]):
        key = f"-P {value.split('=', 1)[0]}" if flag == "-P" else flag
        found[key] = value.split("=", 1)[1] if flag == "-P" else value
    return found


def test_the_tuning_block_runs_as_written(tmp_path):
    """The study on a small league (4 trials), then its best configuration trained and registered."""
    import shutil

    block = bash_block("Tuning", README.parent / "docs" / "tuning.md")
    assert "nbaprops tune --space examples/tune_space.yaml" in block and "--params-from" in block
    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "DATA": "synthetic:3x6x16", "TRIALS": "4",
           "NBAPROPS_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "study props-2022-23" in done.stdout and "2023-24, scored once: best" in done.stdout
    assert "configuration from tuning run props-2022-23" in done.stderr
    client = mlflow.MlflowClient(tracking_uri=uri)
    version = client.search_model_versions("name = 'NBAPropsModel'")[0]
    assert client.get_run(version.run_id).data.tags["nbaprops.params_from"] == "props-2022-23"
    assert (tmp_path / "nbaprops-tuning.db").is_file()


def test_the_nightly_feed_block_runs_as_written(tmp_path):
    """The feed block against the stand-in stats site (tests/feedserver.py) on a synthetic league:
    two seasons pulled, a model trained and put in production, one night run by `daily`."""
    import pandas as pd

    pytest.importorskip("nba_api", reason="the feed extra is not installed")
    from feedserver import FeedServer, Recordings

    from mlflow_nbaprops.data import synthetic_league_with_news

    block = bash_block("The nightly feed")
    assert "nbaprops data pull" in block and "nbaprops daily" in block
    league, news = synthetic_league_with_news(2, seed=5, teams=8, games=24)
    second = league[league["SEASON"] == "2022-23"]
    per_night = second.groupby("GAME_DATE")["GAME_ID"].nunique()
    tonight = next(day for day in sorted(per_night.index)[25:] if per_night[day] >= 2)
    recordings = Recordings(league, news, tonight)
    recordings.lineups_for = set(second.loc[second["GAME_DATE"] == tonight, "GAME_ID"])
    with FeedServer(recordings) as server:
        env = {**os.environ, **server.env(), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
               "NBAPROPS_CACHE_DIR": str(tmp_path / "cache"), "TONIGHT": f"{tonight:%Y-%m-%d}",
               "LAST_SEASON": "2021-22", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "pulled 2021-22" in out and "pulled 2022-23" in out
    for i, step in enumerate(("pull", "refresh", "slate", "predict", "grade", "monitor"), start=1):
        assert f"[{i}/6] {step}" in out
    assert f"night of {tonight:%Y-%m-%d}: 6 steps" in out and "logged as run" in out
    slate = pd.read_csv(tmp_path / "daily" / f"slate_{tonight:%Y-%m-%d}.csv")
    assert slate["STARTER"].sum() == 5 * slate["TEAM"].nunique()


def test_the_fast_loop_the_readme_names_leaves_out_the_end_to_end_tests():
    """The README's fast loop, collected as written: the unit tests are in it, the README blocks,
    started processes and PostgreSQL tests are not."""
    command = re.search(r'`(python -m pytest -m "[^"]+")`', section("Quick start")).group(1)
    marker = re.search(r'-m "([^"]+)"', command).group(1)
    root = README.parent
    done = subprocess.run([sys.executable, "-m", "pytest", "-m", marker, "--collect-only", "-q", "-n", "0",
                           "-p", "no:cacheprovider"], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    chosen = [line for line in done.stdout.splitlines() if "::" in line]
    files = {line.split("::")[0] for line in chosen}
    assert len(chosen) > 250 and "tests/test_model.py" in files and "tests/test_features.py" in files
    assert not files & {"tests/test_readme.py", "tests/test_serving.py", "tests/test_team_scale.py"}
    assert not any("test_mlflow_run_train_is_reproducible" in line or "broken_booster" in line for line in chosen)
