"""The canonical game-log schema: one row per player-game.

Every loader output, the synthetic league and every downstream layer speak this
schema. Column order here is the canonical order (used by the data digest).
"""

from __future__ import annotations

REQUIRED_COLUMNS: tuple[str, ...] = (
    "GAME_ID",
    "GAME_DATE",
    "SEASON",
    "PLAYER_ID",
    "PLAYER_NAME",
    "TEAM",
    "OPPONENT",
    "HOME",
    "MIN",
    "PTS",
    "REB",
    "AST",
)

#: Optional box-score counting stats (non-negative integers).
BOX_SCORE_COUNTS: tuple[str, ...] = (
    "FGM",
    "FGA",
    "FG3M",
    "FG3A",
    "FTM",
    "FTA",
    "OREB",
    "DREB",
    "TOV",
    "STL",
    "BLK",
    "PF",
)

#: Optional prop-line columns (bookmaker PRA line, American odds, closing line).
LINE_COLUMNS: tuple[str, ...] = ("LINE_PRA", "ODDS_OVER", "ODDS_UNDER", "CLOSE_LINE_PRA")

OPTIONAL_COLUMNS: tuple[str, ...] = (
    *BOX_SCORE_COUNTS,
    "PLUS_MINUS",
    "WL",
    "STARTER",
    *LINE_COLUMNS,
)

CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: Columns that must be non-negative counts.
COUNT_COLUMNS: tuple[str, ...] = ("PTS", "REB", "AST", *BOX_SCORE_COUNTS)

#: Columns stored as float64 (minutes can be fractional, lines are x.5, odds may be).
FLOAT_COLUMNS: tuple[str, ...] = ("MIN", "PLUS_MINUS", *LINE_COLUMNS)

#: Columns stored as int64.
INT_COLUMNS: tuple[str, ...] = ("PLAYER_ID", *COUNT_COLUMNS)

NUMERIC_COLUMNS: tuple[str, ...] = INT_COLUMNS + FLOAT_COLUMNS

#: Columns stored as text.
TEXT_COLUMNS: tuple[str, ...] = ("GAME_ID", "SEASON", "PLAYER_NAME", "TEAM", "OPPONENT", "WL")

#: Columns stored as bool.
BOOL_COLUMNS: tuple[str, ...] = ("HOME", "STARTER")

#: The most minutes a player can play: 48 regulation + five 5-minute overtimes.
MAX_MINUTES = 73.0

#: nba_api ``leaguegamefinder`` names that map one-to-one onto canonical names.
NBA_API_RENAMES: dict[str, str] = {"TEAM_ABBREVIATION": "TEAM"}


#: The words a true/false column (``HOME``) is read from, in game logs and in slates alike
#: (case and surrounding spaces ignored).
BOOLEAN_WORDS: dict[str, bool] = {
    **dict.fromkeys(("true", "t", "yes", "y", "1", "1.0", "home", "h"), True),
    **dict.fromkeys(("false", "f", "no", "n", "0", "0.0", "away", "a"), False),
}

#: A season starts in the autumn: a game in this month or later belongs to the season that
#: starts that calendar year (the 2023-24 season: October 2023 to June 2024).
SEASON_START_MONTH = 8


def season_label(start_year: int) -> str:
    """``2023`` -> ``"2023-24"``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def season_start_year(year, month):
    """The start year of the season a date (``year``, ``month``: scalars or arrays) belongs to."""
    return year - (month < SEASON_START_MONTH)


def season_of(day) -> str:
    """The season a date belongs to: ``2024-01-15`` -> ``"2023-24"``."""
    return season_label(int(season_start_year(day.year, day.month)))


def pra(frame):
    """PRA = points + rebounds + assists (works on any frame with those columns)."""
    return frame["PTS"] + frame["REB"] + frame["AST"]


# --------------------------------------------------------------------------- pre-game news

#: A pregame file (``../shared/data/pregame/``, or nba_api's box scores and inactive lists): one row per
#: player listed for a game. ``PLAYER_NAME`` is optional.
PREGAME_COLUMNS: tuple[str, ...] = ("GAME_ID", "GAME_DATE", "TEAM", "PLAYER_ID", "PLAYER_NAME", "STARTER", "STATUS")
PREGAME_REQUIRED: tuple[str, ...] = ("GAME_ID", "GAME_DATE", "TEAM", "PLAYER_ID", "STARTER", "STATUS")
#: ``PLAYED``; ``INACTIVE`` (the inactive list, did not dress, not with the team: known before tip-off);
#: ``DNP`` (dressed, not used: known only after the game).
PREGAME_STATUSES: tuple[str, ...] = ("PLAYED", "INACTIVE", "DNP")
#: A team starts five.
STARTERS_PER_TEAM = 5

#: The league's injury reports as a history table (``nbaprops data injuries``): one row per report and
#: listed player. ``REPORT_TIME`` is the publication's time, ET, to the minute (``2024-01-15T17:30``);
#: ``GAME_TIME`` the tip-off, ET (``19:30``); ``GAME_ID`` and ``PLAYER_ID`` may be empty (a game the
#: logs do not hold yet, a name no log or list knows). A team the report says is not yet submitted
#: is one row with ``STATUS`` ``NOT_SUBMITTED`` and no player.
INJURY_REPORT_COLUMNS: tuple[str, ...] = ("REPORT_TIME", "GAME_DATE", "GAME_TIME", "MATCHUP", "GAME_ID", "TEAM",
                                          "PLAYER_ID", "PLAYER_NAME", "STATUS", "REASON", "REASON_KIND", "SOURCE")
INJURY_REPORT_REQUIRED: tuple[str, ...] = ("REPORT_TIME", "GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "PLAYER_ID",
                                           "STATUS")
REPORT_STATUSES: tuple[str, ...] = ("OUT", "DOUBTFUL", "QUESTIONABLE", "PROBABLE", "AVAILABLE")
NOT_SUBMITTED = "NOT_SUBMITTED"
#: The report's statuses that rule a player out of the game (93-98 % of them end on the inactive list).
RULED_OUT_STATUSES: tuple[str, ...] = ("OUT", "DOUBTFUL")

#: A game-lines file: one row per game, the home team's point spread (negative: home favoured) and
#: the game's over/under total.
GAME_LINE_COLUMNS: tuple[str, ...] = ("GAME_ID", "GAME_DATE", "HOME_TEAM", "AWAY_TEAM", "SPREAD_HOME", "TOTAL")
#: Bounds a real line lies within (the nine real seasons: spreads -21.5..18.5, totals 179.5..262.5).
MAX_ABS_SPREAD = 40.0
TOTAL_RANGE = (120.0, 320.0)
