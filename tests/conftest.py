"""Shared fixtures: small synthetic leagues (fast) and the real nba_api data (skipped where absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from mlflow_nbaprops.data.synth import synthesize_league

#: The real nba_api files live beside the checkout, never inside it.
REAL_DATA = Path(os.environ.get("NBAPROPS_REAL_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nba"))

requires_real_data = pytest.mark.skipif(
    not any(REAL_DATA.glob("*.csv.gz")) if REAL_DATA.is_dir() else True,
    reason=f"real nba_api game logs not found at {REAL_DATA} (set NBAPROPS_REAL_DATA to a folder of them)",
)


def pytest_configure(config) -> None:
    """Under pytest-xdist each worker gets its share of the cores for boosters (subprocesses
    inherit it): oversubscribed LightGBM/XGBoost threads spin, and the suite would run slower
    in parallel than alone."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers and "NBAPROPS_MAX_THREADS" not in os.environ:
        os.environ["NBAPROPS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // int(workers)))


@pytest.fixture(scope="session")
def small_league() -> pd.DataFrame:
    """Two short seasons of an 8-team league: enough structure, a fraction of a second."""
    return synthesize_league(2, seed=11, n_teams=8, games_per_team=24)


@pytest.fixture
def tune_space(tmp_path) -> Path:
    """A small tuning space whose choices include clearly poor boosters (the pruner has work)."""
    path = tmp_path / "space.yaml"
    path.write_text("refit_every: 7\n"
                    "minutes:\n  n_estimators: {low: 20, high: 60, step: 20}\n"
                    "pra:\n  n_estimators: [3, 60]\n  learning_rate: {low: 0.01, high: 0.2, log: true}\n",
                    encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _isolated_mlflow(tmp_path, monkeypatch):
    """Every test gets its own sqlite tracking store in a tmp dir: nothing lands in the checkout."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("NBAPROPS_CACHE_DIR", str(tmp_path / "nbaprops-cache"))
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    yield
    # `mlflow.set_experiment` (the CLI calls it) leaves a process-wide active experiment and
    # sets MLFLOW_EXPERIMENT_ID: both would point the next test at another test's store
    import mlflow
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run():
        mlflow.end_run()
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    monkeypatch.chdir(tmp_path)


def to_nba_api(frame: pd.DataFrame) -> pd.DataFrame:
    """A canonical frame as the nba_api ``leaguegamefinder`` endpoint would return it."""
    out = frame.copy()
    start = out["SEASON"].str[:4].astype(int)
    out.insert(0, "SEASON_ID", ("2" + start.astype(str)))
    out["TEAM_ABBREVIATION"] = out.pop("TEAM")
    sep = out["HOME"].map({True: " vs. ", False: " @ "})
    out["MATCHUP"] = out["TEAM_ABBREVIATION"] + sep + out.pop("OPPONENT")
    out["GAME_DATE"] = out["GAME_DATE"].dt.strftime("%Y-%m-%d")
    return out.drop(columns=["HOME", "SEASON", "STARTER", "LINE_PRA", "ODDS_OVER", "ODDS_UNDER", "CLOSE_LINE_PRA"],
                    errors="ignore")
