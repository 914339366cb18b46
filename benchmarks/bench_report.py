"""What the league's 5:30 PM injury report is worth: the ``report`` scenario against ``inactive``,
and against what ``daily`` did at 5:30 PM before it (the ``inactive`` model scored with the report).

    python benchmarks/bench_report.py --reports injuries.csv.gz [--test-season 2023-24] [--refit-every 7] [--seed 0]
    python benchmarks/bench_report.py --reports injuries.csv.gz --candidates [--seeds 0 1 2]

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

``--candidates``: what the report says beyond who is out, one fit on the four seasons before the
test season (2022-23 the only one with reports), several seeds: ``full`` v5.1-report against it plus
his own status tonight (0 not listed, 1 available, 2 probable, 3 questionable), and the teammates
and opponents listed questionable and their last-10 minutes (the minutes at risk). A player's return
from an absence is in the set already (``missed_team_games``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import load_gamelogs, schema
from mlflow_nbaprops.data.news import load_news
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.evaluation.backtest import backtest_features
from mlflow_nbaprops.features import get_feature_set
from mlflow_nbaprops.features.report import chosen_publications
from mlflow_nbaprops.model import TwoStageRegressor

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DIFFERENT = ("team_out_n", "opp_out_n", "team_out_min", "opp_out_min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--test-season", default="2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--candidates", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    started = time.perf_counter()
    frame = load_gamelogs(SHARED / "nba").frame
    news = load_news([SHARED / "pregame", *sorted((SHARED / "market").glob("game_lines_*")), args.reports], frame)
    print(f"loaded in {time.perf_counter() - started:.0f} s: {news.version.summary()}", flush=True)
    inactive_fs, report_fs = get_feature_set("full", "v5.1-inactive"), get_feature_set("full", "v5.1-report")
    by_list = backtest_features(frame, inactive_fs, news)
    by_report = backtest_features(frame, report_fs, news)
    print(f"features built in {time.perf_counter() - started:.0f} s", flush=True)
    if args.candidates:
        return candidates(frame, news, by_report, args)

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

    first = next(iter(results.values())).predictions
    rows = pd.MultiIndex.from_frame(frame[["GAME_ID", "PLAYER_ID"]]).get_indexer(
        pd.MultiIndex.from_frame(first[["GAME_ID", "PLAYER_ID"]]))  # each prediction's row of the frame
    assert (rows >= 0).all() and all(r.predictions[["GAME_ID", "PLAYER_ID"]].equals(first[["GAME_ID", "PLAYER_ID"]])
                                     for r in results.values())
    index = rows
    differ = np.zeros(len(rows), dtype=bool)
    for column in DIFFERENT:
        a, b = by_list[column].to_numpy()[index], by_report[column].to_numpy()[index]
        differ |= ~np.isclose(a, b, equal_nan=True)
    print(f"\n{'rows':<48}" + "".join(f"{n:>22}" for n in results) + f"{'share':>8}")
    for label, mask in (("all", np.ones(len(rows), dtype=bool)),
                        ("absences differ (report vs final lists)", differ), ("absences the same", ~differ)):
        cells = [np.abs(r.predictions["PRA"] - r.predictions["pred_PRA"]).to_numpy()[mask].mean() for r in results.values()]
        minutes = [np.abs(r.predictions["MIN"] - r.predictions["pred_MIN"]).to_numpy()[mask].mean()
                   for r in results.values()]
        print(f"{label:<48}" + "".join(f"{c:>14.4f} / {m:.3f}" for c, m in zip(cells, minutes)) + f"{mask.mean():>8.1%}")
    print(f"\nwall {time.perf_counter() - started:.0f} s")


STATUS_CODES = {"AVAILABLE": 1.0, "PROBABLE": 2.0, "QUESTIONABLE": 3.0, "DOUBTFUL": 4.0, "OUT": 5.0}


def status_columns(frame: pd.DataFrame, news) -> pd.DataFrame:
    """The candidates, per row of ``frame`` (NaN where no publication covers the row's game)."""
    chosen = chosen_publications(frame[["GAME_DATE", "TEAM"]], news.reports)
    known = chosen["PUBLISHED"].notna().to_numpy()
    rep = news.reports.dropna(subset=["PLAYER_ID"])
    key = ["REPORT_TIME", "GAME_DATE", "TEAM"]
    status = pd.Series(rep["STATUS"].map(STATUS_CODES).to_numpy(float), index=pd.MultiIndex.from_arrays(
        [rep["REPORT_TIME"], rep["GAME_DATE"], rep["TEAM"], rep["PLAYER_ID"].astype("int64")]))
    mine = status.reindex(pd.MultiIndex.from_arrays([chosen["REPORT_TIME"], chosen["GAME_DATE"], chosen["TEAM"],
                                                     frame["PLAYER_ID"].to_numpy()])).to_numpy(float)
    out = pd.DataFrame(index=frame.index)
    out["status_tonight"] = np.where(known, np.nan_to_num(mine), np.nan)
    # each questionable player's last-10 minutes before the game (0 without a game)
    q = rep[rep["STATUS"] == "QUESTIONABLE"][[*key, "PLAYER_ID"]].astype({"PLAYER_ID": "int64"})
    games = frame[["PLAYER_ID", "GAME_DATE", "MIN"]].sort_values(["PLAYER_ID", "GAME_DATE"])
    games["role"] = games.groupby("PLAYER_ID")["MIN"].transform(lambda m: m.rolling(10, min_periods=1).mean())
    games["GAME_DATE"] = games["GAME_DATE"].astype("datetime64[ns]")
    q = pd.merge_asof(q.assign(GAME_DATE=q["GAME_DATE"].astype("datetime64[ns]")).sort_values("GAME_DATE"),
                      games[["PLAYER_ID", "GAME_DATE", "role"]].sort_values("GAME_DATE"), on="GAME_DATE",
                      by="PLAYER_ID", allow_exact_matches=False).fillna({"role": 0.0})
    per = q.groupby(key).agg(n=("PLAYER_ID", "size"), minutes=("role", "sum"))
    own = pd.Series(np.where(mine == 3.0, 1.0, 0.0), index=frame.index)
    for side, team in (("team", frame["TEAM"]), ("opp", frame["OPPONENT"])):
        pick = chosen if side == "team" else chosen_publications(frame[["GAME_DATE", "OPPONENT"]].rename(
            columns={"OPPONENT": "TEAM"}), news.reports)
        at = per.reindex(pd.MultiIndex.from_arrays([pick["REPORT_TIME"], pick["GAME_DATE"], team.to_numpy()]))
        era = pick["PUBLISHED"].notna().to_numpy()
        n, minutes = np.nan_to_num(at["n"].to_numpy(float)), np.nan_to_num(at["minutes"].to_numpy(float))
        if side == "team":  # his teammates: himself aside
            n = n - own.to_numpy()
        out[f"{side}_q_n"] = np.where(era, n, np.nan)
        out[f"{side}_q_min"] = np.where(era, minutes, np.nan)
    return out


def candidates(frame: pd.DataFrame, news, by_report: pd.DataFrame, args) -> None:
    extra = status_columns(frame, news)
    built = pd.concat([by_report, extra], axis=1)
    seasons = sorted(frame["SEASON"].unique())
    at = seasons.index(args.test_season)
    train = (frame["SEASON"].isin(seasons[max(0, at - 4):at]) & (built["games_career"] >= 1)).to_numpy()
    test = ((frame["SEASON"] == args.test_season) & (frame["MIN"] > 0) & (built["games_season"] >= 1)).to_numpy()
    names = get_feature_set("full", "v5.1-report").names
    minutes, pra = frame["MIN"].to_numpy(float), schema.pra(frame).to_numpy(float)
    questionable = (extra["status_tonight"] == 3.0).to_numpy()[test]
    print(f"one shot: train {int(train.sum()):,} rows ({int(extra['status_tonight'].notna()[train].sum()):,} with a "
          f"report), test {int(test.sum()):,} rows ({questionable.mean():.1%} questionable themselves)")
    variants = {"v5.1-report": names, "+ status_tonight": [*names, "status_tonight"],
                "+ questionable teammates, opponents": [*names, "team_q_n", "team_q_min", "opp_q_n", "opp_q_min"],
                "+ all five": [*names, *extra.columns]}
    for label, columns in variants.items():
        scores = []
        for seed in args.seeds:
            model = TwoStageRegressor(random_state=seed).fit(
                built.loc[train, columns], np.c_[minutes[train], pra[train]],
                groups=frame.loc[train, "GAME_DATE"].to_numpy())
            dist = model.predict_distribution(built.loc[test, columns])
            err = np.abs(dist["pred_PRA"].to_numpy() - pra[test])
            scores.append((err.mean(), np.abs(dist["pred_MIN"].to_numpy() - minutes[test]).mean(),
                           err[questionable].mean()))
        s = np.array(scores)
        print(f"{label:<40} PRA {s[:, 0].mean():.4f} +- {s[:, 0].std(ddof=1):.4f}  minutes {s[:, 1].mean():.4f}  "
              f"questionable rows PRA {s[:, 2].mean():.4f}", flush=True)


if __name__ == "__main__":
    main()
