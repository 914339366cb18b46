"""Figures of a backtest: each function returns a :class:`matplotlib.figure.Figure`, nothing is
saved here.

Figures are built directly, not through ``pyplot``: no backend is switched (a notebook user's
stays theirs), nothing needs closing (a figure is freed when it is dropped), and any
``savefig``/``mlflow.log_figure`` renders it headless.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _subplots(nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (9, 4)):
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols)


def feature_importance(importances: dict[str, pd.Series], top: int = 20):
    """Horizontal bars of the ``top`` features by gain, one panel per stage."""
    fig, axes = _subplots(1, len(importances), figsize=(6 * len(importances), 0.3 * top + 1.5))
    axes = np.atleast_1d(axes)
    for ax, (stage, values) in zip(axes, importances.items()):
        shown = values.sort_values().tail(top)
        ax.barh(shown.index, shown.to_numpy(), color="#3b6ea8")
        ax.set_title(f"{stage}: importance (gain share)")
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def calibration_curve(table: pd.DataFrame, ece: float, line_source: str):
    """Observed frequency of PRA > line against the predicted P(over), per probability bin."""
    fig, ax = _subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(table["predicted"], table["observed"], marker="o", label=f"model (ECE {ece:.3f})")
    for row in table.itertuples(index=False):
        ax.annotate(f"{row.n}", (row.predicted, row.observed), fontsize=7, xytext=(3, -9), textcoords="offset points")
    ax.set_xlabel("predicted P(PRA > line)")
    ax.set_ylabel("observed share over")
    ax.set_title(f"calibration vs {line_source} lines")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def residuals(predictions: pd.DataFrame):
    """Residual histogram and residuals against the prediction."""
    resid = predictions["PRA"] - predictions["pred_PRA"]
    fig, (left, right) = _subplots(1, 2, figsize=(11, 4))
    left.hist(resid, bins=60, color="#3b6ea8")
    left.axvline(0, color="black", linewidth=1)
    left.set_title(f"residuals (actual - predicted), MAE {resid.abs().mean():.2f}")
    right.scatter(predictions["pred_PRA"], resid, s=2, alpha=0.15)
    right.axhline(0, color="black", linewidth=1)
    right.set_xlabel("predicted PRA")
    right.set_ylabel("residual")
    fig.tight_layout()
    return fig


def mae_over_season(folds: pd.DataFrame, label: str = "two-stage"):
    """PRA MAE per refit period (fold) against the previous-10 baseline."""
    fig, ax = _subplots(figsize=(9, 4))
    ax.plot(folds["start"], folds["mae"], marker="o", label=label)
    ax.plot(folds["start"], folds["l10_mae"], marker=".", linestyle="--", label="previous-10 mean")
    ax.set_ylabel("PRA MAE")
    ax.set_title("MAE over the season (one point per refit)")
    ax.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def fold_mae_overlay(series: dict[str, pd.Series]):
    """Fold MAE of several runs on one axis (``run name -> MAE by fold``)."""
    fig, ax = _subplots(figsize=(9, 4))
    for name, values in series.items():
        ax.plot(values.index, values.to_numpy(), marker=".", label=name)
    ax.set_xlabel("fold (refit period)")
    ax.set_ylabel("PRA MAE")
    ax.set_title("fold MAE over the season")
    if len(series) <= 12:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def live_mae(daily: pd.DataFrame, validation_mae: float, tolerance_pct: float, window_days: int):
    """Live PRA MAE per game date and over the trailing window, against validation and the drift line."""
    fig, ax = _subplots(figsize=(9, 4))
    ax.scatter(daily["GAME_DATE"], daily["mae"], s=12 + daily["n"] / max(daily["n"].max(), 1) * 40, alpha=0.5,
               color="#3b6ea8", label="live MAE per game date (size: rows)")
    ax.plot(daily["GAME_DATE"], daily["window_mae"], color="#3b6ea8", label=f"live MAE, trailing {window_days} days")
    ax.plot(daily["GAME_DATE"], daily["l10_mae"], color="grey", linestyle=":", label="previous-10 mean MAE per date")
    ax.axhline(validation_mae, color="black", linestyle="--", label=f"validation MAE {validation_mae:.3f}")
    ax.axhline(validation_mae * (1 + tolerance_pct / 100), color="#c0392b", linestyle="--",
               label=f"drift threshold (+{tolerance_pct:g}%)")
    ax.set_ylabel("PRA MAE")
    ax.set_title("production model: live error")
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def optimisation_history(numbers, values, states, best_so_far, metric: str = "validation PRA MAE"):
    """A tuning study's trials in order: each finished trial's value, pruned trials at their last
    reported value, and the best value so far."""
    fig, ax = _subplots(figsize=(9, 4))
    numbers, values, states = np.asarray(numbers), np.asarray(values, dtype=float), np.asarray(states)
    for state, style in (("COMPLETE", dict(color="#3b6ea8", label="finished trial")),
                         ("PRUNED", dict(color="#c0392b", marker="x", label="pruned (last fold reported)"))):
        shown = states == state
        if shown.any():
            ax.scatter(numbers[shown], values[shown], s=18, **style)
    ax.step(numbers, best_so_far, where="post", color="black", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title("optimisation history")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def param_importances(importances: dict[str, float]):
    """Horizontal bars of each searched parameter's importance (shares summing to 1)."""
    names = list(importances)[::-1]
    fig, ax = _subplots(figsize=(7, 0.35 * len(names) + 1.5))
    ax.barh(names, [importances[n] for n in names], color="#3b6ea8")
    ax.set_xlabel("importance for the validation PRA MAE (fANOVA)")
    ax.set_title("parameter importance")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig
