"""One real-shaped night of `nbaprops daily`, on recorded responses built from the real 2023-24 data.

    python benchmarks/bench_feed.py [--night 2024-01-15] [--interval 0]

nba.com cannot be reached here, so the stand-in server of the tests (``tests/feedserver.py``)
answers in nba_api's wire shape from the real game logs and pregame lists of ``../shared/data``:
thirty teams, real rosters (everyone on a team's list that night), real inactive lists, real starters
(announced for every game). The data folders start as a
user's would the morning after ``--night`` minus two: the season files up to then (written in
the pull's format from the shared files, in a temporary folder, never in the repository).

The injury report is the league's own 5:30 PM publication of the night (``../shared/data/injury``),
served byte for byte; without that folder, the night's inactive players are listed Out in a stand-in.
A fast model (25 trees a stage) is trained on them and made production, then two nights run:
``--night`` (pull of the night before, refresh, slate, predict, nothing to grade yet, monitor)
and the night after (which grades the first). Printed: each night's output and its wall time,
with the politeness interval ``--interval`` seconds between requests (0.6 in production).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
SHARED = ROOT.parent / "shared" / "data"
FAST = '{"n_estimators": 25, "learning_rate": 0.2}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--night", default="2024-01-15")
    parser.add_argument("--interval", type=float, default=0.0)
    args = parser.parse_args()

    from feedserver import FeedServer, Recordings

    from mlflow_nbaprops import promotion
    from mlflow_nbaprops.cli import main as cli
    from mlflow_nbaprops.data import load_gamelogs, load_news

    night = pd.Timestamp(args.night)
    files = [SHARED / "nba" / f"leaguegamefinder_players_{s}.csv.gz" for s in ("2022-23", "2023-24")]
    league = load_gamelogs(files).frame
    news = load_news([SHARED / "pregame" / f"pregame_{s}.csv.gz" for s in ("2022-23", "2023-24")], league)
    nights = sorted(d for d in league["GAME_DATE"].unique() if d >= night)[:2]
    before = sorted(d for d in league["GAME_DATE"].unique() if d < night)
    held_until = pd.Timestamp(before[-2])  # the folders as of two game nights ago

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp / 'mlflow.db'}"
        os.environ["NBAPROPS_CACHE_DIR"] = str(tmp / "cache")
        (tmp / "nba").mkdir()
        (tmp / "pregame").mkdir()
        for season in ("2022-23", "2023-24"):
            raw = pd.read_csv(SHARED / "nba" / f"leaguegamefinder_players_{season}.csv.gz", dtype=str)
            raw = raw[pd.to_datetime(raw["GAME_DATE"]) <= held_until].drop(columns="SEASON_LABEL")
            raw.to_csv(tmp / "nba" / f"leaguegamefinder_players_{season}.csv.gz", index=False)
            pre = pd.read_csv(SHARED / "pregame" / f"pregame_{season}.csv.gz", dtype=str)
            pre[pd.to_datetime(pre["GAME_DATE"]) <= held_until].to_csv(tmp / "pregame" / f"pregame_{season}.csv.gz",
                                                                       index=False)
        runner = CliRunner()
        start = time.perf_counter()
        trained = runner.invoke(cli, ["train", "--data", str(tmp / "nba"), "--news", str(tmp / "pregame"),
                                      "--test-season", "2023-24", "--refit-every", "28", "--minutes-params", FAST,
                                      "--pra-params", FAST, "--quiet", "--register", "NBAPropsModel"])
        assert trained.exit_code == 0, trained.output
        assert promotion.promote("NBAPropsModel", "1", "production", "trained", promotion.Criteria()).moved
        print(f"trained and registered a fast model on {held_until:%Y-%m-%d} in {time.perf_counter() - start:.0f} s\n")

        recordings = Recordings(league, news, night)
        recordings.lineups_for = set(league.loc[league["GAME_DATE"].isin(nights), "GAME_ID"])
        reports = SHARED / "injury"
        if reports.is_dir():  # the league's own 5:30 PM reports of those nights, as the site serves them
            def real_report(name: str) -> bytes:
                found = sorted(reports.glob(f"*/{name}"))
                if not found:
                    raise KeyError(name)  # not published: the site's 404
                return found[0].read_bytes()

            recordings.injury_file = real_report
        with FeedServer(recordings) as server:
            os.environ.update({**server.env(), "NBAPROPS_FEED_INTERVAL": str(args.interval),
                               "NBAPROPS_FEED_TIMEOUT": "30"})
            for day in nights:
                recordings.tonight = pd.Timestamp(day)
                start = time.perf_counter()
                out = runner.invoke(cli, ["daily", "--data", str(tmp / "nba"), "--news", str(tmp / "pregame"),
                                          "--output-dir", str(tmp / "daily"), "--date", f"{day:%Y-%m-%d}",
                                          "--min-rows", "50"])
                seconds = time.perf_counter() - start
                print(out.output.replace(str(tmp), "."))
                print(f"exit {out.exit_code}; wall time {seconds:.1f} s with {args.interval:g} s between requests; "
                      f"{sum(server.calls.values())} requests so far\n")


if __name__ == "__main__":
    main()
