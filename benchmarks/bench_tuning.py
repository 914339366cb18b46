"""Tuning at team scale on 2 cores: TRIALS trials of examples/tune_space.yaml on
2022-23 (monthly refits), WORKERS `nbaprops tune` processes sharing one study, with a throwaway
PostgreSQL holding both the Optuna storage and a real `mlflow server`'s backend store.

    python benchmarks/bench_tuning.py [--trials 24] [--workers 2] [--data ../shared/data/nba]

Prints the wall time, the trials per state and per worker, the refits pruning saved against the
same trials run to the end, and the study's best configuration next to the package defaults on
the validation season and, scored once, on the season after it. Run it alone.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the team-scale tests' PostgreSQL + mlflow server helpers

from pgserver import client_env, mlflow_server, nbaprops, postgres_cluster  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "nba"))
    parser.add_argument("--space", default=str(ROOT / "examples" / "tune_space.yaml"))
    parser.add_argument("--season", default="2022-23")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-pruning", action="store_true")
    args = parser.parse_args()

    import mlflow
    import optuna

    with tempfile.TemporaryDirectory(prefix="bench-tune-") as tmp, postgres_cluster() as cluster, \
            mlflow_server(cluster, Path(tmp) / "server") as server:
        cluster.create_database("optuna")
        storage = cluster.uri("optuna")
        threads = max(1, 2 // args.workers)
        cmd = nbaprops("tune", "--space", args.space, "--data", args.data, "--validation-season", args.season,
                       "--trials", str(args.trials), "--study", "bench", "--storage", storage,
                       "--threads", str(threads), *(["--no-pruning"] if args.no_pruning else []))
        env = client_env(server, NBAPROPS_CACHE_DIR=str(Path(tmp) / "cache"))
        started, clock = time.perf_counter(), datetime.datetime.now()  # Optuna's trial times: naive local
        logs = [open(Path(tmp) / f"worker{i}.log", "w+") for i in range(args.workers)]
        workers = [subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
                   for log in logs]
        exited: dict[int, float] = {}
        while len(exited) < len(workers):  # each worker's own exit time
            for w in workers:
                if w.pid not in exited and w.poll() is not None:
                    exited[w.pid] = time.perf_counter() - started
            time.sleep(0.5)
        wall = max(exited.values())
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
            log.close()
        for w, out in zip(workers, outputs):
            print(f"--- worker {w.pid} (exit {w.returncode})\n" + "\n".join(
                line for line in out.splitlines() if not re.match(r"(WARNING|\d{4}-\d\d-\d\d |🏃|🧪)", line))[-2500:])

        trials = optuna.load_study(study_name="bench", storage=storage).get_trials()
        states = collections.Counter(t.state.name for t in trials)
        per_worker = collections.Counter(t.user_attrs.get("worker", "?") for t in trials)
        client = mlflow.MlflowClient(server.url)
        experiment = client.get_experiment_by_name("NBAProps/Phase3_Tuning")
        parent = client.search_runs([experiment.experiment_id], "tags.`nbaprops.tune.role` = 'study'")[0]
        m = parent.data.metrics
        done, total = int(m.get("refits_done", 0)), int(m.get("refits_without_pruning", 0))  # the study's count
        print(f"\n{args.workers} workers x {threads} thread(s), {args.trials} trials, {args.season}, "
              f"pruning {'off' if args.no_pruning else 'on'}")
        print(f"wall time: {wall / 60:.1f} min")
        print(f"trials: {dict(states)}; per worker: {sorted(per_worker.values())}")
        print(f"refits: {done} done of {total} for the same trials without pruning "
              f"({100 * (1 - done / total):.0f}% saved)" if total else "refits: none")
        print(f"{args.season} PRA MAE: best {m.get('best_val_pra_mae', float('nan')):.4f}, "
              f"package defaults {m.get('defaults_val_pra_mae', float('nan')):.4f}")
        if "next_best_pra_mae" in m:
            print(f"{parent.data.tags.get('nbaprops.tune.next_season')} (scored once): best "
                  f"{m['next_best_pra_mae']:.4f}, package defaults {m['next_defaults_pra_mae']:.4f}")
        timeline(trials, clock, list(exited.values()))
        finishes = len(client.get_metric_history(parent.info.run_id, "trials_complete"))  # logged by a finish
        print(f"the study was finished {finishes} time(s), by {parent.data.tags.get('nbaprops.tune.finished_by')}")
        best = client.get_run(parent.data.tags["nbaprops.tune.best_run"])
        print("best configuration:", {k: v for k, v in best.data.params.items() if "." in k and not k.startswith("stage")})


def timeline(trials, clock: datetime.datetime, exited: list[float]) -> None:
    """Where the wall time went: before the first trial, inside trials (per worker, per refit),
    and after the last one (waiting for the others, the next season's scoring)."""
    done = [t for t in trials if t.datetime_start and t.datetime_complete]
    if not done:
        return
    first = min((t.datetime_start - clock).total_seconds() for t in done)
    last = max((t.datetime_complete - clock).total_seconds() for t in done)
    print(f"timeline: first trial started at {first:.0f} s, last trial ended at {last:.0f} s, "
          f"workers exited at {', '.join(f'{s:.0f}' for s in sorted(exited))} s")
    for worker in sorted({t.user_attrs.get("worker", "?") for t in done}):
        mine = [t for t in done if t.user_attrs.get("worker", "?") == worker]
        busy = sum((t.datetime_complete - t.datetime_start).total_seconds() for t in mine)
        refits = sum(int(t.user_attrs.get("folds_fitted", 0)) for t in mine)
        print(f"  worker {worker}: {len(mine)} trials, {refits} refits, in trials {busy:.0f} s "
              f"({busy / max(refits, 1):.1f} s a refit), idle between its trials "
              f"{(max((t.datetime_complete - clock).total_seconds() for t in mine) - first) - busy:.0f} s")


if __name__ == "__main__":
    main()
