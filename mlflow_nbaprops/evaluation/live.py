"""Grading production predictions against the box scores that arrive later (no MLflow here).

A logged prediction row is matched to a result on (``PLAYER_ID``, ``GAME_DATE``). Its team's
game may be in the results or not yet:

- in, and the player has a box score: **graded** (actual minutes and PRA attached);
- in, and the player has none: **did not play** (no error counted; a prop on him is void);
- not in yet: **pending** (graded by a later run) -- unless the results already hold a later game of
  his team: then the game was postponed (or its date was wrong), the prediction is void, counted,
  and it no longer holds up the grading of its date.

Rows the slate itself ruled out (``STATUS`` OUT/DOUBTFUL: no forecast) are neither graded nor
counted as misses. Result rows that match no prediction are counted, not an error: a slate
usually holds only the players with a line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.evaluation.metrics import betting_simulation, interval_coverage, regression_metrics

#: What a logged prediction row must hold to be graded.
PREDICTION_KEY = ["PLAYER_ID", "GAME_DATE", "TEAM"]
#: The American odds assumed for both sides where a slate gives a line but no prices.
DEFAULT_ODDS = -110.0


@dataclass
class Matched:
    """Predictions split by what the results say of them."""

    graded: pd.DataFrame  # predictions with MIN and PRA attached
    did_not_play: int
    pending: pd.DataFrame  # predictions whose game has no result yet
    ruled_out: int
    unmatched_results: int  # result rows of predicted games' dates that no prediction names
    postponed: int = 0  # predictions whose game never came, though his team has played since (void)

    def summary(self) -> str:
        postponed = f", {self.postponed:,} void (the game was not played that day: postponed)" if self.postponed else ""
        return (f"{len(self.graded):,} predictions graded, {self.did_not_play:,} did not play, "
                f"{len(self.pending):,} pending (no result yet){postponed}, {self.ruled_out:,} ruled out on the slate; "
                f"{self.unmatched_results:,} result rows on those dates had no prediction")


def match_results(predictions: pd.DataFrame, results: pd.DataFrame) -> Matched:
    """Attach ``results`` (canonical game logs) to logged ``predictions`` (see module doc)."""
    ruled_out = predictions["OUT"].eq(True).to_numpy() if "OUT" in predictions else np.zeros(len(predictions), bool)
    live = predictions.loc[~ruled_out].reset_index(drop=True)
    box = results[["PLAYER_ID", "GAME_DATE", "TEAM", "MIN"]].assign(PRA=schema.pra(results).to_numpy(float))
    box = box.astype({"PLAYER_ID": "int64", "TEAM": str})
    played = live[PREDICTION_KEY].astype({"PLAYER_ID": "int64", "TEAM": str}).merge(
        box, on=PREDICTION_KEY, how="left", validate="many_to_one")
    has_box = played["MIN"].notna().to_numpy()
    game_in = pd.MultiIndex.from_frame(live[["TEAM", "GAME_DATE"]].astype({"TEAM": str})).isin(
        pd.MultiIndex.from_frame(box[["TEAM", "GAME_DATE"]]))
    graded = live.loc[has_box].assign(MIN=played.loc[has_box, "MIN"].to_numpy(),
                                      PRA=played.loc[has_box, "PRA"].to_numpy())
    dates = set(live["GAME_DATE"])
    on_dates = box[box["GAME_DATE"].isin(dates)]
    named = pd.MultiIndex.from_frame(on_dates[["PLAYER_ID", "GAME_DATE"]]).isin(
        pd.MultiIndex.from_frame(live[["PLAYER_ID", "GAME_DATE"]].astype({"PLAYER_ID": "int64"})))
    # no result for his team that day, but a later one: that game did not happen on that date
    last_result = box.groupby("TEAM")["GAME_DATE"].max()
    later = (live["TEAM"].astype(str).map(last_result) > live["GAME_DATE"]).fillna(False).to_numpy(dtype=bool)
    postponed = ~game_in & later
    return Matched(graded.reset_index(drop=True), int((game_in & ~has_box).sum()),
                   live.loc[~game_in & ~postponed].reset_index(drop=True), int(ruled_out.sum()), int((~named).sum()),
                   int(postponed.sum()))


def live_metrics(graded: pd.DataFrame, min_edge: float = 0.03) -> dict[str, float]:
    """The live counterparts of the backtest's headline numbers, on graded rows.

    ``l10_*`` is the previous-10 mean on the rows that have one, and ``vs_l10_pct`` compares
    the model with it on exactly those rows. Betting numbers need a ``LINE``; odds are
    ``ODDS_OVER``/``ODDS_UNDER`` where the slate gave them, else -110 both ways.
    """
    if len(graded) == 0:
        return {"n": 0.0}
    m: dict[str, float] = {"n": float(len(graded))}
    m.update(_pick(regression_metrics(graded["PRA"], graded["pred_PRA"], "pra_"), "pra_mae", "pra_rmse"))
    m.update(_pick(regression_metrics(graded["MIN"], graded["pred_MIN"], "min_"), "min_mae"))
    m.update(interval_coverage(graded))
    with_l10 = graded[graded["baseline_L10_PRA"].notna()]
    m["l10_n"] = float(len(with_l10))
    if len(with_l10):
        model = float((with_l10["PRA"] - with_l10["pred_PRA"]).abs().mean())
        l10 = float((with_l10["PRA"] - with_l10["baseline_L10_PRA"]).abs().mean())
        m["l10_pra_mae"] = l10
        m["l10_min_mae"] = float((with_l10["MIN"] - with_l10["baseline_L10_MIN"]).abs().mean())
        m["vs_l10_pct"] = 100.0 * (model - l10) / l10 if l10 > 0 else float("nan")
    if "LINE" in graded and graded["LINE"].notna().any():
        frame = graded[graded["LINE"].notna()].rename(columns={"LINE": "line"})
        # the model next to the line it was priced against, on the same rows (the slate's line: the market)
        m["line_pra_mae"] = float((frame["PRA"] - frame["line"]).abs().mean())
        m["pra_mae_lined"] = float((frame["PRA"] - frame["pred_PRA"]).abs().mean())
        if "p_over_model" in frame and frame["p_over_model"].notna().any() and \
                not frame["p_over_model"].equals(frame["p_over"]):  # a market-aware P(over) answered
            known = frame["p_over_model"].notna() & (frame["PRA"] != frame["line"])
            won = (frame.loc[known, "PRA"] > frame.loc[known, "line"]).astype(float)
            m["brier_model"] = float(((frame.loc[known, "p_over_model"] - won) ** 2).mean())
        for side, column in (("odds_over", "ODDS_OVER"), ("odds_under", "ODDS_UNDER")):
            frame[side] = frame[column].fillna(DEFAULT_ODDS) if column in frame else DEFAULT_ODDS
        bets, taken = betting_simulation(frame, min_edge=min_edge)
        m["lines_n"] = float(len(frame))
        m["calibration_error"] = bets["calibration_error"]
        m["brier"] = bets["brier"]
        m["bets"] = bets["bets"]
        m["bets_won"] = float(taken["won"].sum()) if len(taken) else 0.0
        m["bets_lost"] = m["bets"] - m["bets_won"]
        if len(taken):
            m["roi"] = bets["roi"]
            m["profit_units"] = bets["profit_units"]
    return m


def _pick(metrics: dict[str, float], *names: str) -> dict[str, float]:
    return {name: metrics[name] for name in names if name in metrics}


def date_step(day: pd.Timestamp) -> int:
    """A game date as the metric ``step`` MLflow plots on its x axis: 2024-01-15 -> 20240115."""
    return int(pd.Timestamp(day).strftime("%Y%m%d"))


@dataclass
class Drift:
    """The drift check over the last ``window_days`` of graded game dates."""

    window_start: pd.Timestamp | None
    window_end: pd.Timestamp | None
    rows: int
    live_mae: float
    validation_mae: float
    l10_mae: float
    tolerance_pct: float
    min_rows: int

    @property
    def enough(self) -> bool:
        return self.rows >= self.min_rows

    @property
    def worse_than_validation(self) -> bool:
        return self.live_mae > self.validation_mae * (1 + self.tolerance_pct / 100.0)

    @property
    def worse_than_l10(self) -> bool:
        return self.live_mae > self.l10_mae

    @property
    def drifted(self) -> bool:
        """Enough rows, and the live MAE is above validation by more than the tolerance or
        above the previous-10 mean's on the same rows (the model no longer earns its keep)."""
        return self.enough and (self.worse_than_validation or self.worse_than_l10)

    def summary(self) -> str:
        if self.window_end is None:
            return "no graded predictions yet: nothing to judge"
        span = f"{self.window_start:%Y-%m-%d} .. {self.window_end:%Y-%m-%d}"
        limit = self.validation_mae * (1 + self.tolerance_pct / 100.0)
        lines = [
            f"live window {span}: {self.rows:,} graded predictions (need {self.min_rows:,} to judge)",
            f"  live PRA MAE          {self.live_mae:8.3f}",
            f"  validation PRA MAE    {self.validation_mae:8.3f}   drift above {limit:.3f} (+{self.tolerance_pct:g}%)",
            f"  previous-10 mean MAE  {self.l10_mae:8.3f}   (same rows; drift if the model is worse)",
        ]
        verdict = ("DRIFT: " + ", ".join(
            reason for reason, hit in (("worse than validation beyond the tolerance", self.worse_than_validation),
                                       ("worse than the previous-10 mean", self.worse_than_l10)) if hit)
                   if self.drifted else "not enough rows to judge" if not self.enough else "OK: no drift")
        return "\n".join(lines + [verdict])


def drift_check(graded: pd.DataFrame, validation_mae: float, window_days: int = 14, tolerance_pct: float = 10.0,
                min_rows: int = 200) -> Drift:
    """Live PRA MAE over the last ``window_days`` days up to the latest graded date, against the
    validation MAE and the previous-10 mean on the same rows (see :attr:`Drift.drifted`)."""
    if len(graded) == 0:
        return Drift(None, None, 0, float("nan"), validation_mae, float("nan"), tolerance_pct, min_rows)
    end = pd.Timestamp(graded["GAME_DATE"].max())
    start = end - pd.Timedelta(days=window_days - 1)
    window = graded[graded["GAME_DATE"] >= start]
    both = window[window["baseline_L10_PRA"].notna()]
    return Drift(start, end, len(window), float((window["PRA"] - window["pred_PRA"]).abs().mean()), validation_mae,
                 float((both["PRA"] - both["baseline_L10_PRA"]).abs().mean()) if len(both) else float("nan"),
                 tolerance_pct, min_rows)


def daily_errors(graded: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Per game date: rows, model and previous-10 MAE, and the model's MAE over the trailing window."""
    err = graded.assign(model=(graded["PRA"] - graded["pred_PRA"]).abs(),
                        l10=(graded["PRA"] - graded["baseline_L10_PRA"]).abs())
    daily = err.groupby("GAME_DATE").agg(n=("model", "size"), model_sum=("model", "sum"), mae=("model", "mean"),
                                         l10_mae=("l10", "mean")).sort_index()
    rolling = daily[["model_sum", "n"]].rolling(f"{window_days}D").sum()
    daily["window_mae"] = rolling["model_sum"] / rolling["n"]
    return daily.drop(columns="model_sum").reset_index()
