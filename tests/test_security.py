"""Credentials never land in tags, params, artifacts' configs, warnings or CLI errors."""

from __future__ import annotations

import logging

import mlflow
from click.testing import CliRunner

from mlflow_nbaprops.cli import main
from mlflow_nbaprops.context import ERROR_TAG, context_tags
from mlflow_nbaprops.data import write_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league

SECRET = "s3cretValue42"
TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
FAST = '{"n_estimators": 20, "learning_rate": 0.2}'


def test_tracking_uri_credentials_are_not_echoed_by_cli_errors(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://admin:{SECRET}@127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    result = CliRunner().invoke(main, ["compare", "--experiment", "NBAProps/Phase2_Model"])
    assert result.exit_code == 1 and "Error: MLflow:" in result.output
    assert SECRET not in result.output and "127.0.0.1" in result.output


def test_tokens_in_configured_paths_stay_out_of_tags_and_warnings(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBAPROPS_DATA", str(tmp_path / f"{TOKEN}" / f"token={SECRET}.csv"))
    with caplog.at_level(logging.WARNING):
        tags = context_tags()
    assert "does not exist" in tags[ERROR_TAG]
    everything = " ".join(tags.values()) + caplog.text
    assert TOKEN not in everything and SECRET not in everything


def test_training_params_tags_and_config_are_redacted(tmp_path):
    folder = tmp_path / f"export-token={SECRET}"
    folder.mkdir()
    write_gamelogs(synthesize_league(2, seed=5, n_teams=6, games_per_team=20), folder / "league.parquet")
    result = CliRunner().invoke(main, ["train", "--data", str(folder), "--refit-every", "28", "--minutes-params", FAST,
                                       "--pra-params", FAST, "--quiet"])
    assert result.exit_code == 0, result.output
    (run,) = mlflow.search_runs(experiment_names=["NBAProps/Phase2_Model"], output_format="list")
    values = list(run.data.params.values()) + list(run.data.tags.values())
    assert not any(SECRET in v for v in values)
    config = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/training_config.json")
    assert SECRET not in str(config)
