"""A compact snapshot of player and team state as of a cutoff date, for featurizing a slate.

The served model gets slate rows (player, date, team, opponent, home), not feature
vectors. It carries this snapshot: the game logs of the last ``days`` days before the
cutoff (this season and the last: every team window, every season-to-date number) and
each player's last ``PLAYER_GAMES`` games however old (every player window: 3/10/30-game
means; the last ``SHARE_GAMES`` of them with the team's other rows, for his minutes share),
plus, per (player, team), how many games lie before the kept rows, so the all-history
counts (``games_career``, ``games_with_team``) stay exact.

With pre-game news (:class:`~mlflow_nbaprops.data.news.News`), it keeps the pregame lists of the
games it holds: the history of starts and the inactive lists a news feature set reads.

Not exact, by design: exponentially weighted means lose the weight of a player's games
older than his last ``PLAYER_GAMES`` (about 2 % of the weight at a 15-game half-life), and
``missed_team_games`` of a player back after more than ``days`` counts only the team
games the snapshot kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from mlflow_nbaprops.data.news import News
from mlflow_nbaprops.data.schema import season_of
from mlflow_nbaprops.errors import DataValidationError
from mlflow_nbaprops.features.builder import (
    ABSENCE_COLUMNS,
    KEY_COLUMNS,
    NEWS_COLUMNS,
    STAT_COLUMNS,
    TARGET_COLUMNS,
    build_features,
    lagged_mean,
    league_levels,
)
from mlflow_nbaprops.features.night import Night, build_night
from mlflow_nbaprops.features.registry import FeatureSet

#: Default look-back: this season and the whole previous one.
DEFAULT_SNAPSHOT_DAYS = 400
#: Each player's last games kept however old they are (>= the longest player window, 30).
PLAYER_GAMES = 82
#: Of those, the last games kept whole for his team (>= the longest minutes-share window, 10).
SHARE_GAMES = 10
#: Probe states kept per snapshot: a slate's dates (at most a week) for a model and its fallback (two
#: feature sets), so a multi-day slate sent again rebuilds none (with 4, a 5-date slate to a lineups
#: model rebuilt all ten on every request: 34 s).
NIGHTS_KEPT = 16
ROWS_FILE = "history.parquet"
PRIOR_FILE = "prior_games.parquet"
LEAGUE_FILE = "league.parquet"
#: The pregame lists of the held games (a snapshot of a model trained with news only).
PREGAME_FILE = "pregame.parquet"


@dataclass(frozen=True)
class Extension:
    """What :meth:`HistorySnapshot.extend` did with the rows it was given."""

    new_rows: int
    new_games: int
    already_held: int
    corrected: list[str]
    before_cutoff: int
    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    #: for a snapshot that keeps news: new games with a pregame list, and new games without one
    #: (their starters and inactive lists are unknown: absences read from their box scores)
    news_games: int = 0
    games_without_news: list[str] = field(default_factory=list)

    def summary(self) -> str:
        added = (f"{self.new_rows:,} new player-games in {self.new_games:,} games "
                 f"({self.first_date:%Y-%m-%d} .. {self.last_date:%Y-%m-%d})" if self.new_rows else "no new games")
        text = (f"{added}; {self.already_held:,} already in the snapshot, {len(self.corrected):,} corrected, "
                f"{self.before_cutoff:,} dated on or before the snapshot's cutoff and not in it (skipped)")
        if self.news_games or self.games_without_news:
            text += f"; pregame news for {self.news_games:,} new game(s)"
            if self.games_without_news:
                shown = ", ".join(self.games_without_news[:5]) + (" ..." if len(self.games_without_news) > 5 else "")
                text += (f", none for {len(self.games_without_news):,} ({shown}: their absences are read from the box "
                         "score and their starters are unknown)")
        return text


def _changed_lists(held: pd.DataFrame, incoming: pd.DataFrame) -> list[str]:
    """The games both pregame frames list whose lists differ (players, starters or statuses)."""
    both = set(held["GAME_ID"]) & set(incoming["GAME_ID"])
    if not both:
        return []
    key = ["GAME_ID", "TEAM", "PLAYER_ID"]

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        part = frame.loc[frame["GAME_ID"].isin(both), [*key, "STARTER", "STATUS"]]
        return part.astype({"STARTER": bool, "PLAYER_ID": "int64", "GAME_ID": object, "TEAM": object, "STATUS": object})

    merged = keyed(held).merge(keyed(incoming), on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    differs = ((merged["_merge"] != "both") | (merged["STARTER_old"] != merged["STARTER_new"])
               | (merged["STATUS_old"] != merged["STATUS_new"]))
    changed = merged[differs].groupby("GAME_ID").size()
    return [f"GAME_ID {game}: pregame list changed ({n} player row(s) differ)" for game, n in changed.items()]


def _describe_change(key: pd.Series, old: pd.Series, new: pd.Series) -> str:
    def plain(value) -> str:
        if pd.isna(value):
            return "empty"
        if isinstance(value, pd.Timestamp):
            return f"{value:%Y-%m-%d}"
        if isinstance(value, (bool, np.bool_, str)):
            return str(value)
        return f"{float(value):g}"

    diffs = ", ".join(f"{c} {plain(old[c])} -> {plain(new[c])}" for c in old.index
                      if not (old[c] == new[c] or (pd.isna(old[c]) and pd.isna(new[c]))))
    return f"GAME_ID {key['GAME_ID']} PLAYER_ID {key['PLAYER_ID']} ({key['GAME_DATE']:%Y-%m-%d}): {diffs}"


@dataclass(frozen=True)
class HistorySnapshot:
    """Game logs of the ``days`` before ``cutoff`` and per (player, team) game counts before them."""

    rows: pd.DataFrame
    prior_games: pd.DataFrame  # PLAYER_ID, TEAM, games
    cutoff: pd.Timestamp
    days: int
    news: News | None = None  # the pregame lists of the held games (None: a model without news)
    _nights: dict = field(default_factory=dict, repr=False, compare=False)  # game date -> Night
    # a served model answers requests on several threads: the cache is guarded, and a night is
    # built once (a second request for it waits for that build instead of building it again)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _building: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # key -> Lock

    @cached_property
    def league(self) -> pd.DataFrame:
        """League levels per season over the snapshot (see ``league_levels``)."""
        return league_levels(self.rows)

    @classmethod
    def from_history(cls, history: pd.DataFrame, days: int = DEFAULT_SNAPSHOT_DAYS,
                     prior_games: pd.DataFrame | None = None, news: News | None = None) -> "HistorySnapshot":
        """Snapshot canonical game logs ``history`` as of their last game date (``prior_games``:
        per (player, team) counts of games before ``history``, added to those it drops; ``news``:
        the pregame lists, of which the held games' are kept)."""
        if len(history) == 0:
            raise ValueError("cannot snapshot an empty history")
        history = history.reset_index(drop=True)
        cutoff = pd.Timestamp(history["GAME_DATE"].max())
        start = cutoff - pd.Timedelta(days=days)
        latest_first = history.sort_values(["GAME_DATE", "GAME_ID"], ascending=False, kind="stable")
        games_ago = latest_first.groupby("PLAYER_ID", sort=False).cumcount().reindex(history.index)
        by_date = (history["GAME_DATE"] > start).to_numpy()
        recent = by_date | (games_ago < PLAYER_GAMES).to_numpy()
        # a kept game older than the window still needs his teammates' rows for one thing: the
        # team's minutes in it (his minutes share, over his last SHARE_GAMES games)
        shared = ~by_date & (games_ago < SHARE_GAMES).to_numpy()
        if shared.any():
            team_games = pd.MultiIndex.from_frame(history[["GAME_ID", "TEAM"]])
            recent |= team_games.isin(team_games[shared])
        recent = pd.Series(recent, index=history.index)
        columns = [c for c in KEY_COLUMNS + STAT_COLUMNS if c in history.columns]
        rows = history.loc[recent, columns].sort_values(["GAME_DATE", "GAME_ID", "PLAYER_ID"]).reset_index(drop=True)
        dropped = history.loc[~recent, ["PLAYER_ID", "TEAM"]].assign(games=1)
        if prior_games is not None and len(prior_games):
            dropped = pd.concat([prior_games[["PLAYER_ID", "TEAM", "games"]], dropped], ignore_index=True)
        prior = (dropped.groupby(["PLAYER_ID", "TEAM"])["games"].sum().reset_index()
                 .astype({"PLAYER_ID": "int64", "TEAM": str, "games": "int64"}))
        kept = None if news is None else News(pregame=news.for_games(rows["GAME_ID"]).pregame)
        return cls(rows, prior, cutoff, int(days), kept)

    def extend(self, games: pd.DataFrame, accept_corrections: bool = False,
               news: News | None = None) -> tuple["HistorySnapshot", "Extension"]:
        """This snapshot with the canonical game logs ``games`` added: the snapshot
        :meth:`from_history` would give on the whole history up to the new games' last date.

        Rows already in the snapshot (matched on ``GAME_ID`` and ``PLAYER_ID``) are skipped if
        every column is unchanged (box score, date, teams, home); a changed one is an error naming it, unless
        ``accept_corrections``, which takes the new box score and counts it. Rows dated on or
        before the cutoff that the snapshot does not hold (older games it had already dropped,
        or a game that arrived late) are skipped and counted: a snapshot only grows forward.
        A snapshot that keeps news takes ``news``' pregame lists of the games it gains (a list of a
        game it holds that differs is a correction, refused or taken like a box score).
        """
        columns = [c for c in KEY_COLUMNS + STAT_COLUMNS if c in self.rows.columns]
        missing = [c for c in columns if c not in games.columns]
        if missing:
            raise DataValidationError(f"new games lack column(s) {', '.join(missing)} the snapshot holds")
        games = games[columns].reset_index(drop=True)
        key = ["GAME_ID", "PLAYER_ID"]
        held = pd.MultiIndex.from_frame(self.rows[key].astype({"GAME_ID": str, "PLAYER_ID": "int64"}))
        incoming = pd.MultiIndex.from_frame(games[key].astype({"GAME_ID": str, "PLAYER_ID": "int64"}))
        at = held.get_indexer(incoming)
        known = at >= 0
        # every column of a held row, not only its box score: a game moved to another date or a
        # team's HOME flipped is a change like any other (listed, refused unless accepted)
        stats = [c for c in columns if c not in key]
        old = self.rows.iloc[at[known]][stats].reset_index(drop=True)
        new = games.loc[known, stats].reset_index(drop=True).astype(old.dtypes.to_dict(), errors="ignore")
        differs = ~((old == new) | (old.isna() & new.isna())).all(axis=1).to_numpy()
        changed = [_describe_change(games.loc[known].iloc[i], old.iloc[i], new.iloc[i])
                   for i in np.flatnonzero(differs)]
        if changed and not accept_corrections:
            shown = "; ".join(changed[:5]) + (f"; and {len(changed) - 5} more" if len(changed) > 5 else "")
            raise DataValidationError(
                f"{len(changed)} held row(s) differ from the snapshot's: {shown}. Nothing was changed; "
                "pass accept_corrections (CLI: --accept-corrections) to take the new values", changed)
        late = ~known & (games["GAME_DATE"] <= self.cutoff).to_numpy()
        fresh = games.loc[~known & ~late]
        kept_news, news_changed = self.news, []
        if self.news is not None and news is not None:
            news_changed = _changed_lists(self.news.pregame, news.pregame)
            if news_changed and not accept_corrections:
                shown = "; ".join(news_changed[:5]) + (f"; and {len(news_changed) - 5} more" if len(news_changed) > 5 else "")
                raise DataValidationError(
                    f"{len(news_changed)} pregame list(s) differ from the snapshot's: {shown}. Nothing was changed; "
                    "pass accept_corrections (CLI: --accept-corrections) to take the new lists", news_changed)
            held_games = set(self.rows["GAME_ID"].astype(str)) | set(fresh["GAME_ID"].astype(str))
            kept_news = self.news.merged(news.for_games(held_games))
        rows = self.rows.copy()
        if changed:
            fixed = games.loc[known].iloc[np.flatnonzero(differs)]
            for column in stats:  # (column by column: each keeps its dtype)
                rows.loc[at[known][differs], column] = fixed[column].to_numpy()
        new_games = pd.unique(fresh["GAME_ID"].astype(str))
        listed = set(kept_news.pregame["GAME_ID"]) if kept_news is not None else set()
        extension = Extension(new_rows=len(fresh), new_games=len(new_games),
                              already_held=int(known.sum() - differs.sum()), corrected=changed + news_changed,
                              before_cutoff=int(late.sum()),
                              first_date=fresh["GAME_DATE"].min() if len(fresh) else None,
                              last_date=fresh["GAME_DATE"].max() if len(fresh) else None,
                              news_games=sum(g in listed for g in new_games) if self.news is not None else 0,
                              games_without_news=[g for g in new_games if g not in listed] if self.news is not None else [])
        if len(fresh) == 0 and not changed and not news_changed:
            return self, extension
        combined = pd.concat([rows, fresh.astype(rows.dtypes.to_dict())], ignore_index=True)
        return HistorySnapshot.from_history(combined, self.days, self.prior_games, kept_news), extension

    def recent_means(self, targets: pd.DataFrame, columns: dict[str, np.ndarray], k: int = 10) -> pd.DataFrame:
        """Each target player's mean of ``columns`` (name -> one value per snapshot row) over his
        last ``k`` games of the target date's season: the backtest's previous-``k`` baselines,
        computed by the same :func:`lagged_mean`, one slate day at a time."""
        out = np.full((len(targets), len(columns)), np.nan)
        history = self.rows[["PLAYER_ID", "SEASON", "GAME_DATE"]].astype({"SEASON": object})
        for day, index in targets.groupby("GAME_DATE", sort=False).indices.items():
            players = pd.unique(targets["PLAYER_ID"].to_numpy(dtype=np.int64)[index])
            tonight = pd.DataFrame({"PLAYER_ID": players, "SEASON": season_of(pd.Timestamp(day)), "GAME_DATE": pd.Timestamp(day)})
            stacked = pd.concat([history, tonight], ignore_index=True)
            blank = np.full(len(players), np.nan)
            means = np.column_stack([
                lagged_mean(stacked, ["PLAYER_ID", "SEASON"], np.r_[np.asarray(v, dtype=float), blank], k)[len(history):]
                for v in columns.values()])
            out[index] = means[pd.Index(players).get_indexer(targets["PLAYER_ID"].to_numpy(dtype=np.int64)[index])]
        return pd.DataFrame(out, columns=list(columns))

    def knows(self, player_ids) -> np.ndarray:
        """True where the player has a game in the snapshot window."""
        return np.isin(np.asarray(player_ids, dtype=np.int64), self._players)

    @cached_property
    def teams(self) -> frozenset[str]:
        """The team abbreviations of the snapshot."""
        return frozenset(self.rows["TEAM"].astype(str))

    def played_for(self, player_ids, teams) -> np.ndarray:
        """True where the player has a game for that team in the snapshot."""
        pairs = self._pairs
        return np.fromiter(((int(p), str(t)) in pairs for p, t in zip(player_ids, teams)), dtype=bool,
                           count=len(player_ids))

    @cached_property
    def _pairs(self) -> frozenset[tuple[int, str]]:
        held = zip(self.rows["PLAYER_ID"].astype("int64").tolist(), self.rows["TEAM"].astype(str).tolist())
        older = zip(self.prior_games["PLAYER_ID"].astype("int64").tolist(), self.prior_games["TEAM"].astype(str).tolist())
        return frozenset(held) | frozenset(older)

    @cached_property
    def _players(self) -> np.ndarray:
        return np.unique(self.rows["PLAYER_ID"].to_numpy(dtype=np.int64))

    def features(self, targets: pd.DataFrame, feature_set: FeatureSet,
                 absences: pd.DataFrame | None = None, keys: bool = True) -> pd.DataFrame:
        """Features of ``targets`` (upcoming games) from the snapshot; one row per target, in order.

        Each slate day is featurized from the snapshot alone: an earlier day of a multi-day
        slate is not a game the player has played, and a repeated row gets the same answer.
        For games after the cutoff only the rows the features read are used — every game of
        the slate's teams, their opponents and their players — with the league levels
        from the whole snapshot, which gives the same values far faster for small slates.
        ``absences`` (``PLAYER_ID, TEAM, GAME_DATE``) are players declared out (see ``build_features``).
        ``keys`` False: the feature columns only (what the predictor needs).
        """
        targets = targets.reset_index(drop=True)
        absences = absences if absences is not None else pd.DataFrame(columns=ABSENCE_COLUMNS)
        if len(targets) and targets["GAME_DATE"].nunique() == 1:  # tonight's slate: one lookup pass
            fast = self._from_night(targets, feature_set, absences, keys)
            if fast is not None:
                return fast
        # a row is its keys plus tonight's news (STARTER, SPREAD, TOTAL) where the slate gives them
        carried = [*TARGET_COLUMNS, *(c for c in NEWS_COLUMNS if c in targets.columns)]
        unique = targets[carried].drop_duplicates(TARGET_COLUMNS)
        days = [self._one_day(day, feature_set, absences[absences["GAME_DATE"] == date])
                for date, day in unique.groupby("GAME_DATE", sort=False)]
        built = pd.concat(days, ignore_index=True) if days else self._one_day(unique, feature_set, absences)
        out = targets[TARGET_COLUMNS].merge(built, on=TARGET_COLUMNS, how="left", validate="many_to_one")
        return out[built.columns] if keys else out[list(feature_set.names)]

    def night(self, day: pd.Timestamp, feature_set: FeatureSet) -> Night:
        """The probe state for ``day`` (after the cutoff), built once and kept for the next slates."""
        key = (pd.Timestamp(day), feature_set.hash)
        with self._lock:
            if key in self._nights:
                return self._nights[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._nights:  # built by the thread this one waited for
                    return self._nights[key]
            built = build_night(self.rows, self.league, key[0], feature_set, self.prior_games, news=self.news)
            with self._lock:
                if len(self._nights) >= NIGHTS_KEPT:
                    self._nights.pop(next(iter(self._nights)))
                self._nights[key] = built
                self._building.pop(key, None)
            return built

    def next_night(self) -> pd.Timestamp:
        """The first date after the cutoff: tonight, for a model refreshed with last night's games."""
        return self.cutoff + pd.Timedelta(days=1)

    def build_ahead(self, feature_set: FeatureSet) -> threading.Thread:
        """Start building the state of :meth:`next_night` on a background thread, so that no request
        pays for it; a request for that night meanwhile waits for this build."""
        thread = threading.Thread(target=self.night, args=(self.next_night(), feature_set),
                                  name="nbaprops-night-ahead", daemon=True)
        thread.start()
        return thread

    def _one_day(self, targets: pd.DataFrame, feature_set: FeatureSet, absences: pd.DataFrame) -> pd.DataFrame:
        fast = self._from_night(targets.reset_index(drop=True), feature_set, absences)
        return fast if fast is not None else self._built(targets, feature_set, absences)

    def _from_night(self, targets: pd.DataFrame, feature_set: FeatureSet, absences: pd.DataFrame,
                    keys: bool = True) -> pd.DataFrame | None:
        """One game date's targets from its :class:`Night`; None where the night does not cover
        them all (a player listed for a team he has not played for, an unknown team) or the date
        is not after the cutoff: then the batch builder answers."""
        day = pd.Timestamp(targets["GAME_DATE"].iloc[0])
        if day <= self.cutoff:
            return None
        night = self.night(day, feature_set)
        traded = night.missing(targets)
        if len(traded):  # probe them too, once for the night (a separate run: one target per player)
            extra = build_night(self.rows, self.league, day, feature_set, self.prior_games, pairs=traded,
                                news=self.news)
            night = night.with_pairs(extra)
            with self._lock:
                self._nights[(day, feature_set.hash)] = night
        if not night.covers(targets).all():
            return None
        features = night.features(targets, list(feature_set.names), absences)
        if not keys:
            return features
        team = targets["TEAM"].astype(str).to_numpy(dtype=object)
        opponent = targets["OPPONENT"].astype(str).to_numpy(dtype=object)
        low, high = np.where(team < opponent, team, opponent), np.where(team < opponent, opponent, team)
        named = pd.DataFrame({  # as build_features names an upcoming game
            "GAME_ID": "T" + day.strftime("%Y%m%d") + low + high, "GAME_DATE": np.full(len(targets), day.to_datetime64()),
            "SEASON": season_of(pd.Timestamp(day)), "PLAYER_ID": targets["PLAYER_ID"].to_numpy(dtype=np.int64), "TEAM": team,
            "OPPONENT": opponent, "HOME": targets["HOME"].to_numpy(dtype=bool)})
        return pd.concat([named, features], axis=1)

    def _built(self, targets: pd.DataFrame, feature_set: FeatureSet, absences: pd.DataFrame) -> pd.DataFrame:
        """The batch builder on the rows the targets' features read (the exact reference path)."""
        rows, league = self.rows, None
        if len(targets) and (pd.to_datetime(targets["GAME_DATE"]) > self.cutoff).all():
            teams = pd.unique(pd.concat([targets["TEAM"], targets["OPPONENT"]]).astype(str))
            teams_rows = self.rows["TEAM"].isin(teams)
            # every game of every player of these teams (a rotation teammate's role counts his
            # games for a former team too), of the slate's players, and of the teams' opponents
            players = pd.unique(pd.concat([self.rows.loc[teams_rows, "PLAYER_ID"], targets["PLAYER_ID"],
                                           absences["PLAYER_ID"]]))
            keep = teams_rows | self.rows["OPPONENT"].isin(teams) | self.rows["PLAYER_ID"].isin(players)
            # whole games: a player's minutes share reads his team's minutes in each game he played
            keep |= self.rows["GAME_ID"].isin(pd.unique(self.rows.loc[keep, "GAME_ID"]))
            rows, league = self.rows[keep], self.league
        built = build_features(rows, feature_set, targets=targets, league=league, absences=absences, news=self.news)
        out = built[built["is_target"]].drop(columns="is_target").reset_index(drop=True)
        if len(self.prior_games):
            player = out["PLAYER_ID"].to_numpy(dtype=np.int64)
            if "games_career" in out:
                per_player = self.prior_games.groupby("PLAYER_ID")["games"].sum()
                out["games_career"] += per_player.reindex(player).fillna(0).to_numpy()
            if "games_with_team" in out:
                keyed = self.prior_games.set_index(["PLAYER_ID", "TEAM"])["games"]
                key = pd.MultiIndex.from_arrays([player, out["TEAM"].astype(str).to_numpy()])
                out["games_with_team"] += keyed.reindex(key).fillna(0).to_numpy()
        return out

    # ------------------------------------------------------------------ files (Parquet, no pickle)

    def save(self, directory: str | Path) -> list[str]:
        """Write the snapshot into ``directory``; returns the file names written."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.rows.to_parquet(directory / ROWS_FILE, index=False)
        self.prior_games.to_parquet(directory / PRIOR_FILE, index=False)
        self.league.reset_index().to_parquet(directory / LEAGUE_FILE, index=False)  # (float64: exact)
        if self.news is None:
            return [ROWS_FILE, PRIOR_FILE, LEAGUE_FILE]
        self.news.pregame.to_parquet(directory / PREGAME_FILE, index=False)
        return [ROWS_FILE, PRIOR_FILE, LEAGUE_FILE, PREGAME_FILE]

    @classmethod
    def load(cls, directory: str | Path, cutoff: str, days: int) -> "HistorySnapshot":
        directory = Path(directory)
        rows = pd.read_parquet(directory / ROWS_FILE)
        rows["GAME_DATE"] = pd.to_datetime(rows["GAME_DATE"]).astype("datetime64[ns]")
        news = None
        if (directory / PREGAME_FILE).is_file():
            pregame = pd.read_parquet(directory / PREGAME_FILE)
            pregame["GAME_DATE"] = pd.to_datetime(pregame["GAME_DATE"]).astype("datetime64[ns]")
            news = News(pregame=pregame)
        snapshot = cls(rows, pd.read_parquet(directory / PRIOR_FILE), pd.Timestamp(cutoff), int(days), news)
        if (directory / LEAGUE_FILE).is_file():  # saved with the snapshot: load stays fast
            snapshot.__dict__["league"] = pd.read_parquet(directory / LEAGUE_FILE).set_index("SEASON")
        else:  # a model saved before the league levels were
            snapshot.league  # noqa: B018 -- computed once at load, not on the first request
        return snapshot
