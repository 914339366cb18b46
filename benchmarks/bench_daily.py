"""The daily loop on the real data: refresh cost, and slate-vs-batch feature parity on every
game date of a season.

    python benchmarks/bench_daily.py [--data ../shared/data/nba] [--season 2023-24] [--refresh-on 2024-01-15]

1. **Refresh.** A model trained on the games up to ``--refresh-on`` (a full season and a half of
   snapshot) is logged and registered in a throwaway sqlite store and made production; then
   ``refresh`` (the function ``nbaprops refresh`` calls) adds the next night's games, the whole
   data folder given as users give it. Timed end to end (download and verify, extend, log,
   register, promote) and its extension step alone.
2. **Parity.** For every game date D of ``--season``: the snapshot of the games before D, the
   night's slate as the injury report would give it (its players AVAILABLE, the rest of its
   teams OUT), features by the served path (:meth:`HistorySnapshot.features`), against the
   batch builder's features of the same player-games on the whole data (what ``backtest``
   uses). Reported per feature: the largest difference and the number of rows that differ.
   Exact by construction except where the snapshot keeps less history than the batch builder
   sees: EWM means over more than the snapshot's last 82 games of a player, and counts of
   games older than 400 days.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from mlflow_nbaprops import flavor, promotion
from mlflow_nbaprops.daily import refresh
from mlflow_nbaprops.data import load_gamelogs
from mlflow_nbaprops.features import build_features, get_feature_set
from mlflow_nbaprops.features.snapshot import HistorySnapshot
from mlflow_nbaprops.model.predictor import PropsPredictor, observed_slate, validate_slate
from mlflow_nbaprops.data import DataInfo

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"


def bench_refresh(logs, day: pd.Timestamp) -> None:
    frame = logs.frame
    history = frame[frame["GAME_DATE"] <= day]
    start = time.perf_counter()
    predictor = PropsPredictor.train(history)
    print(f"trained on {len(history):,} rows up to {day.date()} in {time.perf_counter() - start:.0f} s; "
          f"snapshot {len(predictor.snapshot.rows):,} rows")
    night = frame.loc[frame["GAME_DATE"] > day, "GAME_DATE"].min()
    upto = frame[frame["GAME_DATE"] <= night]
    start = time.perf_counter()
    predictor.snapshot.extend(upto)
    extend_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        mlflow.set_experiment("bench-daily")
        with mlflow.start_run():
            mlflow.log_metrics({"val_pra_mae": 5.75, "val_vs_l10_pct": -4.0, "val_n_predictions": 25000.0,
                                "val_bet_calibration_error": 0.02})  # (the bench's stand-in validation)
            version = flavor.log_model(predictor, name="model",
                                       registered_model_name="NBAPropsModel").registered_model_version
        assert promotion.promote("NBAPropsModel", str(version), "production", "bench", promotion.Criteria()).moved
        data = DataInfo(upto, "bench", logs.version.digest)
        times = []
        start = time.perf_counter()
        result = refresh("models:/NBAPropsModel@production", data, alias="production")
        times.append(time.perf_counter() - start)
        print(f"refresh with {night.date()}: {result.extension.summary()}")
        print(f"  end to end {times[0]:.2f} s (extension step alone {extend_s:.2f} s); "
              f"new version {result.version}, production moved: {result.decision.moved}")


def bench_parity(frame: pd.DataFrame, season: str) -> None:
    fs = get_feature_set("full")
    names = list(fs.names)
    started = time.perf_counter()
    batch = build_features(frame, fs)
    batch = batch.set_index(["PLAYER_ID", "GAME_DATE"])[names]
    nights = sorted(frame.loc[frame["SEASON"] == season, "GAME_DATE"].unique())
    worst = pd.Series(0.0, index=names)
    differ = pd.Series(0, index=names)
    rows = 0
    seconds = []
    for night in map(pd.Timestamp, nights):
        history = frame[frame["GAME_DATE"] < night]
        snapshot = HistorySnapshot.from_history(history)
        games = frame[frame["GAME_DATE"] == night]
        slate = validate_slate(observed_slate(history, games))
        absences = slate.loc[slate["OUT"].eq(True), ["PLAYER_ID", "TEAM", "GAME_DATE"]]
        start = time.perf_counter()
        served = snapshot.features(slate, fs, absences, keys=False)
        seconds.append(time.perf_counter() - start)
        playing = (slate["OUT"] != True).to_numpy()  # noqa: E712 -- object column of True/False
        got = served[playing].set_axis(pd.MultiIndex.from_frame(slate.loc[playing, ["PLAYER_ID", "GAME_DATE"]]))
        want = batch.loc[got.index]
        diff = (got - want).abs()
        both_nan = got.isna() & want.isna()
        off = (diff > 0) | (got.isna() != want.isna())
        off &= ~both_nan
        worst = np.maximum(worst, diff.max().fillna(0.0))
        differ += off.sum()
        rows += len(got)
    print(f"\nparity, {season}: {len(nights)} game dates, {rows:,} player-games "
          f"({time.perf_counter() - started:.0f} s; served path incl. each night's state: "
          f"median {1000 * np.median(seconds):.0f} ms per night)")
    exact = differ[differ == 0].index.tolist()
    print(f"  {len(exact)} of {len(names)} features equal the batch builder's on every row")
    for name in differ[differ > 0].index:
        print(f"  {name:<24} {differ[name]:>6,} rows differ ({differ[name] / rows:.2%}), largest |diff| {worst[name]:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--season", default="2023-24")
    parser.add_argument("--refresh-on", default="2024-01-15")
    parser.add_argument("--skip-parity", action="store_true")
    args = parser.parse_args()
    logs = load_gamelogs(args.data)
    bench_refresh(logs, pd.Timestamp(args.refresh_on))
    if not args.skip_parity:
        bench_parity(logs.frame, args.season)


if __name__ == "__main__":
    main()
