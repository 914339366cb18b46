"""The packaged predictor: a fitted two-stage regressor, its feature set and a history
snapshot, answering today's slate (or ready-made feature rows) directly.

This is what the ``nbaprops`` MLflow flavor saves and loads; it knows nothing of MLflow.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import content_digest, schema
from mlflow_nbaprops.data.lines import vig_free_over
from mlflow_nbaprops.errors import DataValidationError
from mlflow_nbaprops.features import (
    ABSENCE_COLUMNS,
    AVAILABILITY_TIER,
    TARGET_COLUMNS,
    FeatureSet,
    build_features,
    get_feature_set,
    scenario_feature_set,
)
from mlflow_nbaprops.features.registry import LINEUP_TIER, MARKET_TIER, SCENARIO_VERSIONS
from mlflow_nbaprops.features.snapshot import DEFAULT_SNAPSHOT_DAYS, Extension, HistorySnapshot
from mlflow_nbaprops.model.market import MarketCalibration, design, expected_value
from mlflow_nbaprops.model.quantiles import LEVELS, PRED_MINUTES, PRED_PRA, output_columns, summarize_quantile_grid
from mlflow_nbaprops.model.two_stage import TwoStageRegressor

#: Optional slate column: the PRA line, for P(over) / P(under).
LINE_COLUMN = "LINE"
#: The flags after the numeric answer: an unknown player (the debut prior answered), what to know
#: about the row, and which model answered it (the scenario it was trained in: a ``lineups`` model
#: answers a row without an announced lineup with its ``inactive`` model; ``prior``, ``not playing``).
FLAG_COLUMNS = ["unknown_player", "warning", "answered_by"]
#: With a line and its prices: the model's own P(over) (``p_over`` is then the market-aware one, where
#: the model carries a market calibration) and the expected value per unit of each side at its price.
MARKET_COLUMNS = ["p_over_model", "ev_over", "ev_under"]
#: The numeric part of the answer at the default quantiles (p_over / p_under are NaN where no line
#: was given); a predictor's own is :attr:`PropsPredictor.numeric_columns`.
NUMERIC_OUTPUT_COLUMNS = [*output_columns(), *MARKET_COLUMNS]
#: What ``predict`` returns, in order, at the default quantiles (:attr:`PropsPredictor.output_columns`).
OUTPUT_COLUMNS = [*NUMERIC_OUTPUT_COLUMNS, *FLAG_COLUMNS]
#: A slate date this many days past the data cutoff gets a staleness warning.
STALE_AFTER_DAYS = 30
#: A team lists at least 8 dressed players for a game (the league's minimum): fewer on a slate is a
#: partial slate, and a model reading the dressed roster (``roster_n``) says so.
MIN_DRESSED = 8
ROSTER_FEATURE = "roster_n"
#: Optional slate columns: tonight's announced lineup (1: he starts, 0: he does not, empty: not
#: announced), his team's point spread (negative: favoured) and the game's total.
STARTER_COLUMN, SPREAD_COLUMN, TOTAL_COLUMN = "STARTER", "SPREAD", "TOTAL"
#: Slate columns (all cells bounded to MAX_TEXT characters before parsing).
SLATE_COLUMNS = ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "LINE", "MIN_PROJ", "STATUS", STARTER_COLUMN,
                 SPREAD_COLUMN, TOTAL_COLUMN, "ODDS_OVER", "ODDS_UNDER"]
MAX_TEXT = 32
#: Characters of a bad value quoted back in an error.
ECHO = 40
#: Game dates accepted (a typo'd year gets a message, not pandas' out-of-bounds error).
MIN_YEAR, MAX_YEAR = 1946, 2100
#: Distinct game dates one slate may cover: each new date costs its night state (1-3 s, twice for a
#: lineups model with its inactive fallback); a request of a thousand dates tied a server worker up for
#: minutes, and 31 cold dates would still outlast the server's 60 s timeout. A week of nights at most.
MAX_SLATE_DATES = 7
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]*(Z|[+-]\d{2}:?\d{2})?)?$")
#: Optional input column: the caller's own minutes projection (news the box scores cannot
#: know: a starter ruled out, a minutes limit). Where given, it replaces stage 1's minutes.
MINUTES_COLUMN = "MIN_PROJ"
#: Optional slate column: the player's status on tonight's injury report. OUT and DOUBTFUL mean
#: he does not play: he gets no forecast, and his teammates' and opponents' availability
#: features count him out. QUESTIONABLE, PROBABLE and AVAILABLE mean he plays; empty means no
#: news. A team none of whose rows carries a status is taken at full strength, with a warning.
STATUS_COLUMN = "STATUS"
STATUS_OUT = {"OUT": True, "DOUBTFUL": True, "INACTIVE": True, "QUESTIONABLE": False, "PROBABLE": False,
              "AVAILABLE": False}
NOT_PLAYING = "not playing"
#: The highest PRA line accepted (the record PRA game is about 100).
MAX_LINE = 150.0
#: Optional slate columns: the prices of the line (American odds), for EV and the market-aware P(over).
ODDS_COLUMNS = ("ODDS_OVER", "ODDS_UNDER")
#: Optional numeric input columns: what a value must be, and its bounds.
OPTIONAL_NUMBERS = {LINE_COLUMN: ("a number", 0.0, MAX_LINE),
                    MINUTES_COLUMN: ("a number of minutes", 0.0, schema.MAX_MINUTES),
                    SPREAD_COLUMN: ("a point spread", -schema.MAX_ABS_SPREAD, schema.MAX_ABS_SPREAD),
                    TOTAL_COLUMN: ("a game total", *schema.TOTAL_RANGE)}
#: The words ``STARTER`` is read from (and empty: not announced).
STARTER_WORDS = {**dict.fromkeys(("1", "1.0", "true", "t", "yes", "y"), 1.0),
                 **dict.fromkeys(("0", "0.0", "false", "f", "no", "n"), 0.0)}

#: Days of history a model trains on. Chosen on 2022-23 (walk-forward, monthly screening; never
#: 2023-24): 1,100 days -> 1,500 cut PRA MAE 5.938 -> 5.921 and minutes MAE 4.830 -> 4.816;
#: 2,200 days gained 0.004 more at 1.5x the fit time, past the 5-minute backtest budget.
DEFAULT_TRAIN_WINDOW_DAYS = 1500


@dataclass
class PropsPredictor:
    """A fitted :class:`TwoStageRegressor` plus what it needs to featurize a slate."""

    regressor: TwoStageRegressor
    feature_set: FeatureSet
    snapshot: HistorySnapshot
    info: dict[str, Any] = field(default_factory=dict)  # training date range, rows, data version…
    #: the model of the scenario with less news, for rows that lack this one's (a ``lineups`` model:
    #: rows without an announced lineup), fitted on the same rows; its set's features are a subset
    fallback: TwoStageRegressor | None = None
    fallback_set: FeatureSet | None = None
    #: the market-aware P(over) (fitted on graded rows with a real line), used where a row has a line and prices
    market: MarketCalibration | None = None

    def __post_init__(self) -> None:
        if (self.fallback is None) != (self.fallback_set is None):
            raise ValueError("a fallback model needs its feature set, and a fallback feature set its model")
        if self.fallback_set is not None:
            extra = [n for n in self.fallback_set.names if n not in self.feature_set.names]
            if extra or self.fallback_set.absences != self.feature_set.absences:
                raise ValueError(f"the fallback set {self.fallback_set.name} {self.fallback_set.version} must be a "
                                 f"subset of {self.feature_set.name} {self.feature_set.version} with its absences "
                                 f"({', '.join(extra[:5]) or 'another absence source'})")

    def build_ahead(self) -> threading.Thread:
        """Start building the state of the night after the history (tonight, for a model refreshed
        with last night's games) on a background thread: the first request of the night, served,
        then finds it built instead of paying about a second for it."""
        return self.snapshot.build_ahead(self.feature_set)

    @property
    def scenario(self) -> str:
        """The scenario the model was trained in (what it reads of tonight)."""
        return str(self.info.get("scenario") or scenario_of(self.feature_set))

    @property
    def fallback_scenario(self) -> str | None:
        return None if self.fallback_set is None else scenario_of(self.fallback_set)

    @classmethod
    def train(
        cls,
        history: pd.DataFrame,
        regressor: TwoStageRegressor | None = None,
        feature_set: str | FeatureSet | None = None,
        train_window_days: int = DEFAULT_TRAIN_WINDOW_DAYS,
        snapshot_days: int = DEFAULT_SNAPSHOT_DAYS,
        info: dict[str, Any] | None = None,
        as_of: pd.Timestamp | str | None = None,
        news=None,
        fallback: tuple[TwoStageRegressor, FeatureSet] | None = None,
    ) -> "PropsPredictor":
        """Fit on every player-game of canonical ``history`` that has an earlier game and lies
        within ``train_window_days`` before ``as_of`` (default: the day after the last game),
        and snapshot the history for slate predictions. A walk-forward refit on date D is
        ``train(history before D, as_of=D)``: the same rows, in the same order.

        ``news`` (:class:`~mlflow_nbaprops.data.news.News`) is what a news feature set reads (the
        snapshot keeps the held games' pregame lists); ``fallback`` (a regressor and a subset of
        the set) is fitted on the same rows, to answer slate rows that lack the set's tonight news.
        ``feature_set`` None: ``full`` in the ``lineups`` scenario with news, else ``observed``."""
        if feature_set is None:
            has_news = news is not None and len(news.pregame) > 0
            feature_set = scenario_feature_set("full", "lineups" if has_news else "observed")
        fs = get_feature_set(feature_set) if isinstance(feature_set, str) else feature_set
        if fs.needs_news and (news is None or len(news.pregame) == 0):
            raise ValueError(f"feature set {fs.name} {fs.version} reads pre-game news: give the pregame lists (news)")
        if fs.needs_reports and len(getattr(news, "reports", ())) == 0:
            raise ValueError(f"feature set {fs.name} {fs.version} reads the league's injury reports: give their history "
                             "(nbaprops data injuries) with the news")
        history = history.reset_index(drop=True)
        features = build_features(history, fs, news=news)
        last = history["GAME_DATE"].max()
        as_of = pd.Timestamp(as_of) if as_of is not None else last + pd.Timedelta(days=1)
        if as_of <= last:
            raise ValueError(f"as_of {as_of:%Y-%m-%d} must be after the history's last game ({last:%Y-%m-%d})")
        rows = (features["games_career"] >= 1) & (history["GAME_DATE"] >= as_of - pd.Timedelta(days=train_window_days))
        if not rows.any():
            raise ValueError("no training rows: every player-game lacks an earlier game in the window")
        regressor = regressor if regressor is not None else TwoStageRegressor()
        y = np.c_[history.loc[rows, "MIN"].to_numpy(float), schema.pra(history.loc[rows]).to_numpy(float)]
        regressor.fit(features.loc[rows, list(fs.names)], y, groups=history.loc[rows, "GAME_DATE"].to_numpy())
        if fallback is not None:
            fallback[0].fit(features.loc[rows, list(fallback[1].names)], y, groups=history.loc[rows, "GAME_DATE"].to_numpy())
        # debuts: first games of players new to the data after its first year (earlier "first
        # games" are veterans the data simply starts with)
        first = features["games_career"] == 0
        debut = first & (history["GAME_DATE"] >= history["GAME_DATE"].min() + pd.Timedelta(days=365))
        debut = debut if debut.any() else first
        prior = _debut_prior(history.loc[debut])
        used = history.loc[rows, "GAME_DATE"]
        meta = {"train_start": used.min().date().isoformat(), "train_end": used.max().date().isoformat(),
                "train_rows": int(rows.sum()), "train_window_days": int(train_window_days), "prior": prior,
                **(info or {})}
        if "data_version" not in meta:  # callers that loaded the data usually know it already
            meta["data_version"] = content_digest(history)
        if fs.needs_news:
            meta.setdefault("news_version", news.version.digest)
        meta.setdefault("scenario", scenario_of(fs))
        snapshot = HistorySnapshot.from_history(history, snapshot_days, news=news if fs.needs_news else None)
        return cls(regressor, fs, snapshot, meta, *(fallback or (None, None)))

    def refreshed(self, games: pd.DataFrame, data_version: str | None = None,
                  accept_corrections: bool = False, news=None) -> tuple["PropsPredictor", Extension]:
        """The same fitted stages with the history snapshot extended by canonical game logs
        ``games`` (and ``news``' pregame lists for a model that reads them; see
        :meth:`HistorySnapshot.extend`): features current to the new games, no refit."""
        snapshot, extension = self.snapshot.extend(games, accept_corrections=accept_corrections, news=news)
        if snapshot is self.snapshot:
            return self, extension
        info = dict(self.info)
        info["refresh_count"] = int(info.get("refresh_count", 0)) + 1
        info["last_refresh"] = {
            "data_version": data_version or content_digest(games), "new_rows": extension.new_rows,
            "first_date": extension.first_date.date().isoformat() if extension.first_date is not None else None,
            "last_date": extension.last_date.date().isoformat() if extension.last_date is not None else None,
            "corrected": len(extension.corrected), "snapshot_cutoff": snapshot.cutoff.date().isoformat()}
        if self.snapshot.news is not None:
            info["last_refresh"].update({"news_version": news.version.digest if news is not None else None,
                                         "games_without_news": len(extension.games_without_news)})
        return PropsPredictor(self.regressor, self.feature_set, snapshot, info, self.fallback,
                              self.fallback_set, self.market), extension

    def baselines(self, targets: pd.DataFrame) -> pd.DataFrame:
        """The previous-10 means (PRA and minutes, within the season) of validated slate
        ``targets``, as the backtest computes them: what the model must beat on the same rows."""
        rows = self.snapshot.rows
        means = self.snapshot.recent_means(targets, {"baseline_L10_PRA": schema.pra(rows).to_numpy(float),
                                                     "baseline_L10_MIN": rows["MIN"].to_numpy(float)})
        return means.set_axis(targets.index)

    @property
    def numeric_columns(self) -> list[str]:
        """The numeric part of this predictor's answer (its regressor's quantiles named)."""
        return [*output_columns(self.regressor.quantiles), *MARKET_COLUMNS]

    @property
    def output_columns(self) -> list[str]:
        """What :meth:`predict` returns, in order."""
        return [*self.numeric_columns, *FLAG_COLUMNS]

    # ------------------------------------------------------------------ predicting

    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        """Slate rows (PLAYER_ID, GAME_DATE, TEAM, OPPONENT, HOME[, LINE][, MIN_PROJ]) or feature
        rows in, :attr:`output_columns` out (one row per input row, same index)."""
        if not isinstance(data, pd.DataFrame):
            raise DataValidationError("input must be a table (pandas DataFrame) of slate or feature rows")
        if len(data) == 0:
            raise DataValidationError("input has no rows")
        if all(name in data.columns for name in self.feature_set.names):
            return self.predict_features(data)
        return self.predict_slate(data)

    def predict_features(self, data: pd.DataFrame) -> pd.DataFrame:
        """Rows that already hold every feature column (extra columns are ignored)."""
        X = _numeric(data, list(self.feature_set.names))
        lines = _optional_number(data, LINE_COLUMN) if LINE_COLUMN in data else None
        minutes = _optional_number(data, MINUTES_COLUMN) if MINUTES_COLUMN in data else None
        out = self._answer(X, lines, minutes, np.zeros(len(X), dtype=bool), np.full(len(X), "", dtype=object),
                           data.index)
        return self._priced(out, lines, _odds(data))

    def _rows_without_news(self, X: pd.DataFrame) -> np.ndarray:
        """Rows this model's tonight news is missing for: no announced lineup (its ``lineup`` tier
        unknown). They go to the fallback model where there is one."""
        lineup = self.feature_set.tiers()[LINEUP_TIER]
        if not lineup:
            return np.zeros(len(X), dtype=bool)
        return X[lineup[0]].isna().to_numpy()

    def predict_slate(self, slate: pd.DataFrame) -> pd.DataFrame:
        """Upcoming games: features from the snapshot, then the two-stage prediction.

        Players whose ``STATUS`` rules them out, or whose ``MIN_PROJ`` is 0, get an explicit
        not-playing row (zeros, no P(over), a warning) and count as absent for their teammates
        and opponents.
        """
        targets = validate_slate(slate)
        teams = set(targets["TEAM"]) | set(targets["OPPONENT"])
        if not teams & self.snapshot.teams:
            shown = ", ".join(sorted(teams)[:8]) + (" ..." if len(teams) > 8 else "")
            raise DataValidationError(f"column TEAM: none of the slate's teams ({shown}) is a team of the model's "
                                      f"history ({', '.join(sorted(self.snapshot.teams)[:8])} ...): another league, "
                                      "or another model?")
        by_status = targets["OUT"].eq(True).to_numpy() if "OUT" in targets else np.zeros(len(targets), dtype=bool)
        by_minutes = (targets[MINUTES_COLUMN] == 0).to_numpy() if MINUTES_COLUMN in targets else np.zeros_like(by_status)
        out_tonight = by_status | by_minutes
        absences = targets.loc[out_tonight, ABSENCE_COLUMNS]
        X = self.snapshot.features(targets, self.feature_set, absences, keys=False)
        lines = targets[LINE_COLUMN] if LINE_COLUMN in targets else None
        minutes = targets[MINUTES_COLUMN] if MINUTES_COLUMN in targets else None
        unknown = ~self.snapshot.knows(targets["PLAYER_ID"])
        warning = self._date_warnings(targets["GAME_DATE"])
        prior = "player not in the model's history: prior prediction"
        if minutes is not None:
            prior += f" ({MINUTES_COLUMN} not used)"
        _append(warning, np.where(unknown, prior, ""))
        if self.feature_set.tiers()[AVAILABILITY_TIER]:
            _append(warning, _no_news(targets))
        if ROSTER_FEATURE in self.feature_set.names:
            _append(warning, _thin_roster(targets, out_tonight))
        _append(warning, self._team_warnings(targets, unknown))
        void = "no forecast (a prop on him is void)"
        _append(warning, np.where(by_status, f"{NOT_PLAYING}: {STATUS_COLUMN} rules him out, {void}", ""))
        _append(warning, np.where(by_minutes & ~by_status, f"{NOT_PLAYING}: {MINUTES_COLUMN} is 0, {void}", ""))
        without = self._rows_without_news(X) & ~out_tonight & ~unknown
        if without.any():
            _append(warning, np.where(without, self._lineup_warning(targets), ""))
        out = self._answer(X, lines, minutes, unknown, warning, slate.index)
        if without.any() and self.fallback is not None:
            index = np.flatnonzero(without)
            part = self._answer(X.iloc[index][list(self.fallback_set.names)],
                                None if lines is None else lines.iloc[index],
                                None if minutes is None else minutes.iloc[index], unknown[index], warning[index],
                                slate.index[index], self.fallback, self.fallback_scenario)
            out.iloc[index, [out.columns.get_loc(c) for c in part.columns]] = part.to_numpy()
        if unknown.any():
            out.loc[unknown, self.numeric_columns] = self._prior_answer(lines, unknown)
            out.loc[unknown, "answered_by"] = "prior"
        out = self._priced(out, lines, _odds(targets))
        if out_tonight.any():
            out.loc[out_tonight, self.numeric_columns] = 0.0
            out.loc[out_tonight, ["p_over", "p_under", *MARKET_COLUMNS]] = np.nan
            out.loc[out_tonight, "answered_by"] = NOT_PLAYING
        return out

    def _priced(self, out: pd.DataFrame, lines: pd.Series | None, odds: dict[str, np.ndarray]) -> pd.DataFrame:
        """With a line: ``p_over_model`` (the model's own); with both prices, ``p_over`` becomes the
        market-aware P(over) (where the model carries a calibration) and each side gets its EV."""
        out["p_over_model"] = out["p_over"]
        if lines is None or not odds:
            return out
        line = lines.to_numpy(dtype=float)
        over, under = odds.get("ODDS_OVER", np.full(len(out), np.nan)), odds.get("ODDS_UNDER", np.full(len(out), np.nan))
        priced = ~np.isnan(line) & ~np.isnan(over) & ~np.isnan(under) & out["p_over"].notna().to_numpy()
        if self.market is not None and priced.any():
            X = design(out["pred_PRA_q50"], out["pred_PRA_q10"], out["pred_PRA_q90"], line, out["p_over_model"],
                       vig_free_over(over, under))
            aware = self.market.predict(X[priced])
            out.loc[out.index[priced], "p_over"] = aware
            out.loc[out.index[priced], "p_under"] = 1.0 - aware
        out["ev_over"] = np.where(np.isnan(over), np.nan, expected_value(out["p_over"].to_numpy(float), over))
        out["ev_under"] = np.where(np.isnan(under), np.nan, expected_value(out["p_under"].to_numpy(float), under))
        return out

    def _lineup_warning(self, targets: pd.DataFrame) -> np.ndarray:
        """Per row: which model answers a row whose team has no complete lineup, and why."""
        given = targets[STARTER_COLUMN].eq(1) if STARTER_COLUMN in targets else pd.Series(False, index=targets.index)
        starters = given.groupby([targets["TEAM"], targets["GAME_DATE"]]).transform("sum").to_numpy()
        if self.fallback is None:
            answer = f"answered by the {self.scenario} model with its lineup features missing (no fallback model)"
        else:
            read = "; SPREAD and TOTAL are not read without it" if self.feature_set.tiers()[MARKET_TIER] else ""
            answer = f"answered by the {self.fallback_scenario} model{read}"
        return np.array([f"no lineup announced for TEAM ({int(n)} of 5 starters given): {answer}" for n in starters],
                        dtype=object)

    def _team_warnings(self, targets: pd.DataFrame, unknown: np.ndarray) -> np.ndarray:
        """A team the model's history does not know (a typo, another league) gets an answer
        from league-average team numbers, and a known player listed for a team he has not
        played for (traded) keeps his own history: say so."""
        teams = self.snapshot.teams
        text = np.full(len(targets), "", dtype=object)
        for i, (team, opponent) in enumerate(zip(targets["TEAM"], targets["OPPONENT"])):
            strange = [f"{role} {name!r}" for role, name in (("TEAM", team), ("OPPONENT", opponent))
                       if name not in teams]
            if strange:
                text[i] = (f"{' and '.join(strange)} not a team in the model's history: its team features are "
                           "unknown (a typo?)")
        played = self.snapshot.played_for(targets["PLAYER_ID"], targets["TEAM"])
        moved = ~played & ~unknown & targets["TEAM"].isin(teams).to_numpy()
        _append(text, np.where(moved, "player has not played for TEAM in the model's history (traded?): his own "
                               "history is used with his new team's", ""))
        return text

    def _prior_answer(self, lines: pd.Series | None, rows: np.ndarray) -> np.ndarray:
        """The debut prior for players the model has never seen: minutes and PRA of players'
        first games in the training window (the boosters never saw a row without history)."""
        prior = self.info["prior"]
        levels = np.asarray(prior["levels"])
        quantiles = np.asarray(prior["pra_quantiles"])
        n = int(rows.sum())
        grid = np.tile(quantiles, (n, 1))
        line_values = np.full(n, np.nan) if lines is None else lines.to_numpy(dtype=float)[rows]
        columns = {PRED_MINUTES: np.full(n, prior["min_mean"]), PRED_PRA: np.full(n, np.interp(0.5, levels, quantiles)),
                   **summarize_quantile_grid(grid, levels, self.regressor.quantiles, line_values)}
        return np.column_stack([columns.get(c, np.full(n, np.nan)) for c in self.numeric_columns])

    def _answer(self, X: pd.DataFrame, lines: pd.Series | None, minutes: pd.Series | None, unknown: np.ndarray,
                warning: np.ndarray, index: pd.Index, regressor: TwoStageRegressor | None = None,
                answered_by: str | None = None) -> pd.DataFrame:
        line_values = None if lines is None else lines.to_numpy(dtype=float)
        minute_values = None if minutes is None else minutes.to_numpy(dtype=float)
        regressor = regressor if regressor is not None else self.regressor
        dist = regressor.predict_distribution(X.reset_index(drop=True), lines=line_values, minutes=minute_values)
        out = {c: dist[c].to_numpy() for c in dist.columns}
        for col in ("p_over", "p_under", *MARKET_COLUMNS):
            out.setdefault(col, np.full(len(X), np.nan))
        out["unknown_player"] = unknown
        out["warning"] = warning
        out["answered_by"] = np.full(len(X), answered_by or self.scenario, dtype=object)
        return pd.DataFrame({c: out[c] for c in self.output_columns}, index=index)

    def _date_warnings(self, dates: pd.Series) -> np.ndarray:
        cutoff = self.snapshot.cutoff
        ahead = (dates - cutoff).dt.days.to_numpy()
        text = np.full(len(dates), "", dtype=object)
        before = ahead <= 0
        text[before] = f"GAME_DATE is not after the model's data cutoff {cutoff.date()}: features use the " \
                       "snapshot only, and the model has trained on games of that period"
        stale = ahead > STALE_AFTER_DAYS
        text[stale] = [f"GAME_DATE is {d} days after the model's data cutoff {cutoff.date()}: player form may be stale"
                       for d in ahead[stale]]
        return text


def observed_slate(history: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """The slate a night's box scores ``games`` stand for, as the injury report would have given it
    before tip-off: every player in them ``AVAILABLE``, and every other player whose last game in
    ``history`` (canonical logs before that night) was for one of the night's teams ``OUT``.

    A backtest reads the same absences from the logs, so this is how a past night is replayed
    through the served model (declaring a player out who is no rotation player changes nothing).
    """
    played = games[TARGET_COLUMNS].assign(**{STATUS_COLUMN: "AVAILABLE"})
    last = history.sort_values("GAME_DATE", kind="stable").drop_duplicates("PLAYER_ID", keep="last")
    fixtures = games.drop_duplicates(["GAME_DATE", "TEAM"])[["GAME_DATE", "TEAM", "OPPONENT", "HOME"]]
    absent = last.loc[~last["PLAYER_ID"].isin(games["PLAYER_ID"]), ["PLAYER_ID", "TEAM"]].merge(fixtures, on="TEAM")
    out = absent[TARGET_COLUMNS].assign(**{STATUS_COLUMN: "OUT"})
    return pd.concat([played, out], ignore_index=True)


def scenario_of(fs: FeatureSet) -> str:
    """The scenario a feature set is trained in: ``full``'s version says it; a set without
    availability or news features is ``none``'s, one with box-score absences ``observed``'s."""
    by_version = {version: name for name, version in SCENARIO_VERSIONS.items()}
    if fs.name == "full" and fs.version in by_version:
        return by_version[fs.version]
    if fs.news_tiers:
        return "lineups" if fs.tiers()[LINEUP_TIER] else "inactive"
    return "observed" if fs.tiers()[AVAILABILITY_TIER] else "none"


def news_slate(history: pd.DataFrame, games: pd.DataFrame, news) -> pd.DataFrame:
    """The slate a past night stands for as its pre-game news had it (replaying a night through a
    model that reads news): everyone on the night's lists, ``STATUS`` ``OUT`` if inactive (else
    ``AVAILABLE``: a dressed player may still not play), ``STARTER`` from the lineups, ``SPREAD`` (his
    team's) and ``TOTAL`` from the game lines; and ``OUT`` every rotation player of the night's teams
    (his last game in ``history`` for one of them) who is on no list: he is not with the team. A
    team-game without a list falls back to its box scores, as the batch builder reads it."""
    listed = news.pregame[news.pregame["GAME_ID"].isin(set(games["GAME_ID"]))]
    fixtures = games.drop_duplicates(["GAME_ID", "TEAM"])[["GAME_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]]
    on_list = listed.merge(fixtures, on=["GAME_ID", "TEAM"], how="inner", suffixes=("_news", ""))
    rows = on_list[[*TARGET_COLUMNS, "GAME_ID"]].assign(
        **{STATUS_COLUMN: np.where(on_list["STATUS"] == "INACTIVE", "OUT", "AVAILABLE"),
           STARTER_COLUMN: on_list["STARTER"].astype(int).to_numpy()})
    silent = games[~games.set_index(["GAME_ID", "TEAM"]).index.isin(pd.MultiIndex.from_frame(listed[["GAME_ID", "TEAM"]]))]
    if len(silent):  # no list for the team-game: its box scores, as observed_slate reads them
        rows = pd.concat([rows, observed_slate(history, silent).merge(
            fixtures[["GAME_ID", "TEAM"]], on="TEAM")], ignore_index=True)
    last = history.sort_values("GAME_DATE", kind="stable").drop_duplicates("PLAYER_ID", keep="last")
    gone = last.loc[~last["PLAYER_ID"].isin(listed["PLAYER_ID"]) & ~last["PLAYER_ID"].isin(games["PLAYER_ID"])
                    & last["TEAM"].isin(set(listed["TEAM"])), ["PLAYER_ID", "TEAM"]].merge(fixtures, on="TEAM")
    rows = pd.concat([rows, gone[[*TARGET_COLUMNS, "GAME_ID"]].assign(**{STATUS_COLUMN: "OUT"})], ignore_index=True)
    lines = news.lines.drop_duplicates("GAME_ID").set_index("GAME_ID")
    spread_home = rows["GAME_ID"].map(lines["SPREAD_HOME"]).astype(float)
    rows[SPREAD_COLUMN] = np.where(rows["HOME"].astype(bool), spread_home, -spread_home) + 0.0
    rows[TOTAL_COLUMN] = rows["GAME_ID"].map(lines["TOTAL"]).astype(float)
    return rows.drop(columns="GAME_ID").reset_index(drop=True)


def _odds(data: pd.DataFrame) -> dict[str, np.ndarray]:
    """The slate's prices (validated American odds; NaN where empty), for the columns it has."""
    return {column: _optional_number(data, column).to_numpy() for column in ODDS_COLUMNS if column in data}


def _append(warning: np.ndarray, extra: np.ndarray) -> None:
    """Add the non-empty ``extra`` messages to ``warning`` in place ("; "-separated)."""
    for i in np.flatnonzero(extra != ""):
        warning[i] = f"{warning[i]}; {extra[i]}" if warning[i] else extra[i]


def _no_news(targets: pd.DataFrame) -> np.ndarray:
    """Per row: a warning naming the row's team and/or opponent if no row of that team on that
    date says anything about availability (then nobody of it is taken as out)."""
    told = targets.loc[targets["OUT"].notna(), ["TEAM", "GAME_DATE"]] if "OUT" in targets else targets.iloc[:0]
    known = set(zip(told["TEAM"], told["GAME_DATE"]))
    text = np.full(len(targets), "", dtype=object)
    for i, (team, opponent, day) in enumerate(zip(targets["TEAM"], targets["OPPONENT"], targets["GAME_DATE"])):
        silent = [t for t in (team, opponent) if (t, day) not in known]
        if silent:
            text[i] = (f"no availability news ({STATUS_COLUMN}) for {' or '.join(silent)}: every rotation player "
                       "taken as available")
    return text


def _thin_roster(targets: pd.DataFrame, out_tonight: np.ndarray) -> np.ndarray:
    """Per row: a warning if his team lists fewer than ``MIN_DRESSED`` players not ruled out (a
    partial slate: the dressed roster then counts them and the team's rotation players only)."""
    keys = list(zip(targets["TEAM"].tolist(), targets["GAME_DATE"].tolist()))  # (a dict: a one-row slate stays cheap)
    dressed = Counter(key for key, out in zip(keys, out_tonight.tolist()) if not out)
    listed = [dressed[key] for key in keys]
    return np.array([f"only {n} player{'s' if n != 1 else ''} of TEAM on the slate not ruled out: tonight's dressed "
                     "roster counts them and the team's rotation players, not its whole bench (list every player "
                     "for the backtest's numbers)" if n < MIN_DRESSED else "" for n in listed], dtype=object)


def _debut_prior(debuts: pd.DataFrame) -> dict[str, Any]:
    """Minutes and the PRA distribution of debut games (a player's first game in the data)."""
    if len(debuts) == 0:
        return {"n": 0, "min_mean": 0.0, "levels": LEVELS.tolist(), "pra_quantiles": np.zeros(len(LEVELS)).tolist()}
    pra = schema.pra(debuts).to_numpy(dtype=float)
    return {"n": int(len(debuts)), "min_mean": float(debuts["MIN"].mean()), "levels": LEVELS.tolist(),
            "pra_quantiles": np.quantile(pra, LEVELS).tolist()}


def validate_slate(slate: pd.DataFrame) -> pd.DataFrame:
    """Slate rows as typed targets, or a :class:`DataValidationError` naming column and rows."""
    missing = [c for c in TARGET_COLUMNS if c not in slate.columns]
    if missing:
        raise DataValidationError(
            f"slate is missing column(s) {', '.join(missing)}: a slate row needs {', '.join(TARGET_COLUMNS)} "
            f"(optional {LINE_COLUMN}), or every feature column of the model")
    problems: list[str] = []
    columns = {}
    # every text cell is bounded before anything parses it (a 5 MB "date" kept a worker busy)
    long = {}
    for col in [c for c in SLATE_COLUMNS if c in slate.columns]:
        raw = pd.Series(slate[col].to_numpy(), dtype=object)
        size = raw.map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy()
        long[col] = size > MAX_TEXT
        problems += _rows(long[col], col, f"is too long (at most {MAX_TEXT} characters)", slate[col])

    raw = pd.Series(slate["PLAYER_ID"].to_numpy(), dtype=object)
    flag = raw.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool) | long["PLAYER_ID"]
    player = pd.to_numeric(raw.where(~flag, None), errors="coerce").astype(float)
    bad = flag | player.isna() | (player != np.floor(player)) | (player <= 0) | (player >= 2**53)
    problems += _rows(bad & ~long["PLAYER_ID"], "PLAYER_ID", "must be a whole number above 0", slate["PLAYER_ID"])
    columns["PLAYER_ID"] = player.where(~bad, 0).astype("int64")

    dates = _dates(pd.Series(slate["GAME_DATE"].to_numpy(), dtype=object).where(~long["GAME_DATE"], None))
    problems += _rows(dates.isna() & ~long["GAME_DATE"], "GAME_DATE",
                      f"must be a date written YYYY-MM-DD, {MIN_YEAR}-{MAX_YEAR}", slate["GAME_DATE"])
    columns["GAME_DATE"] = dates

    for col in ("TEAM", "OPPONENT"):
        text = pd.Series(slate[col].to_numpy(), dtype=object)
        bad = ~text.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool) | (text.astype(str).str.strip() == "")
        problems += _rows(bad & ~long[col], col, "must be a team abbreviation", slate[col])
        columns[col] = text.astype(str).str.strip().str.upper().where(~long[col], "")
    same = (columns["TEAM"] == columns["OPPONENT"]) & (columns["TEAM"] != "")
    problems += _rows(same, "OPPONENT", "must differ from TEAM", slate["OPPONENT"])

    home = pd.Series(slate["HOME"].to_numpy(), dtype=object).where(~long["HOME"], None).map(_as_bool)
    problems += _rows(home.isna() & ~long["HOME"], "HOME", "must be true/false (or 1/0, home/away)", slate["HOME"])
    columns["HOME"] = home.fillna(False).astype(bool)
    out = pd.DataFrame(columns).reset_index(drop=True)

    if STATUS_COLUMN in slate.columns:
        raw = pd.Series(slate[STATUS_COLUMN].to_numpy(), dtype=object).where(~long[STATUS_COLUMN], None)
        empty = raw.isna() | (raw.astype(str).str.strip() == "")
        status = raw.astype(str).str.strip().str.upper()
        bad = ~empty & ~status.isin(list(STATUS_OUT))
        problems += _rows(bad, STATUS_COLUMN, f"must be one of {', '.join(STATUS_OUT)} (or empty)", slate[STATUS_COLUMN])
        out["OUT"] = status.map(STATUS_OUT).where(~empty & ~bad, None).astype(object).to_numpy()

    if STARTER_COLUMN in slate.columns:
        raw = pd.Series(slate[STARTER_COLUMN].to_numpy(), dtype=object).where(~long[STARTER_COLUMN], None)
        empty = raw.isna() | (raw.astype(str).str.strip().isin(["", "nan", "None"]))
        starter = raw.map(lambda v: STARTER_WORDS.get(str(v).strip().lower()) if not isinstance(v, float) or v == v
                          else None).astype(float)
        bad = ~empty & starter.isna()
        problems += _rows(bad, STARTER_COLUMN, "must be 1 (he starts), 0 (he does not) or empty (not announced)",
                          slate[STARTER_COLUMN])
        out[STARTER_COLUMN] = starter.to_numpy()

    for column in [*OPTIONAL_NUMBERS, *ODDS_COLUMNS]:
        if column in slate.columns and not long[column].any():
            try:
                out[column] = _optional_number(slate, column).to_numpy()
            except DataValidationError as exc:
                problems += exc.problems
    if not problems:
        problems += _game_news_problems(out, slate) + _fixture_problems(out, slate)
    if problems:
        raise DataValidationError("bad slate input: " + "; ".join(problems), problems)
    return out


def _fixture_problems(out: pd.DataFrame, slate: pd.DataFrame) -> list[str]:
    """A slate that cannot be a night of games: more than ``MAX_SLATE_DATES`` dates, a player twice
    on one date (or for both teams), a team with two opponents (or home and away) on one date, or
    both teams of a game at home."""
    problems: list[str] = []
    dates = out["GAME_DATE"].nunique()
    if dates > MAX_SLATE_DATES:
        problems.append(f"column GAME_DATE: a slate covers at most {MAX_SLATE_DATES} game dates, this one {dates:,}: "
                        "send one night (or a few) per request")
        return problems
    if len(out) < 2:  # one row cannot contradict itself (and a one-row request stays cheap)
        return problems
    twice = out.duplicated(["PLAYER_ID", "GAME_DATE"], keep=False).to_numpy()
    problems += _rows(twice, "PLAYER_ID", "is listed more than once on one date (a duplicate row, or both teams)",
                      slate["PLAYER_ID"])
    for column, what in (("OPPONENT", "a team with two opponents on one date"),
                         ("HOME", "a team both home and away on one date")):
        n = out.groupby(["TEAM", "GAME_DATE"])[column].transform("nunique").to_numpy()
        problems += _rows(n > 1, column, f"gives {what}", slate[column])
    mirror = out[["TEAM", "OPPONENT", "GAME_DATE", "HOME"]].drop_duplicates(["TEAM", "OPPONENT", "GAME_DATE"])
    both = mirror.merge(mirror, left_on=["TEAM", "OPPONENT", "GAME_DATE"], right_on=["OPPONENT", "TEAM", "GAME_DATE"],
                        suffixes=("", "_other"))
    clash = both.loc[both["HOME"] == both["HOME_other"], ["TEAM", "GAME_DATE"]]
    if len(clash):
        bad = pd.MultiIndex.from_frame(out[["TEAM", "GAME_DATE"]]).isin(pd.MultiIndex.from_frame(clash))
        problems += _rows(bad, "HOME", "puts both teams of a game at home (or both away)", slate["HOME"])
    return problems


def _game_news_problems(out: pd.DataFrame, slate: pd.DataFrame) -> list[str]:
    """A team-game with more than five starters, and the two teams of a game disagreeing on its line
    (the total, or spreads that are not opposite)."""
    problems: list[str] = []
    if len(out) < 2:  # one row: five starters at most, one line
        return problems
    team_game = [out["TEAM"], out["GAME_DATE"]]
    if STARTER_COLUMN in out:
        starters = out[STARTER_COLUMN].eq(1)
        distinct = out.assign(_s=starters).drop_duplicates(["PLAYER_ID", "TEAM", "GAME_DATE"])
        count = distinct[distinct["_s"]].groupby(["TEAM", "GAME_DATE"]).size()
        n = pd.MultiIndex.from_arrays(team_game).map(lambda key: count.get(key, 0)).to_numpy()
        problems += _rows(starters.to_numpy() & (n > 5), STARTER_COLUMN, "names more than 5 starters for one team",
                          slate[STARTER_COLUMN])
    game = out["TEAM"].where(out["TEAM"] < out["OPPONENT"], out["OPPONENT"]) + "|" + out["TEAM"].where(
        out["TEAM"] > out["OPPONENT"], out["OPPONENT"]) + "|" + out["GAME_DATE"].astype(str)
    if TOTAL_COLUMN in out:
        totals = out.groupby(game)[TOTAL_COLUMN].transform("nunique")
        problems += _rows((totals > 1).to_numpy(), TOTAL_COLUMN, "differs between rows of one game",
                          slate[TOTAL_COLUMN])
    if SPREAD_COLUMN in out:
        # each row's spread from the home side: the same number on every row of a game
        home_side = out[SPREAD_COLUMN].where(out["HOME"], -out[SPREAD_COLUMN]) + 0.0
        spreads = home_side.groupby(game).transform("nunique")
        problems += _rows((spreads > 1).to_numpy(), SPREAD_COLUMN,
                          "is not the same line on every row of one game (his team's spread: the opponent's is its "
                          "negative)", slate[SPREAD_COLUMN])
    return problems


def _optional_number(data: pd.DataFrame, column: str) -> pd.Series:
    """An optional numeric input column (``LINE``, ``MIN_PROJ``, ``SPREAD``, ``TOTAL``) as floats, NaN
    where empty, or an error naming the rows that are text, true/false, infinite or outside its range."""
    if column in ODDS_COLUMNS:
        return _american_odds(data, column)
    what, lower, upper = OPTIONAL_NUMBERS[column]
    raw = pd.Series(data[column].to_numpy(), dtype=object)
    boolean = raw.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    values = pd.to_numeric(raw.where(~boolean, None), errors="coerce").astype(float)
    text = (values.isna() & raw.notna() & (raw.astype(str).str.strip() != "") & (raw.astype(str) != "nan")).to_numpy()
    problems = _rows(text | boolean, column, f"must be {what} (or empty)", data[column])
    problems += _rows((values < lower) | (values > upper) | np.isinf(values), column,
                      f"must be between {lower:g} and {upper:g}", data[column])
    if problems:
        raise DataValidationError("bad input: " + "; ".join(problems), problems)
    return values


def _american_odds(data: pd.DataFrame, column: str) -> pd.Series:
    """``ODDS_OVER``/``ODDS_UNDER`` as floats (NaN where empty), or an error naming the rows that are not
    American odds (+100 or more, -100 or less)."""
    raw = pd.Series(data[column].to_numpy(), dtype=object)
    boolean = raw.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    values = pd.to_numeric(raw.where(~boolean, None), errors="coerce").astype(float)
    given = raw.notna() & (raw.astype(str).str.strip() != "") & (raw.astype(str) != "nan")
    bad = boolean | (given & (values.isna() | (values.abs() < 100) | (values.abs() > 100_000) | np.isinf(values))).to_numpy()
    problems = _rows(bad, column, "must be American odds (+100 or more, -100 or less) or empty", data[column])
    if problems:
        raise DataValidationError("bad input: " + "; ".join(problems), problems)
    return values


def _rows(mask: pd.Series, column: str, what: str, values: pd.Series) -> list[str]:
    """A message naming the column, the first bad rows (0-based, as sent) and their values
    (a short prefix of each: a request's text is never echoed whole)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    idx = np.flatnonzero(mask)
    shown = ", ".join(f"row {i} ({_short(values.iloc[i])})" for i in idx[:5])
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return [f"column {column} {what}: {shown}{more}"]


def _short(value) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= ECHO else f"{text[:ECHO]}... ({len(text):,} characters)"


def _dates(values: pd.Series) -> pd.Series:
    """Game dates as sent: ``YYYY-MM-DD`` (a time after it is ignored) or date objects; NaT for
    anything else, so a day/month order, an epoch number or "today" is never guessed at."""
    def one(value):
        if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
            day = pd.Timestamp(value)
        elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                day = pd.Timestamp(value.strip()[:10])
            except ValueError:  # e.g. 2024-02-30
                return pd.NaT
        else:
            return pd.NaT
        if pd.isna(day) or not MIN_YEAR <= day.year <= MAX_YEAR:
            return pd.NaT
        return day.tz_localize(None).normalize() if day.tzinfo is not None else day.normalize()

    return pd.Series([one(v) for v in values], dtype="datetime64[ns]")


def _as_bool(value) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return schema.BOOLEAN_WORDS.get(str(value).strip().lower())


def _numeric(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``data`` as float64, or an error naming the column and rows with text."""
    if all(dtype.kind in "iuf" for dtype in data.dtypes[columns]):
        return pd.DataFrame(data[columns].to_numpy(dtype=float), columns=columns)
    out = {}
    problems: list[str] = []
    for col in columns:
        raw = data[col]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            problems += _rows(bad.to_numpy(), col, "must be a number", raw)
        out[col] = values.astype(float).to_numpy()
    if problems:
        raise DataValidationError("bad feature input: " + "; ".join(problems), problems)
    return pd.DataFrame(out)
