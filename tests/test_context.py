"""The run-context plugin: entry point, tags on real runs, credential scrubbing, faults."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest

from mlflow_nbaprops.context import ERROR_TAG, NBAPropsRunContext, context_tags
from mlflow_nbaprops.features import FEATURE_SETS
from mlflow_nbaprops.context import git as git_context
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.data import write_gamelogs
from mlflow_nbaprops.redact import redact_text, redact_url


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A small committed repository as the working directory; the script is ``python -c``."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('hi')\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setenv("NBAPROPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NBAPROPS_DATA", raising=False)
    return root


def run_tags() -> dict[str, str]:
    """Start and end a real run through the fluent API; its ``nbaprops.*`` tags."""
    with mlflow.start_run() as run:
        pass
    finished = mlflow.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    return {k: v for k, v in finished.data.tags.items() if k.startswith("nbaprops.")}


def test_registered_through_the_entry_point():
    points = importlib.metadata.entry_points(group="mlflow.run_context_provider")
    assert any(p.value == "mlflow_nbaprops.context:NBAPropsRunContext" for p in points)
    from mlflow.tracking.context.registry import _run_context_provider_registry

    assert any(isinstance(p, NBAPropsRunContext) for p in _run_context_provider_registry)


def test_import_is_light():
    """MLflow imports the plugin during ``import mlflow``: no pandas, numpy or mlflow pulled in."""
    code = ("import sys, mlflow_nbaprops.context; "
            "print(','.join(m for m in ('pandas', 'numpy', 'mlflow', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_clean_and_dirty_repositories(repo):
    tags = run_tags()
    head = git(repo, "rev-parse", "HEAD").strip()
    assert tags["nbaprops.git.commit"] == head and tags["nbaprops.git.short_commit"] == head[:8]
    assert tags["nbaprops.git.branch"] == "main" and tags["nbaprops.git.dirty"] == "false"
    assert tags["nbaprops.git.changed_files"] == "0" and "nbaprops.git.diff_digest" not in tags
    assert tags["nbaprops.features.set"] == "full" and tags["nbaprops.features.count"] == str(len(FEATURE_SETS["full"].features))
    assert len(tags["nbaprops.features.hash"]) == 16 and ERROR_TAG not in tags
    (repo / "train.py").write_text("print('changed')\n")
    first = run_tags()
    (repo / "train.py").write_text("print('changed again')\n")
    (repo / "notes.txt").write_text("untracked\n")
    second = run_tags()
    assert first["nbaprops.git.dirty"] == second["nbaprops.git.dirty"] == "true"
    assert first["nbaprops.git.changed_files"] == "1" and second["nbaprops.git.changed_files"] == "2"
    assert first["nbaprops.git.diff_digest"] != second["nbaprops.git.diff_digest"]  # same commit, told apart
    git(repo, "tag", "v1.2")
    assert run_tags()["nbaprops.git.describe"] == "v1.2"


def test_repository_found_from_the_script_path(repo, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(sys, "argv", [str(repo / "train.py")])
    assert run_tags()["nbaprops.git.commit"] == git(repo, "rev-parse", "HEAD").strip()


SECRET_REMOTES = [
    ("https://alice:s3cretTok@github.com/org/repo.git", "https://github.com/org/repo.git"),
    ("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/repo.git", "https://github.com/org/repo.git"),
    ("https://github.com/org/repo.git?access_token=s3cretTok&x=1", "https://github.com/org/repo.git"),
    ("ssh://git:s3cretTok@gitlab.example.com:2222/org/repo.git", "ssh://gitlab.example.com:2222/org/repo.git"),
    ("ssh://git@gitlab.example.com/org/repo.git", "ssh://git@gitlab.example.com/org/repo.git"),
    ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
    ("deploy:s3cretTok@host.example:org/repo.git", "deploy@host.example:org/repo.git"),
]


@pytest.mark.parametrize("url,expected", SECRET_REMOTES)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_redact_text_masks_assignments_and_token_shapes():
    text = "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123 url=https://u:pw@host/x password: hunter2"
    out = redact_text(text)
    assert "ghp_" not in out and "pw@" not in out and "hunter2" not in out and "https://host/x" in out


def test_remote_credentials_never_reach_the_run(repo):
    git(repo, "remote", "add", "origin", "https://alice:s3cretTok@github.com/org/repo.git?token=s3cretTok")
    tags = run_tags()
    assert tags["nbaprops.git.remote"] == "https://github.com/org/repo.git"
    assert not any("s3cretTok" in v for v in tags.values())


def test_data_version_is_cached_and_changes_with_the_data(repo, monkeypatch):
    data = repo / "league.parquet"
    frame = synthesize_league(1, seed=2, n_teams=6, games_per_team=12)
    write_gamelogs(frame, data)
    (repo / "pyproject.toml").write_text('[tool.mlflow-nbaprops]\ndata = "league.parquet"\nfeature_set = "core"\n')
    monkeypatch.setenv("NBAPROPS_DATA_BUDGET", "60")
    cold = run_tags()
    assert cold["nbaprops.data.status"] == "computed" and len(cold["nbaprops.data.digest"]) == 32
    assert cold["nbaprops.data.rows"] == str(len(frame)) and cold["nbaprops.data.config"].endswith("pyproject.toml")
    assert cold["nbaprops.features.set"] == "core"
    warm = run_tags()
    assert warm["nbaprops.data.status"] == "cached" and warm["nbaprops.data.digest"] == cold["nbaprops.data.digest"]
    changed = frame.copy()
    changed.loc[0, "PTS"] += 1
    write_gamelogs(changed, data)
    assert run_tags()["nbaprops.data.digest"] != cold["nbaprops.data.digest"]


def test_disabled_by_environment(repo, monkeypatch):
    monkeypatch.setenv("NBAPROPS_CONTEXT_DISABLE", "1")
    assert run_tags() == {}


# ---------------------------------------------------------------------------- faults


def _fault_not_a_repo(repo, tmp_path, monkeypatch):
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    return "not inside a git repository"


def _fault_git_missing(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    return "git executable is not on PATH"


def _fault_corrupt_git(repo, tmp_path, monkeypatch):
    (repo / ".git" / "HEAD").write_text("garbage\n")
    return "git"


def _fault_detached_head(repo, tmp_path, monkeypatch):
    git(repo, "checkout", "-q", "--detach")
    return "detached HEAD"


def _fault_no_commits(repo, tmp_path, monkeypatch):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    monkeypatch.chdir(fresh)
    return "no commits"


def _fault_data_missing(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("NBAPROPS_DATA", str(tmp_path / "nowhere.csv"))
    return "does not exist"


def _fault_data_not_game_logs(repo, tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("this,is\nnot,game logs\n")
    monkeypatch.setenv("NBAPROPS_DATA", str(bad))
    monkeypatch.setenv("NBAPROPS_DATA_BUDGET", "60")
    return "data: DataValidationError"


def _fault_malformed_config(repo, tmp_path, monkeypatch):
    (repo / "pyproject.toml").write_text('[tool.mlflow-nbaprops]\ndata = ["unterminated\n')
    return "config:"


def _fault_unknown_feature_set(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("NBAPROPS_FEATURE_SET", "nope")
    return "unknown feature set 'nope'"


FAULTS = [_fault_not_a_repo, _fault_git_missing, _fault_corrupt_git, _fault_detached_head, _fault_no_commits,
          _fault_data_missing, _fault_data_not_game_logs, _fault_malformed_config, _fault_unknown_feature_set]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.__name__[7:] for f in FAULTS])
def test_faults_still_start_a_tagged_run(repo, tmp_path, monkeypatch, fault):
    expected = fault(repo, tmp_path, monkeypatch)
    tags = run_tags()  # asserts the run started and finished
    assert expected in tags[ERROR_TAG]
    assert tags["nbaprops.plugin_version"] == "0.1.0"
    if fault is not _fault_unknown_feature_set:  # what could be known is still there
        assert tags["nbaprops.features.count"] == str(len(FEATURE_SETS["full"].features))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_fault_unreadable_data(repo, tmp_path, monkeypatch):
    data = tmp_path / "secret.csv"
    data.write_text("x\n")
    data.chmod(0)
    monkeypatch.setenv("NBAPROPS_DATA", str(data))
    assert "not readable" in run_tags()[ERROR_TAG]


@pytest.mark.slow
def test_large_data_respects_the_time_budget(repo, tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    frame = synthesize_league(3, seed=4)
    from conftest import to_nba_api

    to_nba_api(frame).to_csv(big, index=False)  # ~240k rows: seconds to load and validate
    monkeypatch.setenv("NBAPROPS_DATA", str(big))
    monkeypatch.setenv("NBAPROPS_DATA_BUDGET", "0.3")
    mlflow.search_experiments()  # create the sqlite store's tables first: only the plugin is timed
    started = time.perf_counter()
    tags = run_tags()
    assert time.perf_counter() - started < 3.0  # 0.3 s budget + a run's own cost on a busy 2-core box
    assert tags["nbaprops.data.status"] == "pending" and "budget" in tags[ERROR_TAG]
    deadline = time.monotonic() + 120  # the detached worker finishes; a later run has the digest
    while run_tags().get("nbaprops.data.status") == "pending" and time.monotonic() < deadline:
        time.sleep(1)
    assert run_tags()["nbaprops.data.status"] == "cached"


def test_an_exception_inside_the_plugin_never_breaks_a_run(repo, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("simulated plugin bug")

    monkeypatch.setattr(git_context, "git_state", boom)
    tags = run_tags()
    assert "simulated plugin bug" in tags[ERROR_TAG]
    monkeypatch.setattr(NBAPropsRunContext, "in_context", lambda self: 1 / 0)
    assert run_tags() == {}  # MLflow skips a provider whose in_context raises; the run still starts


def test_tags_are_capped(repo, monkeypatch):
    monkeypatch.setenv("NBAPROPS_DATA", os.pathsep.join(str(repo / f"missing-{'x' * 80}-{i}") for i in range(20)))
    tags = context_tags()
    assert max(len(v) for v in tags.values()) <= 500


# ----------------------------------------------------------------------------- round 2 (issue 15)


def _league_file(tmp_path: Path) -> Path:
    path = tmp_path / "league.parquet"
    write_gamelogs(synthesize_league(1, seed=3, n_teams=4, games_per_team=6), path)
    return path


def test_an_unwritable_version_cache_costs_only_the_data_version(repo, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("NBAPROPS_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    monkeypatch.setenv("NBAPROPS_DATA", str(_league_file(tmp_path)))
    tags = run_tags()
    assert tags["nbaprops.git.commit"] and tags["nbaprops.features.set"] and tags["nbaprops.data.path"]
    assert tags["nbaprops.data.status"] == "uncached" and "NBAPROPS_CACHE_DIR" in tags[ERROR_TAG]


def test_a_huge_modified_file_is_bounded_and_keeps_every_other_tag(repo, monkeypatch):
    """A 60 MB tracked file, modified: `git diff` took seconds and the remote/describe tags
    were lost. The digest is bounded in bytes and time and says so; nothing else is lost."""
    big = repo / "weights.bin"
    big.write_bytes(os.urandom(1024) * (60 * 1024))
    git(repo, "add", "weights.bin")
    git(repo, "commit", "-qm", "big")
    git(repo, "remote", "add", "origin", "https://example.com/team/project.git")
    with open(big, "r+b") as handle:
        handle.write(b"changed")
    started = time.perf_counter()
    tags = context_tags()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5, elapsed
    assert tags["nbaprops.git.dirty"] == "true" and len(tags["nbaprops.git.diff_digest"]) == 16
    assert "by size and modification time" in tags["nbaprops.git.diff_digest_basis"]
    assert tags["nbaprops.git.remote"] == "https://example.com/team/project.git" and tags["nbaprops.git.describe"]
    with open(big, "r+b") as handle:
        handle.seek(1000)
        handle.write(b"again")
    assert context_tags()["nbaprops.git.diff_digest"] != tags["nbaprops.git.diff_digest"]


def test_a_small_change_is_hashed_by_content(repo):
    (repo / "train.py").write_text("print('changed')\n")
    first = context_tags()
    assert "nbaprops.git.diff_digest_basis" not in first
    (repo / "train.py").write_text("print('changed again')\n")
    assert context_tags()["nbaprops.git.diff_digest"] != first["nbaprops.git.diff_digest"]


def test_a_fifo_as_data_is_named_for_what_it_is(repo, tmp_path, monkeypatch):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    monkeypatch.setenv("NBAPROPS_DATA", str(fifo))
    tags = context_tags()
    assert "not a file or folder" in tags[ERROR_TAG] and tags["nbaprops.git.commit"]


def test_an_empty_data_setting_is_an_error_not_the_project_root(repo):
    (repo / "pyproject.toml").write_text('[tool.mlflow-nbaprops]\ndata = ""\n')
    tags = context_tags()
    assert "none of them empty" in tags[ERROR_TAG] and tags["nbaprops.data.status"] == "not configured"
