"""What a better minutes forecast is worth: PRA MAE when stage 2 gets minutes of known quality.

    python benchmarks/bench_minutes_value.py [--data ../shared/data/nba] [--test-season 2023-24]
                                             [--refit-every 28]

Walk-forward as in the backtest (training only on games before each refit date, default
window), the same population. For every predicted player-game, the model is asked for PRA
given (a) stage 1's minutes — the model as it ships, (b) the actual minutes blurred by
noise of a given size — what a ``MIN_PROJ`` of that quality would give, and (c) the actual
minutes themselves (an upper bound nobody has before tip-off). Given minutes are used two
ways: as the model uses ``MIN_PROJ`` (the forecast at stage 1's minutes scaled by given /
predicted minutes) and fed to stage 2 as its minutes input (how ``MIN_PROJ`` worked before).
A last line follows starters (last-10 minutes >= 30) who played 24 minutes or fewer.
This is a diagnostic of the two-stage design, not a result: (b) and (c) use information
that is not in the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import load_gamelogs, schema
from mlflow_nbaprops.features import build_features, get_feature_set
from mlflow_nbaprops.model import TwoStageRegressor
from mlflow_nbaprops.model.predictor import DEFAULT_TRAIN_WINDOW_DAYS

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"
NOISE = (0.0, 2.0, 3.0, 4.0, 5.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--test-season", default="2023-24")
    parser.add_argument("--refit-every", type=int, default=28)
    args = parser.parse_args()

    frame = load_gamelogs(args.data).frame.reset_index(drop=True)
    features = build_features(frame, "full")
    X, dates = features[get_feature_set("full").names], frame["GAME_DATE"]
    minutes, pra = frame["MIN"].to_numpy(float), schema.pra(frame).to_numpy(float)
    test = (frame["SEASON"] == args.test_season) & (frame["MIN"] > 0) & (features["games_season"] >= 1)
    days = np.sort(dates[test].unique())
    rng = np.random.default_rng(0)
    rows = []
    for start in pd.date_range(pd.Timestamp(days[0]), pd.Timestamp(days[-1]), freq=f"{args.refit_every}D"):
        predict = test & (dates >= start) & (dates < start + pd.Timedelta(days=args.refit_every))
        if not predict.any():
            continue
        train = (features["games_career"] >= 1) & (dates < start) & \
            (dates >= start - pd.Timedelta(days=DEFAULT_TRAIN_WINDOW_DAYS))
        model = TwoStageRegressor().fit(X[train], np.c_[minutes[train], pra[train]], groups=dates[train].to_numpy())
        actual = minutes[predict]
        out = {"PRA": pra[predict], "stage 1": model.predict_distribution(X[predict])}
        for sigma in NOISE:
            given = np.clip(actual + rng.normal(0.0, sigma, len(actual)), 0.0, schema.MAX_MINUTES)
            out[sigma] = model.predict_distribution(X[predict], minutes=given)
            out[sigma]["minutes_error"] = np.abs(given - actual)
            out[sigma]["fed"] = model._predict_stage2(model.pra_model_, model._with_minutes(X[predict], given))
        out["starter_short"] = pd.DataFrame({"s": (X.loc[predict, "min_l10"].to_numpy() >= 30) & (actual <= 24)})
        rows.append(out)
        print(f"refit {start.date()}: {int(predict.sum())} player-games", flush=True)

    y = np.concatenate([r["PRA"] for r in rows])
    def mae(key, col="pred_PRA"):
        return float(np.mean(np.abs(y - np.concatenate([r[key][col].to_numpy() for r in rows]))))
    stage1_minutes = np.concatenate([r["stage 1"]["pred_MIN"].to_numpy() for r in rows])
    actual = np.concatenate([r[0.0]["pred_MIN"].to_numpy() for r in rows])
    print(f"\n{args.test_season}, {len(y):,} player-games, refits every {args.refit_every} days")
    print(f"{'minutes given':<38}{'minutes MAE':>12}{'PRA MAE':>10}{'fed to stage 2':>16}")
    print(f"{'stage 1 (the shipped model)':<38}{np.mean(np.abs(stage1_minutes - actual)):>12.3f}{mae('stage 1'):>10.3f}")
    for sigma in sorted(NOISE, reverse=True):
        label = "actual minutes (upper bound)" if sigma == 0 else f"actual minutes + N(0, {sigma:g}) noise"
        err = np.concatenate([r[sigma]["minutes_error"].to_numpy() for r in rows]).mean()
        print(f"{label:<38}{err:>12.3f}{mae(sigma):>10.3f}{mae(sigma, 'fed'):>16.3f}")
    short = np.concatenate([r["starter_short"]["s"].to_numpy() for r in rows])
    scaled = np.concatenate([r[0.0]["pred_PRA"].to_numpy() for r in rows])
    fed = np.concatenate([r[0.0]["fed"].to_numpy() for r in rows])
    print(f"\nstarters (last-10 minutes >= 30) who played <= 24 minutes, given their actual minutes: "
          f"{int(short.sum()):,} player-games, actual PRA {y[short].mean():.2f}; as shipped {scaled[short].mean():.2f} "
          f"(MAE {np.abs(y[short] - scaled[short]).mean():.2f}), fed to stage 2 {fed[short].mean():.2f} "
          f"(MAE {np.abs(y[short] - fed[short]).mean():.2f})")


if __name__ == "__main__":
    main()
