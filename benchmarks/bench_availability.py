"""What tonight's absences are worth: box scores only vs box scores plus availability.

    python benchmarks/bench_availability.py oneshot [--test-season 2023-24] [--seeds 0]
    python benchmarks/bench_availability.py walkforward [--test-season 2023-24] [--refit-every 7] [--seed 0]
    python benchmarks/bench_availability.py renormalise [--test-season 2022-23] [--seeds 0 1 2]

``oneshot`` rebuilds the issue's floor measurement: one two-stage LightGBM model trained on the
four seasons before the test season, scored on every predictable player-game of the test season
(the backtest's population: minutes > 0 and an earlier game this season), for three feature
lists: ``full`` v2.0 (box scores only), v2.0 plus the four crude absence features (team and
opponent: count and summed minutes of absent rotation players), and ``full`` v3.0 (every
availability feature). Several seeds give mean and spread. Use 2022-23 (the default
validation season) for choices; 2023-24 only to report.

``walkforward`` runs ``nbaprops backtest``'s walk-forward for ``--availability none`` and
``observed`` on the same rows and prints them side by side, overall and for the rows with a
rotation teammate out vs at full strength.

``renormalise`` screens a stage-1 structure availability enables: each team-game's available
rotation (known before tip-off: the rotation candidates not out) should share about the minutes
such a rotation played in the training seasons (the median by its size), so stage 1's minutes
for them are scaled by (that total / their predicted sum) ** alpha, and stage 2 is fed the
scaled minutes ("fed") or its PRA scaled alike ("scaled"). One fit per seed, as ``oneshot``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import load_gamelogs, schema
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.features import build_features, get_feature_set
from mlflow_nbaprops.model import TwoStageRegressor

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"
CRUDE = ["team_out_n", "team_out_min", "opp_out_n", "opp_out_min"]


def oneshot(frame: pd.DataFrame, args) -> None:
    features = build_features(frame, "full")
    seasons = sorted(frame["SEASON"].unique())
    test_index = seasons.index(args.test_season)
    train_seasons = seasons[max(0, test_index - 4):test_index]
    train = frame["SEASON"].isin(train_seasons) & (features["games_career"] >= 1)
    test = (frame["SEASON"] == args.test_season) & (frame["MIN"] > 0) & (features["games_season"] >= 1)
    minutes, pra = frame["MIN"].to_numpy(float), schema.pra(frame).to_numpy(float)
    box = get_feature_set("full", "v2.0").names
    variants = {"box scores (full v2.0)": box, "+ crude four": box + CRUDE,
                "full v3.0 (all availability)": get_feature_set("full").names}
    out_tonight = (features.loc[test, "team_out_n"] > 0).to_numpy()
    print(f"one shot: train {', '.join(train_seasons)} ({int(train.sum()):,} rows), test {args.test_season} "
          f"({int(test.sum()):,} rows, {out_tonight.mean():.1%} with a rotation teammate out); seeds {args.seeds}")
    print(f"{'features':<32}{'PRA MAE':>9}{'sd':>7}{'minutes':>9}{'sd':>7}{'PRA, mate out':>15}{'time':>7}")
    for label, names in variants.items():
        scores = []
        started = time.perf_counter()
        for seed in args.seeds:
            model = TwoStageRegressor(random_state=seed).fit(
                features.loc[train, names], np.c_[minutes[train], pra[train]],
                groups=frame.loc[train, "GAME_DATE"].to_numpy())
            dist = model.predict_distribution(features.loc[test, names])
            err = np.abs(dist["pred_PRA"].to_numpy() - pra[test])
            scores.append((err.mean(), np.abs(dist["pred_MIN"].to_numpy() - minutes[test]).mean(),
                           err[out_tonight].mean()))
        s = np.array(scores)
        sd = s.std(axis=0, ddof=1) if len(s) > 1 else np.zeros(3)
        print(f"{label:<32}{s[:, 0].mean():>9.4f}{sd[0]:>7.4f}{s[:, 1].mean():>9.4f}{sd[1]:>7.4f}"
              f"{s[:, 2].mean():>15.4f}{(time.perf_counter() - started) / len(s):>6.0f}s", flush=True)


def walkforward(frame: pd.DataFrame, args) -> None:
    results = {}
    for scenario in ("none", "observed"):
        config = BacktestConfig(test_season=args.test_season, refit_every=args.refit_every, seed=args.seed,
                                availability=scenario)
        results[scenario] = walk_forward(frame, config, progress=False)
        r = results[scenario]
        print(f"--availability {scenario}: PRA {r.metrics['pra_mae']:.4f}, minutes {r.metrics['min_mae']:.4f}, "
              f"single-stage {r.metrics['single_pra_mae']:.4f} ({r.seconds:.0f} s)", flush=True)
    print(f"\n{args.test_season}, refits every {args.refit_every} days, seed {args.seed}")
    print(f"{'':<30}{'none':>10}{'observed':>10}{'change':>9}")
    rows = [("PRA MAE", "pra_mae"), ("minutes MAE", "min_mae"), ("single-stage PRA MAE", "single_pra_mae"),
            ("previous-10 PRA MAE", "l10_pra_mae"), ("80% coverage", "coverage_80"),
            ("a rotation teammate out", "seg_teammates_a_rotation_teammate_out_mae"),
            ("full strength", "seg_teammates_full_strength_mae")]
    for label, key in rows:
        a, b = results["none"].metrics[key], results["observed"].metrics[key]
        print(f"{label:<30}{a:>10.4f}{b:>10.4f}{b - a:>+9.4f}")
    share = (results["observed"].predictions["team_out_n"] > 0).mean()
    print(f"({share:.1%} of the {len(results['observed'].predictions):,} rows have a rotation teammate out)")


def renormalise(frame: pd.DataFrame, args) -> None:
    features = build_features(frame, "full")
    seasons = sorted(frame["SEASON"].unique())
    test_index = seasons.index(args.test_season)
    train = (frame["SEASON"].isin(seasons[max(0, test_index - 4):test_index]) & (features["games_career"] >= 1)).to_numpy()
    test = ((frame["SEASON"] == args.test_season) & (frame["MIN"] > 0) & (features["games_season"] >= 1)).to_numpy()
    minutes, pra = frame["MIN"].to_numpy(float), schema.pra(frame).to_numpy(float)
    names = get_feature_set("full").names
    team_game = (frame["GAME_ID"].astype(str) + "|" + frame["TEAM"].astype(str)).to_numpy()
    rotation = features["avail_rank"].notna().to_numpy()  # tonight's available rotation
    seen = train & rotation
    sums = pd.DataFrame({"k": team_game[seen], "m": minutes[seen]}).groupby("k")["m"].agg(["sum", "size"])
    total_by_size = sums.groupby("size")["sum"].median()
    print(f"renormalise: train {', '.join(seasons[max(0, test_index - 4):test_index])}, test {args.test_season} "
          f"({int(test.sum()):,} rows); the available rotation's median minutes by its size: "
          + ", ".join(f"{n}: {v:.0f}" for n, v in total_by_size.items()))
    alphas = (0.25, 0.5, 1.0)
    rows = []
    for seed in args.seeds:
        model = TwoStageRegressor(random_state=seed).fit(features.loc[train, names], np.c_[minutes[train], pra[train]],
                                                         groups=frame.loc[train, "GAME_DATE"].to_numpy())
        X = features.loc[test, names]
        base = model.predict_distribution(X)
        pred_min, pred_pra = base["pred_MIN"].to_numpy(), base["pred_PRA"].to_numpy()
        in_rotation = rotation[test]
        groups = pd.DataFrame({"k": team_game[test], "m": np.where(in_rotation, pred_min, 0.0), "r": in_rotation})
        predicted_sum = groups.groupby("k")["m"].transform("sum").to_numpy()
        target = groups.groupby("k")["r"].transform("sum").map(total_by_size).to_numpy()
        row = {"seed": seed, "minutes": np.abs(pred_min - minutes[test]).mean(), "PRA": np.abs(pred_pra - pra[test]).mean()}
        for alpha in alphas:
            ratio = np.where(in_rotation & (predicted_sum > 0) & np.isfinite(target),
                             (target / np.maximum(predicted_sum, 1.0)) ** alpha, 1.0)
            fed = model._predict_stage2(model.pra_model_, model._with_minutes(X, pred_min * ratio))
            row[f"minutes a={alpha}"] = np.abs(pred_min * ratio - minutes[test]).mean()
            row[f"PRA fed a={alpha}"] = np.abs(fed - pra[test]).mean()
            row[f"PRA scaled a={alpha}"] = np.abs(pred_pra * ratio - pra[test]).mean()
        rows.append(row)
    table = pd.DataFrame(rows).set_index("seed")
    table.loc["mean"] = table.mean()
    print(table.T.round(4).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["oneshot", "walkforward", "renormalise"])
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--test-season", default=None, help="default: 2022-23 for renormalise, else 2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    args.test_season = args.test_season or ("2022-23" if args.mode == "renormalise" else "2023-24")
    frame = load_gamelogs(args.data).frame.reset_index(drop=True)
    {"oneshot": oneshot, "walkforward": walkforward, "renormalise": renormalise}[args.mode](frame, args)


if __name__ == "__main__":
    main()
