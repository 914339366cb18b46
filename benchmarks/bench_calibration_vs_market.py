"""Is P(over) calibrated? Against which line?

    python benchmarks/bench_calibration_vs_market.py [--seasons 3] [--seed 7] [--refit-every 28]

On the synthetic league (the only data here with bookmaker lines) runs the walk-forward
backtest twice over the last season: once scored against the league's bookmaker lines, once
with the lines removed, so P(over) is scored against the proxy line (previous-10 mean
rounded to .5). Prints both calibration errors, the 80 % interval coverage, and — for the
bookmaker lines — the hit rate of "over" by how far the model's median sits from the line.

The synthetic bookmaker sets its line from information the features cannot see (tonight's
usage boosts from injured teammates, the player's true rates and role), so where the model
and the line disagree the line is right more often than the model's P(over) says.
"""

from __future__ import annotations

import argparse

import pandas as pd

from mlflow_nbaprops.data import canonicalize_frame, schema
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seasons", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--refit-every", type=int, default=28)
    args = parser.parse_args()

    league = canonicalize_frame(synthesize_league(args.seasons, seed=args.seed))
    config = BacktestConfig(test_season=sorted(league["SEASON"].unique())[-1], refit_every=args.refit_every)
    market = walk_forward(league, config, progress=False)
    proxy = walk_forward(league.drop(columns=list(schema.LINE_COLUMNS)), config, progress=False)
    print(f"synthetic season {config.test_season}, {len(market.predictions):,} player-games, "
          f"refits every {config.refit_every} days")
    print(f"80% interval coverage {market.metrics['coverage_80']:.3f}")
    print(f"P(over) calibration error vs bookmaker lines {market.metrics['calibration_error']:.4f}, "
          f"vs {proxy.line_source} lines {proxy.metrics['calibration_error']:.4f}")

    scored = market.predictions.dropna(subset=["line"])
    gap = pd.cut(scored["pred_PRA"] - scored["line"], [-99, -3, -1, 1, 3, 99],
                 labels=["<= -3", "-3..-1", "-1..1", "1..3", ">= 3"])
    table = scored.assign(gap=gap, over=scored["PRA"] > scored["line"]).groupby("gap", observed=True).agg(
        rows=("over", "size"), mean_p_over=("p_over", "mean"), over_rate=("over", "mean"))
    print("\nmodel median minus bookmaker line:")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
