"""Walk-forward backtest over a test season: refit every N days, predict the days until
the next refit, training only on games before each refit date.

Features are built once for all rows: each row's features use only earlier games, so a
row predicted on day d sees everything up to d-1 even between refits ("features are
always current to the day"); only the model weights are as old as the last refit.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.evaluation.market import MarketReport, market_report
from mlflow_nbaprops.evaluation.metrics import (
    betting_simulation,
    coverage_text,
    interval_coverage,
    regression_metrics,
    reliability,
    segment_table,
)
from mlflow_nbaprops.features import FeatureSet, build_features, lagged_mean, scenario_feature_set
from mlflow_nbaprops.features.registry import SCENARIOS
from mlflow_nbaprops.model import TwoStageRegressor
from mlflow_nbaprops.model.predictor import DEFAULT_TRAIN_WINDOW_DAYS
from mlflow_nbaprops.model.backends import DEFAULT_BACKEND, FOREIGN, Backend, backend_for
from mlflow_nbaprops.model.quantiles import DEFAULT_QUANTILES, PRED_MINUTES, PRED_PRA, quantile_columns
from mlflow_nbaprops.model.two_stage import booster_threads, make_booster, stage_predict

#: A refit needs at least this many earlier player-games (about a week of a league's games);
#: the days a smaller one would predict are left out and counted (a test season without
#: earlier seasons in the data loses its first week or two).
MIN_TRAIN_ROWS = 1000
#: Columns the backtest reads beside the set's features, whatever the scenario: the segments split
#: rows by what the box score and the lineups showed, the same way in every scenario.
SEGMENT_COLUMNS = ("back_to_back", "team_out_n_observed", "team_new_starters", "opp_new_starters")


def prediction_columns(quantiles=DEFAULT_QUANTILES) -> list[str]:
    """Columns every predictions table has (``nbaprops backtest --output``), in order."""
    return ["GAME_ID", "GAME_DATE", "SEASON", "PLAYER_ID", "PLAYER_NAME", "TEAM", "OPPONENT", "HOME", "MIN", "PRA",
            PRED_MINUTES, PRED_PRA, *quantile_columns(quantiles),
            "baseline_L10_PRA", "baseline_L10_MIN", "baseline_season_PRA", "pred_PRA_single", "fold",
            "line", "line_source", "odds_over", "odds_under", "close_line", "p_over", "p_under"]


#: The predictions table's columns at the default quantiles.
PREDICTION_COLUMNS = prediction_columns()


@dataclass
class BacktestConfig:
    """Everything that defines a walk-forward backtest (logged as run params later)."""

    test_season: str
    refit_every: int = 7
    train_window_days: int = DEFAULT_TRAIN_WINDOW_DAYS
    backend: str = DEFAULT_BACKEND
    feature_set: str = "full"
    minutes_params: dict = field(default_factory=dict)
    pra_params: dict = field(default_factory=dict)
    stage2_target: str = "pra"
    n_folds: int = 2
    seed: int = 0
    min_edge: float = 0.03
    availability: str = "observed"
    n_seeds: int = 1
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    #: Cores to use: refits run this many side by side, one booster thread each (a single refit gets
    #: them all). Two tuning workers on two cores take 1 each.
    n_jobs: int = 2
    #: Score the two-stage point predictions only: no single-stage booster beside each refit, no
    #: predictive distribution (stage 2's out-of-fold fits skipped), so no coverage, P(over) or
    #: bets. A tuning trial, judged on the two-stage MAE, needs nothing else: 3 of a refit's 7 fits.
    point_only: bool = False

    @property
    def features(self) -> FeatureSet:
        """The feature set this configuration trains on (its scenario's version: see
        :data:`~mlflow_nbaprops.features.registry.SCENARIO_VERSIONS`)."""
        return scenario_feature_set(self.feature_set, self.availability)

    def scenario_text(self) -> str:
        """``availability lineups: tonight's inactive lists, ...``: what the run knew of tonight."""
        return f"availability {self.availability}: {SCENARIOS[self.availability].known}"

    def estimator(self) -> TwoStageRegressor:
        return TwoStageRegressor(
            backend=self.backend, minutes_params=self.minutes_params or None, pra_params=self.pra_params or None,
            stage2_target=self.stage2_target, n_folds=self.n_folds, random_state=self.seed, n_seeds=self.n_seeds,
            quantiles=self.quantiles, n_jobs=self.n_jobs, calibrate=not self.point_only,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BacktestResult:
    """Predictions (one row per predicted player-game), per-fold numbers and metrics."""

    config: BacktestConfig
    predictions: pd.DataFrame
    folds: pd.DataFrame
    metrics: dict[str, float]
    segments: pd.DataFrame
    reliability: pd.DataFrame
    bets: pd.DataFrame
    line_source: str
    model: TwoStageRegressor | None
    seconds: float
    market: MarketReport | None = None  # against the real books' lines (``lines`` given)

    def summary(self) -> str:
        m = self.metrics
        lines = [
            f"walk-forward backtest, season {self.config.test_season}: {int(m['n_predictions']):,} player-games, "
            f"{len(self.folds)} refits every {self.config.refit_every} days, backend {self.config.backend}, "
            f"feature set {self.config.feature_set} {self.config.features.version} ({self.seconds:.0f} s)",
            self.config.scenario_text(),
            "",
            f"{'model':<28}{'PRA MAE':>9}{'RMSE':>8}{'R2':>7}{'<=3':>7}{'<=5':>7}{'<=10':>7}",
        ]
        for name, prefix in [("two-stage", "pra_"), ("single-stage", "single_pra_"),
                             ("previous-10 mean (baseline)", "l10_pra_"), ("season-to-date mean", "season_pra_")]:
            if prefix + "mae" not in m:  # no single-stage booster fitted
                continue
            lines.append(
                f"{name:<28}{m[prefix + 'mae']:>9.3f}{m[prefix + 'rmse']:>8.3f}{m[prefix + 'r2']:>7.3f}"
                f"{m[prefix + 'within_3']:>7.3f}{m[prefix + 'within_5']:>7.3f}{m[prefix + 'within_10']:>7.3f}"
            )
        if m.get("n_unpredicted", 0):
            lines.append(f"({int(m['n_unpredicted']):,} eligible player-games not predicted: their refit had fewer "
                         f"than {MIN_TRAIN_ROWS:,} earlier player-games to train on)")
        lines += [
            "",
            f"minutes MAE {m['min_mae']:.3f} (R2 {m['min_r2']:.3f}) vs previous-10 mean {m['l10_min_mae']:.3f}",
            f"two-stage vs previous-10: {m['vs_l10_pct']:+.2f}%"
            + (f"   vs single-stage: {m['vs_single_pct']:+.2f}%" if "vs_single_pct" in m else ""),
        ]
        out, full = (m.get(f"seg_teammates_{k}_mae") for k in ("a_rotation_teammate_out", "full_strength"))
        if out is not None and full is not None:
            share = float((self.predictions["team_out_n"] > 0).mean())
            lines.append(f"PRA MAE with a rotation teammate out (observed in the logs; {share:.0%} of rows) {out:.3f}, "
                         f"at full strength {full:.3f}")
        changed, same = (m.get(f"seg_lineup_{k}_mae") for k in ("changed", "as_usual"))
        if changed is not None and same is not None:
            share = float((self.predictions["lineup"] == "changed").mean())
            lines.append(f"PRA MAE where his team or the opponent changed its starting lineup ({share:.0%} of rows) "
                         f"{changed:.3f}, lineups as usual {same:.3f}")
        if "brier" not in m:  # point_only
            lines.append("point predictions only: no predictive distribution, coverage or bets")
            return "\n".join(lines)
        lines.append(f"{coverage_text(m)}; P(over) calibration error {m['calibration_error']:.4f}, "
                     f"Brier {m['brier']:.4f}")
        label = "PROXY lines (previous-10 mean rounded to .5 at -110; no real lines in the data)" \
            if self.line_source == "proxy" else "bookmaker lines from the data"
        if m.get("bets", 0):
            lines.append(
                f"betting vs {label}: {int(m['bets'])} bets, ROI {m['roi']:+.3%}, win rate {m['win_rate']:.3f}, "
                f"Sharpe {m['sharpe']:.2f}, max drawdown {m['max_drawdown']:.1f}u, Kelly {m['kelly_fraction']:.3f}"
                + (f", CLV {m['clv']:+.3f}" if "clv" in m else "")
            )
        else:
            lines.append(f"betting vs {label}: no bets cleared the edge threshold")
        if self.market is not None:
            lines += ["", self.market.summary()]
        return "\n".join(lines)


def walk_forward(frame: pd.DataFrame, config: BacktestConfig, progress: bool = True,
                 features: pd.DataFrame | None = None,
                 on_fold: Callable[[int, int, float], None] | None = None, news=None, lines=None,
                 book: str | None = None, predict_features: pd.DataFrame | None = None) -> BacktestResult:
    """Run the walk-forward backtest of ``config`` on canonical game logs ``frame`` (and ``news``,
    :class:`~mlflow_nbaprops.data.news.News`, which the ``inactive`` and ``lineups`` scenarios read).

    ``lines`` (:class:`~mlflow_nbaprops.data.lines.Lines`, the books' props) adds the market report
    (:mod:`~mlflow_nbaprops.evaluation.market`) on the predicted player-games they priced; ``book``
    is the book its chosen-book figures use.

    ``features``: :func:`backtest_features` computed already (several backtests of one frame and one
    absence source share it). ``predict_features``: a what-if, the same columns computed otherwise,
    which the predictions read while every fit reads ``features`` (the ``inactive`` model scored with
    the 5:30 PM injury report as its lists, as a 5:30 PM run of ``daily`` would score it). ``on_fold(fold, n_folds, running_mae)`` is called after each refit's
    predictions with the PRA MAE of every prediction so far; an exception it raises (a tuner
    pruning a poor configuration) stops the backtest and propagates.
    """
    started = time.perf_counter()
    fs = config.features
    frame = frame.reset_index(drop=True)
    if config.test_season not in set(frame["SEASON"]):
        raise ValueError(f"test season {config.test_season!r} is not in the data "
                         f"(seasons: {', '.join(sorted(frame['SEASON'].unique()))})")
    check_news(config, news)
    if features is None:
        features = backtest_features(frame, fs, news)
    elif len(features) != len(frame):
        raise ValueError(f"features has {len(features)} rows but the frame {len(frame)}: build them from this frame")
    X_all = features[fs.names]
    if predict_features is not None and len(predict_features) != len(frame):
        raise ValueError(f"predict_features has {len(predict_features)} rows but the frame {len(frame)}")
    X_scored = X_all if predict_features is None else predict_features[fs.names]
    pra = schema.pra(frame).to_numpy(dtype=float)
    minutes = frame["MIN"].to_numpy(dtype=float)
    dates = frame["GAME_DATE"]

    test = (frame["SEASON"] == config.test_season) & (frame["MIN"] > 0) & (features["games_season"] >= 1)
    if not test.any():
        raise ValueError(f"no predictable player-games in {config.test_season} (need MIN > 0 and an earlier game)")
    test_dates = np.sort(dates[test].unique())
    first = pd.Timestamp(test_dates[0])
    refits = pd.date_range(first, pd.Timestamp(test_dates[-1]), freq=f"{config.refit_every}D")
    has_history = features["games_career"] >= 1
    baselines = pd.DataFrame({
        "baseline_L10_PRA": lagged_mean(frame, ["PLAYER_ID", "SEASON"], pra, 10),
        "baseline_L10_MIN": lagged_mean(frame, ["PLAYER_ID", "SEASON"], minutes, 10),
        "baseline_season_PRA": lagged_mean(frame, ["PLAYER_ID", "SEASON"], pra, None),
    })
    lines_, line_source = _lines(frame, baselines["baseline_L10_PRA"])
    market = quotes = None
    if lines is not None and not config.point_only:
        market, quotes = _market_of(frame, lines, book)

    jobs: list[_Refit] = []
    unpredicted = 0
    for fold, start in enumerate(refits):
        end = start + pd.Timedelta(days=config.refit_every)
        predict_rows = test & (dates >= start) & (dates < end)
        if not predict_rows.any():
            continue
        train_rows = has_history & (dates < start) & (dates >= start - pd.Timedelta(days=config.train_window_days))
        if int(train_rows.sum()) < MIN_TRAIN_ROWS:
            unpredicted += int(predict_rows.sum())
            continue
        jobs.append(_Refit(fold, start, end, train_rows.to_numpy(), predict_rows.to_numpy()))
    if not jobs:
        raise ValueError(
            f"no refit had {MIN_TRAIN_ROWS:,} earlier player-games to train on (the data starts on "
            f"{dates.min():%Y-%m-%d}): add the seasons before {config.test_season} to the data")

    def refit(job: _Refit, threads: int) -> tuple[pd.DataFrame, TwoStageRegressor, pd.Series | None]:
        """One refit: fit on its training rows, predict its days (and the single-stage booster's
        forecast beside it, the model's P(over) at the books' lines)."""
        Xt, Xp = X_all[job.train_rows], X_scored[job.predict_rows]
        model = replace(config, n_jobs=threads).estimator().fit(
            Xt, np.c_[minutes[job.train_rows], pra[job.train_rows]], groups=dates[job.train_rows].to_numpy())
        dist = model.predict_distribution(
            Xp, lines=None if config.point_only else lines_.loc[job.predict_rows, "line"].to_numpy())
        quoted = None
        if market is not None:  # the model's P(over) at the consensus line and at every quote's line
            dist["p_model"] = _p_at(model, Xp, market["line"].reindex(Xp.index))
            priced = quotes[quotes["row"].isin(Xp.index)]
            if len(priced):
                quoted = pd.Series(_p_at(model, X_scored.loc[priced["row"]], priced["LINE_PRA"]), index=priced.index)
        dist["pred_PRA_single"] = np.nan
        if not config.point_only:
            single = make_booster(config.backend, config.pra_params, config.seed + 1, threads)
            single.fit(Xt, pra[job.train_rows])
            dist["pred_PRA_single"] = np.clip(stage_predict(single, Xp), 0, None)
        dist["fold"] = job.fold
        return dist, model, quoted

    predictions = []
    folds = []
    quote_probabilities = []
    errors_so_far: list[np.ndarray] = []
    model = None
    bar = _progress(len(refits), progress)
    bar.update(len(refits) - len(jobs))  # the refits with nothing to predict or too little to train on
    pool = _RefitPool(refit, jobs, config.n_jobs, backend_for(config.backend))
    interrupted = False
    try:
        for job, (dist, model, quoted) in zip(jobs, pool):
            predictions.append(dist)
            if quoted is not None:
                quote_probabilities.append(quoted)
            folds.append({"fold": job.fold, "start": job.start, "end": job.end - pd.Timedelta(days=1),
                          "n_train": int(job.train_rows.sum()), "n_predictions": int(job.predict_rows.sum())})
            bar.update(1)
            if on_fold is not None:
                errors_so_far.append(np.abs(dist["pred_PRA"].to_numpy() - pra[dist.index]))
                on_fold(job.fold, len(refits), float(np.concatenate(errors_so_far).mean()))
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        pool.close(wait=not interrupted)  # a pruned backtest (on_fold raised) starts no more refits
    bar.close()

    pred = pd.concat(predictions)
    out = frame.loc[pred.index, ["GAME_ID", "GAME_DATE", "SEASON", "PLAYER_ID", "PLAYER_NAME", "TEAM", "OPPONENT",
                                 "HOME", "MIN"]].copy()
    out["PRA"] = pra[pred.index]
    out = out.join(pred).join(baselines).join(lines_)
    out["back_to_back"] = features.loc[pred.index, "back_to_back"].to_numpy()
    out["team_out_n"] = features.loc[pred.index, "team_out_n_observed"].to_numpy()  # as the box score shows them
    new_starters = features.loc[pred.index, ["team_new_starters", "opp_new_starters"]]
    out["lineup"] = np.where(new_starters.isna().any(axis=1), "unknown",
                             np.where((new_starters > 0).any(axis=1), "changed", "as usual"))
    out = out.reset_index(drop=True)

    metrics, segments, table, bets = _evaluate(out, config)
    metrics["n_unpredicted"] = float(unpredicted)
    folds_frame = pd.DataFrame(folds)
    per_fold = out.groupby("fold").apply(
        lambda g: pd.Series({"mae": (g["PRA"] - g["pred_PRA"]).abs().mean(),
                             "l10_mae": (g["PRA"] - g["baseline_L10_PRA"]).abs().mean()}))
    folds_frame = folds_frame.merge(per_fold, left_on="fold", right_index=True, how="left")
    columns = [c for c in prediction_columns(model.quantiles) if c in out.columns]
    report = None
    if market is not None:
        quotes["p_model_quote"] = pd.concat(quote_probabilities) if quote_probabilities else np.nan
        report = market_report(out, market.drop(columns="row"), quotes.dropna(subset=["p_model_quote"]).drop(
            columns="row"), lines.note, min_ev=config.min_edge, book=book, seed=config.seed)
        out = out.drop(columns="p_model").merge(market[["GAME_ID", "PLAYER_ID", "line", "p_market"]].rename(
            columns={"line": "market_line"}), on=["GAME_ID", "PLAYER_ID"], how="left")
        columns += ["market_line", "p_market"]
        if len(report.rows):
            out = out.merge(report.rows[["GAME_ID", "PLAYER_ID", "p_aware"]], on=["GAME_ID", "PLAYER_ID"], how="left")
            columns.append("p_aware")
    return BacktestResult(config, out[columns + ["back_to_back", "team_out_n", "lineup"]],
                          folds_frame, metrics, segments, table, bets, line_source, model,
                          time.perf_counter() - started, report)


@dataclass(frozen=True)
class _Refit:
    """One refit of the walk-forward: its number, its first and (exclusive) last day, and the
    frame's rows it trains on and predicts."""

    fold: int
    start: pd.Timestamp
    end: pd.Timestamp
    train_rows: np.ndarray
    predict_rows: np.ndarray


class _RefitPool:
    """``refit(job, threads)`` of every job, its results in the jobs' order (iterate it once).

    With two or more cores to use (``n_jobs``, capped by ``NBAPROPS_MAX_THREADS``; <= 0: every
    core), the refits run side by side, one booster thread each: a booster's second thread makes
    a fit 1.8 times as fast, while two refits side by side get through nearly twice the work of
    one, so a weekly season takes ~15 % less (docs/benchmarks.md). The numbers are the same bit
    for bit: LightGBM and XGBoost give the same trees on one thread or two (tested).
    ``backend``'s library is set for that meanwhile
    (:meth:`~mlflow_nbaprops.model.backends.Backend.one_thread_each`).

    :meth:`close` ends it: the refits not started never start. The running ones are waited for
    (a tuner's pruned trial: the next trial gets the cores), except after Ctrl-C: the workers are
    daemon threads, so the interrupt is not held up by the refits under way.
    """

    def __init__(self, refit: Callable[[_Refit, int], tuple], jobs: list[_Refit], n_jobs: int,
                 backend: Backend) -> None:
        self.refit, self.jobs, self.n_jobs, self.backend = refit, jobs, n_jobs, backend
        cores = booster_threads(n_jobs)
        workers = min(cores if cores > 0 else os.cpu_count() or 1, len(jobs))
        # a user's own estimator threads as it likes: its refits run in turn
        self.workers = 1 if backend is FOREIGN else workers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._capped: contextlib.ExitStack | None = None
        self._left = 0
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[tuple]:
        if self.workers <= 1:  # in turn, in the consumer's thread: it stops by not asking for more
            for job in self.jobs:
                yield self.refit(job, self.n_jobs)
            return
        results = [Future() for _ in self.jobs]
        queue = list(enumerate(self.jobs))[::-1]  # popped from the end: in the jobs' order

        def work() -> None:
            try:
                while not self._stop.is_set():
                    with self._lock:
                        if not queue:
                            return
                        k, job = queue.pop()
                    try:
                        results[k].set_result(self.refit(job, 1))
                    except BaseException as exc:  # handed to the consumer, which re-raises it
                        results[k].set_exception(exc)
            finally:
                self._worker_done()

        self._capped = contextlib.ExitStack()
        self._capped.enter_context(self.backend.one_thread_each())
        self._left = self.workers
        self._threads = [threading.Thread(target=work, name=f"nbaprops-refit-{k}", daemon=True)
                         for k in range(self.workers)]
        for thread in self._threads:
            thread.start()
        for future in results:
            yield future.result()

    def _worker_done(self) -> None:
        """The last worker out lifts the library's one-thread setting (also after an abandon)."""
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last and self._capped is not None:
            self._capped.close()

    def close(self, wait: bool = True) -> None:
        """No refit starts from now on; ``wait``: return once the running ones have ended."""
        self._stop.set()
        if wait:
            for thread in self._threads:
                thread.join()


def _market_of(frame: pd.DataFrame, lines, book: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The market rows and the quotes of ``frame``'s player-games, each with its frame row (``row``)."""
    keys = ["GAME_ID", "PLAYER_ID"]
    at = pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame[keys]))
    market = lines.market(book)
    market["row"] = at.reindex(pd.MultiIndex.from_frame(market[keys])).to_numpy()
    market = market[market["row"].notna()].astype({"row": "int64"})
    quotes = lines.quotes.drop(columns=["GAME_DATE", "PLAYER_NAME"], errors="ignore")
    quotes = quotes.assign(row=at.reindex(pd.MultiIndex.from_frame(quotes[keys])).to_numpy())
    quotes = quotes[quotes["row"].notna()].astype({"row": "int64"}).reset_index(drop=True)
    return market.set_index("row", drop=False), quotes


def _p_at(model: TwoStageRegressor, X: pd.DataFrame, lines) -> np.ndarray:
    """The model's P(over) at ``lines`` (one per row of ``X``; NaN where there is none)."""
    values = np.asarray(lines, dtype=float)
    out = np.full(len(values), np.nan)
    ok = ~np.isnan(values)
    if ok.any():
        out[ok] = model.predict_distribution(X[ok], lines=values[ok])["p_over"].to_numpy()
    return out


def check_news(config: BacktestConfig, news) -> None:
    """A scenario that reads pre-game news needs the pregame lists (``ValueError`` saying so)."""
    if config.features.needs_news and (news is None or len(news.pregame) == 0):
        raise ValueError(f"availability {config.availability!r} reads pre-game news ({SCENARIOS[config.availability].known}): "
                         "give the pregame lists and game lines (--news PATH), or choose availability observed or none")
    if config.features.needs_reports and len(getattr(news, "reports", ())) == 0:
        raise ValueError(f"availability {config.availability!r} reads the league's injury reports "
                         f"({SCENARIOS[config.availability].known}): give their history (nbaprops data injuries) "
                         "with --news")


def backtest_features(frame: pd.DataFrame, fs: FeatureSet, news=None) -> pd.DataFrame:
    """Every feature of ``frame`` computed with ``fs``'s absence source (``news`` given), plus the
    segment columns: what :func:`walk_forward` reads. Backtests of sets with the same absence source
    share it (the builder computes every registered feature anyway)."""
    from mlflow_nbaprops.features import FEATURES

    names = tuple(name for name in FEATURES if name not in fs.names)
    return build_features(frame, fs, news=news, extra=(*names, *SEGMENT_COLUMNS))


class SharedFeatures:
    """One frame's :func:`backtest_features` for many backtests (a tuning study's trials): built once
    per absence source, on first use."""

    def __init__(self, frame: pd.DataFrame, news=None) -> None:
        self.frame, self.news = frame, news
        self._built: dict[str, pd.DataFrame] = {}

    def __call__(self, fs: FeatureSet) -> pd.DataFrame:
        if fs.absences not in self._built:
            self._built[fs.absences] = backtest_features(self.frame, fs, self.news)
        return self._built[fs.absences]


def _lines(frame: pd.DataFrame, l10: pd.Series) -> tuple[pd.DataFrame, str]:
    """Bookmaker lines from the data where it has them; else the clearly labelled proxy line
    (previous-10 mean rounded to .5, at -110 both ways)."""
    if "LINE_PRA" in frame.columns and frame["LINE_PRA"].notna().any():
        lines = pd.DataFrame({
            "line": frame["LINE_PRA"],
            "odds_over": frame["ODDS_OVER"] if "ODDS_OVER" in frame else -110.0,
            "odds_under": frame["ODDS_UNDER"] if "ODDS_UNDER" in frame else -110.0,
            "close_line": frame["CLOSE_LINE_PRA"] if "CLOSE_LINE_PRA" in frame else np.nan,
        })
        source = "bookmaker"
    else:
        lines = pd.DataFrame({"line": np.floor(l10) + 0.5, "odds_over": -110.0, "odds_under": -110.0,
                              "close_line": np.nan}, index=frame.index)
        source = "proxy"
    lines["line_source"] = np.where(lines["line"].notna(), source, "")
    return lines, source


def _evaluate(out: pd.DataFrame, config: BacktestConfig):
    m: dict[str, float] = {"n_predictions": float(len(out))}
    m.update(regression_metrics(out["PRA"], out["pred_PRA"], "pra_"))
    m.update(regression_metrics(out["PRA"], out["pred_PRA_single"], "single_pra_"))
    m.update(regression_metrics(out["PRA"], out["baseline_L10_PRA"], "l10_pra_"))
    m.update(regression_metrics(out["PRA"], out["baseline_season_PRA"], "season_pra_"))
    m.update(regression_metrics(out["MIN"], out["pred_MIN"], "min_"))
    m.update(regression_metrics(out["MIN"], out["baseline_L10_MIN"], "l10_min_"))
    m["vs_l10_pct"] = 100.0 * (m["pra_mae"] - m["l10_pra_mae"]) / m["l10_pra_mae"]
    if "single_pra_mae" in m:
        m["vs_single_pct"] = 100.0 * (m["pra_mae"] - m["single_pra_mae"]) / m["single_pra_mae"]
    m["vs_season_pct"] = 100.0 * (m["pra_mae"] - m["season_pra_mae"]) / m["season_pra_mae"]
    m.update(interval_coverage(out))
    if "p_over" in out:
        bet_metrics, bets = betting_simulation(out, min_edge=config.min_edge)
        m.update(bet_metrics)
        table, _ = reliability(out["p_over"], (out["PRA"] > out["line"]).astype(float))
    else:  # point_only: no predictive distribution, so no probabilities to bet or calibrate
        bets, table = pd.DataFrame(), pd.DataFrame()

    tier = pd.cut(out["baseline_L10_MIN"], [-1, 15, 28, 100], labels=["bench (<15)", "rotation (15-28)", "starter (28+)"])
    segments = {
        "tier": tier.astype(str),
        "home": out["HOME"].map({True: "home", False: "away"}),
        "back_to_back": out["back_to_back"].map({1.0: "yes", 0.0: "no"}).fillna("no"),
        "month": out["GAME_DATE"].dt.strftime("%Y-%m"),
        # the same split in every scenario (absences observed in the logs), so they compare row for row
        "teammates": np.where(out["team_out_n"] > 0, "a rotation teammate out", "full strength"),
        "season": out["SEASON"],
    }
    if (out["lineup"] != "unknown").any():  # (the news gives the lineups: the same split in every scenario)
        segments["lineup"] = out["lineup"]
    edge = np.abs(out["pred_PRA"] - out["line"])
    segments["edge"] = pd.cut(edge, [-0.01, 1, 2, 4, 100], labels=["0-1", "1-2", "2-4", "4+"]).astype(str)
    seg = segment_table(out, {"model": "pred_PRA", "l10": "baseline_L10_PRA", "single": "pred_PRA_single"}, segments)
    for row in seg.itertuples(index=False):
        m[f"seg_{row.segment}_{_slug(row.value)}_mae"] = row.mae_model
    return m, seg, table, bets


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text)).strip("_").lower()


def _progress(total: int, enabled: bool):
    """A progress bar with an ETA on a terminal; elsewhere (``mlflow run``, CI logs, a pipe) one
    plain line about every 10 % of the refits, so the log stays readable."""
    import sys

    from tqdm.auto import tqdm

    if not enabled or sys.stderr.isatty():
        return tqdm(total=total, desc="walk-forward refits", unit="refit", disable=not enabled, leave=False)
    return _LineProgress(total)


class _LineProgress:
    """``tqdm``'s ``update``/``close`` as plain lines: refits done, elapsed, estimated time left."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started, self.shown = max(total, 1), 0, time.perf_counter(), 0

    def update(self, n: int = 1) -> None:
        import sys

        self.done += n
        if self.done * 10 // self.total > self.shown * 10 // self.total or self.done == self.total:
            self.shown = self.done
            elapsed = time.perf_counter() - self.started
            left = elapsed / self.done * (self.total - self.done)
            print(f"walk-forward refits: {self.done}/{self.total}, {elapsed:.0f} s elapsed, about {left:.0f} s left",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        pass
