"""Serving latency of the nbaprops flavor vs a plain ``mlflow.xgboost`` model, side by side.

    python benchmarks/bench_serving.py [--data ../shared/data/nba] [--news ...] [--requests 300]

Trains the two-stage predictor (XGBoost backend, 2 x 150 trees; ``full`` as it is, the lineups
scenario, with its inactive-lists fallback) on the real games and pre-game news up to ``--cutoff``
(2024-01-15) and a plain XGBRegressor of similar size (300 trees, same features, PRA target),
logs both to a sqlite store in a temp dir, starts one ``mlflow models serve --env-manager
local -w 1`` per model, and alternates requests between them:

- one-row requests: nbaprops in feature mode (the same input as the xgboost model) and in
  slate mode (it featurizes the row from its history snapshot; one row names no lineup, so the
  fallback answers), p50/p90 over ``--requests``;
- batches: 1,000 feature rows (both models); slate mode: 1,000 rows of the first real games after
  the cutoff (many of them players on new teams: the full builder path), tonight's real slate
  (everyone on the night's lists with STATUS, STARTER, SPREAD and TOTAL as the pregame news had
  them), one team's list (its lineup: the lineups model answers) and 500 players of the next nights;
- model load time (``load_model`` and ``mlflow.pyfunc.load_model``).

Targets: feature mode one-row p50 <= 1.3 x the xgboost model's (issue 4); slate mode one-row
p50 <= 2 x, a 500-row slate <= 150 ms, model load <= 300 ms (issue 14).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import requests
import xgboost
from mlflow.tracking._tracking_service.utils import _use_tracking_uri

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from processes import free_port, mlflow_cli, python_env, running  # noqa: E402

import mlflow_nbaprops.flavor as nbaprops_flavor  # noqa: E402
from mlflow_nbaprops.data import load_gamelogs, load_news, schema, synthetic_league_with_news  # noqa: E402
from mlflow_nbaprops.features import get_feature_set  # noqa: E402
from mlflow_nbaprops.model import TwoStageRegressor  # noqa: E402
from mlflow_nbaprops.model.predictor import MAX_SLATE_DATES, PropsPredictor, news_slate  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT = SHARED / "nba"


def split_json(frame: pd.DataFrame) -> str:
    return json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split", index=False))})


def timed(session: requests.Session, url: str, body: str) -> float:
    start = time.perf_counter()
    response = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=120)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:2000]}")
    return elapsed * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--news", nargs="+", default=[str(SHARED / "pregame"),
                                                       *sorted(str(p) for p in (SHARED / "market").glob("game_lines_*"))])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cutoff", default="2024-01-15",
                        help="Train on the games up to this date; slates are the nights after it.")
    args = parser.parse_args()

    if Path(args.data).is_dir():
        frame = load_gamelogs(args.data).frame
        news = load_news(args.news, frame)
        source = f"real data {args.data} and news"
    else:
        frame, news = synthetic_league_with_news(4, seed=1)
        source = "synthetic league and its news (real data not found)"
    cutoff = pd.Timestamp(args.cutoff) if Path(args.data).is_dir() else frame["GAME_DATE"].quantile(0.8).normalize()
    history = frame[frame["GAME_DATE"] <= cutoff].reset_index(drop=True)
    later = frame[frame["GAME_DATE"] > cutoff].reset_index(drop=True)
    print(f"data: {source}; training on {len(history):,} rows up to {history['GAME_DATE'].max().date()}")

    start = time.perf_counter()
    predictor = PropsPredictor.train(history, TwoStageRegressor(backend="xgboost"), news=news,
                                     fallback=(TwoStageRegressor(backend="xgboost"), get_feature_set("full", "v5.0-inactive")))
    print(f"nbaprops train: {time.perf_counter() - start:.1f} s ({predictor.scenario} with a {predictor.fallback_scenario} "
          "fallback)")
    names = list(predictor.feature_set.names)
    # the first 1,000 real player-games after the cutoff (in its first week), on their own dates (a player once a date: one
    # date for all of them would list players twice and teams with two opponents, which a slate refuses)
    first_week = later["GAME_DATE"].isin(sorted(later["GAME_DATE"].unique())[:MAX_SLATE_DATES])
    slate_rows = later.loc[first_week, ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]].head(1000).reset_index(
        drop=True)
    slate_rows = slate_rows.assign(LINE=20.5)
    # tonight as a user sends it: the next game night's lists, lineups and lines
    night = later["GAME_DATE"].min()
    tonight = news_slate(history, later[later["GAME_DATE"] == night], news).assign(LINE=20.5)
    one_team = tonight[tonight["TEAM"] == tonight["TEAM"].iloc[0]]
    # 500 rows of one date: the next nights' players (the same player once), moved to that date, their
    # teams paired into games (a team has one opponent a night, both sides of a game agree on it)
    nights = later[later["GAME_DATE"] <= night + pd.Timedelta(days=3)].drop_duplicates("PLAYER_ID")
    teams = sorted(nights["TEAM"].unique())
    opponent = {**dict(zip(teams[0::2], teams[1::2])), **dict(zip(teams[1::2], teams[0::2]))}
    paired = nights[nights["TEAM"].isin(opponent)]
    five_hundred = paired[["PLAYER_ID", "TEAM"]].head(500).assign(
        OPPONENT=lambda f: f["TEAM"].map(opponent), HOME=lambda f: f["TEAM"].isin(teams[0::2]),
        GAME_DATE=night, LINE=20.5)
    print(f"slates: tonight {night.date()} {len(tonight)} rows ({int((tonight['STATUS'] == 'OUT').sum())} OUT); "
          f"500-row slate of {five_hundred['TEAM'].nunique()} teams")
    features = predictor.snapshot.features(slate_rows, predictor.feature_set)
    feature_rows = features[["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"] + names]

    rows = predictor.regressor.n_train_rows_["minutes"]
    from mlflow_nbaprops.features import build_features

    built = build_features(history, predictor.feature_set, news=news)
    train = (built["games_career"] >= 1).to_numpy()
    plain = xgboost.XGBRegressor(n_estimators=300, learning_rate=0.09, max_depth=6, min_child_weight=40,
                                 tree_method="hist", max_bin=64, n_jobs=2)
    plain.fit(built.loc[train, names].iloc[-rows:], schema.pra(history)[train].iloc[-rows:])

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        uri = f"sqlite:///{root / 'mlflow.db'}"
        with _use_tracking_uri(uri):
            experiment = mlflow.create_experiment("bench-serving", artifact_location=str(root / "artifacts"))
            with mlflow.start_run(experiment_id=experiment):
                ours = nbaprops_flavor.log_model(predictor, name="nbaprops")
                theirs = mlflow.xgboost.log_model(plain, name="xgboost", input_example=feature_rows[names].head(2))
            sizes = {}
            for label, info in (("nbaprops", ours), ("xgboost", theirs)):
                local = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(root / label)))
                sizes[label] = sum(p.stat().st_size for p in local.rglob("*") if p.is_file())
            load = {}
            for label, fn in (("nbaprops load_model", lambda: nbaprops_flavor.load_model(ours.model_uri)),
                              ("nbaprops pyfunc", lambda: mlflow.pyfunc.load_model(ours.model_uri)),
                              ("xgboost load_model", lambda: mlflow.xgboost.load_model(theirs.model_uri)),
                              ("xgboost pyfunc", lambda: mlflow.pyfunc.load_model(theirs.model_uri))):
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    loaded = fn()
                    times.append(time.perf_counter() - start)
                    if label == "nbaprops pyfunc":  # untimed: the night it builds ahead, before the next load
                        raw = loaded.get_raw_model()
                        raw.snapshot.night(raw.snapshot.next_night(), raw.feature_set)
                load[label] = statistics.median(times) * 1000

        env = python_env(MLFLOW_TRACKING_URI=uri)
        ports = {"nbaprops": free_port(), "xgboost": free_port()}
        servers = {label: mlflow_cli("models", "serve", "-m", info.model_uri, "--env-manager", "local",
                                     "-h", "127.0.0.1", "-p", str(ports[label]), "-w", "1")
                   for label, info in (("nbaprops", ours), ("xgboost", theirs))}
        url = {label: f"http://127.0.0.1:{port}/invocations" for label, port in ports.items()}
        wire_features = nbaprops_flavor.as_slate_request(feature_rows)
        wire_slate = nbaprops_flavor.as_slate_request(slate_rows)
        wire_tonight = nbaprops_flavor.as_slate_request(tonight[tonight["STATUS"] == "AVAILABLE"].head(1)
                                                        .drop(columns="STATUS"))
        wire_night = nbaprops_flavor.as_slate_request(tonight)
        wire_team = nbaprops_flavor.as_slate_request(one_team)
        wire_500 = nbaprops_flavor.as_slate_request(five_hundred)
        one = {
            "nbaprops feature mode": (url["nbaprops"], split_json(wire_features.head(1))),
            "nbaprops slate mode": (url["nbaprops"], split_json(wire_tonight.head(1))),
            "xgboost": (url["xgboost"], split_json(feature_rows[names].head(1))),
        }
        batch = {
            "nbaprops feature mode": (url["nbaprops"], split_json(wire_features)),
            "nbaprops slate mode": (url["nbaprops"], split_json(wire_slate)),
            "nbaprops slate, tonight": (url["nbaprops"], split_json(wire_night)),
            f"nbaprops one team ({len(one_team)})": (url["nbaprops"], split_json(wire_team)),
            "nbaprops slate, 500 rows": (url["nbaprops"], split_json(wire_500)),
            "xgboost": (url["xgboost"], split_json(feature_rows[names])),
        }
        with running(servers["nbaprops"], f"http://127.0.0.1:{ports['nbaprops']}/ping", env, root / "a.log"), \
                running(servers["xgboost"], f"http://127.0.0.1:{ports['xgboost']}/ping", env, root / "b.log"), \
                requests.Session() as session:
            # tonight (the night after the history) was built while the server started; the night after it was not
            first_night_ms = timed(session, *one["nbaprops slate mode"])
            later_night = wire_tonight.head(1).assign(GAME_DATE=f"{night + pd.Timedelta(days=1):%Y-%m-%d}")
            other_night_ms = timed(session, url["nbaprops"], split_json(later_night))
            for target, body in one.values():  # warm-up
                for _ in range(10):
                    timed(session, target, body)
            latency = {label: [] for label in one}
            for _ in range(args.requests):  # alternate so both see the same machine load
                for label, (target, body) in one.items():
                    latency[label].append(timed(session, target, body))
            batches = {label: [] for label in batch}
            for _ in range(10):
                for label, (target, body) in batch.items():
                    batches[label].append(timed(session, target, body))

    print(f"\nmodel size on disk: nbaprops {sizes['nbaprops'] / 1e6:.2f} MB, xgboost {sizes['xgboost'] / 1e6:.2f} MB")
    print("load time (median of 5): " + ", ".join(f"{k} {v:.0f} ms" for k, v in load.items()))
    print(f"\n{'one-row request':<26}{'p50 ms':>9}{'p90 ms':>9}")
    for label, values in latency.items():
        print(f"{label:<26}{np.percentile(values, 50):>9.2f}{np.percentile(values, 90):>9.2f}")
    print(f"\n{'batch':<26}{'p50 ms':>9}")
    for label, values in batches.items():
        print(f"{label:<26}{np.percentile(values, 50):>9.1f}")
    ratio = np.percentile(latency["nbaprops feature mode"], 50) / np.percentile(latency["xgboost"], 50)
    print(f"\none-row p50 ratio, nbaprops (feature mode) / xgboost: {ratio:.2f} (target <= 1.3)")
    ratio = np.percentile(latency["nbaprops slate mode"], 50) / np.percentile(latency["xgboost"], 50)
    print(f"one-row p50 ratio, nbaprops (slate mode) / xgboost: {ratio:.2f} (target <= 2)")
    print(f"first slate request of the night after the history (its state built ahead, at load): {first_night_ms:.0f} ms")
    print(f"first slate request of another new date (builds its night state, once): {other_night_ms:.0f} ms")


if __name__ == "__main__":
    main()
