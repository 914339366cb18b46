"""The model against the real books: 2023-24's PRA props (the lined player-games only).

    python benchmarks/bench_market.py [--scenario lineups] [--test-season 2023-24] [--refit-every 7] [--seed 0]

Runs ``nbaprops backtest``'s weekly walk-forward with the pre-game news of ``--scenario`` and the props
of ``../shared/data/market/props_pra_2023-24.csv.gz`` and prints the market report: the model's PRA MAE
next to the consensus line's and the previous-10 mean's on the lined rows, the hit rate against the
line, Brier score and calibration error of the model's, the market's (vig removed) and the
market-aware P(over) (each month scored by a calibration fitted on the months before), flat bets at the
best price and at the chosen book by edge bucket, book and month, and the bet-selection policy chosen
on the first half of the lined rows and held out on the second (bootstrap interval on its ROI). Then
where the model loses to the line: the lined rows by his role and by whether his team's lineup changed.

Every figure covers only the lined rows: props quoted at tip-off for games that started on the same
UTC date (early tip-offs, more of them in March-April), about a quarter of the season.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import load_gamelogs, load_lines, load_news
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(SHARED / "nba"))
    parser.add_argument("--news", nargs="+", default=[str(SHARED / "pregame"),
                                                       *sorted(str(p) for p in (SHARED / "market").glob("game_lines_*"))])
    parser.add_argument("--lines", default=str(SHARED / "market" / "props_pra_2023-24.csv.gz"))
    parser.add_argument("--book", default="FanDuel")
    parser.add_argument("--scenario", default="lineups")
    parser.add_argument("--test-season", default="2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    frame = load_gamelogs(args.data).frame
    news = load_news(args.news, frame)
    lines = load_lines(args.lines, frame)
    print(f"lines: {lines.version.summary()}; set aside: {lines.skipped}")
    config = BacktestConfig(test_season=args.test_season, refit_every=args.refit_every, seed=args.seed,
                            availability=args.scenario)
    result = walk_forward(frame, config, progress=False, news=news, lines=lines, book=args.book)
    report = result.market
    print(result.summary())
    pd.set_option("display.width", 160)
    for name, table in (("by edge (best price, flat bets)", report.by_edge), ("by book (best price)", report.by_book),
                        ("by month", report.by_month)):
        print(f"\n{name}:\n{table.round(4).to_string(index=False)}")
    print("\npolicy:", report.policy)
    rows = report.rows
    role = pd.cut(rows["baseline_L10_PRA"], [-1, 15, 25, 35, 200], labels=["<15", "15-25", "25-35", "35+"])
    print("\nwhere the model and the line differ (PRA MAE on the lined rows):")
    print(f"{'segment':<28}{'rows':>7}{'model':>9}{'line':>9}{'model - line':>14}")
    segments = {f"previous-10 PRA {label}": (role == label).to_numpy() for label in role.cat.categories}
    lineup = result.predictions.set_index(["GAME_ID", "PLAYER_ID"])["lineup"]
    changed = lineup.reindex(pd.MultiIndex.from_frame(rows[["GAME_ID", "PLAYER_ID"]])).to_numpy()
    segments["lineup changed"] = changed == "changed"
    segments["lineups as usual"] = changed == "as usual"
    for label, mask in segments.items():
        part = rows[mask]
        if len(part):
            model = np.abs(part["PRA"] - part["pred_PRA"]).mean()
            line = np.abs(part["PRA"] - part["line"]).mean()
            print(f"{label:<28}{len(part):>7}{model:>9.3f}{line:>9.3f}{model - line:>+14.3f}")


if __name__ == "__main__":
    main()
