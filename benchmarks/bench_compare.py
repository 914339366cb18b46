"""``nbaprops compare`` on 100 training runs: time to select, tabulate and write (CSV, Markdown, plot).

    python benchmarks/bench_compare.py [--runs 100]

Creates ``--runs`` runs in a sqlite store in a temp dir, each with the headline metrics, 25
per-fold MAEs (``step`` = fold) and the key tags a training run has, then times
``select_runs`` (experiment + filter) + ``compare`` + ``write``, five times. Target (issue 6):
100 runs in <= 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        import mlflow
        from mlflow.entities import Metric, Param, RunTag

        from mlflow_nbaprops.tracking.compare import compare, select_runs

        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        client = mlflow.MlflowClient()
        experiment = client.create_experiment("NBAProps/Phase2_Model", artifact_location=f"{tmp}/artifacts")
        rng = np.random.default_rng(0)
        baseline = None
        for i in range(args.runs):
            run = client.create_run(experiment, run_name=f"20261123_model_full_walkforward7d_v{i + 1}")
            mae = 5.9 + rng.normal(0, 0.05)
            metrics = [Metric("val_pra_mae", mae, 0, 0), Metric("val_min_mae", 4.8 + rng.normal(0, 0.05), 0, 0),
                       Metric("val_vs_l10_pct", 100 * (mae - 6.13) / 6.13, 0, 0),
                       Metric("val_bet_calibration_error", abs(rng.normal(0.01, 0.005)), 0, 0)]
            metrics += [Metric("val_fold_mae", mae + rng.normal(0, 0.3), 0, fold) for fold in range(25)]
            tags = [RunTag("nbaprops.features.set", "full"), RunTag("nbaprops.data.digest", "f2d08430b2242c8e"),
                    RunTag("nbaprops.test_season", "2023-24"), RunTag("nbaprops.phase", "model")]
            client.log_batch(run.info.run_id, metrics=metrics, params=[Param("backend", "lightgbm")], tags=tags)
            client.set_terminated(run.info.run_id)
            baseline = baseline or run.info.run_id
        timings = []
        for attempt in range(5):
            start = time.perf_counter()
            runs = select_runs(client, [], "NBAProps/Phase2_Model", "metrics.val_pra_mae < 100")
            comparison = compare(client, runs, None, baseline)
            comparison.write(Path(tmp) / f"out{attempt}")
            timings.append(time.perf_counter() - start)
        print(f"{len(runs)} runs compared (table {comparison.table.shape}, {len(comparison.folds)} fold series)")
        print(f"select + compare + write: median {statistics.median(timings):.2f} s, "
              f"best {min(timings):.2f} s of 5 (target <= 2 s)")


if __name__ == "__main__":
    main()
