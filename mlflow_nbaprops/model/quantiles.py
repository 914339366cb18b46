"""The predictive distribution's vocabulary and maths: the one place quantile levels become
column names (``0.1`` -> ``pred_PRA_q10``), and per-row quantile grids become quantiles and
over/under probabilities.

Everything that writes or reads a quantile column (the estimator, the predictor's answer,
the flavor's signature, the backtest and the live metrics) names it through
:func:`quantile_column`, so ``TwoStageRegressor(quantiles=(0.05, 0.5, 0.95))`` holds end to end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

PRED_MINUTES = "pred_MIN"
PRED_PRA = "pred_PRA"
#: The levels the package reports unless told otherwise (an 80 % central interval and the median).
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)
#: Residual quantile levels stored per bin (the predictive distribution's resolution).
LEVELS = np.linspace(0.005, 0.995, 199)
#: Over/under probabilities (NaN where no line was given).
PROBABILITY_COLUMNS = ("p_over", "p_under")
_COLUMN = re.compile(rf"^{PRED_PRA}_q(\d+(?:\.\d+)?)$")


def quantile_column(level: float) -> str:
    """``pred_PRA_q10`` for 0.1, ``pred_PRA_q05`` for 0.05, ``pred_PRA_q97.5`` for 0.975."""
    percent = round(float(level) * 100, 6)
    text = f"{percent:02.0f}" if float(percent).is_integer() else f"{percent:g}"
    return f"{PRED_PRA}_q{text}"


def check_quantiles(quantiles) -> tuple[float, ...]:
    """``quantiles`` as a tuple of levels strictly between 0 and 1 with distinct column names;
    ``ValueError`` naming the bad level otherwise."""
    if isinstance(quantiles, (str, bytes)) or not isinstance(quantiles, Iterable):
        raise ValueError(f"quantiles must be a sequence of levels between 0 and 1, not {quantiles!r}")
    levels = tuple(quantiles)
    if not levels:
        raise ValueError("quantiles must name at least one level")
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)) \
                or not 0.0 < float(level) < 1.0:
            raise ValueError(f"quantile level {level!r} must be a number strictly between 0 and 1")
    names = [quantile_column(q) for q in levels]
    if len(set(names)) != len(names):
        raise ValueError(f"quantile levels {levels} repeat a level (columns {names})")
    return tuple(float(q) for q in levels)


def quantile_columns(quantiles: Sequence[float] = DEFAULT_QUANTILES) -> list[str]:
    return [quantile_column(q) for q in quantiles]


def output_columns(quantiles: Sequence[float] = DEFAULT_QUANTILES) -> list[str]:
    """The numeric answer of a predictor reporting ``quantiles``, in order."""
    return [PRED_MINUTES, PRED_PRA, *quantile_columns(quantiles), *PROBABILITY_COLUMNS]


def quantiles_in(columns: Iterable[str]) -> dict[float, str]:
    """level -> column for the quantile columns among ``columns`` (a logged predictions table)."""
    found = {}
    for column in columns:
        match = _COLUMN.match(str(column))
        if match:
            found[float(match.group(1)) / 100] = str(column)
    return dict(sorted(found.items()))


def central_interval(columns: Iterable[str]) -> tuple[str, str, int] | None:
    """The widest interval the quantile columns give (lowest and highest level) and its
    nominal coverage in percent, e.g. ``(pred_PRA_q10, pred_PRA_q90, 80)``; None under two levels."""
    levels = quantiles_in(columns)
    if len(levels) < 2:
        return None
    low, high = min(levels), max(levels)
    return levels[low], levels[high], int(round((high - low) * 100))


def summarize_quantile_grid(grid: np.ndarray, levels: np.ndarray, quantiles, lines=None) -> dict[str, np.ndarray]:
    """From per-row PRA quantile functions (``grid`` at ``levels``): a column per quantile level
    and, given lines, ``p_over``/``p_under`` (NaN where a line is NaN)."""
    out = {quantile_column(q): interp_rows(q, levels, grid) for q in quantiles}
    if lines is not None:
        lines = np.asarray(lines, dtype=float)
        # PRA is whole: P(PRA > line) = P(PRA >= floor(line) + 1); read the CDF mid-integer
        p_under = cdf_rows(np.floor(lines) + 0.5, grid, levels)
        out["p_over"] = np.where(np.isnan(lines), np.nan, 1.0 - p_under)
        out["p_under"] = np.where(np.isnan(lines), np.nan, p_under)
    return out


def cdf_rows(values: np.ndarray, grid: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per row, the CDF at ``values[i]`` of the quantile function ``grid[i]`` (at ``levels``),
    linear between grid points, 0 below the first and 1 above the last; vectorised."""
    above = (grid <= values[:, None]).sum(axis=1)  # grid points at or below the value
    j = np.clip(above, 1, grid.shape[1] - 1)
    rows = np.arange(len(values))
    lo, hi = grid[rows, j - 1], grid[rows, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(hi > lo, (values - lo) / (hi - lo), 1.0)
    cdf = levels[j - 1] + np.clip(frac, 0.0, 1.0) * (levels[j] - levels[j - 1])
    return np.where(above == 0, 0.0, np.where(above == grid.shape[1], 1.0, cdf))


def interp_rows(level: float, levels: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Quantile ``level`` of each row's quantile grid."""
    j = np.searchsorted(levels, level)
    j = int(np.clip(j, 1, len(levels) - 1))
    w = (level - levels[j - 1]) / (levels[j] - levels[j - 1])
    return (1 - w) * grid[:, j - 1] + w * grid[:, j]
