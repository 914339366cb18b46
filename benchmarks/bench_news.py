"""What the pre-game news is worth: inactive lists, starting lineups and game lines.

    python benchmarks/bench_news.py oneshot [--test-season 2022-23] [--seeds 0 1 2]
    python benchmarks/bench_news.py candidates [--test-season 2022-23] [--seeds 0 1 2]
    python benchmarks/bench_news.py walkforward [--test-season 2023-24] [--refit-every 7] [--seed 0]
    python benchmarks/bench_news.py seeds [--test-season 2023-24] [--seeds 1 2 3] [--scenario lineups]
    python benchmarks/bench_news.py absences [--before 2023-24]

``oneshot`` fits one two-stage LightGBM model on the four seasons before the test season and scores
every predictable player-game of it (minutes > 0 and an earlier game this season), for each
scenario's feature set and for the issue's four crude lineup columns on top of ``full`` v4.1 (starter
tonight, started his previous game, share of starts in his previous 10, tonight minus that share).
Several seeds give mean and spread. Choices are made on 2022-23 (the default here), never on 2023-24.
It also scores ``full`` v5.0 and v5.0-inactive, the sets before the dressed roster (v5.1).

``candidates`` scores, the same way, ``full`` v5.1 plus each feature tried beside the dressed roster
and left out (his share of the dressed roster's PRA, his start streak, his PRA per minute in tonight's
role, the implied team total against recent scoring, his share of DNP games).

``walkforward`` runs ``nbaprops backtest``'s weekly walk-forward for every scenario (``none``,
``observed``, ``inactive``, ``lineups``) on the same rows and prints them side by side, overall, for
the rows with a rotation teammate out (as the box score shows it), and for the rows whose team or
opponent changed its starting lineup (a starter who is not a regular starter).

``seeds`` repeats one scenario's walk-forward with more booster seeds: two-stage vs single-stage with
the seed spread.

``absences`` compares the two sources of a history game's absences on the seasons before
``--before``: rotation players missing from the box score vs declared inactive, and what the
difference is made of (a coach's decision, DNP; no row at all).

Data: ``--data`` (game logs, default ``../shared/data/nba``) and ``--news`` (pregame lists and game
lines, default ``../shared/data/pregame`` and the game lines in ``../shared/data/market``).
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
from mlflow_nbaprops.features import build_features, get_feature_set
from mlflow_nbaprops.features.registry import SCENARIO_VERSIONS
from mlflow_nbaprops.model import TwoStageRegressor

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CRUDE = ["starter_tonight", "started_last", "start_share_l10", "start_vs_share"]


def split(frame: pd.DataFrame, features: pd.DataFrame, test_season: str):
    seasons = sorted(frame["SEASON"].unique())
    at = seasons.index(test_season)
    train_seasons = seasons[max(0, at - 4):at]
    train = (frame["SEASON"].isin(train_seasons) & (features["games_career"] >= 1)).to_numpy()
    test = ((frame["SEASON"] == test_season) & (frame["MIN"] > 0) & (features["games_season"] >= 1)).to_numpy()
    return train_seasons, train, test


def oneshot(frame: pd.DataFrame, news, args) -> None:
    started = time.perf_counter()
    v5 = build_features(frame, get_feature_set("full"), news=news)
    observed = build_features(frame, get_feature_set("full", "v4.1"), news=news, extra=tuple(CRUDE))
    print(f"features built in {time.perf_counter() - started:.0f} s", flush=True)
    train_seasons, train, test = split(frame, v5, args.test_season)
    changed = ((v5["team_new_starters"] > 0) | (v5["opp_new_starters"] > 0)).to_numpy()[test]
    variants = {f"{scenario} (full {version})": (observed if scenario in ("none", "observed") else v5,
                                                 get_feature_set("full", version).names)
                for scenario, version in SCENARIO_VERSIONS.items()}
    for version in ("v5.0-inactive", "v5.0"):  # before the dressed roster (v5.1)
        variants[f"full {version}"] = (v5, get_feature_set("full", version).names)
    variants["observed + crude four"] = (observed, get_feature_set("full", "v4.1").names + CRUDE)
    for extra in args.extra or []:  # "team_spread,game_total": lineups without those features
        drop = extra.split(",")
        variants[f"lineups - {extra}"[:34]] = (v5, [n for n in get_feature_set("full").names if n not in drop])
    if args.extra is not None:
        variants["inactive + crude four"] = (v5, get_feature_set("full", "v5.1-inactive").names + CRUDE[:1] + CRUDE[3:])
    print(f"one shot: train {', '.join(train_seasons)} ({int(train.sum()):,} rows), test {args.test_season} "
          f"({int(test.sum()):,} rows, {changed.mean():.1%} with a lineup change); seeds {args.seeds}")
    print(f"{'features':<34}{'PRA MAE':>9}{'sd':>7}{'minutes':>9}{'sd':>7}{'PRA, changed':>14}{'time':>7}")
    _score(frame, variants, train, test, changed, args.seeds)


def _score(frame: pd.DataFrame, variants: dict, train: np.ndarray, test: np.ndarray, changed: np.ndarray,
           seeds: list[int]) -> None:
    """One two-stage fit per variant (features, names) and seed; PRA and minutes MAE on ``test``."""
    minutes, pra = frame["MIN"].to_numpy(float), schema.pra(frame).to_numpy(float)
    dates = frame.loc[train, "GAME_DATE"].to_numpy()
    for label, (built, names) in variants.items():
        scores = []
        clock = time.perf_counter()
        for seed in seeds:
            model = TwoStageRegressor(random_state=seed).fit(built.loc[train, names], np.c_[minutes[train], pra[train]],
                                                             groups=dates)
            dist = model.predict_distribution(built.loc[test, names])
            err = np.abs(dist["pred_PRA"].to_numpy() - pra[test])
            scores.append((err.mean(), np.abs(dist["pred_MIN"].to_numpy() - minutes[test]).mean(), err[changed].mean()))
        s = np.array(scores)
        sd = s.std(axis=0, ddof=1) if len(s) > 1 else np.zeros(3)
        print(f"{label:<34}{s[:, 0].mean():>9.4f}{sd[0]:>7.4f}{s[:, 1].mean():>9.4f}{sd[1]:>7.4f}"
              f"{s[:, 2].mean():>14.4f}{(time.perf_counter() - clock) / len(s):>6.0f}s", flush=True)


def _candidates(frame: pd.DataFrame, news, v5: pd.DataFrame) -> pd.DataFrame:
    """The features tried beside the dressed roster and left out of v5.1 (each from games before the
    row's date, or tonight's news): his share of the dressed roster's last-10 PRA, his start streak,
    his PRA per minute in tonight's role (last 15 games in it), the implied team total against the
    two teams' recent scoring, and his share of dressed-but-unused (DNP) games among his last 10."""
    pre = news.pregame
    f = frame[["GAME_ID", "GAME_DATE", "PLAYER_ID", "TEAM", "OPPONENT", "MIN"]].assign(
        PRA=schema.pra(frame).to_numpy(float), row=np.arange(len(frame)))
    f["STARTER"] = pre.set_index(["GAME_ID", "PLAYER_ID"])["STARTER"].reindex(
        pd.MultiIndex.from_arrays([f["GAME_ID"], f["PLAYER_ID"]])).to_numpy(float)
    f = f.sort_values(["PLAYER_ID", "GAME_DATE", "GAME_ID"]).reset_index(drop=True)
    by = f.groupby("PLAYER_ID")
    f["pra_after"] = by["PRA"].transform(lambda s: s.rolling(10, min_periods=1).mean())
    starts = (f["STARTER"] == 1).astype(int)
    f["streak_before"] = starts.groupby([f["PLAYER_ID"], (starts == 0).groupby(f["PLAYER_ID"]).cumsum()]).cumsum()
    f["streak_before"] = f.groupby("PLAYER_ID")["streak_before"].shift(1)
    for flag, name in ((1, "ppm_starter"), (0, "ppm_bench")):
        sub = f[(f["STARTER"] == flag) & (f["MIN"] > 0)]
        rate = (sub.groupby("PLAYER_ID")["PRA"].transform(lambda s: s.rolling(15, min_periods=3).sum())
                / sub.groupby("PLAYER_ID")["MIN"].transform(lambda s: s.rolling(15, min_periods=3).sum()))
        f[name] = pd.Series(np.nan, index=f.index).fillna(rate).groupby(f["PLAYER_ID"]).ffill()
        f[name] = f.groupby("PLAYER_ID")[name].shift(1)
    f = f.sort_values("row").reset_index(drop=True)
    out = pd.DataFrame(index=v5.index)
    out["start_streak"] = f["streak_before"].to_numpy()
    tonight = v5["starter_tonight"].to_numpy()
    out["ppm_in_role"] = np.where(tonight == 1, f["ppm_starter"], np.where(tonight == 0, f["ppm_bench"], np.nan))
    # his share of the dressed roster's last-10 PRA (as of each dressed player's previous game)
    dressed = pre[pre["STATUS"] != "INACTIVE"][["GAME_ID", "GAME_DATE", "TEAM", "PLAYER_ID"]].copy()
    dressed["GAME_DATE"] = pd.to_datetime(dressed["GAME_DATE"]).astype("datetime64[ns]")
    after = f[["PLAYER_ID", "GAME_DATE", "pra_after"]].assign(
        GAME_DATE=lambda d: d["GAME_DATE"].astype("datetime64[ns]"))
    dressed = pd.merge_asof(dressed.sort_values("GAME_DATE"), after.sort_values("GAME_DATE"), on="GAME_DATE",
                            by="PLAYER_ID", allow_exact_matches=False)
    dressed["pra_after"] = dressed["pra_after"].fillna(0.0)
    dressed["team_pra"] = dressed.groupby(["GAME_ID", "TEAM"])["pra_after"].transform("sum")
    rows = pd.MultiIndex.from_arrays([frame["GAME_ID"], frame["PLAYER_ID"]])
    at = dressed.set_index(["GAME_ID", "PLAYER_ID"]).reindex(rows)
    out["pra_share_dressed"] = (at["pra_after"] / at["team_pra"]).to_numpy()
    # the implied team total against the two teams' recent scoring (last 10 games before)
    tp = frame.groupby(["GAME_ID", "TEAM", "OPPONENT", "GAME_DATE"], as_index=False)["PTS"].sum()
    tp = tp.sort_values(["TEAM", "GAME_DATE"])
    tp["pts_l10"] = tp.groupby("TEAM")["PTS"].transform(lambda s: s.shift(1).rolling(10, min_periods=3).mean())
    tp = tp.merge(tp[["GAME_ID", "TEAM", "PTS"]].rename(columns={"TEAM": "OPPONENT", "PTS": "OPP_PTS"}),
                  on=["GAME_ID", "OPPONENT"])
    tp["allowed_l10"] = tp.groupby("TEAM")["OPP_PTS"].transform(lambda s: s.shift(1).rolling(10, min_periods=3).mean())
    tp = tp.set_index(["GAME_ID", "TEAM"])
    scored = tp["pts_l10"].reindex(pd.MultiIndex.from_arrays([frame["GAME_ID"], frame["TEAM"]])).to_numpy()
    allowed = tp["allowed_l10"].reindex(pd.MultiIndex.from_arrays([frame["GAME_ID"], frame["OPPONENT"]])).to_numpy()
    out["implied_vs_recent"] = v5["team_implied_total"].to_numpy() - (scored + allowed) / 2
    # his share of DNP among his last 10 listings as dressed
    listed = pre[["GAME_ID", "GAME_DATE", "PLAYER_ID", "STATUS"]].sort_values(["PLAYER_ID", "GAME_DATE", "GAME_ID"])
    flags = listed.assign(dnp=(listed["STATUS"] == "DNP").astype(float),
                          dressed=(listed["STATUS"] != "INACTIVE").astype(float))

    def roll(column: str) -> pd.Series:
        return flags.groupby("PLAYER_ID")[column].transform(lambda s: s.shift(1).rolling(10, min_periods=1).sum())

    flags["dnp_share"] = roll("dnp") / roll("dressed").replace(0, np.nan)
    out["dnp_dressed_l10"] = flags.set_index(["GAME_ID", "PLAYER_ID"])["dnp_share"].reindex(rows).to_numpy()
    return out


def candidates(frame: pd.DataFrame, news, args) -> None:
    v5 = build_features(frame, get_feature_set("full"), news=news)
    tried = _candidates(frame, news, v5)
    built = pd.concat([v5, tried], axis=1)
    _, train, test = split(frame, v5, args.test_season)
    changed = ((v5["team_new_starters"] > 0) | (v5["opp_new_starters"] > 0)).to_numpy()[test]
    names = get_feature_set("full").names
    variants = {"lineups (full v5.1)": (built, names)}
    variants.update({f"v5.1 + {c}": (built, names + [c]) for c in tried.columns})
    print(f"one shot, test {args.test_season}; seeds {args.seeds}")
    print(f"{'features':<34}{'PRA MAE':>9}{'sd':>7}{'minutes':>9}{'sd':>7}{'PRA, changed':>14}{'time':>7}")
    _score(frame, variants, train, test, changed, args.seeds)


def _segments(result, features: pd.DataFrame, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    keyed = features.set_index(frame["GAME_ID"].astype(str) + "/" + frame["PLAYER_ID"].astype(str))
    rows = result.predictions["GAME_ID"].astype(str) + "/" + result.predictions["PLAYER_ID"].astype(str)
    f = keyed.loc[rows.to_numpy()]
    changed = ((f["team_new_starters"] > 0) | (f["opp_new_starters"] > 0)).to_numpy()
    mate_out = (f["team_out_n_observed"] > 0).to_numpy()
    return {"all": np.ones(len(rows), bool), "a rotation teammate out (box score)": mate_out,
            "lineup changed (team or opponent)": changed, "he starts, not a regular starter":
            ((f["starter_tonight"] == 1) & (f["start_share_l10"] < 0.5)).to_numpy(),
            "a regular starter, benched tonight": ((f["starter_tonight"] == 0) & (f["start_share_l10"] >= 0.5)).to_numpy()}


def walkforward(frame: pd.DataFrame, news, args) -> None:
    features = build_features(frame, get_feature_set("full"), news=news, extra=("team_out_n_observed",))
    results = {}
    for scenario in args.scenarios:
        config = BacktestConfig(test_season=args.test_season, refit_every=args.refit_every, seed=args.seed,
                                availability=scenario)
        results[scenario] = walk_forward(frame, config, progress=False, news=news)
        m = results[scenario].metrics
        print(f"{scenario:<10} PRA MAE {m['pra_mae']:.4f}  minutes {m['min_mae']:.4f}  single-stage "
              f"{m.get('single_pra_mae', float('nan')):.4f}  previous-10 {m['l10_pra_mae']:.4f}  "
              f"{results[scenario].seconds:.0f} s", flush=True)
    first = next(iter(results.values()))
    segments = _segments(first, features, frame)
    print(f"\n{'rows':<40}" + "".join(f"{s:>12}" for s in results) + f"{'share':>8}")
    for label, mask in segments.items():
        cells = []
        for result in results.values():
            p = result.predictions
            cells.append(np.abs(p["PRA"] - p["pred_PRA"]).to_numpy()[mask].mean())
        print(f"{label:<40}" + "".join(f"{c:>12.4f}" for c in cells) + f"{mask.mean():>8.1%}")
    print("minutes MAE")
    for label, mask in segments.items():
        cells = [np.abs(r.predictions["MIN"] - r.predictions["pred_MIN"]).to_numpy()[mask].mean() for r in results.values()]
        print(f"{label:<40}" + "".join(f"{c:>12.4f}" for c in cells))


def seeds(frame: pd.DataFrame, news, args) -> None:
    rows = []
    for seed in args.seeds:
        config = BacktestConfig(test_season=args.test_season, refit_every=args.refit_every, seed=seed,
                                availability=args.scenario)
        r = walk_forward(frame, config, progress=False, news=news)
        m = r.metrics
        rows.append((seed, m["pra_mae"], m["single_pra_mae"], m["min_mae"], r.seconds))
        print(f"seed {seed}: two-stage {m['pra_mae']:.4f}, single-stage {m['single_pra_mae']:.4f}, "
              f"difference {m['pra_mae'] - m['single_pra_mae']:+.4f}, minutes {m['min_mae']:.4f} ({r.seconds:.0f} s)",
              flush=True)
    s = np.array(rows)
    d = s[:, 1] - s[:, 2]
    print(f"{args.scenario}, {len(s)} seeds: two-stage {s[:, 1].mean():.4f} +- {s[:, 1].std(ddof=1):.4f}, single "
          f"{s[:, 2].mean():.4f} +- {s[:, 2].std(ddof=1):.4f}, difference {d.mean():+.4f} +- {d.std(ddof=1):.4f}, "
          f"ahead in {(d < 0).sum()} of {len(d)}; minutes {s[:, 3].mean():.4f}")


def absences(frame: pd.DataFrame, news, args) -> None:
    past = frame[frame["SEASON"] < args.before]
    keep = set(past["GAME_ID"])
    sub = news.for_games(keep)
    observed = build_features(past, get_feature_set("full", "v4.1"))
    declared = build_features(past, get_feature_set("full"), news=sub)
    o, d = observed["team_out_n"].to_numpy(), declared["team_out_n"].to_numpy()
    print(f"seasons before {args.before}: {len(past):,} player-games")
    print(f"rows with a rotation teammate out: box score {np.mean(o > 0):.2%}, inactive list {np.mean(d > 0):.2%}")
    print(f"rotation absences per row: box score {np.nanmean(o):.4f}, inactive list {np.nanmean(d):.4f}")
    print(f"rows where they differ: {np.mean(o != d):.2%} (box score more: {np.mean(o > d):.2%}, "
          f"list more: {np.mean(d > o):.2%})")
    status = sub.pregame["STATUS"].value_counts()
    print("pregame statuses:", ", ".join(f"{k} {v:,}" for k, v in status.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["oneshot", "candidates", "walkforward", "seeds", "absences"])
    parser.add_argument("--data", default=str(SHARED / "nba"))
    parser.add_argument("--news", nargs="+", default=[str(SHARED / "pregame"),
                                                       *sorted(str(p) for p in (SHARED / "market").glob("game_lines_*"))])
    parser.add_argument("--test-season", default=None, help="default: 2022-23 for oneshot, else 2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--scenario", default="lineups")
    parser.add_argument("--scenarios", nargs="+", default=["none", "observed", "inactive", "lineups"])
    parser.add_argument("--before", default="2023-24")
    parser.add_argument("--extra", nargs="*", help="oneshot: also lineups without these comma-separated features")
    args = parser.parse_args()
    args.test_season = args.test_season or ("2022-23" if args.mode in ("oneshot", "candidates") else "2023-24")
    frame = load_gamelogs(args.data).frame.reset_index(drop=True)
    news = load_news(args.news, frame)
    modes = {"oneshot": oneshot, "candidates": candidates, "walkforward": walkforward, "seeds": seeds,
             "absences": absences}
    modes[args.mode](frame, news, args)


if __name__ == "__main__":
    main()
