"""Added time per ``mlflow.start_run()`` + ``end_run()`` from the run-context plugin (warm cache).

    python benchmarks/bench_context.py [--data ../shared/data/nba] [--runs 200]

One process, one sqlite store in a temp dir, the working directory inside this git
checkout (so the git tags are real) and ``NBAPROPS_DATA`` pointing at the data. After a
warm-up that fills the data-version cache, runs alternate between the plugin enabled and
disabled (``NBAPROPS_CONTEXT_DISABLE``), so both see the same machine load. Target (issue 5):
median added time <= 15 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "nba"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        os.environ["NBAPROPS_CACHE_DIR"] = f"{tmp}/cache"
        os.environ["NBAPROPS_DATA_BUDGET"] = "120"
        data = Path(args.data)
        if not data.exists():
            from mlflow_nbaprops.data import write_gamelogs
            from mlflow_nbaprops.data.synth import synthesize_league

            data = Path(tmp) / "league.parquet"
            write_gamelogs(synthesize_league(3, seed=1), data)
        os.environ["NBAPROPS_DATA"] = str(data)
        os.chdir(ROOT)
        import mlflow
        from mlflow.tracking.context.registry import resolve_tags

        mlflow.set_experiment("bench-context")

        def one_run() -> float:
            start = time.perf_counter()
            mlflow.start_run()
            mlflow.end_run()
            return (time.perf_counter() - start) * 1000

        cold = time.perf_counter()
        tags = resolve_tags()
        print(f"cold start (digest computed, cache filled): {time.perf_counter() - cold:.1f} s; "
              f"data status {tags.get('nbaprops.data.status')}, digest {tags.get('nbaprops.data.digest')}")
        for _ in range(10):
            one_run()
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.runs):
            for enabled in (True, False):
                os.environ["NBAPROPS_CONTEXT_DISABLE"] = "0" if enabled else "1"
                timings[enabled].append(one_run())
        os.environ["NBAPROPS_CONTEXT_DISABLE"] = "0"
        tag_times = []
        for _ in range(100):
            start = time.perf_counter()
            resolve_tags()
            tag_times.append((time.perf_counter() - start) * 1000)

    with_plugin, without = statistics.median(timings[True]), statistics.median(timings[False])
    print(f"data: {data}")
    print(f"start_run + end_run, median of {args.runs}: with plugin {with_plugin:.2f} ms, "
          f"without {without:.2f} ms")
    print(f"added by the plugin: {with_plugin - without:.2f} ms (target <= 15 ms)")
    print(f"resolve_tags() alone, all providers, median of 100: {statistics.median(tag_times):.2f} ms")


if __name__ == "__main__":
    main()
