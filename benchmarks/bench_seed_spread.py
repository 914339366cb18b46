"""How far does a single forecast move when only the boosters' seed changes, and does
averaging a few seeds' models steady it?

    python benchmarks/bench_seed_spread.py [--data ../shared/data/nba] [--test-season 2023-24]
                                           [--refit-every 7] [--seeds 0 1 2 3 4 5]
                                           [--cache /tmp/nbaprops-seed-spread] [--ensemble-size 3]
                                           [--availability observed|none]

Runs the walk-forward backtest once per seed (each run's predictions are kept in --cache, so
a second call only re-reads them) and prints, for pred_PRA and pred_MIN:

* the per-forecast spread between two seeds: median and 95th percentile of |difference| over
  every pair of seeds and every player-game;
* the same between two *averages* of --ensemble-size disjoint seeds each (what a model that
  averages that many seeds' forecasts would show);
* PRA and minutes MAE of each seed (mean +- sd) and of each average, and the single-stage model
  (same features, same seed) beside the two-stage one.

Measuring on 2023-24 is fine: nothing here is chosen by its MAE; the seed count is chosen by
its cost and its spread.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import load_gamelogs
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"
KEY = ["GAME_ID", "PLAYER_ID"]
COLUMNS = ["pred_PRA", "pred_MIN"]


def seed_predictions(frame: pd.DataFrame, args, seed: int) -> pd.DataFrame:
    path = Path(args.cache) / f"{args.test_season}_r{args.refit_every}_{args.availability}_seed{seed}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    started = time.perf_counter()
    result = walk_forward(frame, BacktestConfig(test_season=args.test_season, refit_every=args.refit_every,
                                                seed=seed, availability=args.availability), progress=False)
    preds = result.predictions[KEY + ["PRA", "MIN"] + COLUMNS + ["pred_PRA_single"]].set_index(KEY).sort_index()
    path.parent.mkdir(parents=True, exist_ok=True)
    preds.to_parquet(path)
    print(f"seed {seed}: PRA MAE {result.metrics['pra_mae']:.4f}, minutes MAE {result.metrics['min_mae']:.4f} "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    return preds


def spread(forecasts: list[pd.DataFrame], column: str) -> tuple[float, float]:
    """Median and 95th percentile of |a - b| over every pair and row."""
    diffs = np.concatenate([np.abs(a[column].to_numpy() - b[column].to_numpy())
                            for a, b in itertools.combinations(forecasts, 2)])
    return float(np.median(diffs)), float(np.quantile(diffs, 0.95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--test-season", default="2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--ensemble-size", type=int, default=3)
    parser.add_argument("--cache", default="/tmp/nbaprops-seed-spread")
    parser.add_argument("--availability", choices=["observed", "none"], default="observed")
    args = parser.parse_args()

    frame = load_gamelogs(args.data).frame
    runs = [seed_predictions(frame, args, seed) for seed in args.seeds]
    index = runs[0].index
    for run in runs[1:]:
        if not run.index.equals(index):
            raise SystemExit("the seeds' runs predicted different rows")
    truth = runs[0]
    k = args.ensemble_size
    groups = [runs[i:i + k] for i in range(0, len(runs) - k + 1, k)]
    averages = [pd.concat(g).groupby(level=KEY)[COLUMNS].mean().loc[index] for g in groups]

    def mae(pred: pd.DataFrame, column: str, target: str) -> float:
        return float(np.mean(np.abs(pred[column].to_numpy() - truth[target].to_numpy())))

    print(f"\n{args.test_season}, weekly walk-forward (refit every {args.refit_every} days), "
          f"{len(index):,} forecasts, seeds {args.seeds}, availability {args.availability}")
    print(f"{'':<34}{'PRA med':>9}{'PRA p95':>9}{'MIN med':>9}{'MIN p95':>9}")
    rows = [("one seed vs another", runs)]
    if len(averages) >= 2:
        rows.append((f"mean of {k} seeds vs another {k}", averages))
    for label, forecasts in rows:
        pra, minutes = spread(forecasts, "pred_PRA"), spread(forecasts, "pred_MIN")
        print(f"{label:<34}{pra[0]:>9.3f}{pra[1]:>9.3f}{minutes[0]:>9.3f}{minutes[1]:>9.3f}")
    single = np.array([[mae(r, "pred_PRA", "PRA"), mae(r, "pred_MIN", "MIN"), mae(r, "pred_PRA_single", "PRA")]
                       for r in runs])
    gap = single[:, 0] - single[:, 2]
    print(f"\n{'MAE':<34}{'PRA':>9}{'minutes':>9}{'1-stage':>9}{'2 - 1':>9}")
    for seed, row, g in zip(args.seeds, single, gap):
        print(f"{f'seed {seed}':<34}{row[0]:>9.4f}{row[1]:>9.4f}{row[2]:>9.4f}{g:>+9.4f}")
    print(f"{'mean over seeds':<34}{single[:, 0].mean():>9.4f}{single[:, 1].mean():>9.4f}{single[:, 2].mean():>9.4f}"
          f"{gap.mean():>+9.4f}")
    print(f"{'sd over seeds':<34}{single[:, 0].std(ddof=1):>9.4f}{single[:, 1].std(ddof=1):>9.4f}"
          f"{single[:, 2].std(ddof=1):>9.4f}{gap.std(ddof=1):>9.4f}")
    for i, avg in enumerate(averages):
        print(f"{f'mean of seeds {args.seeds[i * k:(i + 1) * k]}':<34}"
              f"{mae(avg, 'pred_PRA', 'PRA'):>9.4f}{mae(avg, 'pred_MIN', 'MIN'):>9.4f}")


if __name__ == "__main__":
    main()
