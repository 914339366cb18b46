"""The feature registry: every feature defined once, grouped into versioned, hashed sets.

A :class:`Feature` says what it is (name, tier, source columns, window, description);
the builder computes it. A :class:`FeatureSet` names a list of features with a version
and a hash of their definitions, so changing any definition changes the hash. This is
what lineage tags and artifacts report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

TIERS = ("core", "contextual", "temporal", "availability", "starts", "lineup", "market")
#: The tier that reads who is out tonight (``--availability none`` leaves it out).
AVAILABILITY_TIER = "availability"
#: The tiers read from pre-game news (``data.news``): the history of starting lineups, tonight's
#: announced lineups, and tonight's game lines.
STARTS_TIER, LINEUP_TIER, MARKET_TIER = "starts", "lineup", "market"
NEWS_TIERS = (STARTS_TIER, LINEUP_TIER, MARKET_TIER)
#: Where a history game's absences are read: not in its box score (``full`` v3.0-v4.1), or on its
#: inactive list (the pregame news: what was declared before tip-off; ``full`` v5.0), or, for the game
#: itself, on the league's injury report as published at 5:30 PM ET (OUT or DOUBTFUL; the ``report``
#: scenario), its earlier games' from their inactive lists.
BOX_SCORE, INACTIVE_LIST, INJURY_REPORT = "box_score", "inactive_list", "injury_report"
#: The absence sources that read pre-game news.
NEWS_ABSENCES = (INACTIVE_LIST, INJURY_REPORT)
#: Tonight's rotation: a player whose mean minutes over his last 10 games reach this line.
#: Below it, whether a player appears in a box score depends on the game itself: on 2015-16..
#: 2022-23, a 12-15 minute player was out of 37 % of close games (final margin <= 5) and 16 %
#: of blowouts (>= 20), because coaches shorten the bench in close games and empty it in
#: blowouts. His absence in the logs is then partly tonight's score, which no injury report
#: knows. From about 22 minutes up, absences no longer depend on the margin (docs/benchmarks.md).
ROTATION_MINUTES = 22.0
#: How long a rotation player stays a candidate for his team's games after his last one. 21 days
#: (v4.1; 12 before) keeps a player out for two or three weeks in his team's absences until he is
#: back, instead of dropping him after 12 days as if his role were gone.
ROTATION_DAYS = 21.0


class Rotation(NamedTuple):
    """Who counts as tonight's rotation: last-10 mean minutes >= ``minutes``, and a last game for
    the team at most ``days`` before tonight."""

    minutes: float
    days: float


#: The rule of definitions from before it was a parameter (``full`` v3.0): kept for its models.
LEGACY_ROTATION = Rotation(minutes=12.0, days=12.0)


@dataclass(frozen=True)
class Feature:
    """One feature's definition."""

    name: str
    tier: str
    sources: tuple[str, ...]
    window: str
    description: str
    #: values the builder computes it with, e.g. ``(("rotation_minutes", 22.0),)``: part of the
    #: definition (and the hash), so changing one is a new definition, not a silent change
    params: tuple[tuple[str, float | str], ...] = ()

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"feature {self.name}: tier must be one of {TIERS}, not {self.tier!r}")

    def definition(self) -> dict:
        out = {**asdict(self), "sources": list(self.sources)}
        if self.params:
            out["params"] = dict(self.params)
        else:  # definitions from before parameters existed hash as they always did
            del out["params"]
        return out


@dataclass(frozen=True)
class FeatureSet:
    """A named, versioned list of features; ``hash`` covers every definition in it."""

    name: str
    version: str
    features: tuple[Feature, ...]
    description: str

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def rotation(self) -> Rotation:
        """The rotation rule its availability features are computed with (each part from the
        features' params; ``LEGACY_ROTATION``'s for definitions from before it was a parameter)."""
        params = [dict(f.params) for f in self.features if f.tier == AVAILABILITY_TIER]
        rules = {Rotation(p.get("rotation_minutes", LEGACY_ROTATION.minutes), p.get("rotation_days", LEGACY_ROTATION.days))
                 for p in params}
        if len(rules) > 1:
            lines = sorted(f"{r.minutes:g} min / {r.days:g} days" for r in rules)
            raise ValueError(f"feature set {self.name} {self.version} mixes rotation rules {lines}")
        return rules.pop() if rules else Rotation(ROTATION_MINUTES, ROTATION_DAYS)

    @property
    def absences(self) -> str:
        """Where its availability features read a history game's absences: ``BOX_SCORE`` (a rotation
        player without a box score is out) or ``INACTIVE_LIST`` (one declared inactive, or not on the
        team's list, is out)."""
        sources = {dict(f.params).get("absences", BOX_SCORE) for f in self.features if f.tier == AVAILABILITY_TIER}
        if len(sources) > 1:
            raise ValueError(f"feature set {self.name} {self.version} mixes absence sources {sorted(sources)}")
        return sources.pop() if sources else BOX_SCORE

    @property
    def news_tiers(self) -> list[str]:
        """The pre-game news tiers it reads (empty: box scores, and absences from them, only)."""
        return [tier for tier in NEWS_TIERS if any(f.tier == tier for f in self.features)]

    @property
    def needs_reports(self) -> bool:
        """True if tonight's absences are read from the league's injury reports (the ``report`` scenario)."""
        return self.absences == INJURY_REPORT

    @property
    def needs_news(self) -> bool:
        """True if its features read pre-game news (starters, inactive lists, game lines)."""
        return bool(self.news_tiers) or self.absences in NEWS_ABSENCES

    @property
    def hash(self) -> str:
        payload = json.dumps([f.definition() for f in self.features], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def tiers(self) -> dict[str, list[str]]:
        return {tier: [f.name for f in self.features if f.tier == tier] for tier in TIERS}

    def tags(self) -> dict[str, str]:
        """The lineage tags runs carry (``nbaprops.features.*``)."""
        return {"nbaprops.features.set": self.name, "nbaprops.features.version": self.version,
                "nbaprops.features.hash": self.hash, "nbaprops.features.count": str(len(self.features))}

    def lineage(self) -> dict:
        """What the lineage artifact and tags report about this set."""
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "description": self.description,
            "n_features": len(self.features),
            "tiers": self.tiers(),
            "features": [f.definition() for f in self.features],
        }


def diff(old: FeatureSet, new: FeatureSet) -> dict[str, list[str]]:
    """Features ``added``, ``removed`` and ``changed`` (same name, other definition) from old to new."""
    before = {f.name: f for f in old.features}
    after = {f.name: f for f in new.features}
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(n for n in set(before) & set(after) if before[n] != after[n]),
    }


def _f(name, tier, sources, window, description) -> Feature:
    return Feature(name, tier, tuple(sources.split()), window, description)


# Every window is over the player's (or team's) games strictly before the game's date.
FEATURES: dict[str, Feature] = {
    f.name: f
    for f in [
        # ---- core: the player's own recent production and role
        _f("min_l3", "core", "MIN", "last 3 games", "mean minutes, last 3 games (across seasons)"),
        _f("min_l10", "core", "MIN", "last 10 games", "mean minutes, last 10 games (across seasons)"),
        _f("min_l30", "core", "MIN", "last 30 games", "mean minutes, last 30 games (across seasons)"),
        _f("min_ewm5", "core", "MIN", "EWM halflife 5 games", "exponentially weighted mean minutes"),
        _f("min_std_l10", "core", "MIN", "last 10 games", "spread (std) of minutes, last 10 games"),
        _f("min_last", "core", "MIN", "last game", "minutes in the player's previous game"),
        _f("min_season", "core", "MIN SEASON", "season to date", "mean minutes this season so far"),
        _f("pra_l3", "core", "PTS REB AST", "last 3 games", "mean PRA, last 3 games"),
        _f("pra_l10", "core", "PTS REB AST", "last 10 games", "mean PRA, last 10 games (across seasons)"),
        _f("pra_l30", "core", "PTS REB AST", "last 30 games", "mean PRA, last 30 games"),
        _f("pra_ewm5", "core", "PTS REB AST", "EWM halflife 5 games", "exponentially weighted mean PRA"),
        _f("pra_ewm15", "core", "PTS REB AST", "EWM halflife 15 games", "slow exponentially weighted mean PRA"),
        _f("pra_std_l10", "core", "PTS REB AST", "last 10 games", "spread (std) of PRA, last 10 games"),
        _f("pra_season", "core", "PTS REB AST SEASON", "season to date", "mean PRA this season so far"),
        _f("pts_l10", "core", "PTS", "last 10 games", "mean points, last 10 games"),
        _f("reb_l10", "core", "REB", "last 10 games", "mean rebounds, last 10 games"),
        _f("ast_l10", "core", "AST", "last 10 games", "mean assists, last 10 games"),
        _f("pra_per_min_l10", "core", "PTS REB AST MIN", "last 10 games", "PRA per minute, last 10 games"),
        _f("pra_per_min_l30", "core", "PTS REB AST MIN", "last 30 games", "PRA per minute, last 30 games"),
        _f("pra_per_min_season", "core", "PTS REB AST MIN SEASON", "season to date", "PRA per minute this season"),
        _f("usage_per_min_l10", "core", "FGA FTA TOV MIN", "last 10 games",
           "usage proxy (FGA + 0.44 FTA + TOV) per minute, last 10 games"),
        _f("min_share_l3", "core", "MIN TEAM", "last 3 games",
           "minutes per 48 of the team's game length (overtime removed), last 3 games"),
        _f("min_share_l10", "core", "MIN TEAM", "last 10 games",
           "minutes per 48 of the team's game length (overtime removed), last 10 games"),
        _f("min_share_last", "core", "MIN TEAM", "last game", "minutes per 48 of the team's game length, previous game"),
        _f("fouls_per_min_l10", "core", "PF MIN", "last 10 games", "personal fouls per minute (foul trouble cuts minutes)"),
        _f("games_season", "core", "SEASON", "season to date", "games the player has played this season"),
        _f("games_career", "core", "GAME_ID", "all history", "games the player has played in the data"),
        # ---- contextual: tonight's game
        _f("home", "contextual", "HOME", "this game", "1 if the player's team is at home"),
        _f("rest_days", "contextual", "GAME_DATE", "previous team game", "days since the team's previous game (capped 10)"),
        _f("back_to_back", "contextual", "GAME_DATE", "previous team game", "1 if the team played yesterday"),
        _f("games_last_7d", "contextual", "GAME_DATE", "7 days", "team games in the 7 days before this one"),
        _f("opp_pra_allowed_l15", "contextual", "PTS REB AST OPPONENT", "opponent's last 15 games",
           "PRA the opponent allowed per game, relative to the league, last 15 games"),
        _f("opp_pace_l15", "contextual", "FGA FTA TOV OREB OPPONENT", "opponent's last 15 games",
           "possessions proxy of the opponent's games, relative to the league"),
        _f("team_pace_l15", "contextual", "FGA FTA TOV OREB TEAM", "team's last 15 games",
           "possessions proxy of the team's games, relative to the league"),
        _f("vacated_min", "contextual", "MIN TEAM", "team's last 5 games",
           "minutes of teammates who played in the team's last 5 games but not its previous one"),
        _f("team_margin_l10", "contextual", "PLUS_MINUS TEAM", "team's last 10 games",
           "team's mean scoring margin (blowouts cut starters' minutes)"),
        _f("team_last_margin_abs", "contextual", "PTS TEAM OPPONENT", "team's previous game",
           "size of the team's margin in its previous game: a blowout's minutes say little about roles"),
        _f("team_last_overtime", "contextual", "MIN TEAM", "team's previous game",
           "1 if the team's previous game went to overtime (inflated minutes, tired legs)"),
        _f("rotation_min_others", "contextual", "MIN TEAM", "team's previous game",
           "sum of the last-10 mean minutes of the teammates who played the team's previous game"),
        _f("in_last_rotation", "contextual", "MIN TEAM", "team's previous game",
           "1 if the player played the team's previous game"),
        _f("rotation_rank", "contextual", "MIN TEAM", "team's previous game",
           "the player's rank by last-10 mean minutes among those who played the team's previous game "
           "(starter proxy; missing if he did not play it)"),
        # ---- temporal: trends, availability, trades, calendar
        _f("min_trend", "temporal", "MIN", "last 3 vs last 30 games", "min_l3 - min_l30: role rising or falling"),
        _f("pra_trend", "temporal", "PTS REB AST", "last 3 vs last 30 games", "pra_l3 - pra_l30"),
        _f("plus_minus_last", "temporal", "PLUS_MINUS", "player's previous game",
           "the player's plus-minus in his previous game"),
        _f("player_rest_days", "temporal", "GAME_DATE", "player's previous game",
           "days since the player's own previous game (capped 30)"),
        _f("missed_team_games", "temporal", "GAME_ID TEAM", "since the player's previous game",
           "team games the player missed since his previous game (injury return)"),
        _f("team_changed", "temporal", "TEAM", "player's previous game", "1 if the player's team differs from his previous game's"),
        _f("games_with_team", "temporal", "TEAM", "all history", "games the player has played for his current team"),
        _f("season_progress", "temporal", "GAME_DATE SEASON", "season to date", "team games played this season / 82"),
    ]
}


def _availability(params: tuple[tuple[str, float], ...]) -> list[Feature]:
    """The availability tier, computed with ``params`` (``()``: v3.0's, the legacy line).

    Who is out tonight. A rotation player is one whose mean minutes over his last 10 games reach
    the rotation line (``ROTATION_MINUTES``) and whose last game, for this team, was at most
    ``ROTATION_DAYS`` before tonight (both from earlier games only; :class:`Rotation`). Of tonight's
    game only this is read: which rotation players are absent (history: not in the box score; a
    slate: declared out). Never tonight's minutes or stats, never whether a player below the line
    appears.
    """
    features = [
        _f("team_out_n", "availability", "MIN TEAM GAME_ID", "tonight's absences, roles before tonight",
           "rotation players of the team out tonight"),
        _f("team_out_min", "availability", "MIN TEAM GAME_ID", "tonight's absences, roles before tonight",
           "summed last-10 mean minutes of the team's rotation players out tonight"),
        _f("team_out_min_new", "availability", "MIN TEAM GAME_ID", "tonight's absences, roles before tonight",
           "team_out_min of those who played the team's previous game: absences recent form has not priced in"),
        _f("team_out_pra", "availability", "PTS REB AST MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "summed last-10 mean PRA of the team's rotation players out tonight"),
        _f("team_out_usage", "availability", "FGA FTA TOV MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "summed last-10 mean usage (FGA + 0.44 FTA + TOV) of the team's rotation players out tonight"),
        _f("opp_out_n", "availability", "MIN OPPONENT GAME_ID", "tonight's absences, roles before tonight",
           "rotation players of the opponent out tonight"),
        _f("opp_out_min", "availability", "MIN OPPONENT GAME_ID", "tonight's absences, roles before tonight",
           "summed last-10 mean minutes of the opponent's rotation players out tonight"),
        _f("out_min_expected", "availability", "MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "the player's proportional share of team_out_min: his last-10 mean minutes over those of "
           "tonight's available rotation (himself included)"),
        _f("min_expected_tonight", "availability", "MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "min_l10 + out_min_expected: his recent minutes plus his share of the minutes freed tonight"),
        _f("team_avail_min", "availability", "MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "summed last-10 mean minutes of the team's rotation players available tonight, himself excluded"),
        _f("avail_rank", "availability", "MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "his rank by last-10 mean minutes among tonight's available rotation (missing if he is not in it)"),
        _f("out_usage_expected", "availability", "FGA FTA TOV MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "the player's proportional share of team_out_usage: his last-10 mean usage over that of tonight's "
           "available rotation (himself included)"),
        _f("out_min_similar", "availability", "MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "team_out_min of absent teammates whose last-10 mean minutes are within 6 of the player's "
           "(the logs have no positions: role stands in for them)"),
        # v4.1: what recent form already holds, and who is back
        _f("team_back_min", "availability", "MIN TEAM GAME_ID", "tonight's absences, last 10 games",
           "summed last-10 mean minutes of rotation teammates available tonight who missed the team's "
           "previous game (back tonight: the previous game's rotation and minutes were played without them)"),
        _f("out_min_recent", "availability", "MIN TEAM GAME_ID SEASON", "his last 10 games this season",
           "mean team_out_min of the player's last 10 games this season: the absences his recent form was "
           "played under (missing before his first game of the season)"),
        _f("out_min_vs_recent", "availability", "MIN TEAM GAME_ID SEASON", "tonight's absences, his last 10 games this season",
           "team_out_min - out_min_recent: how much more of the rotation is out tonight than in his recent games "
           "(a teammate out for weeks is already in his form; a new absence is not)"),
    ]
    return [replace(f, params=params) for f in features]


#: Availability features added by ``full`` v4.1 (v3.0 and v4.0 are the others).
_ADDED_IN_V4_1 = ("team_back_min", "out_min_recent", "out_min_vs_recent")


def _availability_v4_0(params: tuple[tuple[str, float], ...]) -> tuple[Feature, ...]:
    return tuple(f for f in _availability(params) if f.name not in _ADDED_IN_V4_1)


def _news(params: tuple[tuple[str, float | str], ...]) -> list[Feature]:
    """The tiers read from pre-game news (``full`` v5.0).

    ``starts``: the history of starting lineups (earlier games' pregame lists: known hours before).
    ``lineup``: tonight's announced starters (about 30 minutes before tip-off); a team-game's lineup
    counts only when all five starters are known, else its lineup features are missing. ``market``:
    tonight's game lines from the team's side. Regular starter: started at least half of his last 10
    games (``regular_start_share``).
    """
    features = [
        _f("start_share_l10", "starts", "STARTER", "last 10 games",
           "share of his last 10 games he started (games whose lineup is known)"),
        _f("start_share_season", "starts", "STARTER SEASON", "season to date", "share of his games this season he started"),
        _f("started_last", "starts", "STARTER", "player's previous game", "1 if he started his previous game"),
        _f("min_as_starter_l10", "starts", "STARTER MIN", "his last 10 starts", "mean minutes in his last 10 starts"),
        _f("min_as_bench_l10", "starts", "STARTER MIN", "his last 10 games off the bench",
           "mean minutes in his last 10 games off the bench"),
        _f("starter_tonight", "lineup", "STARTER", "tonight's lineup", "1 if he is in tonight's starting five"),
        _f("start_vs_share", "lineup", "STARTER", "tonight's lineup, last 10 games",
           "starter_tonight - start_share_l10: a start new for him (> 0), a regular starter moved to the bench (< 0)"),
        _f("min_in_role_tonight", "lineup", "STARTER MIN", "tonight's lineup, his last 10 games in that role",
           "his mean minutes in his last 10 games in tonight's role: min_as_starter_l10 if he starts, else "
           "min_as_bench_l10"),
        _f("team_new_starters", "lineup", "STARTER MIN TEAM", "tonight's lineup, last 10 games",
           "tonight's starters of his team who are not regular starters (a lineup change)"),
        _f("team_new_starter_min", "lineup", "STARTER MIN TEAM", "tonight's lineup, last 10 games",
           "summed last-10 mean minutes of those new starters (a bench player promoted, or a reserve)"),
        _f("team_starters_min", "lineup", "STARTER MIN TEAM", "tonight's lineup, last 10 games",
           "summed last-10 mean minutes of his team's five starters tonight"),
        _f("opp_new_starters", "lineup", "STARTER MIN OPPONENT", "tonight's lineup, last 10 games",
           "tonight's starters of the opponent who are not regular starters"),
        _f("team_lost_starter_min", "lineup", "STARTER MIN TEAM", "tonight's lineup, rotation candidates",
           "summed last-10 mean minutes of his team's regular starters (rotation players) not in tonight's lineup, "
           "out or benched"),
        _f("team_benched_starters", "lineup", "STARTER MIN TEAM", "tonight's lineup, rotation candidates",
           "his team's regular starters who are available tonight but do not start"),
        _f("team_benched_starter_min", "lineup", "STARTER MIN TEAM", "tonight's lineup, rotation candidates",
           "summed last-10 mean minutes of those benched regular starters"),
        _f("opp_lost_starter_min", "lineup", "STARTER MIN OPPONENT", "tonight's lineup, rotation candidates",
           "summed last-10 mean minutes of the opponent's regular starters not in tonight's lineup"),
        _f("team_spread", "market", "SPREAD_HOME HOME", "tonight's game line",
           "his team's point spread (negative: favoured by that many)"),
        _f("game_total", "market", "TOTAL", "tonight's game line", "the game's over/under total points"),
        _f("team_implied_total", "market", "SPREAD_HOME TOTAL HOME", "tonight's game line",
           "points the line implies for his team: (total - team_spread) / 2"),
        _f("abs_spread", "market", "SPREAD_HOME", "tonight's game line",
           "size of the spread: an expected blowout sits starters"),
    ]
    return [replace(f, params=params) for f in features]


#: A regular starter started at least this share of his last 10 games.
REGULAR_START_SHARE = 0.5
#: The current definitions: the availability tier at ``ROTATION_MINUTES`` and ``ROTATION_DAYS``,
#: absences from the inactive lists; the news tiers.
_ROTATION_PARAMS = (("rotation_minutes", ROTATION_MINUTES), ("rotation_days", ROTATION_DAYS))
_AVAILABILITY_V4_1 = tuple(_availability(_ROTATION_PARAMS))
FEATURES.update({f.name: f for f in _availability((*_ROTATION_PARAMS, ("absences", INACTIVE_LIST)))})
FEATURES.update({f.name: f for f in _news((("regular_start_share", REGULAR_START_SHARE),))})

_CORE = [n for n, f in FEATURES.items() if f.tier == "core"]
_BOX_SCORES = [n for n, f in FEATURES.items() if f.tier in ("core", "contextual", "temporal")]
_AVAILABILITY = [n for n, f in FEATURES.items() if f.tier == AVAILABILITY_TIER]

_FULL_V2_DESCRIPTION = (
    "Core plus game context (rest, opponent defence and pace, vacated teammate minutes) and "
    "temporal signals (role trend, injury returns, trades, season progress). v2.0 adds the team's "
    "previous-game rotation (who played it, their roles, the player's rank in it), last-game "
    "blowout and overtime, and the player's last plus-minus: on 2022-23 (walk-forward, never "
    "2023-24) they cut minutes MAE by 0.02 and PRA MAE by 0.01; the rotation features helped most. "
    "Tried and left out, each inside the noise on 2022-23 (docs/benchmarks.md): absent teammates' PRA "
    "(vacated_pra; its monthly gain did not replicate weekly), a spread proxy (team minus opponent "
    "margin), slower EWMs (PRA 30, minutes 15, PRA per minute 10), rotation PRA / size / expected "
    "share (helped single-stage only), team and opponent win % (late-season tanking and resting)."
)

_FULL_V4_0_DESCRIPTION = (
    "v2.0 (box scores only: " + _FULL_V2_DESCRIPTION + ") plus tonight's availability: which rotation "
    "players of the team and of the opponent are out, their minutes, PRA and usage, how fresh the "
    "absence is, the player's share of the freed minutes and usage, his expected minutes and his rank "
    "among tonight's available rotation. In a backtest absences come from the logs; a served slate "
    "declares them (STATUS). A rotation player averages >= 22 minutes over his last 10 games: v3.0's "
    "12-minute line let tonight's score in (a 12-15 minute player missed 37 % of close games and 16 % "
    "of blowouts: benched in close games, not injured), which no injury report knows; from 22 minutes "
    "up his absences do not depend on the margin. The 13 features were screened on 2022-23 with the "
    "12-minute line (one fit on the four seasons before it, 3 seeds; never 2023-24): PRA / minutes MAE "
    "5.918 / 4.817 box scores only, 5.789 / 4.604 with the issue's four crude absence features, "
    "5.747 / 4.531 with all 13; at the 22-minute line all 13 give 5.771 / 4.591. Tried and left out: "
    "the opponent's absent PRA, minutes redistributed to a team total, recency weights "
    "(docs/benchmarks.md)."
)

#: Every registered version, so a model saved with an older version still loads.
FEATURE_SET_VERSIONS: dict[tuple[str, str], FeatureSet] = {
    ("full", "v2.0"): FeatureSet("full", "v2.0", tuple(FEATURES[n] for n in _BOX_SCORES), _FULL_V2_DESCRIPTION),
    ("full", "v3.0"): FeatureSet(
        "full", "v3.0", tuple(FEATURES[n] for n in _BOX_SCORES) + _availability_v4_0(()),
        "v2.0 plus tonight's availability, with the rotation line at 12 minutes: below about 22 minutes "
        "a player's absence from the logs is partly tonight's game script (see v4.0), so its backtest "
        "read some of tonight's score. Kept so its models still load and serve as trained.",
    ),
    ("full", "v4.0"): FeatureSet(
        "full", "v4.0", tuple(FEATURES[n] for n in _BOX_SCORES) + _availability_v4_0((("rotation_minutes", 22.0),)),
        _FULL_V4_0_DESCRIPTION,
    ),
}

_FULL_V4_1_DESCRIPTION = (
    "v4.0 (below) with a rotation player a candidate for 21 days after his last game, not 12 (a "
    "player out two or three weeks still counts as out), plus what recent form already holds: the "
    "mean team_out_min of the player's last 10 games this season and tonight's minus it, and the minutes of "
    "rotation teammates back tonight from missing the team's previous game. Chosen on 2022-23 (one fit "
    "on the four seasons before it, 3 seeds; never 2023-24): PRA / minutes MAE 5.763 / 4.572 vs v4.0's "
    "5.771 / 4.591. Tried and left out, each within about one seed sd: games left in the season, his "
    "minutes at full strength and what absences added, the opponent's returning players, recency "
    "weights, stage 1 on minutes minus his recent minutes. v4.0: " + _FULL_V4_0_DESCRIPTION
)
FEATURE_SET_VERSIONS[("full", "v4.1")] = FeatureSet(
    "full", "v4.1", tuple(FEATURES[n] for n in _BOX_SCORES) + _AVAILABILITY_V4_1, _FULL_V4_1_DESCRIPTION)

_FULL_V5_DESCRIPTION = (
    "v4.1's box-score features and availability, with a history game's absences read from its inactive "
    "list (declared before tip-off) instead of its box score (which also shows a coach's decision made "
    "during the game), plus the pre-game news: the history of his starts, tonight's starting lineups "
    "(his start, new starters on his team and the opponent's, the minutes his team starts) and tonight's "
    "game line from his team's side (spread, total, implied team total). v4.1: " + _FULL_V4_1_DESCRIPTION
)
FEATURE_SET_VERSIONS[("full", "v5.0-inactive")] = FeatureSet(
    "full", "v5.0-inactive",
    tuple(FEATURES[n] for n in _BOX_SCORES + _AVAILABILITY) + tuple(f for f in FEATURES.values() if f.tier == STARTS_TIER),
    "What the final inactive lists tell (about 30 minutes before tip-off): v5.0 without tonight's lineups and game lines (box scores, the "
    "history of starts, absences from the inactive lists). A v5.0 model answers a row without an announced "
    "lineup with it. v5.0: " + _FULL_V5_DESCRIPTION,
)
FEATURE_SET_VERSIONS[("full", "v5.0")] = FeatureSet("full", "v5.0", tuple(FEATURES.values()), _FULL_V5_DESCRIPTION)


def _roster(params: tuple[tuple[str, float | str], ...]) -> list[Feature]:
    """Tonight's dressed roster (``full`` v5.1): who is dressed, and his share of the team's 240 minutes.

    The roster of a history game: its box score's players and the players its list dressed who did
    not play (``DNP``); without a list, its rotation candidates not absent (a box score says who
    played, not who dressed). Of a slate: its rows not ruled out, plus the rotation candidates nobody
    ruled out (a partial slate still counts the regulars). Each player's
    minutes are his last-10 mean as of his previous game, so nothing of tonight is read but who is
    dressed (and, for the ``lineup`` pair, who starts)."""
    features = [
        _f("roster_n", "availability", "STATUS TEAM GAME_ID", "tonight's dressed roster",
           "players of his team dressed tonight (not ruled out), himself included"),
        _f("team_roster_min", "availability", "STATUS MIN TEAM GAME_ID", "tonight's dressed roster, last 10 games",
           "summed last-10 mean minutes of tonight's dressed roster, himself included: the minutes its "
           "players are used to, against the 240 there are"),
        _f("min_roster_share", "availability", "STATUS MIN TEAM GAME_ID", "tonight's dressed roster, last 10 games",
           "his last-10 mean minutes x 240 / team_roster_min: his minutes if tonight's 240 were shared out as "
           "the dressed players' recent minutes say"),
        _f("team_roster_role_min", "lineup", "STATUS STARTER MIN TEAM GAME_ID", "tonight's dressed roster and lineup",
           "team_roster_min with each player's minutes in tonight's role: the starters' in their last 10 starts, "
           "the others' in their last 10 games off the bench (else their last-10 mean)"),
        _f("min_projected", "lineup", "STATUS STARTER MIN TEAM GAME_ID", "tonight's dressed roster and lineup",
           "his minutes in tonight's role x 240 / team_roster_role_min: tonight's 240 minutes shared out by role"),
    ]
    return [replace(f, params=params) for f in features]


_ROSTER = _roster((*_ROTATION_PARAMS, ("absences", INACTIVE_LIST)))
FEATURES.update({f.name: f for f in _ROSTER})
_AVAILABILITY = [n for n, f in FEATURES.items() if f.tier == AVAILABILITY_TIER]

_FULL_V5_1_DESCRIPTION = (
    "v5.0 plus tonight's dressed roster: how many players are dressed, the minutes they are used to, and "
    "the player's share of the team's 240 minutes, by recent minutes (known with the inactive lists) and by "
    "tonight's roles once the lineup is announced. Chosen on 2022-23 (one fit on the four seasons before it, "
    "3 seeds; never 2023-24): PRA / minutes MAE 5.691 / 4.375 vs v5.0's 5.708 / 4.397 with lineups, 5.759 / "
    "4.549 vs 5.770 / 4.566 with the inactive lists only. Tried and left out, each within a seed sd or worse: "
    "his share of the dressed roster's PRA, his start streak, his PRA per minute in tonight's role, the implied "
    "team total against the teams' recent scoring, his share of dressed-but-unused games (docs/benchmarks.md). "
    "v5.0: " + _FULL_V5_DESCRIPTION
)
FEATURE_SET_VERSIONS[("full", "v5.1-inactive")] = FeatureSet(
    "full", "v5.1-inactive",
    tuple(FEATURES[n] for n in _BOX_SCORES + _AVAILABILITY) + tuple(f for f in FEATURES.values() if f.tier == STARTS_TIER),
    "What the final inactive lists tell (about 30 minutes before tip-off): v5.1 without tonight's lineups and game lines (box scores, the "
    "history of starts, absences and the dressed roster from the inactive lists). A v5.1 model answers a row "
    "without an announced lineup with it. v5.1: " + _FULL_V5_1_DESCRIPTION,
)


def _reading_the_report(features: tuple[Feature, ...]) -> tuple[Feature, ...]:
    """``features`` with tonight's absences read from the 5:30 PM injury report (the ``absences``
    parameter of the availability tier), the rest as they are."""
    return tuple(replace(f, params=tuple((k, INJURY_REPORT if k == "absences" else v) for k, v in f.params))
                 if f.tier == AVAILABILITY_TIER else f for f in features)


FEATURE_SET_VERSIONS[("full", "v5.1-report")] = FeatureSet(
    "full", "v5.1-report", _reading_the_report(FEATURE_SET_VERSIONS[("full", "v5.1-inactive")].features),
    "What is known at 5:30 PM ET, when most bets are placed: v5.1-inactive's features with tonight's "
    "absences and dressed roster read from the league's injury report as published then (OUT or DOUBTFUL: "
    "out; QUESTIONABLE, PROBABLE, AVAILABLE or not listed: dressed), not from the final inactive lists "
    "(about 30 minutes before tip-off). Earlier games' absences come from their inactive lists; a game "
    "day without a report (the seasons before 2022-23) falls back to its lists. An afternoon game reads "
    "the last publication before its tip-off.",
)

FEATURE_SETS: dict[str, FeatureSet] = {
    "core": FeatureSet(
        "core", "v1.1", tuple(FEATURES[n] for n in _CORE),
        "The player's own recent minutes and production only: the minimum a props model needs. "
        "v1.1 adds overtime-free minute shares and foul rate (minutes MAE down on 2022-23).",
    ),
    "full": FeatureSet("full", "v5.1", tuple(FEATURES.values()), _FULL_V5_1_DESCRIPTION),
}
DEFAULT_FEATURE_SET = "full"


for _fs in FEATURE_SETS.values():
    FEATURE_SET_VERSIONS[(_fs.name, _fs.version)] = _fs


def get_feature_set(name: str, version: str | None = None) -> FeatureSet:
    """The registered feature set called ``name``: its current version, or ``version``
    (a saved model names the version it was trained with). ``KeyError`` lists the known ones."""
    if name not in FEATURE_SETS:
        raise KeyError(f"unknown feature set {name!r}; known: {', '.join(sorted(FEATURE_SETS))}")
    if version is None:
        return FEATURE_SETS[name]
    try:
        return FEATURE_SET_VERSIONS[(name, version)]
    except KeyError:
        known = sorted(v for n, v in FEATURE_SET_VERSIONS if n == name)
        raise KeyError(f"unknown version {version!r} of feature set {name!r}; known: {', '.join(known)}") from None


class Scenario(NamedTuple):
    """What a run knows about tonight: which news tiers it reads and where absences come from."""

    name: str
    absences: str | None  # None: no availability features at all
    news_tiers: tuple[str, ...]
    known: str  # when this is known, in words


#: What was known when: a backtest reads exactly this of tonight, and so does the model it trains.
SCENARIOS: dict[str, Scenario] = {
    "observed": Scenario("observed", BOX_SCORE, (),
                         "tonight's absences as the box score shows them (a coach's decision made in the game included)"),
    "none": Scenario("none", None, (), "box scores only: nothing of tonight"),
    "inactive": Scenario("inactive", INACTIVE_LIST, (STARTS_TIER,),
                         "tonight's final inactive lists (about 30 minutes before tip-off)"),
    "lineups": Scenario("lineups", INACTIVE_LIST, NEWS_TIERS,
                        "tonight's inactive lists, starting lineups and game lines (30 minutes before tip-off)"),
    "report": Scenario("report", INJURY_REPORT, (STARTS_TIER,),
                       "tonight's 5:30 PM ET injury report (who is out or doubtful), no final inactive list, no "
                       "lineup: when most bets are placed"),
}
AVAILABILITY_SCENARIOS = tuple(SCENARIOS)
#: The scenarios that read pre-game news (they need ``--news``).
NEWS_SCENARIOS = tuple(name for name, s in SCENARIOS.items() if s.absences in NEWS_ABSENCES)
#: The version of ``full`` each scenario trains (a set without availability or news features, such as
#: ``core``, is the same in every scenario).
SCENARIO_VERSIONS = {"none": "v2.0", "observed": "v4.1", "inactive": "v5.1-inactive", "lineups": "v5.1",
                     "report": "v5.1-report"}
#: A model trained in a scenario answers a row that lacks its news with the model of this one (a
#: ``lineups`` model: a row without an announced lineup gets the ``inactive`` model).
FALLBACK_SCENARIO = {"lineups": "inactive"}


def scenario_feature_set(name: str, availability: str = "observed") -> FeatureSet:
    """The feature set a run in scenario ``availability`` trains on (:data:`SCENARIO_VERSIONS` for
    ``full``; a set without availability or news features is itself in every scenario)."""
    if availability not in SCENARIOS:
        raise ValueError(f"availability must be one of {', '.join(AVAILABILITY_SCENARIOS)}, not {availability!r}")
    fs = get_feature_set(name)
    if not fs.tiers()[AVAILABILITY_TIER] and not fs.news_tiers:
        return fs
    return get_feature_set(name, SCENARIO_VERSIONS[availability])


def box_scores_only(fs: FeatureSet) -> FeatureSet:
    """``fs`` without the availability and news tiers (``--availability none``): the registered version of
    the same set that holds exactly the other features (``full`` v5.x, v4.1, v4.0 or v3.0 -> v2.0), or
    ``fs`` itself when it has no such features."""
    kept = tuple(f for f in fs.features if f.tier != AVAILABILITY_TIER and f.tier not in NEWS_TIERS)
    if len(kept) == len(fs.features):
        return fs
    for (name, _), candidate in FEATURE_SET_VERSIONS.items():
        if name == fs.name and candidate.features == kept:
            return candidate
    raise KeyError(f"feature set {fs.name} {fs.version} has no registered version without its availability features")
