"""Tuning at team scale on this 2-core machine: TRIALS trials of examples/tune_space.yaml on
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
        started = time.perf_counter()
        workers = [subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True) for _ in range(args.workers)]
        outputs = [w.communicate()[0] for w in workers]
        wall = time.perf_counter() - started
        for w, out in zip(workers, outputs):
            print(f"--- worker {w.pid} (exit {w.returncode})\n" + "\n".join(
                line for line in out.splitlines() if not line.startswith(("WARNING", "20")))[-2500:])

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
        best = client.get_run(parent.data.tags["nbaprops.tune.best_run"])
        print("best configuration:", {k: v for k, v in best.data.params.items() if "." in k and not k.startswith("stage")})


if __name__ == "__main__":
    main()
