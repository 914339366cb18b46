"""A market-aware P(over): the model's predictive distribution combined with the book's line.

The line is information the model lacks (the book prices injury news and lineups). A logistic
regression on the model's view of the line -- its median minus the line, the spread of its
distribution, the line itself, the log-odds of its own P(over) -- and on the market's vig-free
log-odds of the over gives P(over) calibrated on earlier graded rows. It is fitted only on rows
graded before the ones it scores (walk-forward), stored as plain JSON (coefficients, no pickle),
and applied wherever a row has a line and the book's prices.

Also here: the bet-selection policy (an edge threshold and a fractional-Kelly stake with a cap) and
the expected value of a side at a price.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mlflow_nbaprops.data.lines import american_to_decimal as decimal_odds

#: The features, in order (each a function of a row's distribution, line and market probability).
FEATURES = ("median_minus_line", "spread_80", "line", "logit_model", "logit_market")
#: Fewer graded rows than this: no calibration is fitted (the model's own P(over) stands).
MIN_ROWS = 300
_EPS = 1e-4


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def design(median, q10, q90, line, p_model, p_market) -> np.ndarray:
    """The calibration's inputs as an (n, 5) matrix (see :data:`FEATURES`)."""
    line = np.asarray(line, dtype=float)
    return np.column_stack([np.asarray(median, float) - line, np.asarray(q90, float) - np.asarray(q10, float), line,
                            logit(p_model), logit(p_market)])


@dataclass(frozen=True)
class MarketCalibration:
    """Logistic-regression coefficients over :data:`FEATURES` (standardised inputs) and what it was
    fitted on."""

    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    rows: int
    first_date: str
    last_date: str

    @classmethod
    def fit(cls, X: np.ndarray, over: np.ndarray, dates=None, C: float = 1.0) -> "MarketCalibration | None":
        """Fit on graded rows (``over``: 1 the over won, 0 the under; pushes left out by the caller);
        None with fewer than :data:`MIN_ROWS` rows or a single outcome."""
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=float)
        over = np.asarray(over, dtype=float)
        ok = np.isfinite(X).all(axis=1) & np.isfinite(over)
        X, over = X[ok], over[ok]
        if len(X) < MIN_ROWS or len(np.unique(over)) < 2:
            return None
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        model = LogisticRegression(C=C, max_iter=1000).fit((X - mean) / scale, over)
        days = pd.to_datetime(pd.Series(dates)[ok]) if dates is not None else pd.Series(dtype="datetime64[ns]")
        return cls(tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]), tuple(map(float, mean)),
                   tuple(map(float, scale)), int(len(X)),
                   f"{days.min():%Y-%m-%d}" if len(days) else "", f"{days.max():%Y-%m-%d}" if len(days) else "")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """P(over) for rows of :func:`design` (NaN where an input is missing)."""
        X = np.asarray(X, dtype=float)
        z = (X - np.asarray(self.mean)) / np.asarray(self.scale) @ np.asarray(self.coef) + self.intercept
        return np.where(np.isfinite(X).all(axis=1), 1.0 / (1.0 + np.exp(-z)), np.nan)

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), **asdict(self), "coef": list(self.coef), "mean": list(self.mean),
                "scale": list(self.scale)}

    @classmethod
    def from_dict(cls, data: dict) -> "MarketCalibration":
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError(f"market calibration features {data.get('features')} are not {list(FEATURES)}")
        return cls(tuple(map(float, data["coef"])), float(data["intercept"]), tuple(map(float, data["mean"])),
                   tuple(map(float, data["scale"])), int(data["rows"]), str(data["first_date"]), str(data["last_date"]))


def expected_value(p_win, american) -> np.ndarray:
    """Expected profit per unit staked on a side the bettor wins with ``p_win`` at ``american`` odds."""
    return np.asarray(p_win, dtype=float) * decimal_odds(american) - 1.0


@dataclass(frozen=True)
class BetPolicy:
    """Bet a side when its expected value per unit reaches ``min_ev``; stake ``kelly`` times the Kelly
    fraction of the bankroll, at most ``cap`` (units of one bankroll-percent each: stake 1 = 1 %)."""

    min_ev: float = 0.03
    kelly: float = 0.25
    cap: float = 0.02

    def stake(self, p_win, american) -> np.ndarray:
        """Fraction of the bankroll on each bet (0 where the policy passes)."""
        dec = decimal_odds(american)
        p = np.asarray(p_win, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            full = (p * dec - 1.0) / (dec - 1.0)
        ev = expected_value(p, american)
        return np.where(np.isfinite(full) & (ev >= self.min_ev), np.clip(self.kelly * full, 0.0, self.cap), 0.0)

    def to_dict(self) -> dict:
        return asdict(self)


__all__ = ["FEATURES", "MIN_ROWS", "BetPolicy", "MarketCalibration", "design", "expected_value", "logit"]
