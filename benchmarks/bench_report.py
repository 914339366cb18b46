"""What the league's 5:30 PM injury report is worth: the ``report`` scenario against ``inactive``,
and against what ``daily`` did at 5:30 PM before it (the ``inactive`` model scored with the report).

    python benchmarks/bench_report.py --reports injuries.csv.gz [--test-season 2023-24] [--refit-every 7] [--seed 0]

``--reports``: the history table of ``nbaprops data injuries ../shared/data/injury --data
../shared/data/nba --news ../shared/data/pregame -o injuries.csv.gz`` (about 5 minutes; not in the
repository). Three weekly walk-forwards of the test season on the same rows, one after the other:

- ``report``: trained and scored with tonight's absences from the 5:30 PM publication (``full``
  v5.1-report; history games before the reports' era read their lists);
- ``inactive``: the final inactive lists (about 30 minutes before tip-off; ``full`` v5.1-inactive);
- ``inactive at 5:30 PM``: the ``inactive`` model as trained, each row scored with the report's
  statuses in place of its lists (what ``daily`` scored at 5:30 PM with an ``inactive`` model).

Printed: PRA and minutes MAE of each, and the same on the rows whose absences the report and the
final lists tell differently (a Questionable player ruled out later, a late scratch) and on the rest.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mlflow_nbaprops.data import load_gamelogs
from mlflow_nbaprops.data.news import load_news
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.evaluation.backtest import backtest_features
from mlflow_nbaprops.features import get_feature_set

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DIFFERENT = ("team_out_n", "opp_out_n", "team_out_min", "opp_out_min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--test-season", default="2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = load_gamelogs(SHARED / "nba").frame
    news = load_news([SHARED / "pregame", *sorted((SHARED / "market").glob("game_lines_*")), args.reports], frame)
    print(f"loaded in {time.perf_counter() - started:.0f} s: {news.version.summary()}", flush=True)
    inactive_fs, report_fs = get_feature_set("full", "v5.1-inactive"), get_feature_set("full", "v5.1-report")
    by_list = backtest_features(frame, inactive_fs, news)
    by_report = backtest_features(frame, report_fs, news)
    print(f"features built in {time.perf_counter() - started:.0f} s", flush=True)

    runs = {
        "report": dict(availability="report", features=by_report),
        "inactive": dict(availability="inactive", features=by_list),
        "inactive at 5:30 PM": dict(availability="inactive", features=by_list, predict_features=by_report),
    }
    results = {}
    for name, run in runs.items():
        config = BacktestConfig(test_season=args.test_season, refit_every=args.refit_every, seed=args.seed,
                                availability=run.pop("availability"))
        results[name] = walk_forward(frame, config, progress=False, news=news, **run)
        m = results[name].metrics
        print(f"{name:<22} PRA MAE {m['pra_mae']:.4f}  minutes {m['min_mae']:.4f}  previous-10 {m['l10_pra_mae']:.4f}  "
              f"{results[name].seconds:.0f} s", flush=True)

    index = next(iter(results.values())).predictions.index
    differ = np.zeros(len(index), dtype=bool)
    for column in DIFFERENT:
        a, b = by_list[column].to_numpy()[index], by_report[column].to_numpy()[index]
        differ |= ~np.isclose(a, b, equal_nan=True)
    print(f"\n{'rows':<48}" + "".join(f"{n:>22}" for n in results) + f"{'share':>8}")
    for label, mask in (("all", np.ones(len(index), dtype=bool)),
                        ("absences differ (report vs final lists)", differ), ("absences the same", ~differ)):
        cells = [np.abs(r.predictions["PRA"] - r.predictions["pred_PRA"]).to_numpy()[mask].mean() for r in results.values()]
        minutes = [np.abs(r.predictions["MIN"] - r.predictions["pred_MIN"]).to_numpy()[mask].mean()
                   for r in results.values()]
        print(f"{label:<48}" + "".join(f"{c:>14.4f} / {m:.3f}" for c, m in zip(cells, minutes)) + f"{mask.mean():>8.1%}")
    print(f"\nwall {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
