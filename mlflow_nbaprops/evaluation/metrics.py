"""Metrics: regression accuracy, segments, calibration and a betting simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlflow_nbaprops.model.quantiles import central_interval


def regression_metrics(actual, predicted, prefix: str = "") -> dict[str, float]:
    """MAE, RMSE, R² and the share of predictions within 3, 5 and 10."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    ok = ~(np.isnan(actual) | np.isnan(predicted))
    a, p = actual[ok], predicted[ok]
    if len(a) == 0:
        return {}
    err = np.abs(a - p)
    ss_res = float(np.sum((a - p) ** 2))
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    return {
        f"{prefix}mae": float(err.mean()),
        f"{prefix}rmse": float(np.sqrt(ss_res / len(a))),
        f"{prefix}r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        f"{prefix}within_3": float((err <= 3).mean()),
        f"{prefix}within_5": float((err <= 5).mean()),
        f"{prefix}within_10": float((err <= 10).mean()),
    }


def interval_coverage(frame: pd.DataFrame, actual: str = "PRA") -> dict[str, float]:
    """Share of ``actual`` inside the widest interval the frame's quantile columns give, named by
    its nominal width: ``coverage_80`` for ``pred_PRA_q10``..``pred_PRA_q90`` (empty under two levels)."""
    interval = central_interval(frame.columns)
    if interval is None:
        return {}
    low, high, percent = interval
    inside = (frame[actual] >= frame[low]) & (frame[actual] <= frame[high])
    return {f"coverage_{percent}": float(inside.mean())}


def coverage_text(metrics: dict[str, float]) -> str:
    """``80% interval coverage 0.791`` from whichever ``coverage_NN`` metric ``metrics`` holds."""
    found = [(k, v) for k, v in metrics.items() if k.startswith("coverage_") and k[9:].isdigit()]
    return "; ".join(f"{k[9:]}% interval coverage {v:.3f}" for k, v in found) or "no interval coverage"


def segment_table(predictions: pd.DataFrame, columns: dict[str, str], segments: dict[str, pd.Series]) -> pd.DataFrame:
    """MAE of each prediction column (name -> column) within each segment value."""
    rows = []
    actual = predictions["PRA"]
    for segment, labels in segments.items():
        for value, idx in predictions.groupby(labels, observed=True).groups.items():
            row = {"segment": segment, "value": str(value), "n": len(idx)}
            for name, col in columns.items():
                row[f"mae_{name}"] = float((actual[idx] - predictions.loc[idx, col]).abs().mean())
            rows.append(row)
    return pd.DataFrame(rows)


def reliability(prob, outcome, bins: int = 10) -> tuple[pd.DataFrame, float]:
    """Reliability table (mean predicted vs observed per probability bin) and the ECE."""
    prob = np.asarray(prob, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    ok = ~(np.isnan(prob) | np.isnan(outcome))
    prob, outcome = prob[ok], outcome[ok]
    which = np.clip((prob * bins).astype(int), 0, bins - 1)
    table = pd.DataFrame({"bin": which, "p": prob, "y": outcome}).groupby("bin").agg(
        n=("p", "size"), predicted=("p", "mean"), observed=("y", "mean")).reset_index()
    ece = float((table["n"] * (table["predicted"] - table["observed"]).abs()).sum() / max(len(prob), 1))
    return table, ece


def american_to_implied(odds) -> np.ndarray:
    """Implied probability of American odds (-110 -> 0.524)."""
    odds = np.asarray(odds, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # np.where evaluates both branches
        return np.where(odds < 0, -odds / (-odds + 100.0), 100.0 / (odds + 100.0))


def american_to_profit(odds) -> np.ndarray:
    """Profit per unit staked when the bet wins (-110 -> 0.909)."""
    odds = np.asarray(odds, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(odds < 0, 100.0 / -odds, odds / 100.0)


def betting_simulation(frame: pd.DataFrame, min_edge: float = 0.03) -> tuple[dict[str, float], pd.DataFrame]:
    """Flat one-unit bets where the model's probability beats the price by ``min_edge``.

    ``frame`` needs PRA, GAME_DATE, line, odds_over, odds_under, p_over, p_under and
    optionally close_line. Returns the metrics and the bets taken.
    """
    f = frame.dropna(subset=["line", "p_over"]).copy()
    implied_over = american_to_implied(f["odds_over"])
    implied_under = american_to_implied(f["odds_under"])
    edge_over = f["p_over"].to_numpy() - implied_over
    edge_under = f["p_under"].to_numpy() - implied_under
    f["side"] = np.where(edge_over >= edge_under, "over", "under")
    f["edge"] = np.maximum(edge_over, edge_under)
    over_won = (f["PRA"] > f["line"]).to_numpy()
    metrics: dict[str, float] = {
        "brier": float(np.mean((f["p_over"].to_numpy() - over_won) ** 2)) if len(f) else float("nan"),
        "calibration_error": reliability(f["p_over"], over_won)[1] if len(f) else float("nan"),
    }
    bets = f[f["edge"] > min_edge].copy()
    over = (bets["side"] == "over").to_numpy()
    won = np.where(over, bets["PRA"] > bets["line"], bets["PRA"] < bets["line"])
    odds = np.where(over, bets["odds_over"], bets["odds_under"])
    profit_if_won = american_to_profit(odds)
    bets["won"] = won
    bets["profit"] = np.where(won, profit_if_won, -1.0)
    p_win = np.where(over, bets["p_over"], bets["p_under"])
    bets["kelly"] = np.clip((profit_if_won * p_win - (1 - p_win)) / profit_if_won, 0, 1)
    if "close_line" in bets.columns and bets["close_line"].notna().any():
        bets["clv"] = np.where(over, bets["close_line"] - bets["line"], bets["line"] - bets["close_line"])
    n = len(bets)
    metrics.update({"bets": float(n), "bet_share": n / max(len(f), 1)})
    if n:
        daily = bets.groupby("GAME_DATE")["profit"].sum()
        equity = daily.cumsum()
        metrics.update({
            "roi": float(bets["profit"].sum() / n),
            "win_rate": float(won.mean()),
            "profit_units": float(bets["profit"].sum()),
            "sharpe": float(daily.mean() / daily.std() * np.sqrt(len(daily))) if daily.std() > 0 else float("nan"),
            "max_drawdown": float((equity.cummax() - equity).max()),
            "kelly_fraction": float(bets["kelly"].mean()),
            "mean_edge": float(bets["edge"].mean()),
        })
        if "clv" in bets.columns:
            metrics["clv"] = float(bets["clv"].mean())
            metrics["clv_beat_close"] = float((bets["clv"] > 0).mean())
    return metrics, bets
