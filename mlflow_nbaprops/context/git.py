"""Git state of the code a run executes: commit, branch, dirtiness, a digest of the
uncommitted diff, ``git describe`` and the remote URL without credentials.

The repository is looked for from the script's path (``sys.argv[0]``) and from the
current directory — MLflow's own git context only tries the script, so ``python -c``,
notebooks and stdin runs get nothing from it. Standard library only; every git call has
a timeout; what rarely changes (describe, remote) is cached per process by commit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlflow_nbaprops.redact import redact_url

GIT_TIMEOUT_S = 3.0
_STABLE: dict[tuple, dict[str, str]] = {}  # (root, commit, config/tag mtimes) -> describe/remote


@dataclass
class GitState:
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class GitError(Exception):
    """A git command failed; the message is short and safe to tag."""


def candidate_dirs() -> list[Path]:
    """Where to look for the repository: the script's folder, then the working directory."""
    dirs = []
    script = sys.argv[0] if sys.argv else ""
    if script and script not in ("-c", "-m", "-") and os.path.isfile(script):
        folder = Path(script).resolve().parent
        # an installed console script (nbaprops, pytest, mlflow) says nothing about the user's code
        installed = any(folder.is_relative_to(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix})
        if not installed:
            dirs.append(folder)
    dirs.append(Path.cwd())
    return dirs


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder or a worktree file)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def git_state(dirs: list[Path] | None = None) -> GitState:
    """Tags for the first repository found from ``dirs``; problems go to ``errors``."""
    state = GitState()
    roots = [r for r in (find_root(d) for d in (dirs or candidate_dirs())) if r is not None]
    if not roots:
        state.errors.append("git: not inside a git repository (looked from the script's folder and the cwd)")
        return state
    root = roots[0]
    if shutil.which("git") is None:
        state.errors.append("git: the git executable is not on PATH")
        return state
    try:
        _fill(state, root)
    except GitError as exc:
        state.errors.append(f"git: {exc}")
    return state


def _fill(state: GitState, root: Path) -> None:
    status = _git(root, "status", "--porcelain=v2", "--branch", "--untracked-files=normal")
    commit, branch, changed = "", "", []
    for line in status.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split(" ", 2)[2]
        elif line.startswith("# branch.head "):
            branch = line.split(" ", 2)[2]
        elif line and not line.startswith("#"):
            changed.append(line)
    if not commit or commit == "(initial)":
        state.tags["nbaprops.git.dirty"] = str(bool(changed)).lower()
        state.tags["nbaprops.git.changed_files"] = str(len(changed))
        raise GitError("the repository has no commits yet")
    tags = state.tags
    tags["nbaprops.git.commit"] = commit
    tags["nbaprops.git.short_commit"] = commit[:8]
    tags["nbaprops.git.branch"] = "(detached)" if branch == "(detached)" else branch
    tags["nbaprops.git.dirty"] = str(bool(changed)).lower()
    tags["nbaprops.git.changed_files"] = str(len(changed))
    tags["nbaprops.git.root"] = str(root)
    tags.update(_stable(root, commit))
    if changed:  # one tag: whatever the working tree holds, a failure here costs only this one
        try:
            tags["nbaprops.git.diff_digest"], basis = _diff_digest(root, changed)
            if basis:
                tags["nbaprops.git.diff_digest_basis"] = basis
        except GitError as exc:
            state.errors.append(f"git: diff digest: {exc}")
    if branch == "(detached)":
        state.errors.append("git: detached HEAD (no branch); the commit identifies the code")


#: Bytes of changed files hashed per run, and seconds spent on it: beyond either, a file is
#: represented by its size and modification time (the digest still changes when it does).
DIFF_BYTES = 16 * 1024 * 1024
DIFF_SECONDS = 0.3


def _diff_digest(root: Path, changed: list[str]) -> tuple[str, str]:
    """SHA-256 (16 hex) of what differs from HEAD: each changed path with its committed blob id
    and its current content (bounded: see ``DIFF_BYTES``/``DIFF_SECONDS``), plus the basis
    ("" when every changed file was hashed whole). Never runs ``git diff`` (seconds on a large
    modified file)."""
    digest = hashlib.sha256()
    budget, deadline, skipped = DIFF_BYTES, time.monotonic() + DIFF_SECONDS, 0
    for line in sorted(changed):
        fields = line.split(" ")
        if line.startswith("? "):
            path, blob = line[2:], "untracked"
        elif line.startswith("1 ") and len(fields) >= 9:
            path, blob = " ".join(fields[8:]), fields[6]
        elif line.startswith("2 ") and len(fields) >= 10:
            path, blob = " ".join(fields[9:]).split("\t")[0], fields[6]
        else:
            path, blob = line, "other"
        digest.update(f"{path}\0{blob}\0".encode("utf-8", "replace"))
        file = root / path
        try:
            info = file.stat()
        except OSError:
            digest.update(b"missing")
            continue
        if file.is_file() and info.st_size <= budget and time.monotonic() < deadline:
            with open(file, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            budget -= info.st_size
        else:
            digest.update(f"{info.st_size}:{info.st_mtime_ns}".encode())
            skipped += 1
    basis = f"{skipped} changed file(s) by size and modification time (over the per-run hashing budget)" \
        if skipped else ""
    return digest.hexdigest()[:16], basis


def _stable(root: Path, commit: str) -> dict[str, str]:
    key = (str(root), commit, *(_mtime(root / ".git" / name) for name in ("config", "refs/tags", "packed-refs")))
    if key not in _STABLE:
        out: dict[str, str] = {}
        try:
            out["nbaprops.git.describe"] = _git(root, "describe", "--tags", "--always").strip()
        except GitError:
            pass
        try:
            remotes = _git(root, "remote").split()
            if remotes:
                name = "origin" if "origin" in remotes else remotes[0]
                out["nbaprops.git.remote"] = redact_url(_git(root, "remote", "get-url", name).strip())
        except GitError:
            pass
        _STABLE[key] = out
    return dict(_STABLE[key])


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, env=env, errors="replace")
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"'git {args[0]}' timed out after {GIT_TIMEOUT_S:.0f} s") from exc
    except OSError as exc:
        raise GitError(f"could not run git: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[0]
        raise GitError(f"'git {args[0]}' failed: {first[:160]}")
    return done.stdout
