"""Vectorised, leakage-safe feature computation for the features in the registry.

Every feature of a row uses only games on dates strictly before the row's date: a player
or a team plays at most once a day, so "the previous k games" in date order is exactly
"games before today". No per-row Python: rows are sorted by (group, date) and a window is
the sum of its k shifted columns. Bit for bit, a row's features depend only on its groups'
earlier rows: changing or adding games after a date, or shuffling the input, moves nothing
on or before it (the boosters split on these values, so "close" is not enough).

``build_features(history, targets=...)`` also featurizes upcoming games (rows without
box scores) from the same history: that is how the served model answers a slate.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.features.registry import (
    BOX_SCORE,
    DEFAULT_FEATURE_SET,
    INJURY_REPORT,
    REGULAR_START_SHARE,
    FeatureSet,
    Rotation,
    get_feature_set,
)
from mlflow_nbaprops.features.report import ReportStatuses

KEY_COLUMNS = ["GAME_ID", "GAME_DATE", "SEASON", "PLAYER_ID", "TEAM", "OPPONENT", "HOME"]
TARGET_COLUMNS = ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]
STAT_COLUMNS = ["MIN", "PTS", "REB", "AST", "FGA", "FTA", "TOV", "OREB", "PF", "PLUS_MINUS"]
#: Tonight's news a row carries (floats; NaN: not known): he starts (1/0), his team's point spread
#: and the game's total. History rows take them from the pregame lists and game lines; an upcoming
#: game's rows from the slate's ``STARTER``, ``SPREAD`` and ``TOTAL``.
NEWS_COLUMNS = ["STARTER", "SPREAD", "TOTAL"]

#: A game's length in minutes: 48 in regulation, more with overtime (five players on court).
REGULATION_MINUTES = 48.0
#: An absent teammate's role is "similar" to the player's within this many minutes.
SIMILAR_ROLE_MINUTES = 6.0
#: Columns of ``absences`` (who is known to be out of an upcoming game).
ABSENCE_COLUMNS = ["PLAYER_ID", "TEAM", "GAME_DATE"]


def build_features(
    history: pd.DataFrame,
    feature_set: str | FeatureSet = DEFAULT_FEATURE_SET,
    targets: pd.DataFrame | None = None,
    league: pd.DataFrame | None = None,
    absences: pd.DataFrame | None = None,
    news=None,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Features for every row of ``history`` (canonical game logs), then for every ``targets`` row.

    ``targets`` are upcoming games: ``PLAYER_ID, GAME_DATE, TEAM, OPPONENT, HOME`` (and
    optionally ``SEASON``, ``GAME_ID``); their features come from ``history`` only.
    ``league`` (from :func:`league_levels`) gives the targets' league-wide levels when
    ``history`` holds only some teams' games (a snapshot narrowed to a slate's teams).
    ``absences`` (``PLAYER_ID, TEAM, GAME_DATE``) are players known to be out of an upcoming
    game: for a target team-game, only they are absent, and so is a rotation player who is a
    target of another game that day (traded); a player who is neither a target nor listed is
    taken as available. For games in ``history``, a rotation player without a row
    is absent: tonight's box score says who did not play, and nothing else of tonight is read --
    or, for a set whose absences come from the inactive lists, one declared inactive (or not on his
    team's list) in ``news`` (:class:`~mlflow_nbaprops.data.news.News`). ``news`` also gives history
    games their starters and game lines; targets carry theirs as ``STARTER``, ``SPREAD`` (his team's)
    and ``TOTAL``. ``extra`` names further computed columns to return (``team_out_n_observed``: the
    rotation players absent from the box score, whatever the set reads).
    Returns the key columns plus the set's features, history rows first (in their order),
    then the targets, with a boolean ``is_target`` column.
    """
    fs = get_feature_set(feature_set) if isinstance(feature_set, str) else feature_set
    rows = _stack(history, targets, news)
    # compute in an order set by the rows' content, so the input's row order cannot change a
    # single bit (sums within a game or a day are then always added in the same order)
    canonical = _canonical_order(rows)
    feats = _Computer(rows.iloc[canonical].reset_index(drop=True), league, absences, rotation=fs.rotation,
                      absence_source=fs.absences, pregame=None if news is None else news.pregame,
                      reports=getattr(news, "reports", None) if fs.absences == INJURY_REPORT else None).compute()
    out = rows[KEY_COLUMNS + ["is_target"]].copy()
    for name in [*fs.names, *(e for e in extra if e not in fs.names)]:
        values = np.empty(len(rows))
        values[canonical] = feats[name]
        out[name] = values
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- plumbing


def _stack(history: pd.DataFrame, targets: pd.DataFrame | None, news=None) -> pd.DataFrame:
    hist = history[[c for c in KEY_COLUMNS + STAT_COLUMNS if c in history.columns]].copy()
    for col in STAT_COLUMNS:
        if col not in hist.columns:
            hist[col] = np.nan
    hist = hist.assign(**news_of_games(hist, news))
    hist["is_target"] = False
    if targets is None or len(targets) == 0:
        return hist.reset_index(drop=True)
    tgt = targets.copy()
    tgt["GAME_DATE"] = pd.to_datetime(tgt["GAME_DATE"]).dt.normalize().astype("datetime64[ns]")
    if "SEASON" not in tgt.columns:
        start = schema.season_start_year(tgt["GAME_DATE"].dt.year, tgt["GAME_DATE"].dt.month)
        tgt["SEASON"] = [schema.season_label(int(y)) for y in start]
    if "GAME_ID" not in tgt.columns:
        first = np.minimum(tgt["TEAM"].astype(str), tgt["OPPONENT"].astype(str))
        second = np.maximum(tgt["TEAM"].astype(str), tgt["OPPONENT"].astype(str))
        tgt["GAME_ID"] = "T" + tgt["GAME_DATE"].dt.strftime("%Y%m%d") + first + second
    news_values = {c: pd.to_numeric(tgt[c], errors="coerce").to_numpy(dtype=float) if c in tgt else np.nan
                   for c in NEWS_COLUMNS}
    tgt = tgt[[c for c in KEY_COLUMNS]].assign(**{c: np.nan for c in STAT_COLUMNS}, **news_values, is_target=True)
    tgt = tgt.astype({"PLAYER_ID": "int64", "HOME": bool})
    return pd.concat([hist, tgt], ignore_index=True)


def news_of_games(rows: pd.DataFrame, news) -> dict[str, np.ndarray]:
    """``NEWS_COLUMNS`` for history rows: his ``STARTER`` in the game's pregame list, his team's
    spread and the total from the game's line (NaN where the news does not say)."""
    n = len(rows)
    out = {c: np.full(n, np.nan) for c in NEWS_COLUMNS}
    if news is None or n == 0:
        return out
    pre = news.pregame
    if len(pre):
        starters = pd.Series(pre["STARTER"].to_numpy(dtype=float),
                             index=pd.MultiIndex.from_arrays([pre["GAME_ID"].to_numpy(object), pre["PLAYER_ID"].to_numpy()]))
        key = pd.MultiIndex.from_arrays([rows["GAME_ID"].to_numpy(object), rows["PLAYER_ID"].to_numpy(dtype=np.int64)])
        out["STARTER"] = starters.reindex(key).to_numpy(dtype=float)
    lines = news.lines
    if len(lines):
        by_game = lines.drop_duplicates("GAME_ID").set_index("GAME_ID")
        spread_home = by_game["SPREAD_HOME"].reindex(rows["GAME_ID"].to_numpy(object)).to_numpy(dtype=float)
        out["SPREAD"] = np.where(rows["HOME"].to_numpy(dtype=bool), spread_home, -spread_home) + 0.0  # (no -0.0)
        out["TOTAL"] = by_game["TOTAL"].reindex(rows["GAME_ID"].to_numpy(object)).to_numpy(dtype=float)
    return out


def _canonical_order(rows: pd.DataFrame) -> np.ndarray:
    """Row positions sorted by date, game, team and player (history before targets)."""
    keys = [pd.factorize(rows[col], sort=True)[0] for col in ("PLAYER_ID", "TEAM", "GAME_ID")]
    return np.lexsort((*keys, _days(rows["GAME_DATE"]), rows["is_target"].to_numpy()))


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as whole days since the epoch (int64), for sorting and differences."""
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


class _Windows:
    """Lagged window statistics over rows sorted by (group, date): only earlier rows count."""

    @classmethod
    def grouped(cls, keys: list[np.ndarray], day: np.ndarray) -> tuple[np.ndarray, "_Windows"]:
        """Sort rows by ``keys`` then ``day``; return the order and the windows over it.

        A group starts wherever any key changes in sorted order, so no composite code
        (and no assumption about how many teams or seasons there are) is needed.
        """
        order = np.lexsort((day, *reversed(keys)))
        changed = np.zeros(len(order), dtype=bool)
        changed[0:1] = True
        for key in keys:
            sorted_key = key[order]
            changed[1:] |= sorted_key[1:] != sorted_key[:-1]
        return order, cls(np.cumsum(changed))

    def __init__(self, group_codes: np.ndarray) -> None:
        n = len(group_codes)
        starts = np.r_[0, np.flatnonzero(np.diff(group_codes)) + 1]
        self.start = np.repeat(starts, np.diff(np.r_[starts, n]))
        self.index = np.arange(n)
        self.position = self.index - self.start  # games before this one in the group
        self.codes = group_codes

    def _sums(self, values: np.ndarray, k: int | None, power: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Sum and count of the non-missing values among each row's previous ``k`` rows of its
        group (all earlier rows when ``k`` is None).

        A row's result depends on its own group's earlier values only, bit for bit: a window
        adds its ``k`` values in a fixed order (newest first), and an expanding sum is a
        cumulative sum per group. (Differences of one global cumulative sum would carry the
        rounding of every row sorted before, other groups' later games included.)
        """
        ok = ~np.isnan(values)
        vals = np.where(ok, values, 0.0) ** power
        if k is None:
            before = self.position > 0
            total = np.where(before, np.r_[0.0, self._group_cumsum(vals)[:-1]], 0.0)
            count = np.where(before, np.r_[0.0, self._group_cumsum(ok.astype(float))[:-1]], 0.0)
            return total, count
        total = np.zeros(len(vals))
        count = np.zeros(len(vals))
        for lag in range(1, min(k, len(vals) - 1) + 1):
            inside = self.position[lag:] >= lag
            total[lag:] += np.where(inside, vals[:-lag], 0.0)
            count[lag:] += inside & ok[:-lag]
        return total, count

    def _group_cumsum(self, values: np.ndarray) -> np.ndarray:
        """Inclusive cumulative sum restarted at every group: rounding stays inside the group."""
        return pd.Series(values).groupby(self.codes, sort=False).cumsum().to_numpy()

    def mean(self, values: np.ndarray, k: int | None = None) -> np.ndarray:
        total, count = self._sums(values, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / count, np.nan)

    def mean_through(self, values: np.ndarray, k: int) -> np.ndarray:
        """Mean of this row's value and the ``k - 1`` before it (NaN where this row has none):
        what the group's *next* game sees. Only for describing a finished game."""
        total, count = self._sums(values, k - 1)
        played = ~np.isnan(values)
        return np.where(played, (total + np.where(played, values, 0.0)) / (count + 1), np.nan)

    def sum(self, values: np.ndarray, k: int | None = None) -> np.ndarray:
        return self._sums(values, k)[0]

    def std(self, values: np.ndarray, k: int) -> np.ndarray:
        total, count = self._sums(values, k)
        squares, _ = self._sums(values, k, power=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (squares - total**2 / count) / (count - 1)
        return np.where(count > 1, np.sqrt(np.clip(var, 0, None)), np.nan)

    def ewm(self, values: np.ndarray, halflife: float) -> np.ndarray:
        """Exponentially weighted mean of earlier values (weight halves every ``halflife`` games)."""
        decay = 0.5 ** (1.0 / halflife)
        if self.position.max(initial=0) * -np.log(decay) > 600:  # keep decay**-position finite
            raise ValueError("group too long for the vectorised EWM")
        ok = ~np.isnan(values)
        grow = decay ** (-self.position.astype(float))
        num = self._group_cumsum(np.where(ok, values, 0.0) * grow)
        den = self._group_cumsum(ok * grow)
        prev_num = np.where(self.position > 0, np.r_[0.0, num[:-1]], 0.0)
        prev_den = np.where(self.position > 0, np.r_[0.0, den[:-1]], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(prev_den > 0, prev_num / prev_den, np.nan)

    def previous(self, values: np.ndarray) -> np.ndarray:
        prev = np.r_[values[:1], values[:-1]]
        if prev.dtype.kind in "fc":
            return np.where(self.position > 0, prev, np.nan)
        return prev


class _TeamGames(NamedTuple):
    """The team-games (one row per game and team) as the availability steps index them."""

    code: np.ndarray       # team code of each team-game
    names: np.ndarray      # team abbreviation of each code
    order: np.ndarray      # team-games sorted by (team, day)
    composite: np.ndarray  # team code * 1e6 + day, in that order (for searchsorted)
    row: np.ndarray        # each stacked row's team-game


class _Computer:
    """Computes every registered feature for the stacked rows."""

    def __init__(self, rows: pd.DataFrame, league: pd.DataFrame | None = None,
                 absences: pd.DataFrame | None = None, *, rotation: Rotation, absence_source: str = BOX_SCORE,
                 pregame: pd.DataFrame | None = None, reports: pd.DataFrame | None = None) -> None:
        self.rows = rows
        self.league = league
        self.absences = absences
        self.rotation = rotation
        self.absence_source = absence_source
        self.pregame = pregame
        self.reports = reports
        self.n = len(rows)
        self.out: dict[str, np.ndarray] = {}

    def compute(self) -> dict[str, np.ndarray]:
        self._player_features()
        self._team_features()
        return self.out

    def _scatter(self, order: np.ndarray, values: np.ndarray) -> np.ndarray:
        full = np.empty(self.n, dtype=float)
        full[order] = values
        return full

    # ------------------------------------------------------------------ player history

    def _player_features(self) -> None:
        r = self.rows
        team_minutes = _sum_by(r, ["GAME_ID", "TEAM"], "MIN").reindex(
            pd.MultiIndex.from_frame(r[["GAME_ID", "TEAM"]])).to_numpy(dtype=float)
        team_length = np.maximum(team_minutes / 5.0, REGULATION_MINUTES)
        player_codes = pd.factorize(r["PLAYER_ID"])[0]
        team_codes_all = pd.factorize(r["TEAM"])[0]
        day = _days(r["GAME_DATE"])
        order, w = _Windows.grouped([player_codes], day)
        take = lambda col: r[col].to_numpy(dtype=float)[order]  # noqa: E731
        minutes, pts, reb, ast = take("MIN"), take("PTS"), take("REB"), take("AST")
        pra = pts + reb + ast
        usage = take("FGA") + 0.44 * take("FTA") + take("TOV")
        set_ = lambda name, values: self.out.__setitem__(name, self._scatter(order, values))  # noqa: E731

        for k in (3, 10, 30):
            set_(f"min_l{k}", w.mean(minutes, k))
            set_(f"pra_l{k}", w.mean(pra, k))
        set_("min_ewm5", w.ewm(minutes, 5))
        set_("pra_ewm5", w.ewm(pra, 5))
        set_("pra_ewm15", w.ewm(pra, 15))
        set_("min_std_l10", w.std(minutes, 10))
        set_("pra_std_l10", w.std(pra, 10))
        set_("min_last", w.previous(minutes))
        set_("pts_l10", w.mean(pts, 10))
        set_("reb_l10", w.mean(reb, 10))
        set_("ast_l10", w.mean(ast, 10))
        with np.errstate(invalid="ignore", divide="ignore"):
            for k in (10, 30):
                m = w.sum(minutes, k)
                set_(f"pra_per_min_l{k}", np.where(m > 0, w.sum(pra, k) / m, np.nan))
            m = w.sum(minutes, 10)
            set_("usage_per_min_l10", np.where(m > 0, w.sum(usage, 10) / m, np.nan))
        # minutes as a share of the team's game length, scaled to 48: overtime removed
        share = minutes * REGULATION_MINUTES / team_length[order]
        set_("min_share_l3", w.mean(share, 3))
        set_("min_share_l10", w.mean(share, 10))
        set_("min_share_last", w.previous(share))
        with np.errstate(invalid="ignore", divide="ignore"):
            m = w.sum(minutes, 10)
            set_("fouls_per_min_l10", np.where(m > 0, w.sum(take("PF"), 10) / m, np.nan))
        set_("plus_minus_last", w.previous(take("PLUS_MINUS")))
        # the history of his starts (an upcoming game's own STARTER is tonight's news, not history)
        started = np.where(r["is_target"].to_numpy()[order], np.nan, take("STARTER"))
        set_("start_share_l10", w.mean(started, 10))
        set_("started_last", w.previous(started))
        # his minutes in his last 10 starts, and in his last 10 games off the bench (before tonight)
        for flag, name in ((1.0, "min_as_starter_l10"), (0.0, "min_as_bench_l10")):
            in_role = np.zeros(self.n, dtype=np.int64)
            in_role[order] = started == flag
            order_r, wr = _Windows.grouped([player_codes, in_role], day)
            through = self._scatter(order_r, wr.mean_through(r["MIN"].to_numpy(dtype=float)[order_r], 10))
            through[in_role == 0] = np.nan
            after = pd.Series(through[order]).groupby(w.codes).ffill()
            set_(name, after.groupby(w.codes).shift(1).to_numpy(dtype=float))
            if flag == 0.0:  # as the team's next game sees it (a dressed player who does not start)
                self._bench_after = self._scatter(order, after.to_numpy(dtype=float))
        # last-10 mean minutes *including* each game: his role as the team's next game sees it
        self._role_after = self._scatter(order, w.mean_through(minutes, 10))
        # the same number as tonight sees it: his previous game's (what a dressed teammate's is read as)
        self._role_before = self._scatter(order, w.previous(self._role_after[order]))
        self._pra_after = self._scatter(order, w.mean_through(pra, 10))
        self._usage_after = self._scatter(order, w.mean_through(usage, 10))
        # his start share of his last 10 games including each one (history rows; NaN: lineup unknown)
        history_started = np.where(r["is_target"].to_numpy()[order], np.nan, take("STARTER"))
        self._share_after = self._scatter(order, w.mean_through(history_started, 10))
        self._usage_l10 = self._scatter(order, w.mean(usage, 10))
        sorted_day = day[order].astype(float)
        following = np.r_[sorted_day[1:], np.inf]
        last_in_group = np.r_[w.codes[1:] != w.codes[:-1], True]
        self._next_day = self._scatter(order, np.where(last_in_group, np.inf, following))
        set_("games_career", w.position.astype(float))
        set_("min_trend", self.out["min_l3"][order] - self.out["min_l30"][order])
        set_("pra_trend", self.out["pra_l3"][order] - self.out["pra_l30"][order])

        prev_day = w.previous(day.astype(float)[order])
        set_("player_rest_days", np.clip(np.nan_to_num(day[order] - prev_day, nan=30.0), 0, 30))
        team_codes = team_codes_all[order]
        prev_team = w.previous(team_codes)
        changed = (w.position > 0) & (prev_team != team_codes)
        set_("team_changed", changed.astype(float))
        self._player_team = (order, team_codes, changed, w)

        # season to date: group by (player, season)
        season_codes = pd.factorize(r["SEASON"])[0]
        order_s, ws = _Windows.grouped([player_codes, season_codes], day)
        take_s = lambda col: r[col].to_numpy(dtype=float)[order_s]  # noqa: E731
        min_s = take_s("MIN")
        pra_s = take_s("PTS") + take_s("REB") + take_s("AST")
        self.out["min_season"] = self._scatter(order_s, ws.mean(min_s))
        self.out["pra_season"] = self._scatter(order_s, ws.mean(pra_s))
        with np.errstate(invalid="ignore", divide="ignore"):
            msum = ws.sum(min_s)
            self.out["pra_per_min_season"] = self._scatter(order_s, np.where(msum > 0, ws.sum(pra_s) / msum, np.nan))
        self.out["games_season"] = self._scatter(order_s, ws.position.astype(float))
        started_s = np.where(r["is_target"].to_numpy()[order_s], np.nan, take_s("STARTER"))
        self.out["start_share_season"] = self._scatter(order_s, ws.mean(started_s))
        self._player_season = (order_s, ws)

        # games with the current team: position within (player, team) history
        order_t, wt = _Windows.grouped([player_codes, team_codes_all], day)
        self.out["games_with_team"] = self._scatter(order_t, wt.position.astype(float))
        self.out["home"] = r["HOME"].to_numpy(dtype=float)

    # ------------------------------------------------------------------ team and opponent

    def _team_features(self) -> None:
        r = self.rows
        keyed, tg = _team_games(r)

        # league level before each date (season to date), to express team numbers relatively
        # (sums of zero-filled values and counts of the others: see _sum_by for why no NaN may reach a sum)
        daily = _league_to_date(tg, before=True)
        tg = tg.merge(daily[["league_pra", "league_poss"]].reset_index(), on=["SEASON", "GAME_DATE"], how="left")
        if self.league is not None:  # the rows hold some teams only: the caller knows the league
            upcoming = ~tg["real"].to_numpy()
            known = self.league.reindex(tg.loc[upcoming, "SEASON"].to_numpy())
            tg.loc[upcoming, "league_pra"] = known["league_pra"].to_numpy()
            tg.loc[upcoming, "league_poss"] = known["league_poss"].to_numpy()

        team_codes, team_names = pd.factorize(tg["TEAM"])
        day = _days(tg["GAME_DATE"])
        order, w = _Windows.grouped([team_codes], day)
        col = lambda c: tg[c].to_numpy(dtype=float)[order]  # noqa: E731
        feats = pd.DataFrame(index=tg.index)
        with np.errstate(invalid="ignore", divide="ignore"):
            feats.loc[tg.index[order], "pra_allowed_rel"] = w.mean(col("pra_allowed"), 15) / col("league_pra")
            feats.loc[tg.index[order], "pace_rel"] = w.mean(col("game_poss"), 15) / col("league_poss")
        feats.loc[tg.index[order], "team_margin_l10"] = w.mean(col("margin"), 10)
        feats.loc[tg.index[order], "team_last_margin_abs"] = np.abs(w.previous(col("score_margin")))
        feats.loc[tg.index[order], "team_last_overtime"] = (w.previous(col("minutes")) > 5 * REGULATION_MINUTES + 2.5
                                                            ).astype(float)
        prev_day = w.previous(day[order].astype(float))
        season_codes = pd.factorize(tg["SEASON"])[0][order]
        new_season = (w.position == 0) | (w.previous(season_codes) != season_codes)
        rest = np.where(new_season, 10.0, np.clip(day[order] - prev_day, 0, 10))
        feats.loc[tg.index[order], "rest_days"] = rest
        feats.loc[tg.index[order], "back_to_back"] = (rest == 1).astype(float)
        composite = team_codes[order].astype(np.int64) * 1_000_000 + day[order]
        # what the availability steps share: team codes, team-games in (team, day) order, each row's team-game
        self._teams = _TeamGames(team_codes.astype(np.int64), np.asarray(team_names, dtype=object), order, composite,
                                 pd.MultiIndex.from_frame(tg[["GAME_ID", "TEAM"]]).get_indexer(
                                     pd.MultiIndex.from_frame(r[["GAME_ID", "TEAM"]])))
        feats.loc[tg.index[order], "games_last_7d"] = np.arange(len(order)) - np.searchsorted(composite, composite - 7)
        season_game = pd.Series(np.arange(len(order))).groupby([team_codes[order], season_codes]).cumcount().to_numpy()
        feats.loc[tg.index[order], "season_progress"] = season_game / 82.0
        tg["team_game"] = 0
        tg.loc[tg.index[order], "team_game"] = w.position
        tg = pd.concat([tg, feats], axis=1)
        tg["vacated_total"] = self._vacated(tg, keyed)
        self.team_games = tg  # (the slate path reads upcoming team-games' levels here)

        # attach to rows: own team's context, opponent's defence and pace
        at_row = keyed[["GAME_ID", "TEAM", "OPPONENT"]].merge(
            tg[["GAME_ID", "TEAM", "rest_days", "back_to_back", "games_last_7d", "season_progress", "team_margin_l10",
                "team_last_margin_abs", "team_last_overtime", "pace_rel", "team_game", "vacated_total"]],
            on=["GAME_ID", "TEAM"], how="left")
        at_row = at_row.merge(
            tg[["GAME_ID", "TEAM", "pra_allowed_rel", "pace_rel"]].rename(
                columns={"TEAM": "OPPONENT", "pra_allowed_rel": "opp_pra_allowed_l15", "pace_rel": "opp_pace_l15"}),
            on=["GAME_ID", "OPPONENT"], how="left")
        for name in ("rest_days", "back_to_back", "games_last_7d", "season_progress", "team_margin_l10",
                     "team_last_margin_abs", "team_last_overtime", "opp_pra_allowed_l15", "opp_pace_l15"):
            self.out[name] = at_row[name].to_numpy(dtype=float)
        self.out["team_pace_l15"] = at_row["pace_rel"].to_numpy(dtype=float)
        self._player_availability(at_row["team_game"].to_numpy(), at_row["vacated_total"].to_numpy(dtype=float))
        self._tonight_absences(tg)

    def _tonight_absences(self, tg: pd.DataFrame) -> None:
        """Rotation players out tonight: who, with what role, for the player's team and the opponent.

        Candidates come from earlier games only (the feature set's :class:`Rotation`): each
        rotation player's last game makes him a candidate for his team's games in the next
        ``rotation.days`` days, up to his next game. Of tonight's game only one thing is read:
        whether a candidate is in it (history) or declared out (``absences``, upcoming games).
        Never tonight's minutes or stats, and never whether a fringe player appears.
        """
        r = self.rows
        teams = self._teams
        tg_day = _days(tg["GAME_DATE"])
        row_tg = teams.row
        opp_tg = pd.MultiIndex.from_frame(tg[["GAME_ID", "TEAM"]]).get_indexer(
            pd.MultiIndex.from_frame(r[["GAME_ID", "OPPONENT"]].set_axis(["GAME_ID", "TEAM"], axis=1)))
        day = _days(r["GAME_DATE"])
        player = r["PLAYER_ID"].to_numpy(dtype=np.int64)
        real = ~r["is_target"].to_numpy()

        # (team-game, candidate) pairs: each rotation game opens a window of the team's next games
        # (windows are (his game's date, min(date + rotation days, his next game's date)]: a
        # player's windows never overlap, so each (team-game, player) pair is made once)
        cand = np.flatnonzero(real & (self._role_after >= self.rotation.minutes))
        limit = np.minimum(day[cand] + int(self.rotation.days), self._next_day[cand])
        code = teams.code[row_tg[cand]]
        first = np.searchsorted(teams.composite, code * 1_000_000 + day[cand], side="right")
        stop = np.searchsorted(teams.composite, code * 1_000_000 + limit, side="right")
        count = np.clip(stop - first, 0, None)
        offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        pair_row = np.repeat(cand, count)
        pair_tg = teams.order[np.repeat(first, count) + offset]
        pair_player = player[pair_row]
        present = pd.MultiIndex.from_arrays([pair_tg, pair_player]).isin(
            pd.MultiIndex.from_arrays([row_tg[real], player[real]]))
        target = ~real
        upcoming = upcoming_absent(tg["TEAM"].to_numpy(dtype=object)[pair_tg], tg_day[pair_tg], pair_tg, pair_player,
                                   self.absences, player[target], day[target], row_tg[target])
        history_game = tg["real"].to_numpy()[pair_tg]
        # (whatever the set reads: the backtest's segments split rows by the box score's absences)
        self.out["team_out_n_observed"] = at_team_game(per_team_game(len(tg), pair_tg, None, history_game & ~present),
                                                       row_tg)
        declared = ~present if self.absence_source == BOX_SCORE else self._declared_absent(tg, pair_tg, pair_player,
                                                                                            present)
        absent = np.where(history_game, declared, upcoming)
        # tonight's absences: the same, except that in the ``report`` scenario a history game the
        # league's 5:30 PM report covers reads who it rules out (its earlier games keep their lists)
        in_era = np.zeros(len(tg), dtype=bool)
        tonight = absent
        if self.absence_source == INJURY_REPORT:  # (and one no longer with the team: the roster is known)
            statuses = ReportStatuses(tg, self.reports)
            in_era = statuses.era & tg["real"].to_numpy()
            ruled_out = statuses.ruled_out(pair_tg, pair_player)
            listed, theirs = self._list_status(tg, pair_tg, pair_player)
            gone = listed & pd.isna(theirs) & ~present
            tonight = np.where(in_era[pair_tg], ruled_out | gone, absent)
        role, pra, usage = (np.nan_to_num(v[pair_row]) for v in (self._role_after, self._pra_after, self._usage_after))
        # what the slate path reuses: each team-game's rotation candidates and their roles
        share = self._share_after[pair_row]
        bench = self._bench_after[pair_row]
        self.pairs = (pair_tg, pair_player, role, pra, usage, offset == 0, share, bench)
        # the absences of the player's last 10 games this season (history rows only: a slate's
        # declarations describe no game he has played). This season's: a snapshot holds this
        # season and the last whole, so each of those games' candidates and roles are in it
        out_min = at_team_game(per_team_game(len(tg), pair_tg, role, absent), row_tg)
        order, w = self._player_season
        self.out["out_min_recent"] = self._scatter(order, w.mean(np.where(real, out_min, np.nan)[order], 10))
        self.out.update(availability_features(
            len(tg), pair_tg, pair_player, tonight, role, pra, usage, offset == 0, row_tg, opp_tg, player,
            np.nan_to_num(self.out["min_l10"]), np.nan_to_num(self._usage_l10), self.out["out_min_recent"]))
        starter = r["STARTER"].to_numpy(dtype=float)
        self.out.update(lineup_features(len(tg), row_tg, opp_tg, player, starter, self.out["start_share_l10"],
                                        np.nan_to_num(self.out["min_l10"]), self.out["min_as_starter_l10"],
                                        self.out["min_as_bench_l10"], pair_tg, pair_player, role, share, tonight))
        self.out.update(market_features(r["SPREAD"].to_numpy(dtype=float), r["TOTAL"].to_numpy(dtype=float)))
        # tonight's dressed roster: the rotation candidates nobody ruled out, and the rows: a slate's
        # not ruled out; a history game's if its list says who dressed (then also its dressed players
        # who did not play, DNP). Without a list a box score says who played, not who dressed: a
        # fringe player's presence is tonight's game script, so only the candidates count
        dressed = np.zeros(self.n, dtype=bool)
        dressed[target] = ~declared_out(r["TEAM"].to_numpy(dtype=object)[target], day[target], player[target],
                                        self.absences)
        dressed[real] = (self._listed(tg) | in_era)[row_tg[real]]
        dnp_tg, dnp_player, dnp_role, dnp_bench = self._dressed_unused(tg)
        if in_era.any():  # at 5:30 PM: the roster (the list's players, any status) less who the report rules out
            keep = ~in_era[dnp_tg]
            on_list = self._dressed_unused(tg, ("DNP", "INACTIVE"))
            ruled = statuses.ruled_out(on_list[0], on_list[1])
            mine = in_era[on_list[0]] & ~ruled
            dnp_tg, dnp_player, dnp_role, dnp_bench = (np.r_[a[keep], b[mine]] for a, b in zip(
                (dnp_tg, dnp_player, dnp_role, dnp_bench), on_list))
        self.out.update(roster_features(
            len(tg), row_tg, player, dressed, self.out["starter_tonight"], np.nan_to_num(self._role_before),
            self.out["min_in_role_tonight"],
            np.r_[pair_tg[~tonight], dnp_tg], np.r_[pair_player[~tonight], dnp_player],
            np.r_[role[~tonight], dnp_role], np.r_[bench[~tonight], dnp_bench]))

    def _listed(self, tg: pd.DataFrame) -> np.ndarray:
        """Per team-game: True if a pregame list names its players."""
        pre = self.pregame
        if pre is None or len(pre) == 0:
            return np.zeros(len(tg), dtype=bool)
        return pd.MultiIndex.from_frame(tg[["GAME_ID", "TEAM"]]).isin(
            pd.MultiIndex.from_arrays([pre["GAME_ID"].to_numpy(object), pre["TEAM"].to_numpy(object)]))

    def _dressed_unused(self, tg: pd.DataFrame, statuses: tuple[str, ...] = ("DNP",)
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """History team-games' dressed players who did not play (``DNP`` on the game's list; or the
        list's other ``statuses``): their team-game, id, and last-10 minutes and bench minutes as of
        their last game before it (0 and NaN without one). Empty without pregame lists (an upcoming
        game has no list)."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
        pre = self.pregame
        if pre is None or len(pre) == 0:
            return empty
        dnp = pre[np.isin(pre["STATUS"].to_numpy(dtype=object), statuses)]
        at = pd.MultiIndex.from_frame(tg[["GAME_ID", "TEAM"]]).get_indexer(
            pd.MultiIndex.from_arrays([dnp["GAME_ID"].to_numpy(object), dnp["TEAM"].to_numpy(object)]))
        keep = at >= 0
        keep[keep] = tg["real"].to_numpy()[at[keep]]
        at, ids = at[keep], dnp["PLAYER_ID"].to_numpy(dtype=np.int64)[keep]
        if not len(at):
            return empty
        r = self.rows
        real = np.flatnonzero(~r["is_target"].to_numpy())
        key = r["PLAYER_ID"].to_numpy(dtype=np.int64)[real] * 100_000 + _days(r["GAME_DATE"])[real]
        sort = np.argsort(key, kind="stable")
        key, real = key[sort], real[sort]
        wanted = ids * 100_000 + _days(tg["GAME_DATE"])[at]
        last = np.searchsorted(key, wanted, side="left") - 1  # his last game strictly before
        found = last >= 0
        found[found] = key[last[found]] // 100_000 == ids[found]
        row = real[np.where(found, last, 0)]
        role = np.where(found, np.nan_to_num(self._role_after[row]), 0.0)
        bench = np.where(found, self._bench_after[row], np.nan)
        return at, ids, role, bench

    def _declared_absent(self, tg: pd.DataFrame, pair_tg: np.ndarray, pair_player: np.ndarray,
                         present: np.ndarray) -> np.ndarray:
        """History games' absences as the inactive lists declared them: a candidate listed
        ``INACTIVE``, or not on his team's list (not with the team) and without a box score, is out;
        one listed ``PLAYED`` or ``DNP`` (dressed: a coach's decision is made in the game) plays. A
        team-game without a list falls back to its box score."""
        pre = self.pregame
        if pre is None or len(pre) == 0:
            return ~present
        listed, theirs = self._list_status(tg, pair_tg, pair_player)
        out = (theirs == "INACTIVE") | (pd.isna(theirs) & ~present)
        return np.where(listed, out, ~present)

    def _list_status(self, tg: pd.DataFrame, pair_tg: np.ndarray, pair_player: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Per (team-game, player) pair: whether the team-game has a list, and his status on it (None:
        not on it)."""
        pre = self.pregame
        if pre is None or len(pre) == 0:
            return np.zeros(len(pair_tg), dtype=bool), np.full(len(pair_tg), None, dtype=object)
        games = tg["GAME_ID"].to_numpy(dtype=object)
        teams = tg["TEAM"].to_numpy(dtype=object)
        status = pd.Series(pre["STATUS"].to_numpy(object), index=pd.MultiIndex.from_arrays(
            [pre["GAME_ID"].to_numpy(object), pre["TEAM"].to_numpy(object), pre["PLAYER_ID"].to_numpy(np.int64)]))
        theirs = status.reindex(pd.MultiIndex.from_arrays([games[pair_tg], teams[pair_tg], pair_player])).to_numpy(object)
        return self._listed(tg)[pair_tg], theirs

    def _vacated(self, tg: pd.DataFrame, keyed: pd.DataFrame) -> np.ndarray:
        """Per team-game: minutes of teammates who played in the team's previous 5 games
        (same season) but not in its previous game, at their average over those games."""
        # integer codes throughout: the 5 lags expand the rows five-fold, too many for string keys
        real = keyed["real"].to_numpy()
        teams = self._teams
        tg_season, seasons = pd.factorize(tg["SEASON"])
        tg_team, tg_game = teams.code, tg["team_game"].to_numpy(dtype=np.int64)
        width = int(tg_game.max(initial=0)) + 7
        season_at = np.full((len(teams.names), width), -1, dtype=np.int64)
        season_at[tg_team, tg_game] = tg_season
        at_game = teams.row[real]
        team, game, season = tg_team[at_game], tg_game[at_game], tg_season[at_game]
        minutes = self.rows.loc[real, "MIN"].to_numpy(dtype=float)
        player_ids = self.rows.loc[real, "PLAYER_ID"].to_numpy(dtype=np.int64)
        player, players = pd.factorize(player_ids)
        lag = np.repeat(np.arange(1, 6), len(team))
        team, game, season, player = (np.tile(v, 5) for v in (team, game, season, player))
        minutes = np.tile(minutes, 5)
        target = game + lag
        same_season = season_at[team, target] == season
        team, target, player, lag, minutes = (v[same_season] for v in (team, target, player, lag, minutes))
        key = (team * width + target) * len(players) + player
        group, first = pd.factorize(key)
        # a mean as zero-filled sum / count, added in input order: see _sum_by
        total = np.bincount(group, weights=np.nan_to_num(minutes), minlength=len(first))
        played = np.bincount(group, weights=(~np.isnan(minutes)).astype(float), minlength=len(first))
        last = np.full(len(first), 99, dtype=np.int64)
        np.minimum.at(last, group, lag)
        gone = last > 1  # played in the window, not in the previous game
        with np.errstate(invalid="ignore", divide="ignore"):
            gone_minutes = np.where(played > 0, total / played, np.nan)[gone]
        gone_key = first[gone]
        gone_player = players[gone_key % len(players)]
        gone_team_game = gone_key // len(players)
        self._gone = pd.Series(gone_minutes, index=pd.MultiIndex.from_arrays(
            [teams.names[gone_team_game // width], gone_team_game % width, gone_player]))
        vacated = np.bincount(gone_team_game, weights=np.nan_to_num(gone_minutes), minlength=len(teams.names) * width)
        return vacated[tg_team * width + tg_game]

    def _player_availability(self, team_game: np.ndarray, vacated_total: np.ndarray) -> None:
        r = self.rows
        own_key = pd.MultiIndex.from_arrays([r["TEAM"].to_numpy(), team_game, r["PLAYER_ID"].to_numpy()])
        own = self._gone.reindex(own_key).fillna(0.0).to_numpy()
        self.out["vacated_min"] = vacated_total - own  # a player returning himself does not count
        self._rotation(team_game)
        order, team_codes, changed, w = self._player_team
        tg_sorted = team_game[order].astype(float)
        prev_tg = w.previous(tg_sorted)
        missed = np.where((w.position > 0) & ~changed, tg_sorted - prev_tg - 1, 0.0)
        self.out["missed_team_games"] = self._scatter(order, np.clip(np.nan_to_num(missed), 0, 82))

    def _rotation(self, team_game: np.ndarray) -> None:
        """The team's previous game's rotation: who played it and their roles (last-10 mean
        minutes including that game), so a crowded or thinned rotation shows before tip-off."""
        r = self.rows
        real = ~r["is_target"].to_numpy()
        rotation = pd.DataFrame({"TEAM": r["TEAM"].to_numpy()[real], "next_game": team_game[real] + 1,
                                 "PLAYER_ID": r["PLAYER_ID"].to_numpy()[real], "role": self._role_after[real]})
        rotation["rank"] = rotation.groupby(["TEAM", "next_game"], sort=False)["role"].rank(ascending=False)
        total = _sum_by(rotation, ["TEAM", "next_game"], "role")
        player = rotation.set_index(["TEAM", "next_game", "PLAYER_ID"])
        team_key = pd.MultiIndex.from_arrays([r["TEAM"].to_numpy(), team_game])
        own_key = pd.MultiIndex.from_arrays([r["TEAM"].to_numpy(), team_game, r["PLAYER_ID"].to_numpy()])
        own_role = player["role"].reindex(own_key).to_numpy(dtype=float)
        in_rotation = ~np.isnan(own_role)
        self.out["rotation_min_others"] = total.reindex(team_key).to_numpy(dtype=float) - np.nan_to_num(own_role)
        self.out["in_last_rotation"] = in_rotation.astype(float)
        self.out["rotation_rank"] = player["rank"].reindex(own_key).to_numpy(dtype=float)


def upcoming_absent(pair_team: np.ndarray, pair_day: np.ndarray, pair_tg: np.ndarray, pair_player: np.ndarray,
                    absences: pd.DataFrame | None, target_player: np.ndarray, target_day: np.ndarray,
                    target_tg: np.ndarray) -> np.ndarray:
    """Which rotation candidates of *upcoming* team-games are out: declared in ``absences``, or
    on the slate that day in another game (traded since his last game; the batch builder sees
    that as his absence too). A candidate nobody says anything about plays."""
    declared = declared_out(pair_team, pair_day, pair_player, absences)
    on_slate = pd.MultiIndex.from_arrays([pair_player, pair_day]).isin(
        pd.MultiIndex.from_arrays([target_player, target_day]))
    here = pd.MultiIndex.from_arrays([pair_tg, pair_player]).isin(pd.MultiIndex.from_arrays([target_tg, target_player]))
    return declared | (on_slate & ~here)


def declared_out(team: np.ndarray, day: np.ndarray, player: np.ndarray, absences: pd.DataFrame | None) -> np.ndarray:
    """Which (team, day, player) rows ``absences`` declares out of their upcoming game."""
    if absences is None or not len(absences):
        return np.zeros(len(player), dtype=bool)
    return pd.MultiIndex.from_arrays([team, day, player]).isin(
        pd.MultiIndex.from_arrays([absences["TEAM"].astype(str).to_numpy(dtype=object), _days(absences["GAME_DATE"]),
                                   absences["PLAYER_ID"].to_numpy(dtype=np.int64)]))


def per_team_game(n_tg: int, pair_tg: np.ndarray, weights: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
    """Per team-game: the sum of ``weights`` (a count when None) over the candidate pairs in ``mask``."""
    return np.bincount(pair_tg[mask], weights=None if weights is None else weights[mask], minlength=n_tg).astype(float)


def at_team_game(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[index]``, NaN where ``index`` is -1 (also when there are no values at all)."""
    if len(values) == 0:
        return np.full(len(index), np.nan)
    return np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)


def availability_features(n_tg: int, pair_tg: np.ndarray, pair_player: np.ndarray, absent: np.ndarray,
                          role: np.ndarray, pra: np.ndarray, usage: np.ndarray, first: np.ndarray,
                          row_tg: np.ndarray, opp_tg: np.ndarray, player: np.ndarray, own_min: np.ndarray,
                          own_usage: np.ndarray, own_out_recent: np.ndarray) -> dict[str, np.ndarray]:
    """The ``availability`` tier's tonight features, from each team-game's rotation candidates
    (``pair_*``: team-game, player, out or not, role = last-10 minutes, PRA and usage as of his
    last game, ``first``: tonight is the first team game after his last one) and the rows (their
    own and their opponent's team-game, player, last-10 minutes and usage, and the mean
    ``team_out_min`` of their last 10 games). The batch builder and the slate path both compute
    them here, so a served slate gets the backtest's numbers."""
    n = len(row_tg)
    out: dict[str, np.ndarray] = {}

    def per_game(weights: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
        return per_team_game(n_tg, pair_tg, weights, mask)

    out_n = per_game(None, absent)
    out_min = per_game(role, absent)
    out_usage = per_game(usage, absent)
    available_min = per_game(role, ~absent)
    available_usage = per_game(usage, ~absent)
    at = at_team_game

    out["team_out_n"] = at(out_n, row_tg)
    out["team_out_min"] = at(out_min, row_tg)
    out["team_out_min_new"] = at(per_game(role, absent & first), row_tg)
    out["team_out_pra"] = at(per_game(pra, absent), row_tg)
    out["team_out_usage"] = at(out_usage, row_tg)
    out["opp_out_n"] = at(out_n, opp_tg)
    out["opp_out_min"] = at(out_min, opp_tg)

    # the player's share of what was freed: his part of tonight's available rotation
    pair_key = pd.MultiIndex.from_arrays([pair_tg[~absent], pair_player[~absent]])
    hit = pair_key.get_indexer(pd.MultiIndex.from_arrays([row_tg, player]))  # his own pair, if a candidate

    def share(own: np.ndarray, available: np.ndarray, candidate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """His ``own`` value over the available rotation's (himself counted once); and the others' total."""
        others = at(available, row_tg) - np.where(hit >= 0, at(candidate[~absent], hit), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(own + others > 0, own / (own + others), 0.0), others

    minutes_share, others = share(own_min, available_min, role)
    out["out_min_expected"] = out["team_out_min"] * minutes_share
    out["min_expected_tonight"] = own_min + out["out_min_expected"]
    out["team_avail_min"] = others
    rank = pd.Series(role[~absent]).groupby(pair_tg[~absent]).rank(ascending=False, method="min").to_numpy()
    out["avail_rank"] = at(rank, hit)
    usage_share, _ = share(own_usage, available_usage, usage)
    out["out_usage_expected"] = out["team_out_usage"] * usage_share
    # absent teammates of a similar role (no positions in the logs: minutes stand in for them)
    gone = pd.DataFrame({"tg": pair_tg[absent], "gone_role": role[absent]})
    mine = pd.DataFrame({"tg": row_tg, "own": own_min, "row": np.arange(n)})
    both = mine.merge(gone, on="tg", how="inner")
    similar = np.abs(both["gone_role"].to_numpy() - both["own"].to_numpy()) <= SIMILAR_ROLE_MINUTES
    out["out_min_similar"] = np.bincount(both["row"].to_numpy(dtype=np.int64)[similar],
                                         weights=both["gone_role"].to_numpy(dtype=float)[similar], minlength=n)
    # rotation teammates back tonight: available, but not in the team's previous game (not ``first``)
    back = ~absent & ~first
    own_back = np.where(hit >= 0, at(np.where(first[~absent], 0.0, role[~absent]), hit), 0.0)
    out["team_back_min"] = at(per_game(role, back), row_tg) - own_back
    out["out_min_vs_recent"] = out["team_out_min"] - own_out_recent
    return out


def lineup_features(n_tg: int, row_tg: np.ndarray, opp_tg: np.ndarray, player: np.ndarray, starter: np.ndarray,
                    share: np.ndarray, own_min: np.ndarray, as_starter: np.ndarray, as_bench: np.ndarray,
                    pair_tg: np.ndarray, pair_player: np.ndarray, pair_role: np.ndarray, pair_share: np.ndarray,
                    pair_absent: np.ndarray) -> dict[str, np.ndarray]:
    """The ``lineup`` tier from each row's ``starter`` (1/0; NaN: not announced), his start share of
    his last 10 games, his last-10 minutes and his minutes in his last starts and bench games; and
    from each team-game's rotation candidates (``pair_*``: role, start share as of his last game, out
    tonight or not): the regular starters not in tonight's lineup. A team-game's lineup counts only when five distinct
    starters are known; otherwise its rows' lineup features (and the opponent's reading of it) are
    missing. Sums run over the starters sorted by (team-game, player), whatever order the rows come
    in, so the batch builder and the slate path add the same numbers in the same order."""
    n = len(row_tg)
    is_starter = (starter == 1) & (row_tg >= 0)
    pick = np.flatnonzero(is_starter)
    pick = pick[np.lexsort((player[pick], row_tg[pick]))]
    if len(pick):  # one row a starter (a player listed twice counts once)
        same = np.r_[False, (row_tg[pick][1:] == row_tg[pick][:-1]) & (player[pick][1:] == player[pick][:-1])]
        pick = pick[~same]
    new = ~(share[pick] >= REGULAR_START_SHARE)  # (no start history: new)
    tg_of = row_tg[pick]
    count = np.bincount(tg_of, minlength=n_tg)
    new_n = np.bincount(tg_of, weights=new.astype(float), minlength=n_tg)
    new_min = np.bincount(tg_of, weights=np.where(new, own_min[pick], 0.0), minlength=n_tg)
    starters_min = np.bincount(tg_of, weights=own_min[pick], minlength=n_tg)
    known = count == 5

    def at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Per row: ``values`` of team-game ``index`` where its lineup is known, else NaN."""
        ok = index >= 0
        ok[ok] = known[index[ok]]
        return np.where(ok, values[np.where(ok, index, 0)] if n_tg else np.nan, np.nan)

    tonight = at(np.ones(n_tg), row_tg) * np.where(starter == 1, 1.0, 0.0)
    role_minutes = np.where(tonight == 1, as_starter, np.where(tonight == 0, as_bench, np.nan))
    # regular starters among the candidates who do not start tonight: out, or moved to the bench
    starting = pd.MultiIndex.from_arrays([pair_tg, pair_player]).isin(
        pd.MultiIndex.from_arrays([row_tg[pick], player[pick]]))
    regular = pair_share >= REGULAR_START_SHARE
    lost = regular & ~starting
    lost_min = np.bincount(pair_tg[lost], weights=pair_role[lost], minlength=n_tg)
    benched = np.bincount(pair_tg[lost & ~pair_absent], minlength=n_tg).astype(float)
    benched_min = np.bincount(pair_tg[lost & ~pair_absent], weights=pair_role[lost & ~pair_absent], minlength=n_tg)
    return {"starter_tonight": tonight, "start_vs_share": tonight - share, "min_in_role_tonight": role_minutes,
            "team_new_starters": at(new_n, row_tg), "team_new_starter_min": at(new_min, row_tg),
            "team_starters_min": at(starters_min, row_tg), "opp_new_starters": at(new_n, opp_tg),
            "team_lost_starter_min": at(lost_min, row_tg), "team_benched_starters": at(benched, row_tg),
            "team_benched_starter_min": at(benched_min, row_tg), "opp_lost_starter_min": at(lost_min, opp_tg)}


def roster_features(n_tg: int, row_tg: np.ndarray, player: np.ndarray, row_dressed: np.ndarray,
                    starter_tonight: np.ndarray, own_role: np.ndarray, own_in_role: np.ndarray,
                    other_tg: np.ndarray, other_player: np.ndarray, other_role: np.ndarray,
                    other_bench: np.ndarray) -> dict[str, np.ndarray]:
    """Tonight's dressed roster and each row's share of its 240 minutes.

    The roster of a team-game: its rows not ruled out (``row_dressed``) and the others given
    (``other_*``: rotation candidates nobody ruled out, dressed players who did not play), each
    once. A player's minutes are his last-10 mean (``own_role`` / ``other_role``, 0 without
    history); with a lineup (``starter_tonight`` not NaN) also his minutes in tonight's role:
    ``own_in_role`` for the rows, bench minutes for the others (who do not start), each falling
    back to the last-10 mean. Sums run over the roster sorted by (team-game, player), so the batch
    builder and the slate path add the same numbers in the same order."""
    lineup_known = ~np.isnan(starter_tonight)
    row_l = np.where(lineup_known, np.where(np.isnan(own_in_role), own_role, own_in_role), np.nan)
    rows = row_dressed & (row_tg >= 0)
    m_tg = np.r_[row_tg[rows], other_tg].astype(np.int64)
    m_player = np.r_[player[rows], other_player].astype(np.int64)
    m_role = np.r_[own_role[rows], other_role].astype(float)
    m_in_role = np.r_[row_l[rows], np.where(np.isnan(other_bench), other_role, other_bench)].astype(float)
    order = np.lexsort((np.arange(len(m_tg)), m_player, m_tg))
    m_tg, m_player, m_role, m_in_role = m_tg[order], m_player[order], m_role[order], m_in_role[order]
    if len(m_tg):  # a player listed twice (a row and a candidate) counts once, as the row
        first = np.r_[True, (m_tg[1:] != m_tg[:-1]) | (m_player[1:] != m_player[:-1])]
        m_tg, m_player, m_role, m_in_role = m_tg[first], m_player[first], m_role[first], m_in_role[first]
    count = np.bincount(m_tg, minlength=n_tg).astype(float)
    role_sum = np.bincount(m_tg, weights=m_role, minlength=n_tg)
    in_role_sum = np.bincount(m_tg, weights=np.nan_to_num(m_in_role), minlength=n_tg)
    hit = pd.MultiIndex.from_arrays([m_tg, m_player]).get_indexer(pd.MultiIndex.from_arrays([row_tg, player]))
    member = hit >= 0
    mine = np.where(member, hit, 0)
    at = at_team_game
    total = at(role_sum, row_tg) - np.where(member, m_role[mine] if len(m_tg) else 0.0, 0.0) + own_role
    # (NaN where his team-game's lineup is unknown: row_l is, for every row of it)
    total_l = at(in_role_sum, row_tg) - np.where(member, m_in_role[mine] if len(m_tg) else 0.0, 0.0) + row_l
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"roster_n": at(count, row_tg) - member + 1.0, "team_roster_min": total,
                "min_roster_share": np.where(total > 0, own_role * 5 * REGULATION_MINUTES / total, np.nan),
                "team_roster_role_min": total_l,
                "min_projected": np.where(total_l > 0, row_l * 5 * REGULATION_MINUTES / total_l, np.nan)}


def market_features(spread: np.ndarray, total: np.ndarray) -> dict[str, np.ndarray]:
    """The ``market`` tier from his team's point spread and the game's total (NaN: no line)."""
    return {"team_spread": spread, "game_total": total, "team_implied_total": (total - spread) / 2.0,
            "abs_spread": np.abs(spread)}


def _team_games(r: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row keys and one row per (game, team): PRA, possessions and margin, what the
    opponent scored against the team (``pra_allowed``) and the game's possessions."""
    real = ~r["is_target"].to_numpy()
    pra = schema.pra(r).to_numpy(dtype=float)
    poss = (r["FGA"] + 0.44 * r["FTA"] + r["TOV"] - r["OREB"]).to_numpy(dtype=float)
    keyed = pd.DataFrame({
        "GAME_ID": r["GAME_ID"].to_numpy(), "TEAM": r["TEAM"].to_numpy(), "OPPONENT": r["OPPONENT"].to_numpy(),
        "SEASON": r["SEASON"].to_numpy(), "GAME_DATE": r["GAME_DATE"].to_numpy(),
        "pra": np.where(real, pra, np.nan), "poss": np.where(real, poss, np.nan),
        "margin": np.where(real, r["PLUS_MINUS"].to_numpy(dtype=float) / 5.0, np.nan),
        "minutes": np.where(real, r["MIN"].to_numpy(dtype=float), np.nan),
        "pts": np.where(real, r["PTS"].to_numpy(dtype=float), np.nan),
        "real": real,
    })
    tg = keyed.groupby(["GAME_ID", "TEAM"], sort=False).agg(
        OPPONENT=("OPPONENT", "first"), SEASON=("SEASON", "first"), GAME_DATE=("GAME_DATE", "first"),
        real=("real", "any"),
    )
    for col in ("pra", "poss", "margin", "minutes", "pts"):
        tg[col] = _sum_by(keyed, ["GAME_ID", "TEAM"], col)
    tg = tg.reset_index()
    for col in ("pra", "poss", "margin", "minutes", "pts"):
        tg.loc[~tg["real"], col] = np.nan
    # a slate may list players of one side only: the other side's team-game still exists
    mirror = tg.rename(columns={"TEAM": "OPPONENT", "OPPONENT": "TEAM"})[tg.columns]
    known = pd.MultiIndex.from_frame(tg[["GAME_ID", "TEAM"]])
    missing = ~pd.MultiIndex.from_frame(mirror[["GAME_ID", "TEAM"]]).isin(known)
    if missing.any():
        extra = mirror[missing].assign(pra=np.nan, poss=np.nan, margin=np.nan, minutes=np.nan, pts=np.nan,
                                      real=False)
        tg = pd.concat([tg, extra], ignore_index=True)
    tg.loc[tg["poss"] <= 0, "poss"] = np.nan  # no box-score columns: unknown, not zero
    # what the opponent scored against this team = PRA allowed by this team
    opp = tg[["GAME_ID", "TEAM", "pra", "poss", "pts"]].rename(
        columns={"TEAM": "OPPONENT", "pra": "pra_allowed", "poss": "opp_poss", "pts": "pts_allowed"})
    tg = tg.merge(opp, on=["GAME_ID", "OPPONENT"], how="left")
    tg["score_margin"] = tg["pts"] - tg["pts_allowed"]
    tg["game_poss"] = (tg["poss"] + tg["opp_poss"]) / 2
    return keyed, tg


def _sum_by(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Per-group sum of ``column`` (missing values count as zero), groups in order of first
    appearance: each group's values added one by one in row order.

    Not pandas' grouped sum: its result for a group can change in the last bits with what the
    *other* groups hold (a NaN anywhere in the column, measured; and the same four team-games
    of one day summed to 2466.0400000000004 or 2466.04 depending on older seasons' rows). A
    slate's features are then the batch builder's only if every sum is a function of its own
    group's values in a fixed order: ``np.bincount`` adds exactly so.
    """
    codes = frame.groupby(keys, sort=False).ngroup().to_numpy()
    groups = frame[keys].drop_duplicates()
    values = frame[column].fillna(0.0).to_numpy(dtype=float)
    sums = np.bincount(codes, weights=values, minlength=len(groups))
    index = pd.MultiIndex.from_frame(groups) if len(keys) > 1 else pd.Index(groups[keys[0]])
    return pd.Series(sums, index=index, name=column)


def _league_to_date(tg: pd.DataFrame, before: bool) -> pd.DataFrame:
    """Per (season, date): the league's mean PRA allowed and possessions per team-game over the
    season's team-games before that date (``before``) or through it, as running sums of the
    days' sums in date order."""
    parts = tg[["SEASON", "GAME_DATE"]].assign(
        pra_sum=tg["pra_allowed"].fillna(0.0), pra_n=tg["pra_allowed"].notna().astype(float),
        poss_sum=tg["game_poss"].fillna(0.0), poss_n=tg["game_poss"].notna().astype(float))
    daily = pd.concat([_sum_by(parts, ["SEASON", "GAME_DATE"], c) for c in ("pra_sum", "pra_n", "poss_sum", "poss_n")],
                      axis=1).sort_index()
    shift = (lambda s: s.cumsum().shift(1, fill_value=0)) if before else (lambda s: s.cumsum())
    daily = daily.groupby(level="SEASON").transform(shift)
    daily["league_pra"] = daily["pra_sum"] / daily["pra_n"].where(daily["pra_n"] > 0)
    daily["league_poss"] = daily["poss_sum"] / daily["poss_n"].where(daily["poss_n"] > 0)
    return daily


def league_levels(history: pd.DataFrame) -> pd.DataFrame:
    """Per season, the league's mean PRA allowed and possessions per team-game over all of
    ``history``: the level a game after the history's last date is measured against, computed
    as the batch builder computes it for such a game (same sums, same order: bit for bit)."""
    rows = history.assign(is_target=False)
    for col in STAT_COLUMNS:
        if col not in rows.columns:
            rows[col] = np.nan
    rows = rows.iloc[_canonical_order(rows)].reset_index(drop=True)
    _, tg = _team_games(rows)
    through = _league_to_date(tg, before=False)
    return through.groupby(level="SEASON")[["league_pra", "league_poss"]].last()


def lagged_mean(frame: pd.DataFrame, by: list[str], values: pd.Series | np.ndarray, k: int | None) -> np.ndarray:
    """Mean of ``values`` over each row's previous ``k`` rows (all if None) within ``by`` groups, by date.

    The baselines use it: e.g. the previous-10-game PRA mean within a player's season.
    """
    keys = [pd.factorize(frame[col])[0] for col in by]
    order, windows = _Windows.grouped(keys, _days(frame["GAME_DATE"]))
    out = np.empty(len(frame))
    out[order] = windows.mean(np.asarray(values, dtype=float)[order], k)
    return out
