"""Tonight's state: what a served slate's features are made of, computed once per game date by
the batch builder itself, so that scoring a slate costs lookups plus the availability maths.

For a date after the snapshot's cutoff, the builder is run once on the whole snapshot with a
*probe* slate: every player of the snapshot with the team of his last game, every team given
a game that night. Of a target row's features, the probe then holds

- everything that depends on the player and his team (windows, season to date, rest, the
  team's context and rotation, vacated minutes): copied from the probe row (player, team);
  a player new to the snapshot gets the probe's newcomer row of his team (a player without
  history: his features do not depend on who he is);
- the opponent's defence and pace: read from the opponent's own probe team-game;
- ``home``: the request's.

What depends on who is out tonight (the ``availability`` tier) is computed per request from the
probe's rotation candidates by :func:`~mlflow_nbaprops.features.builder.availability_features`,
the function the batch builder uses, with the absences rule it uses; tonight's lineups and game
lines (the ``lineup`` and ``market`` tiers) from the request's ``STARTER``, ``SPREAD`` and ``TOTAL``
by :func:`~mlflow_nbaprops.features.builder.lineup_features` and ``market_features``, the same way. Candidates are kept in the
builder's order, so every sum adds the same numbers in the same order: the features equal the
batch builder's bit for bit (tested). A row the probe does not cover (a known player listed
for another team than his last one, an unknown team) is left to the caller's full path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from mlflow_nbaprops.features.builder import (
    _canonical_order,
    _Computer,
    _days,
    _stack,
    availability_features,
    declared_out,
    lineup_features,
    market_features,
    roster_features,
    upcoming_absent,
)
from mlflow_nbaprops.features.registry import FeatureSet

#: The features read from the opponent's probe team-game (name -> the team-game column).
OPPONENT_LEVELS = {"opp_pra_allowed_l15": "pra_allowed_rel", "opp_pace_l15": "pace_rel"}
#: Per-request availability features (computed by ``availability_features``).
TONIGHT = ("team_out_n", "team_out_min", "team_out_min_new", "team_out_pra", "team_out_usage", "opp_out_n",
           "opp_out_min", "out_min_expected", "min_expected_tonight", "team_avail_min", "avail_rank",
           "out_usage_expected", "out_min_similar", "team_back_min", "out_min_vs_recent",
           "starter_tonight", "start_vs_share", "min_in_role_tonight", "team_new_starters", "team_new_starter_min", "team_starters_min",
           "opp_new_starters", "team_lost_starter_min", "team_benched_starters", "team_benched_starter_min",
           "opp_lost_starter_min", "team_spread", "game_total", "team_implied_total", "abs_spread",
           "roster_n", "team_roster_min", "min_roster_share", "team_roster_role_min", "min_projected")
_DUMMY = "~probe"  # the opponent of the odd team out in the probe's pairing (never a real team)
#: The probe's players with no history (ids -1, -2, ...: one per team, each his own player):
#: what any player new to the snapshot gets.
NEWCOMER = -1


@dataclass(frozen=True)
class Night:
    """The probe's results for one game date."""

    day: pd.Timestamp
    players: pd.DataFrame  # index (PLAYER_ID, TEAM): every feature, plus out_min_recent, _own_min, _own_usage, _role_before
    teams: pd.DataFrame  # index TEAM: the levels an opponent's row reads
    candidates: pd.DataFrame  # TEAM, PLAYER_ID, role, pra, usage, first, share, bench: rotation candidates, builder order

    def covers(self, targets: pd.DataFrame) -> np.ndarray:
        """Rows whose (player, team) the probe holds and whose opponent it knows."""
        known = set(self.teams.index)
        return (self._rows_of(targets) >= 0) & np.array([o in known for o in targets["OPPONENT"].astype(str)],
                                                         dtype=bool)

    def missing(self, targets: pd.DataFrame) -> pd.DataFrame:
        """(player, team) pairs of known players on teams the night knows, not probed yet: a
        player listed for a team other than his last one (traded since)."""
        team = targets["TEAM"].astype(str)
        pairs = pd.DataFrame({"PLAYER_ID": targets["PLAYER_ID"].to_numpy(dtype=np.int64), "TEAM": team.to_numpy()})
        want = (self._rows_of(targets) < 0) & pairs["PLAYER_ID"].isin(self._known).to_numpy() & team.isin(
            self._newcomer).to_numpy() & targets["OPPONENT"].astype(str).isin(self.teams.index).to_numpy()
        return pairs[want].drop_duplicates()

    def with_pairs(self, extra: "Night") -> "Night":
        """This night with ``extra``'s probe rows added (same date, same snapshot)."""
        return Night(self.day, pd.concat([self.players, extra.players[self.players.columns]]), self.teams,
                     self.candidates)

    def _rows_of(self, targets: pd.DataFrame) -> np.ndarray:
        """Each target's probe row (-1: none): his own for his last team, the team's newcomer row
        for a player the snapshot has never seen; a dict lookup per row, cheap for any slate."""
        position, known, newcomer = self._position, self._known, self._newcomer
        return np.fromiter((position.get((p, t), -1) if p in known else newcomer.get(t, -1)
                            for p, t in zip(targets["PLAYER_ID"].to_numpy(dtype=np.int64).tolist(),
                                            targets["TEAM"].astype(str).tolist())),
                           dtype=np.int64, count=len(targets))

    @cached_property
    def _known(self) -> set[int]:
        return {int(p) for p in self.players.index.get_level_values(0) if p > NEWCOMER}

    @cached_property
    def _newcomer(self) -> dict[str, int]:
        """Each team's newcomer row."""
        return {str(t): i for i, (p, t) in enumerate(self.players.index) if p <= NEWCOMER}

    @cached_property
    def _position(self) -> dict[tuple[int, str], int]:
        return {(int(p), str(t)): i for i, (p, t) in enumerate(self.players.index)}

    def features(self, targets: pd.DataFrame, names: list[str], absences: pd.DataFrame | None) -> pd.DataFrame:
        """Features ``names`` of covered ``targets`` (all on :attr:`day`; see :meth:`covers`)."""
        player = targets["PLAYER_ID"].to_numpy(dtype=np.int64)
        team = targets["TEAM"].astype(str).to_numpy(dtype=object)
        opponent = targets["OPPONENT"].astype(str).to_numpy(dtype=object)
        columns, matrix = self._matrix
        at = self._rows_of(targets)
        if (at < 0).any():
            raise ValueError("the night does not cover every target (check covers() first)")
        rows = matrix[at]
        out = {name: rows[:, columns[name]] for name in names if name in columns}
        if "home" in names:
            out["home"] = targets["HOME"].to_numpy(dtype=float)
        levels = self.teams.reindex(opponent)
        for name, column in OPPONENT_LEVELS.items():
            if name in names:
                out[name] = levels[column].to_numpy(dtype=float)
        if any(name in names for name in TONIGHT):
            out.update(self._tonight(targets, player, team, opponent, rows, absences))
        return pd.DataFrame({name: np.asarray(out[name], dtype=float) for name in names})

    @cached_property
    def _matrix(self) -> tuple[dict[str, int], np.ndarray]:
        """The probe rows as one float matrix (column positions by name): a row lookup is one take."""
        return {name: i for i, name in enumerate(self.players.columns)}, self.players.to_numpy(dtype=float)

    @cached_property
    def _by_team(self) -> dict[str, np.ndarray]:
        """Candidate positions per team, in the builder's order."""
        return {team: np.asarray(rows) for team, rows in self.candidates.groupby("TEAM", sort=False).indices.items()}

    def _tonight(self, targets, player, team, opponent, rows, absences) -> dict[str, np.ndarray]:
        games = pd.Index(pd.unique(np.r_[team, opponent]))  # one team-game per team tonight
        row_tg, opp_tg = games.get_indexer(team), games.get_indexer(opponent)
        parts = [self._by_team[g] for g in games if g in self._by_team]
        pick = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        c = self.candidates
        pair_team = c["TEAM"].to_numpy(dtype=object)[pick]
        pair_tg = games.get_indexer(pair_team)
        pair_player = c["PLAYER_ID"].to_numpy(dtype=np.int64)[pick]
        day = int(_days(pd.Series([self.day]))[0])
        absent = upcoming_absent(pair_team, np.full(len(pick), day), pair_tg, pair_player, absences, player,
                                 np.full(len(player), day), row_tg)
        columns, _ = self._matrix
        role = c["role"].to_numpy()[pick]
        out = availability_features(
            len(games), pair_tg, pair_player, absent, role, c["pra"].to_numpy()[pick],
            c["usage"].to_numpy()[pick], c["first"].to_numpy()[pick], row_tg, opp_tg, player,
            rows[:, columns["_own_min"]], rows[:, columns["_own_usage"]], rows[:, columns["out_min_recent"]])
        news = {c: pd.to_numeric(targets[c], errors="coerce").to_numpy(dtype=float) if c in targets
                else np.full(len(targets), np.nan) for c in ("STARTER", "SPREAD", "TOTAL")}
        out.update(lineup_features(len(games), row_tg, opp_tg, player, news["STARTER"],
                                   rows[:, columns["start_share_l10"]], rows[:, columns["_own_min"]],
                                   rows[:, columns["min_as_starter_l10"]], rows[:, columns["min_as_bench_l10"]],
                                   pair_tg, pair_player, role, c["share"].to_numpy()[pick], absent))
        out.update(market_features(news["SPREAD"], news["TOTAL"]))
        dressed = ~declared_out(team, np.full(len(player), day), player, absences)
        out.update(roster_features(len(games), row_tg, player, dressed, out["starter_tonight"],
                                   rows[:, columns["_role_before"]], out["min_in_role_tonight"],
                                   pair_tg[~absent], pair_player[~absent], role[~absent],
                                   c["bench"].to_numpy()[pick][~absent]))
        return out


def build_night(rows: pd.DataFrame, league: pd.DataFrame, day: pd.Timestamp, feature_set: FeatureSet,
                prior_games: pd.DataFrame | None = None, pairs: pd.DataFrame | None = None, news=None) -> Night:
    """Run the batch builder once on snapshot ``rows`` with the probe slate for ``day`` (after
    the rows' last date); ``prior_games`` and ``news`` (pregame lists) as in the snapshot.

    ``pairs`` (``PLAYER_ID, TEAM``) probes those instead of every player's last team (and no
    newcomers): a player traded since his last game, added with :meth:`Night.with_pairs`.
    """
    day = pd.Timestamp(day).normalize()
    teams = sorted(pd.unique(rows["TEAM"].astype(str)))
    if len(teams) % 2:
        teams.append(_DUMMY)
    partner = dict(zip(teams[0::2], teams[1::2])) | dict(zip(teams[1::2], teams[0::2]))
    real_teams = [t for t in teams if t != _DUMMY]
    if pairs is None:
        last = rows.sort_values("GAME_DATE", kind="stable").drop_duplicates("PLAYER_ID", keep="last")
        probe = pd.DataFrame({"PLAYER_ID": np.r_[last["PLAYER_ID"].to_numpy(dtype=np.int64),
                                                 NEWCOMER - np.arange(len(real_teams), dtype=np.int64)],
                              "GAME_DATE": day,
                              "TEAM": np.r_[last["TEAM"].astype(str).to_numpy(dtype=object),
                                            np.asarray(real_teams, dtype=object)]})
    else:
        probe = pd.DataFrame({"PLAYER_ID": pairs["PLAYER_ID"].to_numpy(dtype=np.int64), "GAME_DATE": day,
                              "TEAM": pairs["TEAM"].astype(str).to_numpy(dtype=object)})
    probe["OPPONENT"] = probe["TEAM"].map(partner)
    probe["HOME"] = True
    stacked = _stack(rows, probe, news)
    canonical = _canonical_order(stacked)
    ordered = stacked.iloc[canonical].reset_index(drop=True)
    computer = _Computer(ordered, league, None, rotation=feature_set.rotation, absence_source=feature_set.absences,
                         pregame=None if news is None else news.pregame)
    feats = computer.compute()
    target = ordered["is_target"].to_numpy()
    # (min_l10, out_min_recent and start_share_l10 whatever the set: tonight's maths reads them)
    players = pd.DataFrame({name: values[target] for name, values in feats.items() if name in feature_set.names
                            or name in ("min_l10", "out_min_recent", "start_share_l10", "min_as_starter_l10",
                                        "min_as_bench_l10")})
    players["_own_min"] = np.nan_to_num(feats["min_l10"][target])
    players["_own_usage"] = np.nan_to_num(computer._usage_l10[target])
    players["_role_before"] = np.nan_to_num(computer._role_before[target])
    players.index = pd.MultiIndex.from_arrays([ordered.loc[target, "PLAYER_ID"].to_numpy(dtype=np.int64),
                                               ordered.loc[target, "TEAM"].astype(str).to_numpy(dtype=object)],
                                              names=["PLAYER_ID", "TEAM"])
    if prior_games is not None and len(prior_games):
        ids = players.index.get_level_values(0).to_numpy()
        if "games_career" in players:
            players["games_career"] += prior_games.groupby("PLAYER_ID")["games"].sum().reindex(ids).fillna(0).to_numpy()
        if "games_with_team" in players:
            keyed = prior_games.set_index(["PLAYER_ID", "TEAM"])["games"]
            players["games_with_team"] += keyed.reindex(players.index).fillna(0).to_numpy()
    tg = computer.team_games
    # (not ``~real``: a history game whose other side has no rows gets a mirrored, unreal team-game)
    upcoming = (~tg["real"].to_numpy()) & (_days(tg["GAME_DATE"]) == _days(pd.Series([day]))[0])
    levels = tg.loc[upcoming].set_index("TEAM")[list(OPPONENT_LEVELS.values())].drop(index=_DUMMY, errors="ignore")
    pair_tg, pair_player, role, pra, usage, first, share, bench = computer.pairs
    tonight = upcoming[pair_tg]
    candidates = pd.DataFrame({"TEAM": tg["TEAM"].to_numpy(dtype=object)[pair_tg[tonight]],
                               "PLAYER_ID": pair_player[tonight], "role": role[tonight], "pra": pra[tonight],
                               "usage": usage[tonight], "first": first[tonight], "share": share[tonight],
                               "bench": bench[tonight]})
    return Night(day, players, levels, candidates)
