"""How much of a two-stage vs single-stage difference is the boosters' own randomness?

    python benchmarks/bench_seeds.py [--data ../shared/data/nba] [--test-season 2022-23]
                                     [--refit-every 30] [--seeds 0 1 2 3] [--availability observed|none]
                                     [--minutes-params '{"n_estimators": 300, "learning_rate": 0.06}']

Runs the walk-forward backtest once per seed (row and column subsampling change with it) and
prints, per seed and as mean +- standard deviation over seeds: two-stage PRA MAE, single-stage
PRA MAE on the same rows, their difference and minutes MAE. A variant is worth keeping only
if it moves the mean by more than the seed spread. Defaults to the validation season: model
choices are never made on 2023-24.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mlflow_nbaprops.data import load_gamelogs
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--test-season", default="2022-23")
    parser.add_argument("--refit-every", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--availability", choices=["observed", "none"], default="observed")
    parser.add_argument("--minutes-params", type=json.loads, default={}, help="stage-1 overrides, JSON")
    parser.add_argument("--pra-params", type=json.loads, default={}, help="stage-2 and single-stage overrides, JSON")
    args = parser.parse_args()

    frame = load_gamelogs(args.data).frame
    rows = []
    print(f"{'seed':>4}{'two-stage':>11}{'single':>9}{'diff':>9}{'minutes':>9}{'time':>7}")
    for seed in args.seeds:
        config = BacktestConfig(test_season=args.test_season, refit_every=args.refit_every, seed=seed,
                                minutes_params=args.minutes_params, pra_params=args.pra_params,
                                availability=args.availability)
        m = walk_forward(frame, config, progress=False)
        row = (m.metrics["pra_mae"], m.metrics["single_pra_mae"], m.metrics["pra_mae"] - m.metrics["single_pra_mae"],
               m.metrics["min_mae"])
        rows.append(row)
        print(f"{seed:>4}{row[0]:>11.4f}{row[1]:>9.4f}{row[2]:>+9.4f}{row[3]:>9.4f}{m.seconds:>6.0f}s", flush=True)
    table = np.array(rows)
    mean, sd = table.mean(axis=0), table.std(axis=0, ddof=1) if len(rows) > 1 else np.zeros(4)
    print(f"mean{mean[0]:>11.4f}{mean[1]:>9.4f}{mean[2]:>+9.4f}{mean[3]:>9.4f}")
    print(f"  sd{sd[0]:>11.4f}{sd[1]:>9.4f}{sd[2]:>9.4f}{sd[3]:>9.4f}   ({len(rows)} seeds, "
          f"{args.test_season}, refits every {args.refit_every} days, availability {args.availability})")


if __name__ == "__main__":
    main()
