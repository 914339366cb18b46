"""The synthetic league: deterministic, valid, structured like a season, and statistically like the real one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlflow_nbaprops.data import canonicalize_frame, content_digest
from mlflow_nbaprops.data.synth import synthesize_league

# Measured on the nine real seasons in ../shared/data/nba (2015-16 .. 2023-24, 226,315 rows):
#   mean MIN of MIN>0 rows 22.85, mean PRA 16.84; previous-10-game PRA baseline MAE 5.99 and
#   minutes MAE 5.05 (population: MIN>0 with an earlier game that season); team minutes per
#   team-game median 240 (mean 241.6 with overtimes); 10.6 players appear per team-game;
#   17% of team-games are the second night of a back-to-back.
REAL = {"min": 22.85, "pra": 16.84, "l10_mae": 5.99, "min_mae": 5.05, "players_per_team_game": 10.6, "b2b": 0.17}


@pytest.fixture(scope="module")
def full_season() -> pd.DataFrame:
    """One full 30-team, 82-game season (about 3 s): realism is judged at full scale."""
    return synthesize_league(1, seed=2024)


def test_same_seed_same_league_different_seed_different_league():
    a = synthesize_league(1, seed=5, n_teams=6, games_per_team=12)
    b = synthesize_league(1, seed=5, n_teams=6, games_per_team=12)
    c = synthesize_league(1, seed=6, n_teams=6, games_per_team=12)
    pd.testing.assert_frame_equal(a, b)
    assert content_digest(a) == content_digest(b) != content_digest(c)


def test_passes_the_same_validation_as_real_data(small_league):
    frame = canonicalize_frame(small_league)
    assert len(frame) == len(small_league)


def test_schedule_is_a_season(full_season):
    games = full_season.drop_duplicates(["GAME_ID", "TEAM"])
    assert full_season["TEAM"].nunique() == 30
    assert games.groupby("TEAM").size().eq(82).all()
    assert full_season["GAME_ID"].nunique() == 1230
    assert not games.duplicated(["TEAM", "GAME_DATE"]).any()  # one game a team a day
    rest = games.sort_values("GAME_DATE").groupby("TEAM")["GAME_DATE"].diff().dt.days.dropna()
    b2b = (rest == 1).mean()
    assert abs(b2b - REAL["b2b"]) < 0.06, b2b
    span = (games["GAME_DATE"].max() - games["GAME_DATE"].min()).days
    assert 150 <= span <= 185
    # road trips: some team plays 4+ straight away games
    away_runs = games.sort_values("GAME_DATE").groupby("TEAM")["HOME"].apply(
        lambda h: (~h).astype(int).groupby(h.cumsum()).sum().max())
    assert away_runs.max() >= 4


def test_team_minutes_sum_to_240_plus_overtime(full_season):
    team_minutes = full_season.groupby(["GAME_ID", "TEAM"])["MIN"].sum()
    assert team_minutes.isin([240, 265, 290]).all()
    assert (team_minutes == 240).mean() > 0.9
    assert (team_minutes > 240).any()  # overtime happens
    per_game = full_season.groupby("GAME_ID").apply(lambda g: g.groupby("TEAM")["MIN"].sum().nunique())
    assert per_game.eq(1).all()  # both teams play the same overtime


def test_headline_statistics_match_the_real_seasons(full_season):
    frame = full_season.assign(PRA=full_season["PTS"] + full_season["REB"] + full_season["AST"])
    played = frame[frame["MIN"] > 0]
    assert played["MIN"].mean() == pytest.approx(REAL["min"], abs=1.0)
    assert played["PRA"].mean() == pytest.approx(REAL["pra"], abs=1.0)
    per_team_game = frame.groupby(["GAME_ID", "TEAM"]).size().mean()
    assert per_team_game == pytest.approx(REAL["players_per_team_game"], abs=0.7)
    frame = frame.sort_values(["PLAYER_ID", "GAME_DATE"])
    season = frame.groupby(["PLAYER_ID", "SEASON"])
    l10 = season["PRA"].transform(lambda s: s.shift(1).rolling(10, min_periods=1).mean())
    m10 = season["MIN"].transform(lambda s: s.shift(1).rolling(10, min_periods=1).mean())
    population = (frame["MIN"] > 0) & (season.cumcount() >= 1)
    assert (frame["PRA"] - l10)[population].abs().mean() == pytest.approx(REAL["l10_mae"], abs=0.5)
    assert (frame["MIN"] - m10)[population].abs().mean() == pytest.approx(REAL["min_mae"], abs=0.6)


def test_league_has_the_movement_the_model_must_handle():
    frame = synthesize_league(2, seed=3, n_teams=10, games_per_team=30)
    teams_per_season = frame.groupby(["SEASON", "PLAYER_ID"])["TEAM"].nunique()
    assert (teams_per_season > 1).any(), "trade deadline moves players mid-season"
    s1, s2 = (set(frame.loc[frame["SEASON"] == s, "PLAYER_ID"]) for s in sorted(frame["SEASON"].unique()))
    assert s2 - s1, "rookies arrive"
    assert s1 - s2, "players retire or leave"
    team_of = frame.groupby(["SEASON", "PLAYER_ID"])["TEAM"].first().unstack(0).dropna()
    assert (team_of.iloc[:, 0] != team_of.iloc[:, 1]).any(), "players change teams between seasons"
    assert frame["STARTER"].groupby([frame["GAME_ID"], frame["TEAM"]]).sum().eq(5).all()


def test_blowouts_cut_starters_minutes(full_season):
    margin = full_season.groupby(["GAME_ID", "TEAM"])["PLUS_MINUS"].transform("sum") / 5
    starters = full_season[full_season["STARTER"]]
    close = starters[margin[starters.index].abs() < 6]["MIN"].mean()
    blowout = starters[margin[starters.index].abs() > 20]["MIN"].mean()
    assert blowout < close - 2


def test_prop_lines_are_priced_like_a_bookmaker(full_season):
    lined = full_season.dropna(subset=["LINE_PRA"])
    pra = lined["PTS"] + lined["REB"] + lined["AST"]
    assert 0.6 < len(lined) / len(full_season) < 0.95  # rotation players with history get lines
    assert (lined["LINE_PRA"] % 1 == 0.5).all() and (lined["CLOSE_LINE_PRA"] % 1 == 0.5).all()
    assert 0.45 < (pra > lined["LINE_PRA"]).mean() < 0.55  # no side wins by construction
    # closing lines know more (late injury news) than opening lines: they are closer to the outcome
    assert (pra - lined["CLOSE_LINE_PRA"]).abs().mean() < (pra - lined["LINE_PRA"]).abs().mean()
    assert set(np.unique(lined["ODDS_OVER"] + lined["ODDS_UNDER"])) == {-220.0}
    first_games = full_season.sort_values("GAME_DATE").groupby("PLAYER_ID").head(1)
    assert first_games["LINE_PRA"].isna().all()  # no line without history


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="n_teams"):
        synthesize_league(1, n_teams=7)
    with pytest.raises(ValueError, match="games_per_team"):
        synthesize_league(1, n_teams=8, games_per_team=3)
    with pytest.raises(ValueError, match="seasons"):
        synthesize_league(0)
