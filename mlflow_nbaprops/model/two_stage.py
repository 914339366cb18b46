"""The two-stage PRA predictor: stage 1 predicts minutes, stage 2 predicts PRA from the
features plus stage 1's predicted minutes.

A scikit-learn meta-estimator: ``__init__`` only stores parameters, ``fit`` returns self,
learned state ends in ``_``, and ``get_params``/``set_params``/``clone`` work.

Stage 2 is trained on *out-of-fold* predicted minutes (time-blocked folds), never on the
actual minutes of the game it predicts, so at prediction time it sees the same kind of
input it was trained on. The predictive distribution comes from the out-of-fold stage-2
residuals, binned by predicted PRA: quantiles and P(PRA > line) are calibrated on data
the models did not train on.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted

from mlflow_nbaprops.errors import did_you_mean
from mlflow_nbaprops.model.backends import DEFAULT_BACKEND, backend_for, backend_of, get_backend, is_foreign
from mlflow_nbaprops.model.quantiles import (
    DEFAULT_QUANTILES,
    LEVELS,
    PRED_MINUTES,
    PRED_PRA,
    check_quantiles,
    summarize_quantile_grid,
)

STAGE2_TARGETS = ("pra", "rate")
#: How errors name the stages (and the CLI options that set their hyperparameters).
STAGE_NAMES = ("stage 1 (minutes)", "stage 2 (PRA)")


def effective_params(backend: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The hyperparameters a stage's booster really gets: the backend's defaults, the
    absolute-error objective, then the caller's ``params`` (what runs log as params).

    A caller's parameter replaces the default it is an alias of (XGBoost's ``eta`` replaces
    ``learning_rate``): passed side by side, the booster would keep the default.
    """
    entry = get_backend(backend)
    params = dict(params or {})
    given = {entry.canonical(name) for name in params}
    defaults = {**entry.defaults, **entry.absolute_error}
    return {**{k: v for k, v in defaults.items() if entry.canonical(k) not in given}, **params}


def check_booster_params(backend, params: dict[str, Any] | None, stage: str) -> None:
    """Raise ``ValueError`` naming ``stage`` and the parameter when ``params`` holds a name
    ``backend`` does not know, or one (or an alias of one) the estimator sets itself.

    Both boosters accept unknown names and ignore them (LightGBM silently), so a typo such as
    ``n_estimatorz`` would train the defaults while the run logs the typo as a hyperparameter.
    """
    if is_foreign(backend) or not params:
        return
    if not isinstance(params, dict):
        raise TypeError(f"{stage} parameters must be a dict of booster hyperparameters, not {type(params).__name__}")
    entry = get_backend(backend)
    known = entry.known_params()
    reserved = {entry.canonical(name) for name in entry.reserved}
    for name in params:
        if entry.canonical(name) in reserved:
            raise ValueError(f"{stage} parameter {name!r} is set by the estimator itself (seed, threads, "
                             "verbosity: use its random_state and n_jobs), not per stage")
        if known is not None and name not in known:
            raise ValueError(f"{stage} parameter {name!r} is not a parameter of {backend}{did_you_mean(name, known)}")


#: Booster threads per process at most. Two jobs sharing two cores should set 1 each: LightGBM's
#: and XGBoost's threads spin when the cores are oversubscribed, and two such jobs side by side
#: then run 5-7 times slower instead of twice.
MAX_THREADS_ENV = "NBAPROPS_MAX_THREADS"


def booster_threads(n_jobs: int) -> int:
    """``n_jobs`` capped by ``NBAPROPS_MAX_THREADS`` when that is set (``n_jobs`` <= 0, "all cores",
    becomes the cap)."""
    raw = os.environ.get(MAX_THREADS_ENV, "").strip()
    if not raw:
        return n_jobs
    try:
        cap = int(raw)
    except ValueError:
        cap = 0
    if cap < 1:
        raise ValueError(f"{MAX_THREADS_ENV}={raw!r}: give a whole number of threads, 1 or more")
    return cap if n_jobs <= 0 else min(n_jobs, cap)


def make_booster(backend, params: dict[str, Any] | None, random_state: int, n_jobs: int):
    """A fresh scikit-learn-API booster of ``backend`` with defaults overridden by ``params``.

    ``backend`` may also be a user's own scikit-learn regressor (a *foreign* estimator): it is
    cloned and given ``params``. Foreign estimators can only be saved with cloudpickle.
    """
    if is_foreign(backend):
        from sklearn.base import clone

        return clone(backend).set_params(**(params or {}))
    return get_backend(backend).make(effective_params(backend, params), random_state, booster_threads(n_jobs))


def out_of_fold(fit_predict, n: int, folds: list[np.ndarray]) -> np.ndarray:
    """Predictions for each fold from ``fit_predict(train_idx, test_idx)`` fitted on the other folds."""
    predictions = np.empty(n)
    everything = np.arange(n)
    for test in folds:
        predictions[test] = fit_predict(np.setdiff1d(everything, test, assume_unique=True), test)
    return predictions


def time_folds(groups: np.ndarray, n_folds: int) -> list[np.ndarray]:
    """Row indices of ``n_folds`` contiguous blocks of ``groups`` (e.g. dates), in order."""
    unique = np.unique(groups)
    edges = np.array_split(unique, n_folds)
    return [np.flatnonzero(np.isin(groups, block)) for block in edges if len(block)]


class TwoStageRegressor(RegressorMixin, BaseEstimator):
    """Minutes first, then PRA given the features and the predicted minutes.

    Parameters
    ----------
    backend : a booster library of :data:`~mlflow_nbaprops.model.backends.BACKENDS` ("lightgbm",
        "xgboost"; saved in their native formats), or a scikit-learn regressor instance used for
        both stages (saved with cloudpickle)
    minutes_params, pra_params : booster hyperparameters overriding the backend's defaults
    stage2_target : "pra" (predict PRA directly) or "rate" (PRA per minute x predicted minutes)
    n_folds : time-blocked folds for the out-of-fold predicted minutes and residuals
    quantiles : the levels ``predict_distribution`` reports, each as a column named by
        :func:`~mlflow_nbaprops.model.quantiles.quantile_column` (0.1 -> ``pred_PRA_q10``)
    n_bins : bins of predicted PRA for the residual distribution
    stage2_recent_days : train stage 2 only on the last N days of ``groups`` (dates); stage 1
        keeps the whole history (minutes patterns are stable across seasons, scoring drifts)
    n_seeds : boosters per stage, each with its own seed, whose predictions are averaged: the
        boosters subsample rows and columns, so one seed's single forecasts move by a few
        points with the seed; averaging steadies them (docs/benchmarks.md), at n_seeds times
        the fit and predict cost. 1 (default): one booster per stage, as before.
    calibrate : fit the predictive distribution (quantiles, P(over)) from out-of-fold stage-2
        residuals. False: point predictions only, without stage 2's out-of-fold fits (a quarter
        of a fit's boosting): for scoring by MAE, e.g. a tuning trial; such a model cannot be saved.
    """

    def __init__(
        self,
        backend: str = DEFAULT_BACKEND,
        minutes_params: dict | None = None,
        pra_params: dict | None = None,
        stage2_target: str = "pra",
        n_folds: int = 2,
        quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
        n_bins: int = 12,
        stage2_recent_days: int | None = None,
        random_state: int = 0,
        n_jobs: int = 2,
        n_seeds: int = 1,
        calibrate: bool = True,
    ) -> None:
        self.backend = backend
        self.minutes_params = minutes_params
        self.pra_params = pra_params
        self.stage2_target = stage2_target
        self.n_folds = n_folds
        self.quantiles = quantiles
        self.n_bins = n_bins
        self.stage2_recent_days = stage2_recent_days
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.n_seeds = n_seeds
        self.calibrate = calibrate

    # ------------------------------------------------------------------ fitting

    def fit(self, X: pd.DataFrame, y, groups=None) -> "TwoStageRegressor":
        """Fit on features ``X`` and ``y`` with columns ``MIN`` and ``PRA`` (or an (n, 2) array).

        ``groups`` (e.g. game dates) defines the time-blocked folds; default: row order.
        """
        backend_for(self.backend)  # ValueError naming the known backends
        check_quantiles(self.quantiles)
        if isinstance(self.n_seeds, bool) or not isinstance(self.n_seeds, (int, np.integer)) or self.n_seeds < 1:
            raise ValueError(f"n_seeds must be a whole number >= 1, not {self.n_seeds!r}")
        if self.stage2_target not in STAGE2_TARGETS:
            raise ValueError(f"stage2_target must be one of {STAGE2_TARGETS}, not {self.stage2_target!r}")
        check_booster_params(self.backend, self.minutes_params, STAGE_NAMES[0])
        check_booster_params(self.backend, self.pra_params, STAGE_NAMES[1])
        X = self._check_X(X, fitting=True)
        minutes, pra = _split_targets(y, len(X))
        groups = np.arange(len(X)) if groups is None else np.asarray(groups)
        folds = time_folds(groups, self.n_folds)

        oof_minutes = out_of_fold(
            lambda train, test: stage_predict(self._fit_stage1(X.iloc[train], minutes[train]), X.iloc[test]),
            len(X), folds)
        self.minutes_model_ = self._fit_stage1(X, minutes)

        recent = np.ones(len(X), dtype=bool)
        if self.stage2_recent_days is not None:
            cutoff = np.max(groups) - np.timedelta64(int(self.stage2_recent_days), "D")
            recent = groups >= cutoff
        X2 = self._with_minutes(X, oof_minutes)[recent]
        pra2, minutes2 = pra[recent], minutes[recent]
        self.n_train_rows_ = {"minutes": int(len(X)), "pra": int(recent.sum())}
        self.oof_mae_ = {"minutes": float(np.mean(np.abs(oof_minutes - minutes)))}
        if self.calibrate:
            oof_pra = out_of_fold(
                lambda train, test: self._predict_stage2(
                    self._fit_stage2(X2.iloc[train], pra2[train], minutes2[train]), X2.iloc[test]),
                len(X2), time_folds(groups[recent], self.n_folds))
            self._fit_residuals(oof_pra, pra2)
            self.oof_mae_["pra"] = float(np.mean(np.abs(oof_pra - pra2)))
        self.pra_model_ = self._fit_stage2(X2, pra2, minutes2)
        return self

    def _fit_stage1(self, X: pd.DataFrame, minutes: np.ndarray):
        return self._fit_stage(0, X, minutes)

    def _fit_stage2(self, X2: pd.DataFrame, pra: np.ndarray, minutes: np.ndarray):
        if self.stage2_target == "pra":
            return self._fit_stage(1, X2, pra)
        played = minutes > 0
        return self._fit_stage(1, X2[played], pra[played] / minutes[played], sample_weight=minutes[played])

    def _fit_stage(self, stage: int, X: pd.DataFrame, y: np.ndarray, **fit_params):
        """One booster, or ``n_seeds`` of them averaged. Seeds: stage 1 takes random_state + 2k,
        stage 2 random_state + 2k + 1 for member k (member 0 is the single-seed model)."""
        params = (self.minutes_params, self.pra_params)[stage]
        members = [self._fit_booster(stage, make_booster(self.backend, params, self.random_state + 2 * k + stage,
                                                         self.n_jobs), X, y, **fit_params)
                   for k in range(int(self.n_seeds))]
        return members[0] if len(members) == 1 else SeedAverage(members)

    def _fit_booster(self, stage: int, model, X: pd.DataFrame, y: np.ndarray, **fit_params):
        """``model.fit``, with a booster's own failure (e.g. a hyperparameter value it rejects)
        re-raised as ``ValueError`` naming the stage and its parameters."""
        try:
            return model.fit(X, y, **fit_params)
        except Exception as exc:  # X and y are checked already: inside fit, only the booster can fail
            if not backend_for(self.backend).failed(exc):
                raise
            params = (self.minutes_params, self.pra_params)[stage]
            raise ValueError(f"{STAGE_NAMES[stage]}: the {self.backend} booster failed "
                             f"(parameters: {params or 'defaults'}): {exc}") from exc

    def _predict_stage2(self, model, X2: pd.DataFrame) -> np.ndarray:
        raw = stage_predict(model, X2)
        if self.stage2_target == "rate":
            raw = raw * X2[PRED_MINUTES].to_numpy()
        return np.clip(raw, 0.0, None)

    def _fit_residuals(self, oof_pra: np.ndarray, pra: np.ndarray) -> None:
        """Empirical residual quantiles per bin of predicted PRA (bins of equal count)."""
        edges = np.quantile(oof_pra, np.linspace(0, 1, self.n_bins + 1))
        edges = np.unique(edges)
        if len(edges) < 2:  # every out-of-fold prediction the same (a degenerate stage): one bin
            edges = np.array([edges[0], edges[0] + 1.0])
        which = np.clip(np.searchsorted(edges, oof_pra, side="right") - 1, 0, len(edges) - 2)
        residual = pra - oof_pra
        self.bin_centers_ = np.array([np.median(oof_pra[which == b]) for b in range(len(edges) - 1)])
        self.residual_quantiles_ = np.vstack([np.quantile(residual[which == b], LEVELS) for b in range(len(edges) - 1)])
        self.residual_levels_ = LEVELS.copy()

    # ------------------------------------------------------------------ predicting

    def predict_minutes(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted minutes (stage 1)."""
        return self._minutes(self._check_X(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted PRA: stage 2's point prediction (its conditional median by default, L1 loss)."""
        X = self._check_X(X)
        return self._predict_stage2(self.pra_model_, self._with_minutes(X, self._minutes(X)))

    def score(self, X: pd.DataFrame, y, sample_weight=None) -> float:
        """R² of the PRA prediction (scikit-learn's regressor convention, so model selection
        tools work). ``y`` is what ``fit`` takes (columns ``MIN`` and ``PRA``, or an (n, 2)
        array) or PRA alone: the estimator's answer is PRA, so PRA is what it is scored on."""
        arr = y["PRA"].to_numpy(float) if isinstance(y, pd.DataFrame) and "PRA" in y.columns else None
        if arr is None:
            values = np.asarray(y, dtype=float)
            arr = values if values.ndim == 1 else _split_targets(y, len(X))[1]
        return float(r2_score(arr, self.predict(X), sample_weight=sample_weight))

    def _minutes(self, X: pd.DataFrame) -> np.ndarray:
        return np.clip(stage_predict(self.minutes_model_, X), 0.0, None)

    def predict_distribution(self, X: pd.DataFrame, lines=None, minutes=None) -> pd.DataFrame:
        """``pred_MIN``, ``pred_PRA``, ``pred_PRA_q{..}`` and, given lines, ``p_over``/``p_under``.

        ``minutes`` is an optional minutes projection per row (NaN: stage 1 decides): news the
        features cannot know. Where given, the PRA forecast at stage 1's minutes is scaled by
        given / predicted minutes (the player's per-minute production held), quantiles with it.
        """
        X = self._check_X(X)
        pred_min = self._minutes(X)
        pred = self._predict_stage2(self.pra_model_, self._with_minutes(X, pred_min))
        if minutes is not None:
            # given minutes scale the forecast at stage 1's minutes: per-minute production held.
            # Stage 2 learned from out-of-fold *predicted* minutes and never saw a starter play 20
            # minutes by plan; fed such minutes it barely moved (2023-24, starters who played <= 24:
            # actual PRA 14.6, stage 2 fed their minutes 20.8, scaled 15.5; all rows given their
            # actual minutes: PRA MAE 4.95 fed, 4.37 scaled: docs/benchmarks.md)
            given = np.asarray(minutes, dtype=float)
            known = ~np.isnan(given)
            pred = np.where(known, pred * np.where(known, given, 0.0) / np.maximum(pred_min, 1.0), pred)
            pred_min = np.where(known, given, pred_min)
        if not self.has_distribution():  # calibrate=False: points only
            if lines is not None:
                raise ValueError("this model was fitted with calibrate=False: it has no P(over) for lines")
            return pd.DataFrame({PRED_MINUTES: pred_min, PRED_PRA: pred}, index=X.index)
        grid = pred[:, None] + self._residual_grid(pred)  # PRA quantiles at residual_levels_
        grid = np.clip(np.maximum.accumulate(grid, axis=1), 0.0, None)
        out = {PRED_MINUTES: pred_min, PRED_PRA: pred,
               **summarize_quantile_grid(grid, self.residual_levels_, self.quantiles, lines)}
        return pd.DataFrame(out, index=X.index)

    def has_distribution(self) -> bool:
        """True if the fit calibrated a predictive distribution (quantiles, P(over)): not with
        ``calibrate=False``, whose model gives point predictions only and cannot be saved."""
        return hasattr(self, "residual_quantiles_")

    def _residual_grid(self, pred: np.ndarray) -> np.ndarray:
        """Residual quantiles for each prediction, interpolated between neighbouring bins."""
        centers = self.bin_centers_
        pos = np.interp(pred, centers, np.arange(len(centers)))
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, len(centers) - 1)
        frac = (pos - lo)[:, None]
        return (1 - frac) * self.residual_quantiles_[lo] + frac * self.residual_quantiles_[hi]

    def stage_importances(self) -> dict[str, pd.Series]:
        """Gain importance of each stage's inputs as shares summing to 1 (boosters only)."""
        check_is_fitted(self, "pra_model_")
        names = {"minutes": list(self.feature_names_in_), "pra": [*self.feature_names_in_, PRED_MINUTES]}
        out = {}
        for stage, model in (("minutes", self.minutes_model_), ("pra", self.pra_model_)):
            gains = _gains(model, names[stage])
            if gains is not None:
                out[stage] = gains / gains.sum() if gains.sum() > 0 else gains
        return out

    # ------------------------------------------------------------------ helpers

    def _check_X(self, X, fitting: bool = False) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("X must be a pandas DataFrame of feature columns")
        if fitting:
            if len(X) < self.n_folds:
                raise ValueError(f"X has {len(X)} row(s): fitting needs at least one per fold (n_folds={self.n_folds})")
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
            return X.astype("float64")
        check_is_fitted(self, "pra_model_")
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"X is missing feature column(s): {', '.join(missing)}")
        return X[list(self.feature_names_in_)].astype("float64")

    @staticmethod
    def _with_minutes(X: pd.DataFrame, minutes: np.ndarray) -> pd.DataFrame:
        """Stage 2's input: the features plus the predicted minutes."""
        return X.assign(**{PRED_MINUTES: minutes})


class SeedAverage:
    """A stage's boosters fitted with different seeds; the stage predicts their mean."""

    def __init__(self, members: list) -> None:
        if len(members) < 2:
            raise ValueError("a seed average needs at least two boosters")
        self.members = list(members)


def stage_predict(model, X: pd.DataFrame) -> np.ndarray:
    """A stage model's predictions for ``X`` (columns in training order).

    Boosters get a plain float array: building their pandas adapters costs more than the
    trees for a one-row request. LightGBM's scikit-learn wrapper is bypassed for its booster
    (same numbers, no feature-name warning); a foreign estimator gets the DataFrame.
    """
    if isinstance(model, SeedAverage):  # members added in a fixed order: the same bits every time
        return np.mean(np.vstack([stage_predict(member, X) for member in model.members]), axis=0)
    return backend_of(model).predict(model, X)


def _gains(model, names: list[str]) -> pd.Series | None:
    if isinstance(model, SeedAverage):
        parts = [_gains(member, names) for member in model.members]
        return None if any(p is None for p in parts) else sum(parts[1:], parts[0]) / len(parts)
    gains = backend_of(model).gains(model, len(names))
    return None if gains is None else pd.Series(gains, index=names, dtype=float)


def _split_targets(y, n: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(y, pd.DataFrame):
        missing = {"MIN", "PRA"} - set(y.columns)
        if missing:
            raise ValueError(f"y needs columns MIN and PRA (missing {', '.join(sorted(missing))})")
        minutes, pra = y["MIN"].to_numpy(float), y["PRA"].to_numpy(float)
    else:
        arr = np.asarray(y, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError("y must have two columns: minutes and PRA")
        minutes, pra = arr[:, 0], arr[:, 1]
    if len(minutes) != n:
        raise ValueError(f"X has {n} rows but y has {len(minutes)}")
    if np.isnan(minutes).any() or np.isnan(pra).any():
        raise ValueError("y has missing values")
    return minutes, pra
