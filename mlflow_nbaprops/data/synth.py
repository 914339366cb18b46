"""A seeded synthetic NBA league in the canonical schema: the package's embedded default data.

It is built to behave like the real nba_api seasons, not to look like them: a
conference/division schedule with rest days, back-to-backs and road trips; rosters
whose depth order sets minutes (summing to 240 a team-game, more in overtime);
injuries and rest days that hand minutes and usage to teammates; trades at the
deadline and player movement, ageing and development between seasons; opponent
defence and pace; blowouts that sit starters; per-minute rates by archetype; and
bookmaker PRA lines (opening with odds, and closing) set from pre-game information.

It also publishes the league's pre-game news, as the real sources do
(:func:`synthesize_league_with_news`): each team-game's list -- its starting five from the depth
chart, the injured and rested players on the inactive list, the dressed players the coach did not
use -- and each game's point spread and total from the bookmaker (about 1 % of games without a
line). The news has its own random stream: the game logs are the same with or without it.

Same ``seed`` and arguments, same frame, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from mlflow_nbaprops.data.schema import CANONICAL_COLUMNS, FLOAT_COLUMNS, season_label

TEAMS = (
    "ATL BOS BKN CHA CHI CLE DAL DEN DET GSW HOU IND LAC LAL MEM "
    "MIA MIL MIN NOP NYK OKC ORL PHI PHX POR SAC SAS TOR UTA WAS"
).split()

_FIRST = (
    "James Marcus Tyrese Jalen Devin Malik Andre Isaiah Darius Jaylen Kevin Anthony Trey Cole "
    "Jordan Miles Xavier Caleb Terrence Damian Luka Nikola Josh Evan Bennett Aaron Julius Cam "
    "Dillon Myles Zion Keegan Desmond Quentin Rudy Bogdan Goran Dario Jonas Kristaps"
).split()
_LAST = (
    "Walker Johnson Williams Brown Harris Robinson Mitchell Carter Green Allen Young King Wright "
    "Scott Hill Adams Baker Nelson Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers "
    "Morgan Bell Bailey Cooper Richardson Cox Howard Ward Torres Peterson Gray Ramirez Watson "
    "Brooks Kelly Sanders Price Bennett Wood Barnes Ross Henderson Coleman Jenkins Perry Powell"
).split()

#: Per-minute rates by archetype (guard, wing, big): FGA, 3PA share, FTA, OREB, DREB, AST, TOV, STL, BLK.
_ARCHETYPE_RATES = np.array(
    [
        # FGA   3PA%  FTA    OREB   DREB   AST    TOV    STL    BLK
        [0.380, 0.42, 0.095, 0.020, 0.100, 0.170, 0.065, 0.036, 0.010],  # guard
        [0.365, 0.40, 0.085, 0.035, 0.135, 0.085, 0.048, 0.032, 0.016],  # wing
        [0.330, 0.14, 0.105, 0.085, 0.215, 0.060, 0.052, 0.024, 0.042],  # big
    ]
)

#: Minutes a healthy player at each depth slot plays (before noise and normalisation to 240).
_DEPTH_MINUTES = np.array([35.0, 33.5, 32.0, 30.5, 28.5, 24.0, 21.5, 19.5, 16.5, 12.0, 8.5, 5.5, 3.5, 2.5, 2.0])
ROSTER_SIZE = len(_DEPTH_MINUTES)
#: Overall scale of the per-minute rates (calibrated to the real seasons' PRA per minute).
_RATE_SCALE = np.array([0.85, 1.0, 0.88, 0.93, 0.93, 0.78, 0.95, 0.95, 0.95])


@dataclass
class _Players:
    """Attributes of every player ever generated, indexed by player number."""

    ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    archetype: list[int] = field(default_factory=list)
    age: list[float] = field(default_factory=list)
    skill: list[float] = field(default_factory=list)  # scales usage (FGA, FTA, AST) and rank
    rebounding: list[float] = field(default_factory=list)

    def add(self, rng: np.random.Generator, age: float, skill: float) -> int:
        idx = len(self.ids)
        self.ids.append(1_626_000 + idx * 7 + int(rng.integers(0, 7)))
        self.names.append(f"{_FIRST[rng.integers(len(_FIRST))]} {_LAST[rng.integers(len(_LAST))]}")
        self.archetype.append(int(rng.choice(3, p=[0.38, 0.34, 0.28])))
        self.age.append(age)
        self.skill.append(skill)
        self.rebounding.append(float(rng.lognormal(0.0, 0.18)))
        return idx


def synthesize_league(
    seasons: int = 3,
    seed: int = 7,
    *,
    start_year: int = 2021,
    n_teams: int = 30,
    games_per_team: int = 82,
) -> pd.DataFrame:
    """Generate ``seasons`` consecutive regular seasons in the canonical schema.

    ``n_teams`` (even, 4..30) and ``games_per_team`` shrink the league for fast tests.
    """
    return synthesize_league_with_news(seasons, seed, start_year=start_year, n_teams=n_teams,
                                       games_per_team=games_per_team)[0]


#: Share of games the synthetic bookmaker posts no spread and total for.
NO_LINE_SHARE = 0.01


def synthesize_league_with_news(
    seasons: int = 3,
    seed: int = 7,
    *,
    start_year: int = 2021,
    n_teams: int = 30,
    games_per_team: int = 82,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`synthesize_league`'s game logs plus the league's news: the pregame lists
    (``GAME_ID, GAME_DATE, TEAM, PLAYER_ID, PLAYER_NAME, STARTER, STATUS``) and the game lines
    (``GAME_ID, GAME_DATE, HOME_TEAM, AWAY_TEAM, SPREAD_HOME, TOTAL``), in the real files' formats."""
    if seasons < 1:
        raise ValueError("seasons must be at least 1")
    if n_teams % 2 or not 4 <= n_teams <= len(TEAMS):
        raise ValueError(f"n_teams must be even and between 4 and {len(TEAMS)}")
    if not n_teams - 1 <= games_per_team <= 82 * 2:
        raise ValueError(f"games_per_team must be between {n_teams - 1} and 164")
    rng = np.random.default_rng(seed)
    news_rng = np.random.default_rng([seed, 2028])  # the news' own stream: the logs do not depend on it
    teams = TEAMS[:n_teams]
    players = _Players()
    rosters = {t: [players.add(rng, float(rng.uniform(20, 34)), float(rng.normal(0, 1))) for _ in range(ROSTER_SIZE)] for t in teams}
    frames, pregame, lines = [], [], []
    for s in range(seasons):
        year = start_year + s
        if s:
            _offseason(rng, players, rosters)
        team_pace = dict(zip(teams, rng.normal(1.0, 0.03, n_teams)))
        team_defence = dict(zip(teams, rng.normal(1.0, 0.045, n_teams)))
        schedule = _schedule(rng, teams, games_per_team, year)
        season, listed, priced = _play_season(rng, players, rosters, schedule, year, team_pace, team_defence,
                                              news_rng)
        frames.append(season)
        pregame.append(listed)
        lines.append(priced)
    frame = pd.concat(frames, ignore_index=True)
    return (frame[[c for c in CANONICAL_COLUMNS if c in frame.columns]], pd.concat(pregame, ignore_index=True),
            pd.concat(lines, ignore_index=True))


# --------------------------------------------------------------------------- schedule


def _schedule(rng: np.random.Generator, teams: list[str], games_per_team: int, year: int) -> pd.DataFrame:
    """Pairings (full round robins plus circle-method rounds) laid on dates, 1 game a team a day."""
    n = len(teams)
    rounds = _circle_rounds(n)
    full, extra = divmod(games_per_team, n - 1)
    games: list[tuple[int, int]] = []
    for k in range(full):
        for rnd in rounds:
            games += [(a, b) if (k + i) % 2 == 0 else (b, a) for i, (a, b) in enumerate(rnd)]
    for r in rng.permutation(len(rounds))[:extra]:
        games += [(a, b) if rng.random() < 0.5 else (b, a) for a, b in rounds[r]]
    home = np.array([g[0] for g in games])
    away = np.array([g[1] for g in games])
    order = rng.permutation(len(games))
    home, away = home[order], away[order]

    days = int(round(games_per_team * 2.03)) + 1
    first = date(year, 10, 24)
    all_star = {first + timedelta(days=int(days * 0.68) + d) for d in range(5)}
    remaining = np.ones(len(games), dtype=bool)
    left = np.full(n, games_per_team, dtype=float)
    played_on = np.full((n, 2), -10, dtype=int)  # last two game days per team
    at_home_last = np.zeros(n, dtype=bool)
    game_day = np.full(len(games), -1)
    day = 0
    while remaining.any():
        today = first + timedelta(days=day)
        if today in all_star:
            day += 1
            continue
        days_left = max(days - day, 1)
        idx = np.flatnonzero(remaining)
        urgency = left[home[idx]] / days_left + left[away[idx]] / days_left
        # no third game in three days; road trips / home stands continue where they can
        tired = (played_on[home[idx], 0] == day - 2) & (played_on[home[idx], 1] == day - 1)
        tired |= (played_on[away[idx], 0] == day - 2) & (played_on[away[idx], 1] == day - 1)
        continuity = at_home_last[home[idx]].astype(float) + (~at_home_last[away[idx]]).astype(float)
        yesterday = (played_on[home[idx], 1] == day - 1).astype(float) + (played_on[away[idx], 1] == day - 1)
        score = urgency + 0.25 * continuity - 0.8 * yesterday + rng.normal(0, 0.35, len(idx))
        target = int(rng.poisson(len(games) / days * (1.25 if today.weekday() in (2, 4, 5) else 0.9)))
        busy = np.zeros(n, dtype=bool)
        picked = 0
        for pos in np.argsort(-score):
            if picked >= target:
                break
            if tired[pos] and day < days + 30:
                continue
            j = idx[pos]
            h, a = home[j], away[j]
            if busy[h] or busy[a]:
                continue
            busy[h] = busy[a] = True
            remaining[j] = False
            game_day[j] = day
            for t, is_home in ((h, True), (a, False)):
                played_on[t] = (played_on[t, 1], day)
                at_home_last[t] = is_home
                left[t] -= 1
            picked += 1
        day += 1
    order = np.lexsort((home, game_day))
    dates = [first + timedelta(days=int(d)) for d in game_day[order]]
    yy = year % 100
    return pd.DataFrame(
        {
            "GAME_ID": [f"002{yy:02d}{i + 1:05d}" for i in range(len(order))],
            "GAME_DATE": pd.to_datetime(dates),
            "HOME_TEAM": [teams[i] for i in home[order]],
            "AWAY_TEAM": [teams[i] for i in away[order]],
        }
    )


def _circle_rounds(n: int) -> list[list[tuple[int, int]]]:
    """The circle method: n-1 rounds in which every team plays exactly once."""
    others = list(range(1, n))
    rounds = []
    for _ in range(n - 1):
        ring = [0, *others]
        rounds.append([(ring[i], ring[n - 1 - i]) for i in range(n // 2)])
        others = others[-1:] + others[:-1]
    return rounds


# --------------------------------------------------------------------------- season


def _rates(skill: np.ndarray, archetype: np.ndarray, rebounding: np.ndarray) -> np.ndarray:
    """Per-minute rates (n x 9) from archetype, skill (usage) and rebounding."""
    base = _ARCHETYPE_RATES[archetype].copy()
    usage = np.exp(0.22 * skill)
    base[:, 0] *= usage  # FGA
    base[:, 2] *= usage**1.4  # FTA: stars draw fouls
    base[:, 5] *= np.exp(0.18 * skill)  # AST
    base[:, 3] *= rebounding
    base[:, 4] *= rebounding
    return base


_STAT_COLUMNS = ("MIN", "PTS", "REB", "AST", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB",
                 "TOV", "STL", "BLK", "PF", "PLUS_MINUS", "LINE_PRA", "ODDS_OVER", "ODDS_UNDER", "CLOSE_LINE_PRA")


@dataclass
class _Season:
    """Mutable state of one season being played, as arrays over every player number."""

    skill: np.ndarray
    age: np.ndarray
    archetype: np.ndarray
    rebounding: np.ndarray
    out_until: np.ndarray  # injured through this day index
    last_day: np.ndarray  # day index of the last game played
    ewma_pra: np.ndarray  # the bookmaker's memory of recent PRA
    columns: dict = field(default_factory=lambda: {c: [] for c in ("PLAYER", "GAME", "TEAM", "OPPONENT", "HOME",
                                                                   "STARTER", "WIN", *_STAT_COLUMNS)})
    #: each team-game's list: the whole roster, who started, and who played, sat or was inactive
    listed: dict = field(default_factory=lambda: {c: [] for c in ("PLAYER", "GAME", "TEAM", "STARTER", "STATUS")})


def _play_season(rng, players: _Players, rosters: dict[str, list[int]], schedule: pd.DataFrame, year: int,
                 team_pace: dict, team_defence: dict,
                 news_rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n = len(players.ids)
    st = _Season(
        skill=np.asarray(players.skill, dtype=float), age=np.asarray(players.age, dtype=float),
        archetype=np.asarray(players.archetype), rebounding=np.asarray(players.rebounding, dtype=float),
        out_until=np.full(n, -1), last_day=np.full(n, -10), ewma_pra=np.full(n, np.nan),
    )
    deadline = schedule["GAME_DATE"].iloc[int(len(schedule) * 0.6)]
    traded = False
    first_day = schedule["GAME_DATE"].iloc[0]
    last_drift = 0
    expected_margin, scoring = np.empty(len(schedule)), np.empty(len(schedule))
    for g, game in enumerate(schedule.itertuples(index=False)):
        day = (game.GAME_DATE - first_day).days
        if day - last_drift >= 7:  # form and roles drift through the season
            st.skill += rng.normal(0, 0.045, n)
            last_drift = day
        if not traded and game.GAME_DATE >= deadline:
            _trade_deadline(rng, st.skill, rosters)
            traded = True
        strength = {t: float(np.sort(st.skill[rosters[t]])[-8:].mean()) for t in (game.HOME_TEAM, game.AWAY_TEAM)}
        expected_margin[g] = 2.5 + 6.0 * (strength[game.HOME_TEAM] - strength[game.AWAY_TEAM])
        # scoring scales with both teams' pace and with each defence (it multiplies the other side's rates)
        scoring[g] = (team_pace[game.HOME_TEAM] + team_pace[game.AWAY_TEAM]) / 2 * (
            team_defence[game.HOME_TEAM] + team_defence[game.AWAY_TEAM]) / 2
        margin = expected_margin[g] + rng.normal(0, 12.5)
        overtimes = 0
        if abs(margin) < 3.0 and rng.random() < 0.45:
            overtimes = 1 + int(rng.random() < 0.15)
            margin = float(rng.choice([-1, 1]) * rng.integers(1, 9))
        margin = float(np.round(margin)) or float(rng.choice([-1, 1]))
        pace = (team_pace[game.HOME_TEAM] + team_pace[game.AWAY_TEAM]) / 2
        for team, opp, home, team_margin in ((game.HOME_TEAM, game.AWAY_TEAM, True, margin),
                                             (game.AWAY_TEAM, game.HOME_TEAM, False, -margin)):
            _play_team_game(rng, st, np.asarray(rosters[team]), g, team, opp, home, team_margin, overtimes,
                            pace, team_defence[opp], day)
    players.skill[:] = st.skill.tolist()
    c = {k: np.concatenate(v) for k, v in st.columns.items()}
    games = schedule.iloc[c["GAME"]].reset_index(drop=True)
    ids, names = np.asarray(players.ids), np.asarray(players.names, dtype=object)
    frame = pd.DataFrame({
        "GAME_ID": games["GAME_ID"], "GAME_DATE": games["GAME_DATE"], "SEASON": season_label(year),
        "PLAYER_ID": ids[c["PLAYER"]], "PLAYER_NAME": names[c["PLAYER"]], "TEAM": c["TEAM"],
        "OPPONENT": c["OPPONENT"], "HOME": c["HOME"].astype(bool),
    })
    for col in _STAT_COLUMNS:
        frame[col] = c[col].astype(np.float64 if col in FLOAT_COLUMNS else np.int64)
    frame["WL"] = np.where(c["WIN"], "W", "L")
    frame["STARTER"] = c["STARTER"].astype(bool)
    return frame, _pregame_lists(st, schedule, players), _game_lines(frame, schedule, expected_margin, scoring,
                                                                     news_rng)


def _pregame_lists(st: _Season, schedule: pd.DataFrame, players: _Players) -> pd.DataFrame:
    """Each team-game's listed players as the pregame files have them."""
    c = {k: np.concatenate(v) for k, v in st.listed.items()}
    games = schedule.iloc[c["GAME"]].reset_index(drop=True)
    return pd.DataFrame({
        "GAME_ID": games["GAME_ID"], "GAME_DATE": games["GAME_DATE"], "TEAM": c["TEAM"],
        "PLAYER_ID": np.asarray(players.ids)[c["PLAYER"]],
        "PLAYER_NAME": np.asarray(players.names, dtype=object)[c["PLAYER"]],
        "STARTER": c["STARTER"].astype(int), "STATUS": c["STATUS"]})


def _game_lines(frame: pd.DataFrame, schedule: pd.DataFrame, expected_margin: np.ndarray, scoring: np.ndarray,
                rng: np.random.Generator) -> pd.DataFrame:
    """The bookmaker's spread (the expected home margin, negated) and total (the season's scoring
    level times the game's pace and defences), each with a little noise, on the half point."""
    points = frame.groupby("GAME_ID", sort=False)["PTS"].sum().reindex(schedule["GAME_ID"]).to_numpy(float)
    level = np.nanmean(points / scoring)
    n = len(schedule)
    spread = _on_half_point(-expected_margin + rng.normal(0, 1.0, n))
    total = _on_half_point(level * scoring + rng.normal(0, 2.5, n))
    none = rng.random(n) < NO_LINE_SHARE
    return pd.DataFrame({"GAME_ID": schedule["GAME_ID"].to_numpy(), "GAME_DATE": schedule["GAME_DATE"].to_numpy(),
                         "HOME_TEAM": schedule["HOME_TEAM"].to_numpy(), "AWAY_TEAM": schedule["AWAY_TEAM"].to_numpy(),
                         "SPREAD_HOME": np.where(none, np.nan, spread), "TOTAL": np.where(none, np.nan, total)})


def _on_half_point(x: np.ndarray) -> np.ndarray:
    return np.round(x * 2.0) / 2.0


def _play_team_game(rng, st: _Season, roster: np.ndarray, g: int, team: str, opp: str, home: bool, margin: float,
                    overtimes: int, pace: float, opp_defence: float, day: int) -> None:
    order = roster[np.argsort(-st.skill[roster], kind="stable")]  # depth chart: better players first
    age = st.age[order]
    # injuries: new ones start today; durations are mostly short, sometimes a month or more
    new_injury = rng.random(len(order)) < 0.010 + 0.0008 * np.clip(age - 28, 0, None)
    for p in order[new_injury & (st.out_until[order] < day)]:
        st.out_until[p] = day + int(np.ceil(rng.lognormal(1.4, 1.0) * 2.1))
    back_to_back = st.last_day[order] == day - 1
    rest = back_to_back & (np.arange(len(order)) < 5) & (age > 31) & (rng.random(len(order)) < 0.3)
    available = (st.out_until[order] < day) & ~rest & (rng.random(len(order)) > 0.01)
    avail = order[available] if available.sum() >= 8 else order[:8]  # short-handed: play through knocks
    slots = np.arange(len(avail))
    planned = _DEPTH_MINUTES[: len(avail)].copy()
    rotation = 9 + int(rng.integers(0, 3))
    planned[rotation:] *= 0.12  # outside the rotation: garbage time only
    blowout = abs(margin) >= 16
    if blowout:
        planned[:5] *= 0.78
        planned[rotation:] *= 6.0
    total = 240.0 + 25.0 * overtimes
    weights = planned * rng.lognormal(0.0, 0.24, len(avail))
    plays = slots < rotation
    plays |= (rng.random(len(avail)) < 0.55) if blowout else (rng.random(len(avail)) < 0.12)
    minutes = _allocate(weights * plays, total)
    played = minutes > 0.3
    expected_minutes = _allocate(planned * played, total)[played]
    # the team-game's list: who started and played, who dressed and sat, who was inactive
    dressed = np.isin(order, avail)
    status = np.where(dressed, "DNP", "INACTIVE").astype(object)
    status[np.isin(order, avail[played])] = "PLAYED"
    starting = np.isin(order, avail[played & (slots < 5)])
    for key, value in (("PLAYER", order), ("GAME", np.full(len(order), g)), ("TEAM", np.full(len(order), team, dtype=object)),
                       ("STARTER", starting), ("STATUS", status)):
        st.listed[key].append(value)
    avail, minutes, slots = avail[played], minutes[played], slots[played]
    k = len(avail)

    rates = _RATE_SCALE * _rates(st.skill[avail], st.archetype[avail], st.rebounding[avail])
    # usage vacated by unavailable high-skill teammates goes to those who play
    vacated = np.clip(st.skill[order[~np.isin(order, avail)]], 0, None).sum()
    usage_boost = 1.0 + 0.035 * vacated
    form = rng.lognormal(-0.012, 0.155, k)  # a player's night: shared by all his stats
    env = pace * opp_defence * form
    fga = rng.poisson(rates[:, 0] * minutes * env * usage_boost)
    fg3a = rng.binomial(fga, np.clip(rates[:, 1], 0, 0.95))
    shooting = np.clip(rng.normal(0, 0.04, k) + 0.012 * st.skill[avail], -0.1, 0.1)
    fg3m = rng.binomial(fg3a, np.clip(0.355 + shooting, 0.05, 0.95))
    fg2m = rng.binomial(fga - fg3a, np.clip(0.525 + shooting, 0.05, 0.95))
    fta = rng.poisson(rates[:, 2] * minutes * env * usage_boost)
    ftm = rng.binomial(fta, 0.78)
    oreb = rng.poisson(rates[:, 3] * minutes * env)
    dreb = rng.poisson(rates[:, 4] * minutes * env / opp_defence)
    ast = rng.poisson(rates[:, 5] * minutes * env * usage_boost)
    pts = 2 * fg2m + 3 * fg3m + ftm
    pra = pts + oreb + dreb + ast

    # the bookmaker: before the game, from recent form and the usual role (not tonight's news)
    mean_rate = pace * opp_defence * usage_boost * (
        rates[:, 0] * (1.0 - rates[:, 1]) * 2 * 0.525 + rates[:, 0] * rates[:, 1] * 3 * 0.355
        + rates[:, 2] * 0.78 + rates[:, 3] + rates[:, 4] + rates[:, 5]
    )
    usual = _DEPTH_MINUTES[np.minimum(slots, ROSTER_SIZE - 1)] * (240.0 / 265.0) * mean_rate / usage_boost
    recent = st.ewma_pra[avail]
    opening = np.where(np.isnan(recent), usual, 0.55 * recent + 0.45 * usual) + rng.normal(0, 1.0, k)
    closing = 0.35 * opening + 0.65 * expected_minutes * mean_rate + rng.normal(0, 0.6, k)
    has_line = ~np.isnan(recent) & (expected_minutes >= 14.0)
    lean = np.clip(np.round((opening - _half(opening)) * 4) * 5, -15, 15)
    st.ewma_pra[avail] = np.where(np.isnan(recent), pra, 0.8 * np.nan_to_num(recent) + 0.2 * pra)
    st.last_day[avail] = day

    no_line = np.where(has_line, 1.0, np.nan)
    values = {
        "PLAYER": avail, "GAME": np.full(k, g), "TEAM": np.full(k, team, dtype=object),
        "OPPONENT": np.full(k, opp, dtype=object), "HOME": np.full(k, home), "STARTER": slots < 5,
        "WIN": np.full(k, margin > 0), "MIN": _round_to_total(minutes, int(total)), "PTS": pts,
        "REB": oreb + dreb, "AST": ast, "FGM": fg2m + fg3m, "FGA": fga, "FG3M": fg3m, "FG3A": fg3a,
        "FTM": ftm, "FTA": fta, "OREB": oreb, "DREB": dreb,
        "TOV": rng.poisson(rates[:, 6] * minutes * env), "STL": rng.poisson(rates[:, 7] * minutes),
        "BLK": rng.poisson(rates[:, 8] * minutes), "PF": np.minimum(rng.poisson(0.085 * minutes), 6),
        "PLUS_MINUS": np.round(margin * minutes / 48.0 + rng.normal(0, 5.5, k)),
        "LINE_PRA": _half(opening) * no_line, "ODDS_OVER": (-110.0 - lean) * no_line,
        "ODDS_UNDER": (-110.0 + lean) * no_line, "CLOSE_LINE_PRA": _half(closing) * no_line,
    }
    for key, value in values.items():
        st.columns[key].append(value)


def _half(x):
    """Round to the nearest x.5 (props are hooked: no pushes)."""
    return np.floor(np.maximum(x, 0.5)) + 0.5


def _allocate(weights: np.ndarray, total: float, cap: float = 46.0) -> np.ndarray:
    """Share ``total`` minutes in proportion to ``weights``, nobody above ``cap`` (+OT)."""
    cap = cap + (total - 240.0) / 5.0
    minutes = np.zeros_like(weights, dtype=float)
    free = weights > 0
    left = total
    for _ in range(5):
        if not free.any():
            break
        share = weights * free / weights[free].sum() * left
        over = share > cap
        if not over.any():
            minutes[free] = share[free]
            break
        minutes[over] = cap
        free &= ~over
        left = total - minutes.sum()
    return minutes


def _round_to_total(minutes: np.ndarray, total: int) -> np.ndarray:
    """Whole minutes that still sum to ``total`` (largest remainder), as the source rounds."""
    floor = np.floor(minutes)
    short = int(round(total - floor.sum()))
    if short > 0:
        floor[np.argsort(-(minutes - floor), kind="stable")[:short]] += 1
    return floor


# --------------------------------------------------------------------------- movement


def _trade_deadline(rng, skill: np.ndarray, rosters: dict[str, list[int]]) -> None:
    """A handful of like-for-like swaps between teams (same depth slot)."""
    teams = list(rosters)
    for _ in range(max(1, len(teams) // 4)):
        a, b = rng.choice(len(teams), 2, replace=False)
        ta, tb = teams[a], teams[b]
        slot = int(rng.integers(2, 12))
        pa = sorted(rosters[ta], key=lambda p: -skill[p])[slot]
        pb = sorted(rosters[tb], key=lambda p: -skill[p])[slot]
        rosters[ta][rosters[ta].index(pa)] = pb
        rosters[tb][rosters[tb].index(pb)] = pa


def _offseason(rng, players: _Players, rosters: dict[str, list[int]]) -> None:
    """Age and develop players, retire some, sign rookies, move some players between teams."""
    for p in range(len(players.ids)):
        age = players.age[p]
        growth = 0.22 if age < 23 else 0.10 if age < 26 else 0.0 if age < 29 else -0.10 if age < 32 else -0.22
        players.skill[p] += growth + float(rng.normal(0, 0.18))
        players.age[p] = age + 1
    free_agents: list[int] = []
    for team, roster in rosters.items():
        keep = []
        for p in roster:
            retire = players.age[p] > 34 and rng.random() < 0.45
            leave = rng.random() < 0.14
            (free_agents if leave and not retire else keep if not retire else []).append(p)
        rosters[team] = keep
    rng.shuffle(free_agents)
    for team, roster in rosters.items():
        while len(roster) < ROSTER_SIZE:
            if free_agents and rng.random() < 0.7:
                roster.append(free_agents.pop())
            else:
                roster.append(players.add(rng, float(rng.uniform(19, 22)), float(rng.normal(-0.9, 0.7))))
