"""The injury-report example of docs/serving.md, end to end: one player ruled out, his teammates' answers.

    python benchmarks/serve_injury_example.py [--data ../shared/data/nba] [--team DEN] [--opponent LAL]

Trains ``PropsPredictor`` on every real game (LightGBM, the default ``full`` feature set), logs it
to a sqlite store in a temp dir, starts ``mlflow models serve --env-manager local``, and sends
two slates for the day after the data's last date: ``--team``'s seven players with the most
minutes a game in its last 10 games plus ``--opponent``'s top two, every ``STATUS`` ``AVAILABLE``;
then the same slate with ``--team``'s top player ``OUT``. Prints the request, the first answers
and both answers side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import mlflow
import pandas as pd
import requests
from mlflow.tracking._tracking_service.utils import _use_tracking_uri

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from processes import free_port, mlflow_cli, python_env, running  # noqa: E402

import mlflow_nbaprops.flavor as nbaprops_flavor  # noqa: E402
from mlflow_nbaprops.data import load_gamelogs  # noqa: E402
from mlflow_nbaprops.model.predictor import PropsPredictor  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"


def top_players(frame: pd.DataFrame, team: str, n: int) -> pd.DataFrame:
    """The team's ``n`` players with the most minutes a game in its last 10 games (and still on it)."""
    games = frame[frame["TEAM"] == team]
    recent = games[games["GAME_ID"].isin(games.drop_duplicates("GAME_ID").nlargest(10, "GAME_DATE")["GAME_ID"])]
    still = frame.sort_values("GAME_DATE").drop_duplicates("PLAYER_ID", keep="last")
    still = set(still.loc[still["TEAM"] == team, "PLAYER_ID"])
    minutes = recent[recent["PLAYER_ID"].isin(still)].groupby(["PLAYER_ID", "PLAYER_NAME"])["MIN"].mean()
    return minutes.nlargest(n).reset_index()[["PLAYER_ID", "PLAYER_NAME"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--team", default="DEN")
    parser.add_argument("--opponent", default="LAL")
    args = parser.parse_args()

    frame = load_gamelogs(args.data).frame
    start = time.perf_counter()
    predictor = PropsPredictor.train(frame)
    print(f"trained on {len(frame):,} rows up to {frame['GAME_DATE'].max().date()} "
          f"(feature set {predictor.feature_set.name} {predictor.feature_set.version}) in {time.perf_counter() - start:.0f} s")
    day = (frame["GAME_DATE"].max() + pd.Timedelta(days=6)).date().isoformat()
    players = pd.concat([top_players(frame, args.team, 7).assign(TEAM=args.team, OPPONENT=args.opponent, HOME=True),
                         top_players(frame, args.opponent, 2).assign(TEAM=args.opponent, OPPONENT=args.team, HOME=False)],
                        ignore_index=True)
    slate = players.drop(columns="PLAYER_NAME").assign(GAME_DATE=day, STATUS="AVAILABLE")
    slate = slate[["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "STATUS"]]
    ruled_out = slate.assign(STATUS=["OUT"] + ["AVAILABLE"] * (len(slate) - 1))
    star = players["PLAYER_NAME"].iloc[0]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        uri = f"sqlite:///{root / 'mlflow.db'}"
        with _use_tracking_uri(uri):
            experiment = mlflow.create_experiment("injury-example", artifact_location=str(root / "artifacts"))
            with mlflow.start_run(experiment_id=experiment):
                info = nbaprops_flavor.log_model(predictor, name="nbaprops")
        port = free_port()
        server = mlflow_cli("models", "serve", "-m", info.model_uri, "--env-manager", "local",
                            "-h", "127.0.0.1", "-p", str(port), "-w", "1")
        body = {label: json.dumps({"dataframe_records": json.loads(s.to_json(orient="records"))})
                for label, s in (("available", slate), ("out", ruled_out))}
        with running(server, f"http://127.0.0.1:{port}/ping", python_env(MLFLOW_TRACKING_URI=uri), root / "serve.log"):
            answers = {}
            for label, text in body.items():
                response = requests.post(f"http://127.0.0.1:{port}/invocations", data=text,
                                         headers={"Content-Type": "application/json"}, timeout=120)
                response.raise_for_status()
                answers[label] = response.json()["predictions"]
            silent = requests.post(f"http://127.0.0.1:{port}/invocations", timeout=120,
                                   headers={"Content-Type": "application/json"},
                                   data=json.dumps({"dataframe_records": json.loads(
                                       slate.drop(columns="STATUS").to_json(orient="records"))})).json()["predictions"]

    print(f"\nrequest with {star} ({players['PLAYER_ID'].iloc[0]}) OUT, first rows:")
    print("\n".join(json.dumps(r) for r in json.loads(ruled_out.head(2).to_json(orient="records"))))
    print("answers, first two:")
    print("\n".join(json.dumps(r) for r in answers["out"][:2]))
    table = players.assign(**{
        "minutes, all available": [a["pred_MIN"] for a in answers["available"]],
        f"minutes, {star} out": [a["pred_MIN"] for a in answers["out"]],
        "PRA, all available": [a["pred_PRA"] for a in answers["available"]],
        f"PRA, {star} out": [a["pred_PRA"] for a in answers["out"]],
    }).drop(columns="PLAYER_ID")
    print("\n" + table.round(1).to_string(index=False))
    same = all(abs(a["pred_PRA"] - b["pred_PRA"]) < 1e-9 for a, b in zip(silent, answers["available"]))
    print(f"\nwithout STATUS: same answers as all available: {same}; warning: {silent[0]['warning']!r}")


if __name__ == "__main__":
    main()
