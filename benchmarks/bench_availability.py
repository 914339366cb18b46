"""What tonight's absences are worth: box scores only vs box scores plus availability.

    python benchmarks/bench_availability.py oneshot [--test-season 2023-24] [--seeds 0]
    python benchmarks/bench_availability.py walkforward [--test-season 2023-24] [--refit-every 7] [--seed 0]
    python benchmarks/bench_availability.py renormalise [--test-season 2022-23] [--seeds 0 1 2]
    python benchmarks/bench_availability.py margin [--before 2023-24]
    python benchmarks/bench_availability.py screen [--test-season 2022-23] [--seeds 0 1 2] [--only VARIANT...]
    python benchmarks/bench_availability.py errors [--test-season 2022-23] [--seeds 0 1 2]

``oneshot`` rebuilds the issue's floor measurement: one two-stage LightGBM model trained on the
four seasons before the test season, scored on every predictable player-game of the test season
(the backtest's population: minutes > 0 and an earlier game this season), for three feature
lists: ``full`` v2.0 (box scores only), v2.0 plus the four crude absence features (team and
opponent: count and summed minutes of absent rotation players, the issue's 12-day window at
the 22-minute line), ``full`` as it is (every
availability feature), v4.0 (before the 21-day window and the recent-absence features) and
v3.0 (v4.0 at the 12-minute rotation line, which reads some of tonight's score: see ``margin``). Several seeds give mean and spread. Use 2022-23 (the default
validation season) for choices; 2023-24 only to report.

``walkforward`` runs ``nbaprops backtest``'s walk-forward for ``--availability none`` and
``observed`` on the same rows and prints them side by side, overall and for the rows with a
rotation teammate out vs at full strength.

``renormalise`` screens a stage-1 structure availability enables: each team-game's available
rotation (known before tip-off: the rotation candidates not out) should share about the minutes
such a rotation played in the training seasons (the median by its size), so stage 1's minutes
for them are scaled by (that total / their predicted sum) ** alpha, and stage 2 is fed the
scaled minutes ("fed") or its PRA scaled alike ("scaled"). One fit per seed, as ``oneshot``.

``margin`` asks which absences in the logs an injury report could have known: for bands of the
players' roles (last-10 mean minutes), how often a team misses such a rotation player in close
games (final margin <= 5) vs blowouts (>= 20). An injury does not know tonight's score; a coach
benching a healthy player in a tight game does. It chose the rotation line of ``full`` v4.0.

``screen`` tries further ideas for the minutes stage against ``full`` as it is, one fit per seed
as ``oneshot`` (on 2022-23 by default: choices are never made on 2023-24): games left in the
season, his minutes at full strength and what absences added to them, the opponent's
returning players, recency weights, and stage 1 fitted on minutes minus his recent minutes
(an exponentially weighted mean); and (``--only margins quartiles return stage1-leaves
stage1-trees``) the teams' mean margins this season and tonight's expected margin, the median
and quartiles of his last-10 minutes, games since a 3+ game absence, and stage 1 with more
leaves or more, slower trees. (At commit ff3f195 it screened what became ``full`` v4.1: the
absences of his last 10 games, returning teammates, a 21-day rotation window.)

``errors`` says where the minutes error lives: ``full`` as it is (the mean forecast of the
seeds), its minutes and PRA MAE on segments of the test season, some of which read tonight's
result (the final margin, a player who left early) to describe the error no model could know.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import load_gamelogs, schema
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.features import FeatureSet, build_features, get_feature_set
from mlflow_nbaprops.model import TwoStageRegressor

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"
CRUDE = ["team_out_n", "team_out_min", "opp_out_n", "opp_out_min"]


class Split(NamedTuple):
    """The one-shot experiments' rows: four seasons before the test season to train on, and every
    predictable player-game of it to score (the backtest's population: minutes > 0 and an earlier
    game this season)."""

    train_seasons: list[str]
    train: np.ndarray
    test: np.ndarray
    minutes: np.ndarray
    pra: np.ndarray


def split(frame: pd.DataFrame, features: pd.DataFrame, test_season: str) -> Split:
    seasons = sorted(frame["SEASON"].unique())
    test_index = seasons.index(test_season)
    train_seasons = seasons[max(0, test_index - 4):test_index]
    train = (frame["SEASON"].isin(train_seasons) & (features["games_career"] >= 1)).to_numpy()
    test = ((frame["SEASON"] == test_season) & (frame["MIN"] > 0) & (features["games_season"] >= 1)).to_numpy()
    return Split(train_seasons, train, test, frame["MIN"].to_numpy(float), schema.pra(frame).to_numpy(float))


def forecast(model: TwoStageRegressor, features: pd.DataFrame, columns: list[str], frame: pd.DataFrame,
             parts: Split) -> pd.DataFrame:
    """``model`` fitted on the split's training rows of ``features[columns]`` (folds by date), and
    its forecasts for the test rows."""
    model.fit(features.loc[parts.train, columns], np.c_[parts.minutes[parts.train], parts.pra[parts.train]],
              groups=frame.loc[parts.train, "GAME_DATE"].to_numpy())
    return model.predict_distribution(features.loc[parts.test, columns])


def oneshot(frame: pd.DataFrame, args) -> None:
    features = build_features(frame, "full")
    parts = split(frame, features, args.test_season)
    train_seasons, train, test, minutes, pra = parts
    box = get_feature_set("full", "v2.0").names
    current, v4, v3 = (get_feature_set("full", v) for v in (None, "v4.0", "v3.0"))
    at_v4, at_v3 = build_features(frame, v4), build_features(frame, v3)
    variants = {"box scores (full v2.0)": (features, box),
                # the 12-day window, at the 22-minute line
                "+ crude four": (at_v4, box + CRUDE),
                f"full {current.version} (all availability)": (features, current.names),
                "full v4.0 (12-day window)": (at_v4, v4.names),
                "full v3.0 (12-minute line)": (at_v3, v3.names)}
    out_tonight = (features.loc[test, "team_out_n"] > 0).to_numpy()
    print(f"one shot: train {', '.join(train_seasons)} ({int(train.sum()):,} rows), test {args.test_season} "
          f"({int(test.sum()):,} rows, {out_tonight.mean():.1%} with a rotation teammate out); seeds {args.seeds}")
    print(f"{'features':<32}{'PRA MAE':>9}{'sd':>7}{'minutes':>9}{'sd':>7}{'PRA, mate out':>15}{'time':>7}")
    for label, (built, names) in variants.items():
        scores = []
        started = time.perf_counter()
        for seed in args.seeds:
            dist = forecast(TwoStageRegressor(random_state=seed), built, names, frame, parts)
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
    parts = split(frame, features, args.test_season)
    train_seasons, train, test, minutes, pra = parts
    names = get_feature_set("full").names
    team_game = (frame["GAME_ID"].astype(str) + "|" + frame["TEAM"].astype(str)).to_numpy()
    rotation = features["avail_rank"].notna().to_numpy()  # tonight's available rotation
    seen = train & rotation
    sums = pd.DataFrame({"k": team_game[seen], "m": minutes[seen]}).groupby("k")["m"].agg(["sum", "size"])
    total_by_size = sums.groupby("size")["sum"].median()
    print(f"renormalise: train {', '.join(train_seasons)}, test {args.test_season} "
          f"({int(test.sum()):,} rows); the available rotation's median minutes by its size: "
          + ", ".join(f"{n}: {v:.0f}" for n, v in total_by_size.items()))
    alphas = (0.25, 0.5, 1.0)
    rows = []
    for seed in args.seeds:
        model = TwoStageRegressor(random_state=seed)
        base = forecast(model, features, names, frame, parts)
        X = features.loc[test, names]
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


def at_line(minutes: float) -> FeatureSet:
    """``full``'s availability tier computed with the rotation line at ``minutes`` (and the 12-day
    window the line was chosen with, v4.0's)."""
    tier = [f for f in get_feature_set("full").features if f.tier == "availability"]
    params = (("rotation_minutes", float(minutes)), ("rotation_days", 12.0))
    return FeatureSet("full", f"line {minutes:g}", tuple(dataclasses.replace(f, params=params) for f in tier),
                      "a probe of the rotation line")


def margin(frame: pd.DataFrame, args) -> None:
    frame = frame[frame["SEASON"] < args.before].reset_index(drop=True)
    points = frame.groupby(["GAME_ID", "TEAM"])["PTS"].sum()
    final = (2 * points - points.groupby(level=0).transform("sum")).abs()
    team_games = pd.MultiIndex.from_frame(frame[["GAME_ID", "TEAM"]])
    final = final.reindex(team_games).to_numpy()
    team_game = ~team_games.duplicated()
    close, blowout = team_game & (final <= 5), team_game & (final >= 20)
    lines = [12, 15, 18, 20, 22, 25, 30]
    absent, present = {}, {}
    for line in lines:
        built = build_features(frame, at_line(line))
        absent[line] = built["team_out_n"].to_numpy()
        # an available rotation player played tonight: his row has a rank among the available
        present[line] = built["avail_rank"].notna().groupby(team_games).transform("sum").to_numpy()
    print(f"seasons before {args.before}: {int(close.sum()):,} close team-games (final margin <= 5), "
          f"{int(blowout.sum()):,} blowouts (>= 20). How often a rotation player of the band is out:")
    print(f"{'role (last-10 minutes)':<24}{'close':>8}{'blowout':>9}{'ratio':>7}{'absences per team-game':>24}")
    for low, high in zip(lines, lines[1:] + [None]):
        out = absent[low] - (absent[high] if high else 0)
        played = present[low] - (present[high] if high else 0)
        rate = {k: out[m].sum() / (out[m].sum() + played[m].sum()) for k, m in (("close", close), ("blowout", blowout))}
        print(f"{f'{low}-{high}' if high else f'{low}+':<24}{rate['close']:>8.3f}{rate['blowout']:>9.3f}"
              f"{rate['close'] / rate['blowout']:>7.2f}{out[close].mean():>12.3f} vs {out[blowout].mean():.3f}")


class OffsetBooster:
    """LightGBM (the package's defaults, absolute error) on ``y - X[offset]``, predicting
    ``X[offset] + f(X)``: stage 1 learns corrections to a prior instead of the level."""

    def __init__(self, offset: str | None = None, random_state: int = 0) -> None:
        self.offset, self.random_state = offset, random_state

    def get_params(self, deep: bool = True) -> dict:
        return {"offset": self.offset, "random_state": self.random_state}

    def set_params(self, **params) -> "OffsetBooster":
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def _prior(self, X: pd.DataFrame) -> np.ndarray:
        return np.zeros(len(X)) if self.offset is None else np.nan_to_num(X[self.offset].to_numpy(float))

    def fit(self, X: pd.DataFrame, y, sample_weight=None) -> "OffsetBooster":
        from mlflow_nbaprops.model.two_stage import make_booster

        self.booster_ = make_booster("lightgbm", None, self.random_state, 2)
        self.booster_.fit(X.to_numpy(float), np.asarray(y) - self._prior(X), sample_weight=sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self._prior(X) + self.booster_.predict(X.to_numpy(float))


class RecencyWeighted(TwoStageRegressor):
    """Both stages fitted with weights halving every ``halflife`` days before the last training day."""

    weights: pd.Series = pd.Series(dtype=float)

    def _fit_stage(self, stage, X, y, **fit_params):
        w = self.weights.reindex(X.index).to_numpy()
        fit_params["sample_weight"] = w * fit_params.get("sample_weight", 1.0)
        return super()._fit_stage(stage, X, y, **fit_params)


def add_candidates(features: pd.DataFrame, frame: pd.DataFrame) -> None:
    """The screen's candidate features, added to ``features`` (built from ``frame``, same rows)."""
    # the regular season's scheduled length: 82 games, 72 in 2020-21
    scheduled = np.where(frame["SEASON"] == "2020-21", 72, 82)
    features["games_left"] = np.clip(scheduled - np.rint(features["season_progress"] * 82) - 1, 0, 15)
    # his minutes in his recent games at full strength, and what absences added to them
    order = np.lexsort([frame["GAME_DATE"].to_numpy(), frame["PLAYER_ID"].to_numpy()])
    player = frame["PLAYER_ID"].to_numpy()[order]
    minutes = frame["MIN"].to_numpy(float)[order]
    full = features["team_out_min"].to_numpy()[order] == 0

    def in_row_order(values) -> np.ndarray:
        out = np.empty(len(frame))
        out[order] = values
        return out

    def lagged(values: np.ndarray, window: int = 30, stat=lambda rolling: rolling.mean()) -> np.ndarray:
        """``stat`` of each player's previous ``window`` values (``values`` in player order)."""
        return in_row_order(pd.Series(values).groupby(player).transform(
            lambda s: stat(s.shift(1).rolling(window, 1))).to_numpy())

    features["min_full_strength_l30"] = lagged(np.where(full, minutes, np.nan))
    features["min_out_lift_l30"] = lagged(np.where(~full, minutes, np.nan)) - features["min_full_strength_l30"]
    # the opponent's rotation players back tonight
    # (a returning player's own row leaves himself out: the team's largest value is its total)
    per_team = features.groupby(["GAME_ID", "TEAM"])["team_back_min"].max()
    key = pd.MultiIndex.from_frame(frame[["GAME_ID", "OPPONENT"]].set_axis(["GAME_ID", "TEAM"], axis=1))
    features["opp_back_min"] = per_team.reindex(key).to_numpy()
    # how lopsided tonight should be: each team's mean margin this season before tonight
    points = frame.groupby(["GAME_ID", "TEAM"], sort=False).agg(
        SEASON=("SEASON", "first"), GAME_DATE=("GAME_DATE", "first"), margin=("PLUS_MINUS", "sum")).reset_index()
    points["margin"] /= 5.0  # five players on the floor: the team's plus-minus sum is 5 x its margin
    points = points.sort_values(["TEAM", "GAME_DATE"])
    points["to_date"] = points.groupby(["TEAM", "SEASON"])["margin"].transform(lambda s: s.shift(1).expanding().mean())
    to_date = points.set_index(["GAME_ID", "TEAM"])["to_date"]
    features["team_margin_season"] = to_date.reindex(pd.MultiIndex.from_frame(frame[["GAME_ID", "TEAM"]])).to_numpy()
    features["opp_margin_season"] = to_date.reindex(key).to_numpy()
    expected = features["team_margin_season"] - features["opp_margin_season"] + np.where(features["home"] > 0, 1.5, -1.5)
    features["margin_expected"], features["margin_expected_abs"] = expected, expected.abs()
    # the spread of his last 10 minutes: median and quartiles (an early exit moves a mean, not these)
    for name, q in (("min_median_l10", 0.5), ("min_q25_l10", 0.25), ("min_q75_l10", 0.75)):
        features[name] = lagged(minutes, 10, lambda rolling, q=q: rolling.quantile(q))
    # back from an absence: his games since he last missed 3+ team games in a row, and how many
    missed = features["missed_team_games"].to_numpy()[order]
    position = np.arange(len(order), dtype=float)
    last = pd.Series(np.where(missed >= 3, position, np.nan)).groupby(player).ffill().to_numpy()
    features["games_since_absence"] = in_row_order(np.minimum(position - last, 30))
    features["absence_games"] = in_row_order(np.where(np.isnan(last), np.nan, missed[np.nan_to_num(last).astype(int)]))


def screen(frame: pd.DataFrame, args) -> None:
    current = get_feature_set("full")
    names = current.names
    features = build_features(frame, current)
    parts = split(frame, features, args.test_season)
    train_seasons, train, test, minutes, pra = parts
    add_candidates(features, frame)
    age = (frame.loc[train, "GAME_DATE"].max() - frame["GAME_DATE"]).dt.days.to_numpy()
    RecencyWeighted.weights = pd.Series(0.5 ** (age / 730.0), index=features.index)

    def plain(seed):
        return TwoStageRegressor(random_state=seed, calibrate=False)

    def stage1(params):
        return lambda seed: TwoStageRegressor(random_state=seed, minutes_params=params, calibrate=False)

    variants = {  # key: (label, columns, estimator for a seed)
        "as-is": (f"full {current.version} as is", names, plain),
        "games-left": ("+ games left in the season", names + ["games_left"], plain),
        "full-strength": ("+ full-strength minutes and absences' lift",
                          names + ["min_full_strength_l30", "min_out_lift_l30"], plain),
        "opp-back": ("+ the opponent's returning minutes", names + ["opp_back_min"], plain),
        "recency": ("recency weights, half-life 730 days", names,
                    lambda seed: RecencyWeighted(random_state=seed, calibrate=False)),
        "offset": ("stage 1 on minutes - his recent minutes", names, lambda seed: TwoStageRegressor(
            backend=OffsetBooster(), minutes_params={"offset": "min_ewm5", "random_state": seed},
            pra_params={"random_state": seed + 1}, calibrate=False)),
        "margins": ("+ season margins: his team, opponent, expected", names + [
            "team_margin_season", "opp_margin_season", "margin_expected", "margin_expected_abs"], plain),
        "quartiles": ("+ median and quartiles of his last-10 minutes",
                      names + ["min_median_l10", "min_q25_l10", "min_q75_l10"], plain),
        "return": ("+ games since a 3+ game absence, its length", names + ["games_since_absence", "absence_games"], plain),
        "stage1-leaves": ("stage 1 with 63 leaves, 100 rows a leaf", names,
                          stage1({"num_leaves": 63, "min_child_samples": 100})),
        "stage1-trees": ("stage 1 with 300 trees at 0.05", names, stage1({"n_estimators": 300, "learning_rate": 0.05})),
    }
    unknown = set(args.only or ()) - set(variants)
    if unknown:
        raise SystemExit(f"--only: no variant {sorted(unknown)}; the variants are {list(variants)}")
    print(f"screen: train {', '.join(train_seasons)}, test {args.test_season} ({int(test.sum()):,} rows), "
          f"seeds {args.seeds}, rotation {current.rotation.minutes:g} minutes / {current.rotation.days:g} days")
    print(f"{'variant':<46}{'PRA MAE':>9}{'sd':>7}{'minutes':>9}{'sd':>7}")
    for key, (label, columns, make) in variants.items():
        if args.only and key not in args.only and key != "as-is":
            continue
        scores = []
        for seed in args.seeds:
            dist = forecast(make(seed), features, columns, frame, parts)
            scores.append((np.abs(dist["pred_PRA"].to_numpy() - pra[test]).mean(),
                           np.abs(dist["pred_MIN"].to_numpy() - minutes[test]).mean()))
        s = np.array(scores)
        sd = s.std(axis=0, ddof=1) if len(s) > 1 else np.zeros(2)
        print(f"{label:<46}{s[:, 0].mean():>9.4f}{sd[0]:>7.4f}{s[:, 1].mean():>9.4f}{sd[1]:>7.4f}", flush=True)


def errors(frame: pd.DataFrame, args) -> None:
    """Where the minutes error lives: ``full`` as it is, fitted once per seed as ``oneshot``, its
    error on segments of the test season. Some segments read tonight's result (the final
    margin, the minutes he played): they describe the error, no model could use them."""
    current = get_feature_set("full")
    features = build_features(frame, current)
    parts = split(frame, features, args.test_season)
    train_seasons, _, test, minutes, pra = parts
    predicted = {"minutes": np.zeros(int(test.sum())), "PRA": np.zeros(int(test.sum()))}
    for seed in args.seeds:
        dist = forecast(TwoStageRegressor(random_state=seed, calibrate=False), features, current.names, frame, parts)
        predicted["minutes"] += dist["pred_MIN"].to_numpy() / len(args.seeds)
        predicted["PRA"] += dist["pred_PRA"].to_numpy() / len(args.seeds)
    minute_error = np.abs(predicted["minutes"] - minutes[test])
    pra_error = np.abs(predicted["PRA"] - pra[test])
    # summed over every row of the team-game (the test rows leave out first games and 0-minute ones)
    final_margin = (frame.groupby(["GAME_ID", "TEAM"])["PLUS_MINUS"].transform("sum").abs() / 5.0).to_numpy()[test]
    played = minutes[test]
    segments = {
        "a rotation teammate out": features.loc[test, "team_out_n"].to_numpy() > 0,
        "at most 5 earlier games": features.loc[test, "games_season"].to_numpy() <= 5,
        "final margin >= 20 (blowout)": final_margin >= 20,
        "final margin <= 5 (close)": final_margin <= 5,
        "played under half his forecast": played < 0.5 * predicted["minutes"],
        "played 8+ minutes over it": played > predicted["minutes"] + 8,
    }
    print(f"errors: train {', '.join(train_seasons)}, test {args.test_season} ({len(played):,} rows), full "
          f"{current.version}, the mean forecast of seeds {args.seeds}: minutes MAE {minute_error.mean():.4f}, "
          f"PRA MAE {pra_error.mean():.4f}")
    print(f"{'segment':<34}{'rows':>7}{'minutes MAE':>13}{'elsewhere':>11}{'of the error':>14}{'PRA MAE':>9}")
    for label, mask in segments.items():
        print(f"{label:<34}{mask.mean():>7.1%}{minute_error[mask].mean():>13.3f}{minute_error[~mask].mean():>11.3f}"
              f"{minute_error[mask].sum() / minute_error.sum():>14.1%}{pra_error[mask].mean():>9.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["oneshot", "walkforward", "renormalise", "margin", "screen", "errors"])
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--test-season", default=None, help="default: 2022-23 for renormalise, screen and errors, else 2023-24")
    parser.add_argument("--refit-every", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--before", default="2023-24", help="margin: the seasons before this one")
    parser.add_argument("--only", nargs="+", metavar="VARIANT",
                        help="screen: these variants (and full as is) only, e.g. margins quartiles")
    args = parser.parse_args()
    args.test_season = args.test_season or ("2022-23" if args.mode in ("renormalise", "screen", "errors") else "2023-24")
    frame = load_gamelogs(args.data).frame.reset_index(drop=True)
    {"oneshot": oneshot, "walkforward": walkforward, "renormalise": renormalise, "margin": margin,
     "screen": screen, "errors": errors}[args.mode](frame, args)


if __name__ == "__main__":
    main()
