"""The ``nbaprops data`` commands, driven through click as a user would."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import load_gamelogs

SMALL = ["--seasons", "1", "--seed", "4", "--teams", "6", "--games-per-team", "10"]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_synth_validate_fingerprint(tmp_path):
    out = tmp_path / "league.csv.gz"
    result = run("data", "synth", *SMALL, "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.exists() and "wrote" in result.output
    logs = load_gamelogs(out)
    validated = run("data", "validate", str(out))
    assert validated.exit_code == 0
    assert f"rows:         {len(logs.frame):,}" in validated.output
    assert f"data version: {logs.version.digest}" in validated.output
    fingerprint = run("data", "fingerprint", str(out))
    assert fingerprint.exit_code == 0 and fingerprint.output.strip() == logs.version.digest


def test_synth_writes_each_format_with_one_version(tmp_path):
    digests = set()
    for name in ("a.csv", "a.csv.gz", "a.parquet"):
        assert run("data", "synth", *SMALL, "-o", str(tmp_path / name)).exit_code == 0
        digests.add(run("data", "fingerprint", str(tmp_path / name)).output.strip())
    assert len(digests) == 1


def test_bad_data_exits_non_zero_with_the_reason(tmp_path):
    out = tmp_path / "league.csv"
    run("data", "synth", *SMALL, "-o", str(out))
    frame = pd.read_csv(out, dtype=str)
    frame.loc[2, "MIN"] = "lots"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    result = run("data", "validate", str(tmp_path / "bad.csv"))
    assert result.exit_code == 1
    assert "bad.csv rows 3" in result.output and "MIN" in result.output and "text in numeric column" in result.output
    quarantined = run("data", "validate", "--quarantine", str(tmp_path / "bad.csv"))
    assert quarantined.exit_code == 0 and "quarantined:  1 row(s)" in quarantined.output


def test_missing_path_and_bad_arguments(tmp_path):
    missing = run("data", "fingerprint", str(tmp_path / "nope.parquet"))
    assert missing.exit_code == 1 and "no such file or folder" in missing.output
    odd = run("data", "synth", "--teams", "7", "-o", str(tmp_path / "x.csv"))
    assert odd.exit_code == 2 and "n_teams must be even" in odd.output
    wrong_type = run("data", "synth", "--seasons", "1", "-o", str(tmp_path / "x.json"))
    assert wrong_type.exit_code == 2 and "unsupported output type" in wrong_type.output
    assert not (tmp_path / "x.json").exists()


def test_version_flag():
    from mlflow_nbaprops import __version__

    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output
