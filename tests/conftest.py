"""Shared fixtures: small synthetic leagues (fast) and the real nba_api data (skipped where absent)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
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


#: Seconds the heavy work units took in a whole run (summed test durations, 2026-12-05). Under
#: pytest-xdist each unit runs on one worker, heaviest first, so the workers finish together
#: instead of one running a long module alone at the end. Only the order matters: a stale
#: number costs time, never a result. A unit is a module (its module fixtures are built once),
#: except where a module's tests share nothing expensive (the README blocks, one unit each) or
#: share it per parameter (the bad-input matrix, once per tracking store).
UNIT_SECONDS = {"test_team_scale.py": 100, "test_readme.py::test_the_mlflow_workflow_block": 67,
                "test_workflow.py": 63, "test_bad_inputs.py[postgresql]": 63,
                "test_readme.py::test_the_running_it_every_day_block": 49, "test_bad_inputs.py[sqlite]": 47,
                "test_daily.py": 42, "test_feed.py": 75, "test_report_scenario.py": 30, "test_injury_report.py": 20,
                "test_feed_wire.py": 13, "test_flavor.py": 35, "test_readme.py::test_the_nightly_feed_block": 32,
                "test_tuning.py": 24, "test_readme.py::test_the_tuning_block": 23, "test_model.py": 19,
                "test_serving.py": 15, "test_slate_state.py": 14, "test_news.py": 13, "test_context.py": 12,
                "test_architecture.py": 11, "test_backtest.py": 10, "test_features.py": 10}


def work_unit(nodeid: str) -> str:
    """The work unit of test ``nodeid`` (see ``UNIT_SECONDS``)."""
    module, _, test = nodeid.partition("::")
    module = module.rsplit("/", 1)[-1]
    if module == "test_readme.py":
        return f"{module}::{test.split('_runs_as_written')[0]}"
    store = test.partition("[")[2].split("-", 1)[0]
    return f"{module}[{store}]" if module == "test_bad_inputs.py" and store in ("sqlite", "postgresql") else module


def pytest_collection_modifyitems(config, items) -> None:
    items.sort(key=lambda item: -UNIT_SECONDS.get(work_unit(item.nodeid), 0))  # stable: a unit's order is kept


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``loadscope`` with our work units, in collection order (heaviest first:
    ``--no-loadscope-reorder``). Not ``--dist loadgroup`` with ``xdist_group`` marks: with
    pytest 9.2 those are silently ignored (pytest-dev/pytest-xdist#1386)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


@pytest.fixture(scope="session")
def small_league() -> pd.DataFrame:
    """Two short seasons of an 8-team league: enough structure, a fraction of a second."""
    return synthesize_league(2, seed=11, n_teams=8, games_per_team=24)


@pytest.fixture
def tune_space(tmp_path) -> Path:
    """A small tuning space whose choices include clearly poor boosters (the pruner has work)."""
    path = tmp_path / "space.yaml"
    path.write_text("refit_every: 14\n"
                    "minutes:\n  n_estimators: {low: 20, high: 60, step: 20}\n"
                    "pra:\n  n_estimators: [3, 60]\n  learning_rate: {low: 0.01, high: 0.2, log: true}\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def _empty_store(tmp_path_factory) -> Path:
    """One empty sqlite tracking store, migrated to MLflow's schema, per worker: copying it costs
    0.03 s where creating a store (MLflow runs its schema migrations) costs 0.8 s."""
    import mlflow

    path = tmp_path_factory.mktemp("empty-store") / "mlflow.db"
    mlflow.MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(autouse=True)
def _isolated_mlflow(tmp_path, monkeypatch, _empty_store):
    """Every test gets its own sqlite tracking store in a tmp dir (a copy of the empty one, its
    Default experiment's artifacts in the test's own dir): nothing lands in the checkout."""
    store = tmp_path / "mlflow.db"
    shutil.copyfile(_empty_store, store)
    with contextlib.closing(sqlite3.connect(store)) as conn, conn:
        conn.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                     (str(tmp_path / "mlruns" / "0"),))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    monkeypatch.setenv("NBAPROPS_CACHE_DIR", str(tmp_path / "nbaprops-cache"))
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    yield
    import mlflow
    from stores import forget_active_experiment

    while mlflow.active_run():
        mlflow.end_run()
    forget_active_experiment()  # (the CLI's: it would point the next test at this test's store)
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
