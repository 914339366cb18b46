"""The configured data's version for run tags, cached so a warm start costs a few ``stat`` calls.

The cache key is every data file's path, size and modification time. On a miss the digest
is computed by a detached worker process (``python -m mlflow_nbaprops.context.digest_worker``)
that writes the cache when done; the run waits at most ``NBAPROPS_DATA_BUDGET`` seconds
(default 2) for it and is otherwise tagged ``nbaprops.data.status=pending`` — the worker
keeps going, and the next run finds the digest. Imports nothing at module level beyond the
standard library (MLflow imports the plugin while ``import mlflow`` runs).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ENV_BUDGET = "NBAPROPS_DATA_BUDGET"
ENV_CACHE_DIR = "NBAPROPS_CACHE_DIR"
DEFAULT_BUDGET_S = 2.0
_MEMO: dict[str, tuple[int, dict]] = {}  # cache file -> (mtime, content)


@dataclass
class DataState:
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def cache_dir() -> Path:
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlflow-nbaprops"


def data_files(paths: list[Path]) -> list[Path]:
    """The game-log files of ``paths`` (files, or folders of them), or ``OSError`` naming the path.

    Called while a run starts, when ``import mlflow`` has already loaded pandas: the data
    layer's own :func:`~mlflow_nbaprops.data.find_files` lists the files.
    """
    from mlflow_nbaprops.data import find_files
    from mlflow_nbaprops.errors import DataLoadError

    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"data path {path} does not exist")
        if not (path.is_file() or path.is_dir()):
            raise OSError(f"data path {path} is not a file or folder (a FIFO, socket or device?)")
        if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
            raise PermissionError(f"data folder {path} is not readable")
    try:
        files = find_files(paths)
    except DataLoadError as exc:
        raise FileNotFoundError(str(exc)) from exc
    for file in files:
        if not os.access(file, os.R_OK):
            raise PermissionError(f"data file {file} is not readable")
    return files


def cache_key(files: list[Path]) -> str:
    stats = []
    for file in files:
        info = file.stat()
        stats.append((str(file), info.st_size, info.st_mtime_ns))
    return hashlib.sha256(json.dumps(sorted(stats)).encode()).hexdigest()[:32]


def read_cache(directory: Path) -> dict:
    file = directory / "data_versions.json"
    try:
        mtime = file.stat().st_mtime_ns
    except OSError:
        return {}
    memo = _MEMO.get(str(file))
    if memo and memo[0] == mtime:
        return memo[1]
    try:
        content = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a torn or corrupt cache is only a cache: recompute
    _MEMO[str(file)] = (mtime, content)
    return content


def write_cache_entry(directory: Path, key: str, entry: dict) -> None:
    """Add ``entry`` under ``key`` atomically (write a temp file, then rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    content = dict(read_cache(directory))
    content[key] = entry
    tmp = directory / f"data_versions.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(content, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, directory / "data_versions.json")


def data_state(paths: list[Path], source: str) -> DataState:
    """Tags for the data at ``paths`` (configured in ``source``)."""
    state = DataState()
    if not paths:
        state.tags["nbaprops.data.status"] = "not configured"
        return state
    try:
        files = data_files(paths)
        key = cache_key(files)
    except OSError as exc:
        state.tags["nbaprops.data.status"] = "unavailable"
        state.errors.append(f"data: {exc}")
        return state
    directory = cache_dir()
    state.tags["nbaprops.data.path"] = ", ".join(str(p) for p in paths)
    state.tags["nbaprops.data.config"] = source
    entry = read_cache(directory).get(key)
    status = "cached"
    if entry is None:
        try:
            entry = _compute_within_budget(directory, key, files)
        except OSError as exc:  # e.g. a cache folder that cannot be created or written
            state.tags["nbaprops.data.status"] = "uncached"
            state.errors.append(f"data: the version cache {directory} cannot be written "
                                f"({exc.strerror or exc}): set {ENV_CACHE_DIR} to a writable folder")
            return state
        status = "computed" if entry is not None else "pending"
    if entry is None:
        state.tags["nbaprops.data.status"] = "pending"
        state.errors.append(f"data: digest not ready within the {_budget():.1f} s budget; "
                            "computing in the background, the next run will have it")
        return state
    if "error" in entry:
        state.tags["nbaprops.data.status"] = "invalid"
        state.errors.append(f"data: {entry['error']}")
        return state
    state.tags["nbaprops.data.status"] = status
    state.tags["nbaprops.data.digest"] = entry["digest"]
    state.tags["nbaprops.data.rows"] = str(entry["rows"])
    state.tags["nbaprops.data.seasons"] = ",".join(entry["seasons"])
    state.tags["nbaprops.data.date_range"] = f"{entry['date_min']}..{entry['date_max']}"
    state.tags["nbaprops.data.files"] = str(len(files))
    return state


def _budget() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_BUDGET, DEFAULT_BUDGET_S)))
    except ValueError:
        return DEFAULT_BUDGET_S


def _compute_within_budget(directory: Path, key: str, files: list[Path]) -> dict | None:
    """Start (or join) the worker for ``key`` and wait up to the budget for its cache entry."""
    directory.mkdir(parents=True, exist_ok=True)
    lock = directory / f"{key}.lock"
    if not _worker_running(lock):
        worker = subprocess.Popen(
            [sys.executable, "-m", "mlflow_nbaprops.context.digest_worker", str(directory), key,
             *map(str, files)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        lock.write_text(f"{worker.pid} {time.time():.0f}")
    deadline = time.monotonic() + _budget()
    while True:
        entry = read_cache(directory).get(key)
        if entry is not None or time.monotonic() >= deadline:
            return entry
        time.sleep(0.05)


def _worker_running(lock: Path) -> bool:
    """A worker for this key started less than 10 minutes ago and still alive."""
    try:
        pid, started = lock.read_text().split()
        if time.time() - float(started) > 600:
            return False
        os.kill(int(pid), 0)
        return True
    except (OSError, ValueError):
        return False
