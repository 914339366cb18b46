"""A throwaway PostgreSQL cluster and a real ``mlflow server`` on it, for the team-scale tests.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(``runuser -u postgres -- ...``). The server runs with one worker and no job processes
(``-w 1``, ``MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false``), artifacts in the tmp dir.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from processes import free_port, mlflow_cli, python_env, running, stop

SEARCH = ["/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/pgsql-15/bin"]


def find_pg_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    on_path = shutil.which("initdb")
    candidates = ([Path(on_path).parent] if on_path else []) + [Path(p) for p in SEARCH]
    for folder in candidates:
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def why_unavailable() -> str | None:
    if find_pg_bin() is None:
        return "PostgreSQL binaries (initdb, pg_ctl, postgres) not found on PATH or in " + ", ".join(SEARCH)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg (the PostgreSQL driver) is not installed: pip install -e '.[test]'"
    return None


@dataclass
class Postgres:
    bin: Path
    data: Path
    socket_dir: Path
    port: int
    log: Path

    def _as_owner(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    def ctl(self, action: str, check: bool = True) -> subprocess.CompletedProcess:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        return subprocess.run(self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                             "-o", options, "-w", "-t", "60", action),
                              capture_output=True, text=True, check=check, timeout=120)

    def uri(self, database: str = "mlflow") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def postgres_cluster():
    """initdb + start in a fresh temp dir (the ``postgres`` user's, when we are root: pytest's
    tmp dirs are private to root); stopped and removed at the end."""
    pg_bin = find_pg_bin()
    root = Path(tempfile.mkdtemp(prefix="nbaprops-pg-"))
    cluster = Postgres(pg_bin, root / "pgdata", root / "pgsock", free_port(), root / "postgres.log")
    cluster.socket_dir.mkdir()
    if os.geteuid() == 0:
        for path in (root, cluster.socket_dir):
            shutil.chown(path, "postgres", "postgres")
    subprocess.run(cluster._as_owner(str(pg_bin / "initdb"), "-D", str(cluster.data), "-U", "postgres",
                                     "--auth=trust", "--no-sync", "-E", "UTF8"),
                   capture_output=True, text=True, check=True, timeout=180)
    try:
        cluster.ctl("start")
        yield cluster
    finally:
        cluster.ctl("stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class TrackingServer:
    url: str
    proc: subprocess.Popen
    cmd: list[str]
    env: dict
    log: Path


@contextlib.contextmanager
def mlflow_server(cluster: Postgres, root: Path, database: str = "mlflow"):
    """A real ``mlflow server`` on ``database`` of ``cluster``; yields a :class:`TrackingServer`."""
    cluster.create_database(database)
    port = free_port()
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    cmd = mlflow_cli("server", "--backend-store-uri", cluster.uri(database), "--artifacts-destination", str(artifacts),
                     "--host", "127.0.0.1", "--port", str(port), "-w", "1")
    env = python_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    env.pop("MLFLOW_TRACKING_URI", None)
    log = root / "mlflow-server.log"
    with running(cmd, f"http://127.0.0.1:{port}/health", env, log, timeout=180) as proc:
        server = TrackingServer(f"http://127.0.0.1:{port}", proc, cmd, env, log)
        yield server
        stop(server.proc)


def restart(server: TrackingServer) -> None:
    """Start the server again on the same port and database (after a kill)."""
    import time
    import urllib.request

    stop(server.proc)
    with open(server.log, "ab") as out:
        server.proc = subprocess.Popen(server.cmd, env=server.env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not come back:\n{server.log.read_text()[-2000:]}")


def client_env(server: TrackingServer, **extra: str) -> dict[str, str]:
    """Environment for client processes (CLI, mlflow run) talking to ``server``."""
    env = python_env(MLFLOW_TRACKING_URI=server.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES="2",
                     MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR="1", MLFLOW_HTTP_REQUEST_TIMEOUT="30", **extra)
    return env


def nbaprops(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "nbaprops"), *args]
