"""Loading game logs: formats, layouts, nba_api quirks, and every validation error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REAL_DATA, requires_real_data, to_nba_api
from mlflow_nbaprops.data import canonicalize_frame, load_gamelogs, write_gamelogs
from mlflow_nbaprops.errors import DataLoadError, DataValidationError

# ----------------------------------------------------------------------------- real data


@requires_real_data
def test_real_nba_api_files_load_as_documented():
    logs = load_gamelogs(REAL_DATA)
    frame = logs.frame
    # the README's table: nine seasons, these row counts
    counts = frame.groupby("SEASON").size().to_dict()
    assert counts["2015-16"] == 26_078 and counts["2019-20"] == 20_501 and counts["2023-24"] == 26_401
    assert len(frame) == 226_315
    assert frame["GAME_ID"].str.len().eq(10).all() and frame["GAME_ID"].str.startswith("002").all()
    assert frame.groupby("GAME_ID")["TEAM"].nunique().eq(2).all()
    # every row's OPPONENT is the other team of its game, and each game has one home team
    home_teams = frame[frame["HOME"]].groupby("GAME_ID")["TEAM"].nunique()
    assert home_teams.eq(1).all() and len(home_teams) == frame["GAME_ID"].nunique()
    assert (frame["MIN"] == 0).sum() > 0  # real sub-30-second appearances are kept
    assert logs.quarantined.empty


@requires_real_data
def test_real_matchups_parse_against_own_team():
    raw = pd.concat(pd.read_csv(f, dtype={"GAME_ID": str}) for f in sorted(REAL_DATA.glob("*.csv.gz")))
    frame = load_gamelogs(REAL_DATA).frame.set_index(["PLAYER_ID", "GAME_ID"])
    raw = raw.set_index(["PLAYER_ID", "GAME_ID"]).loc[frame.index]
    # "LAL vs. BOS": LAL home against BOS; "LAL @ BOS": LAL away at BOS
    expected_home = raw["MATCHUP"].str.contains(" vs. ", regex=False)
    assert (frame["HOME"] == expected_home).all()
    assert (raw["MATCHUP"].str.split().str[-1] == frame["OPPONENT"]).all()
    # (the data's README mentions neutral-site rows carrying "AWAY @ HOME" on both teams; these
    # nine seasons have none, so that case is covered by test_neutral_site_matchup_text_on_both_rows)


# ----------------------------------------------------------------------------- formats


def test_nba_api_and_canonical_files_give_the_same_frame(small_league, tmp_path):
    canonical = canonicalize_frame(small_league)
    api = to_nba_api(canonical)
    api.to_csv(tmp_path / "api.csv.gz", index=False)
    from_api = load_gamelogs(tmp_path / "api.csv.gz").frame
    cols = [c for c in from_api.columns]
    pd.testing.assert_frame_equal(from_api, canonical[cols])


@pytest.mark.parametrize("name", ["logs.csv", "logs.csv.gz", "logs.parquet"])
def test_round_trip_each_format(small_league, tmp_path, name):
    canonical = canonicalize_frame(small_league)
    write_gamelogs(canonical, tmp_path / name)
    loaded = load_gamelogs(tmp_path / name).frame
    pd.testing.assert_frame_equal(loaded, canonical)
    assert loaded["GAME_ID"].str.startswith("002").all()


def test_folder_and_several_files(small_league, tmp_path):
    canonical = canonicalize_frame(small_league)
    for season, part in canonical.groupby("SEASON"):
        write_gamelogs(part, tmp_path / "logs" / f"{season}.csv")
    files = sorted((tmp_path / "logs").iterdir())
    assert len(files) == 2
    by_folder = load_gamelogs(tmp_path / "logs")
    by_files = load_gamelogs(files)
    pd.testing.assert_frame_equal(by_folder.frame, canonical)
    pd.testing.assert_frame_equal(by_files.frame, canonical)
    assert by_folder.files == [str(f) for f in files]


def test_game_id_stays_text_even_when_a_file_stored_it_as_a_number(small_league, tmp_path):
    frame = canonicalize_frame(small_league)
    numeric = frame.assign(GAME_ID=frame["GAME_ID"].astype(int))
    numeric.to_parquet(tmp_path / "n.parquet")
    loaded = load_gamelogs(tmp_path / "n.parquet").frame
    assert loaded["GAME_ID"].tolist() == frame["GAME_ID"].tolist()


def test_season_from_season_id_or_date():
    base = {
        "GAME_ID": ["0022300001"] * 2, "PLAYER_ID": [1, 2], "PLAYER_NAME": ["A", "B"],
        "TEAM_ABBREVIATION": ["AAA", "BBB"], "MATCHUP": ["AAA vs. BBB", "BBB @ AAA"],
        "MIN": [30, 20], "PTS": [10, 5], "REB": [3, 4], "AST": [1, 2],
    }
    from_date = canonicalize_frame(pd.DataFrame({**base, "GAME_DATE": ["2024-01-05"] * 2}))
    assert from_date["SEASON"].tolist() == ["2023-24"] * 2
    autumn = canonicalize_frame(pd.DataFrame({**base, "GAME_DATE": ["2023-10-25"] * 2}))
    assert autumn["SEASON"].tolist() == ["2023-24"] * 2
    from_id = canonicalize_frame(pd.DataFrame({**base, "GAME_DATE": ["2020-12-25"] * 2, "SEASON_ID": ["22020"] * 2}))
    assert from_id["SEASON"].tolist() == ["2020-21"] * 2
    assert from_id["HOME"].tolist() == [True, False]
    assert from_id["OPPONENT"].tolist() == ["BBB", "AAA"]


def test_neutral_site_matchup_text_on_both_rows():
    frame = canonicalize_frame(pd.DataFrame({
        "GAME_ID": ["0022300001"] * 2, "GAME_DATE": ["2024-01-11"] * 2, "PLAYER_ID": [1, 2],
        "PLAYER_NAME": ["A", "B"], "TEAM_ABBREVIATION": ["ATL", "BKN"],
        "MATCHUP": ["ATL @ BKN", "ATL @ BKN"],  # Paris game: same text on both teams' rows
        "MIN": [30, 20], "PTS": [10, 5], "REB": [3, 4], "AST": [1, 2],
    }))
    assert frame.set_index("TEAM")["OPPONENT"].to_dict() == {"ATL": "BKN", "BKN": "ATL"}
    assert frame.set_index("TEAM")["HOME"].to_dict() == {"ATL": False, "BKN": True}


def test_missing_paths_and_unsupported_files_are_clear(tmp_path):
    with pytest.raises(DataLoadError, match="no such file"):
        load_gamelogs(tmp_path / "nope.csv")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DataLoadError, match="unsupported file type"):
        load_gamelogs(tmp_path / "x.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataLoadError, match="folder has no game-log files"):
        load_gamelogs(tmp_path / "empty")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataLoadError, match="broken.parquet: cannot be read"):
        load_gamelogs(tmp_path / "broken.parquet")


# ----------------------------------------------------------------------------- validation errors


@pytest.fixture
def api_file(small_league, tmp_path):
    """Write a (possibly corrupted) nba_api-shaped copy of the small league and return its path."""

    def write(corrupt=None, name="logs.csv"):
        frame = to_nba_api(canonicalize_frame(small_league)).reset_index(drop=True)
        frame = frame.astype({c: object for c in frame.columns})
        if corrupt:
            frame = corrupt(frame)
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write


def _error(path) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_gamelogs(path)
    return info.value


def _set(col, rows, value):
    def corrupt(frame):
        frame.loc[rows, col] = value
        return frame

    return corrupt


def test_missing_required_columns_named_with_file(api_file):
    path = api_file(lambda f: f.drop(columns=["PTS", "MATCHUP"]))
    err = _error(path)
    assert "logs.csv" in str(err) and "PTS" in str(err) and "OPPONENT" in str(err) and "HOME" in str(err)


@pytest.mark.parametrize(
    "col, value, check, words",
    [
        ("GAME_DATE", "31/31/2023", "unparseable_date", "unparseable date"),
        ("PTS", "twelve", "not_numeric", "text in numeric column"),
        ("REB", -2, "negative_stat", "negative value"),
        ("MIN", 99, "impossible_minutes", "impossible minutes"),
        ("MIN", -1, "impossible_minutes", "impossible minutes"),
        ("AST", 2.5, "not_integer", "fraction in whole-number column"),
        ("PLAYER_NAME", None, "missing_value", "empty value in required column"),
    ],
)
def test_row_errors_name_file_column_rows_and_count(api_file, col, value, check, words):
    rows = [3, 10, 17]
    err = _error(api_file(_set(col, rows, value)))
    problem = next(p for p in err.problems if p.check == check)
    assert problem.column == col
    assert problem.count == len(rows)
    (file, shown), = problem.locations.items()
    assert file.endswith("logs.csv")
    assert shown == [r + 1 for r in rows]  # 1-based data rows
    message = str(err)
    assert words in message and col in message and "logs.csv rows 4, 11, 18" in message


def test_duplicate_player_game(api_file):
    err = _error(api_file(lambda f: pd.concat([f, f.iloc[[5, 6]]], ignore_index=True)))
    problem = next(p for p in err.problems if p.check == "duplicate")
    assert problem.count == 2 and problem.column == "PLAYER_ID, GAME_ID"


def test_game_without_exactly_two_teams(api_file):
    def third_team(frame):
        gid = frame.loc[0, "GAME_ID"]
        rows = frame.index[(frame["GAME_ID"] == gid) & (frame["TEAM_ABBREVIATION"] == frame.loc[0, "TEAM_ABBREVIATION"])]
        frame.loc[rows[:1], "TEAM_ABBREVIATION"] = "ZZZ"
        frame.loc[rows[:1], "MATCHUP"] = "ZZZ vs. QQQ"
        return frame

    err = _error(api_file(third_team))
    problem = next(p for p in err.problems if p.check == "game_teams")
    assert "exactly two teams" in str(err) and problem.count > 2


def test_team_opponent_mismatch(api_file):
    err = _error(api_file(_set("MATCHUP", [7], "XXX vs. YYY")))
    assert any(p.check == "team_mismatch" and p.column == "MATCHUP" for p in err.problems)

    def wrong_opponent(frame):
        team = frame.loc[2, "TEAM_ABBREVIATION"]
        frame.loc[2, "MATCHUP"] = f"{team} vs. QQQ"
        return frame

    err = _error(api_file(wrong_opponent, name="b.csv"))
    problem = next(p for p in err.problems if p.check == "team_mismatch")
    assert problem.column == "OPPONENT" and problem.count == 1


def test_canonical_team_equal_to_opponent_is_rejected(small_league):
    frame = canonicalize_frame(small_league)
    bad = frame.copy()
    bad.loc[4, "OPPONENT"] = bad.loc[4, "TEAM"]
    with pytest.raises(DataValidationError, match="OPPONENT is not the other team"):
        canonicalize_frame(bad)


def test_quarantine_sets_rows_aside_and_counts_them(api_file, caplog):
    path = api_file(_set("PTS", [3, 9], -5))
    logs = load_gamelogs(path, on_bad_rows="quarantine")
    assert len(logs.quarantined) == 2
    assert logs.quarantined["_row"].tolist() == [4, 10]
    assert logs.quarantined["reason"].str.contains("PTS: negative value").all()
    clean = load_gamelogs(api_file(name="clean.csv")).frame
    assert len(logs.frame) == len(clean) - 2  # nothing else lost
    assert "quarantined 2 of" in caplog.text


def test_many_problems_reported_at_once(api_file):
    def several(frame):
        frame.loc[1, "PTS"] = "x"
        frame.loc[2, "MIN"] = 120
        frame.loc[3, "GAME_DATE"] = "not a date"
        return frame

    err = _error(api_file(several))
    assert {p.check for p in err.problems} >= {"not_numeric", "impossible_minutes", "unparseable_date"}
    assert str(err).startswith("invalid game logs: ")


def test_bad_on_bad_rows_value():
    with pytest.raises(ValueError, match="on_bad_rows"):
        load_gamelogs("x.csv", on_bad_rows="ignore")


def test_validation_errors_report_many_rows_compactly(api_file):
    err = _error(api_file(_set("PTS", list(range(0, 300)), -1)))
    problem = err.problems[0]
    assert problem.count == 300
    assert len(next(iter(problem.locations.values()))) == 5  # first few shown, the count says the rest
    assert "300 row(s)" in str(err) and len(str(err)) < 600


def test_optional_columns_with_gaps_stay_numeric(small_league):
    frame = canonicalize_frame(small_league)
    frame.loc[:10, "FGA"] = np.nan
    out = canonicalize_frame(frame)
    assert out["FGA"].dtype == "float64" and out["FGA"].isna().sum() == 11
