"""Held against the real line: the model next to the books on the player-games they priced.

Inputs are a backtest's (or the live record's) predictions joined to the market rows of
:mod:`mlflow_nbaprops.data.lines` (consensus line, the books' vig-free P(over)) and to every book's
quote with the model's P(over) at that quote's line. Everything here covers **only the rows with a
line**, and every table says so (the props cover early tip-offs, about a quarter of a season).

- accuracy: the model's PRA MAE next to the consensus line's and the previous-10 mean's, same rows;
- hit rate: the model's side (its median above or below the consensus line) against the result;
- calibration: the model's P(over), the market's vig-free P(over) and the market-aware P(over)
  (:class:`~mlflow_nbaprops.model.market.MarketCalibration`, fitted walk-forward: a month is scored
  by a calibration fitted on the months before it) against the outcomes;
- bets: for each row the side with the larger expected value, priced at the best quote (the quote with
  the largest expected value on that side, every book's line considered) or at the chosen book, flat
  one unit, where the expected value clears the threshold; by edge bucket, by book and by month;
- a bet-selection policy (threshold, fractional Kelly, cap) chosen on the first half of the rows by
  date and reported on the second half, with a bootstrap interval on the staked ROI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlflow_nbaprops.data.lines import american_to_decimal
from mlflow_nbaprops.evaluation.metrics import reliability
from mlflow_nbaprops.model.market import BetPolicy, MarketCalibration, design, expected_value

#: Probabilities are kept inside this margin (a calibrated line shift never reaches 0 or 1).
_EDGE = 1e-3
#: The policy grid searched on the first half.
POLICY_GRID = {"min_ev": (0.0, 0.02, 0.04, 0.06, 0.08, 0.10), "kelly": (0.1, 0.25, 0.5), "cap": (0.02,)}
#: A policy needs this many bets on the first half to be chosen.
MIN_POLICY_BETS = 30


def calibrate_walk_forward(rows: pd.DataFrame, freq: str = "MS") -> tuple[np.ndarray, list[MarketCalibration]]:
    """Market-aware P(over) for ``rows`` (``GAME_DATE, design columns, over``), each period scored by
    a calibration fitted on the graded rows of the periods before it (NaN until one can be fitted)."""
    p = np.full(len(rows), np.nan)
    fitted = []
    dates = pd.to_datetime(rows["GAME_DATE"]).reset_index(drop=True)
    X = rows[["median_minus_line", "spread_80", "line", "logit_model", "logit_market"]].to_numpy(float)
    outcome = rows["over"].to_numpy(float)
    for start in pd.date_range(dates.min().to_period("M").to_timestamp(), dates.max(), freq=freq):
        end = start + pd.offsets.MonthBegin(1)
        now = ((dates >= start) & (dates < end)).to_numpy()
        if not now.any():
            continue
        before = (dates < start).to_numpy() & np.isfinite(outcome)
        calibration = MarketCalibration.fit(X[before], outcome[before], dates[before])
        if calibration is not None:
            p[now] = calibration.predict(X[now])
            fitted.append(calibration)
    return p, fitted


@dataclass
class MarketReport:
    """Every figure of the model against the real line (see the module doc)."""

    note: str
    n_predictions: int
    n_rows: int
    metrics: dict[str, float]
    by_edge: pd.DataFrame
    by_book: pd.DataFrame
    by_month: pd.DataFrame
    calibration: pd.DataFrame
    policy: dict = field(default_factory=dict)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    bets: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        m = self.metrics
        if not self.n_rows:
            return "market: no predicted player-game has a real line"
        lines = [
            f"against the real line ({self.n_rows:,} of {self.n_predictions:,} predictions, {m['coverage']:.1%}; "
            f"{self.note}):",
            f"  PRA MAE: model {m['pra_mae']:.3f}, consensus line {m['line_mae']:.3f}, previous-10 mean "
            f"{m['l10_pra_mae']:.3f}   (model - line {m['pra_mae'] - m['line_mae']:+.3f})",
            f"  the model's side vs the consensus line: {m['hit_rate']:.3f} hit rate over {int(m['sided']):,} "
            "rows (pushes left out)",
            f"  P(over) Brier / calibration error, all {self.n_rows:,} rows: model {m['brier_model']:.4f} / "
            f"{m['ece_model']:.4f}, market (vig removed) {m['brier_market']:.4f} / {m['ece_market']:.4f}",
        ]
        if "brier_aware" in m:
            lines.append(f"  ... on the {int(m['aware_rows']):,} rows a calibration fitted on earlier months scores: "
                         f"market-aware {m['brier_aware']:.4f} / {m['ece_aware']:.4f}, model "
                         f"{m['brier_model_aware_rows']:.4f} / {m['ece_model_aware_rows']:.4f}, market "
                         f"{m['brier_market_aware_rows']:.4f} / {m['ece_market_aware_rows']:.4f}")
        for price in ("best", "book"):
            if f"{price}_bets" in m:
                label = "best price (every book's quote)" if price == "best" else f"the chosen book ({m.get('book', '')})"
                lines.append(f"  flat bets at {label}: {int(m[f'{price}_bets']):,} bets, ROI {m[f'{price}_roi']:+.2%}, "
                             f"win rate {m[f'{price}_win_rate']:.3f}")
        if self.policy.get("chosen"):
            p = self.policy
            lines.append(f"  policy (chosen on {p['first_half']}): EV >= {p['chosen']['min_ev']:.2f}, "
                         f"{p['chosen']['kelly']:g} Kelly, cap {p['chosen']['cap']:.0%}; held-out {p['second_half']}: "
                         f"{p['held_out']['bets']:,} bets, staked ROI {p['held_out']['roi']:+.2%} "
                         f"(95% bootstrap {p['held_out']['roi_low']:+.2%} .. {p['held_out']['roi_high']:+.2%})")
        return "\n".join(lines)

    def mlflow_metrics(self, prefix: str = "val_market_") -> dict[str, float]:
        """The figures as metric names that say they are the real market's (proxy figures stay ``*_bet_*``)."""
        out = {f"{prefix}{k}": float(v) for k, v in self.metrics.items() if isinstance(v, (int, float, np.floating))
               and np.isfinite(v)}
        held = self.policy.get("held_out") or {}
        for key in ("bets", "roi", "roi_low", "roi_high"):
            if key in held and np.isfinite(held[key]):
                out[f"{prefix}policy_heldout_{key}"] = float(held[key])
        return out


def market_report(predictions: pd.DataFrame, market: pd.DataFrame, quotes: pd.DataFrame, note: str,
                  aware: np.ndarray | None = None, min_ev: float = 0.03, book: str | None = None,
                  choose_policy: bool = True, seed: int = 0) -> MarketReport:
    """The report for ``predictions`` (one row per player-game: ``GAME_ID, GAME_DATE, PLAYER_ID, PRA,
    pred_PRA, pred_PRA_q10/q50/q90, baseline_L10_PRA, p_model``: the model's P(over) at the consensus
    line) on the ``market`` rows they have (``line, p_market``); ``quotes``: every book's quote of them
    with ``p_model_quote`` (the model's P(over) at that quote's line); ``aware``: the market-aware
    P(over) per market row (NaN where none), else it is fitted walk-forward here."""
    keys = ["GAME_ID", "PLAYER_ID"]
    # the market's columns win: a backtest's predictions carry their own ``line`` (the proxy line, or
    # the logs' own) and ``p_market``-like names, which must never stand in for the books' consensus
    theirs = [c for c in market.columns if c not in keys and c != "GAME_DATE"]
    rows = predictions.drop(columns=[c for c in theirs if c in predictions.columns]).merge(
        market.drop(columns=["GAME_DATE"], errors="ignore"), on=keys, how="inner")
    rows = rows.sort_values(["GAME_DATE", "GAME_ID", "PLAYER_ID"], kind="mergesort").reset_index(drop=True)
    n_pred = len(predictions)
    if len(rows) == 0:
        empty = pd.DataFrame()
        return MarketReport(note, n_pred, 0, {"coverage": 0.0}, empty, empty, empty, empty)
    over = np.where(rows["PRA"] > rows["line"], 1.0, np.where(rows["PRA"] < rows["line"], 0.0, np.nan))
    rows["over"] = over
    X = design(rows["pred_PRA_q50"], rows["pred_PRA_q10"], rows["pred_PRA_q90"], rows["line"], rows["p_model"],
               rows["p_market"])
    for i, name in enumerate(("median_minus_line", "spread_80", "line", "logit_model", "logit_market")):
        rows[name] = X[:, i]
    if aware is None:
        aware, _ = calibrate_walk_forward(rows)
    rows["p_aware"] = aware
    m: dict[str, float] = {"coverage": len(rows) / max(n_pred, 1), "rows": float(len(rows))}
    err = lambda col: float(np.abs(rows["PRA"] - rows[col]).mean())  # noqa: E731
    m["pra_mae"], m["line_mae"] = err("pred_PRA"), err("line")
    with_l10 = rows["baseline_L10_PRA"].notna()
    m["l10_pra_mae"] = float(np.abs(rows.loc[with_l10, "PRA"] - rows.loc[with_l10, "baseline_L10_PRA"]).mean())
    m["pra_mae_l10_rows"] = float(np.abs(rows.loc[with_l10, "PRA"] - rows.loc[with_l10, "pred_PRA"]).mean())
    side = np.sign(rows["pred_PRA_q50"] - rows["line"]).to_numpy()
    sided = np.isfinite(over) & (side != 0)
    m["sided"] = float(sided.sum())
    m["hit_rate"] = float(((side[sided] > 0) == (over[sided] == 1)).mean()) if sided.any() else float("nan")
    graded = np.isfinite(over)
    table = []
    for label, column in (("model", "p_model"), ("market", "p_market"), ("aware", "p_aware")):
        ok = graded & rows[column].notna().to_numpy()
        if not ok.any():
            continue
        p = rows.loc[ok, column].to_numpy(float)
        rel, ece = reliability(p, over[ok])
        m[f"brier_{label}"] = float(np.mean((p - over[ok]) ** 2))
        m[f"ece_{label}"] = ece
        table.append(rel.assign(probability=label))
    if "brier_aware" in m:  # the model and the market on the same rows the aware one scores
        scored = graded & rows["p_aware"].notna().to_numpy()
        m["aware_rows"] = float(scored.sum())
        for label, column in (("model", "p_model"), ("market", "p_market")):
            p = rows.loc[scored, column].to_numpy(float)
            m[f"brier_{label}_aware_rows"] = float(np.mean((p - over[scored]) ** 2))
            m[f"ece_{label}_aware_rows"] = reliability(p, over[scored])[1]
    calibration = pd.concat(table, ignore_index=True) if table else pd.DataFrame()

    bets = _bets(rows, quotes, min_ev, book)
    for price in ("best", "book"):
        taken = bets[bets["price"] == price]
        if len(taken):
            m[f"{price}_bets"] = float(len(taken))
            m[f"{price}_roi"] = float(taken["profit"].sum() / len(taken))
            m[f"{price}_win_rate"] = float((taken["profit"] > 0).sum() / max((taken["profit"] != 0).sum(), 1))
    if book is not None or len(bets):
        m["book"] = book or (quotes["BOOK"].value_counts().index[0] if len(quotes) else "")
    best = bets[bets["price"] == "best"]
    by_edge = _grouped(best, pd.cut(best["ev"], [-1, 0.02, 0.05, 0.10, 0.20, 10],
                                    labels=["<2%", "2-5%", "5-10%", "10-20%", "20%+"]).astype(str))
    by_book = _grouped(best, best["BOOK"])
    by_month = _grouped(best, pd.to_datetime(best["GAME_DATE"]).dt.strftime("%Y-%m"))
    month_mae = rows.groupby(pd.to_datetime(rows["GAME_DATE"]).dt.strftime("%Y-%m")).apply(
        lambda g: pd.Series({"rows": len(g), "pra_mae": np.abs(g["PRA"] - g["pred_PRA"]).mean(),
                             "line_mae": np.abs(g["PRA"] - g["line"]).mean()}), include_groups=False)
    by_month = month_mae.join(by_month.set_index("group"), how="left").reset_index().rename(
        columns={"GAME_DATE": "month", "index": "month"})
    m = {k: (v if isinstance(v, str) else float(v)) for k, v in m.items()}
    report = MarketReport(note, n_pred, len(rows), m, by_edge, by_book, by_month, calibration, rows=rows, bets=bets)
    if choose_policy:
        report.policy = choose_and_hold_out(rows, quotes, seed=seed)
    return report


def _quote_probabilities(rows: pd.DataFrame, quotes: pd.DataFrame, probability: str) -> pd.DataFrame:
    """Each quote with P(over) at its line: the row's ``probability`` (at the consensus line) moved by
    the model's own difference between the quote's line and the consensus line."""
    keys = ["GAME_ID", "PLAYER_ID"]
    q = quotes.merge(rows[[*keys, "GAME_DATE", "PRA", "line", "p_model", probability]].rename(
        columns={"GAME_DATE": "_date"}), on=keys, how="inner")
    base = q[probability].where(q[probability].notna(), q["p_model"])
    q["p_over"] = np.clip(base + q["p_model_quote"] - q["p_model"], _EDGE, 1 - _EDGE)
    q["GAME_DATE"] = q["_date"]
    return q.drop(columns="_date")


def _bets(rows: pd.DataFrame, quotes: pd.DataFrame, min_ev: float, book: str | None,
          probability: str = "p_aware") -> pd.DataFrame:
    """Flat one-unit bets: per row the side and quote with the largest expected value at the best
    price ("best"), and at the chosen book's own quote ("book"), where it reaches ``min_ev``."""
    if len(quotes) == 0:
        return pd.DataFrame(columns=["price", "GAME_DATE", "BOOK", "side", "ev", "profit"])
    q = _quote_probabilities(rows, quotes, probability)
    sides = []
    for side, odds, p_win, won in (("over", "ODDS_OVER", q["p_over"], q["PRA"] > q["LINE_PRA"]),
                                   ("under", "ODDS_UNDER", 1 - q["p_over"], q["PRA"] < q["LINE_PRA"])):
        part = q.assign(side=side, odds=q[odds], ev=expected_value(p_win, q[odds]),
                        result=np.where(q["PRA"] == q["LINE_PRA"], 0.0,
                                        np.where(won, american_to_decimal(q[odds]) - 1.0, -1.0)))
        sides.append(part[part["odds"].notna()])
    every = pd.concat(sides, ignore_index=True)
    keys = ["GAME_ID", "PLAYER_ID"]
    best = every.sort_values([*keys, "ev"], ascending=[True, True, False], kind="mergesort").drop_duplicates(keys)
    chosen = book or str(quotes["BOOK"].value_counts().index[0])
    mine = every[every["BOOK"] == chosen].sort_values([*keys, "ev"], ascending=[True, True, False],
                                                      kind="mergesort").drop_duplicates(keys)
    out = []
    for label, table in (("best", best), ("book", mine)):
        taken = table[table["ev"] >= min_ev]
        out.append(taken.assign(price=label, profit=taken["result"]))
    columns = ["price", "GAME_ID", "GAME_DATE", "PLAYER_ID", "BOOK", "side", "LINE_PRA", "odds", "p_over", "ev",
               "profit"]
    return pd.concat(out, ignore_index=True)[columns]


def _grouped(bets: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    if len(bets) == 0:
        return pd.DataFrame(columns=["group", "bets", "roi", "win_rate"])
    g = bets.assign(group=by.to_numpy()).groupby("group")
    return g.apply(lambda t: pd.Series({"bets": len(t), "roi": t["profit"].sum() / len(t),
                                        "win_rate": (t["profit"] > 0).sum() / max((t["profit"] != 0).sum(), 1)}),
                   include_groups=False).reset_index()


def staked(bets: pd.DataFrame, policy: BetPolicy) -> pd.DataFrame:
    """``bets`` (all candidate best-price bets) with the policy's stakes; the passed ones dropped."""
    p_win = np.where(bets["side"] == "over", bets["p_over"], 1 - bets["p_over"])
    stake = policy.stake(p_win, bets["odds"])
    return bets.assign(stake=stake)[stake > 0]


def staked_roi(bets: pd.DataFrame) -> float:
    return float((bets["stake"] * bets["profit"]).sum() / bets["stake"].sum()) if len(bets) else float("nan")


def choose_and_hold_out(rows: pd.DataFrame, quotes: pd.DataFrame, seed: int = 0, reps: int = 2000) -> dict:
    """Choose the policy on the first half of the lined rows by date (largest staked ROI with at least
    :data:`MIN_POLICY_BETS` bets); report it once on the second half with a bootstrap interval. Bets
    are priced at the best quote with the market-aware P(over) where a calibration was fitted, else
    the model's."""
    if len(rows) < 2 * MIN_POLICY_BETS:
        return {}
    middle = rows["GAME_DATE"].sort_values().iloc[len(rows) // 2]
    first, second = rows[rows["GAME_DATE"] < middle], rows[rows["GAME_DATE"] >= middle]
    candidates = _bets(rows, quotes, -1.0, None)  # (the market-aware P(over) where fitted, else the model's)
    candidates = candidates[candidates["price"] == "best"]
    early = candidates[candidates["GAME_DATE"] < middle]
    late = candidates[candidates["GAME_DATE"] >= middle]
    results = []
    for min_ev in POLICY_GRID["min_ev"]:
        for kelly in POLICY_GRID["kelly"]:
            for cap in POLICY_GRID["cap"]:
                policy = BetPolicy(min_ev, kelly, cap)
                taken = staked(early, policy)
                if len(taken) >= MIN_POLICY_BETS:
                    results.append((staked_roi(taken), len(taken), policy))
    if not results:
        return {}
    roi, n, chosen = max(results, key=lambda r: (r[0], r[1]))
    held = staked(late, chosen)
    rng = np.random.default_rng(seed)
    if len(held):
        draws = rng.integers(0, len(held), size=(reps, len(held)))
        stake, profit = held["stake"].to_numpy(), held["profit"].to_numpy()
        boot = (stake[draws] * profit[draws]).sum(axis=1) / stake[draws].sum(axis=1)
        low, high = np.percentile(boot, [2.5, 97.5])
    else:
        low = high = float("nan")
    span = lambda frame: f"{frame['GAME_DATE'].min():%Y-%m-%d}..{frame['GAME_DATE'].max():%Y-%m-%d}"  # noqa: E731
    return {"chosen": chosen.to_dict(), "first_half": f"{span(first)} ({len(first):,} rows)",
            "second_half": f"{span(second)} ({len(second):,} rows)",
            "first_half_roi": roi, "first_half_bets": n,
            "held_out": {"bets": int(len(held)), "roi": staked_roi(held), "roi_low": float(low), "roi_high": float(high),
                         "flat_roi": float(held["profit"].mean()) if len(held) else float("nan")}}


__all__ = ["MarketReport", "calibrate_walk_forward", "choose_and_hold_out", "market_report"]
