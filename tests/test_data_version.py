"""Data versions: full-content, layout- and order-independent, sensitive to any value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import to_nba_api
from mlflow_nbaprops.data import canonicalize_frame, content_digest, data_version, load_gamelogs, write_gamelogs
from mlflow_nbaprops.data.version import DIGEST_LENGTH


@pytest.fixture(scope="module")
def frame(small_league):
    return canonicalize_frame(small_league)


@pytest.fixture(scope="module")
def small_league():
    from mlflow_nbaprops.data.synth import synthesize_league

    return synthesize_league(2, seed=11, n_teams=8, games_per_team=24)


def test_digest_fits_mlflows_dataset_digest_column(frame):
    digest = content_digest(frame)
    assert len(digest) == DIGEST_LENGTH <= 36
    assert all(c in "0123456789abcdef" for c in digest)


def test_row_and_column_order_do_not_matter(frame):
    digest = content_digest(frame)
    for seed in range(3):
        shuffled = frame.sample(frac=1.0, random_state=seed)
        assert content_digest(shuffled) == digest
        assert content_digest(shuffled.reset_index(drop=True)) == digest
    assert content_digest(frame[frame.columns[::-1]]) == digest


def test_file_layout_and_format_do_not_matter(frame, tmp_path):
    digest = content_digest(frame)
    write_gamelogs(frame, tmp_path / "one.parquet")
    for i, (_, part) in enumerate(frame.groupby("TEAM")):
        write_gamelogs(part, tmp_path / "split" / f"part{i}.csv.gz")
    to_nba_api(frame).to_csv(tmp_path / "api.csv", index=False)
    assert load_gamelogs(tmp_path / "one.parquet").version.digest == digest
    assert load_gamelogs(tmp_path / "split").version.digest == digest
    # the nba_api copy lacks STARTER and the line columns: a different content, a different version
    api_version = load_gamelogs(tmp_path / "api.csv").version.digest
    without = frame.drop(columns=["STARTER", "LINE_PRA", "ODDS_OVER", "ODDS_UNDER", "CLOSE_LINE_PRA"])
    assert api_version == content_digest(without) != digest


@pytest.mark.parametrize(
    "column, change",
    [
        ("PTS", lambda v: v + 1),
        ("MIN", lambda v: v + 0.5),
        ("PLAYER_NAME", lambda v: v + "x"),
        ("TEAM", lambda v: v.lower()),
        ("GAME_ID", lambda v: v[:-1] + ("9" if v[-1] != "9" else "8")),
        ("GAME_DATE", lambda v: v + pd.Timedelta(days=1)),
        ("HOME", lambda v: not v),
        ("LINE_PRA", lambda v: v + 1.0),
        ("SEASON", lambda v: "1999-00"),
    ],
)
def test_any_single_changed_value_changes_the_digest(frame, column, change):
    digest = content_digest(frame)
    rows = [0, len(frame) // 2, len(frame) - 1]
    for row in rows:
        changed = frame.copy()
        value = changed.at[row, column]
        if isinstance(value, float) and np.isnan(value):
            continue
        changed.at[row, column] = change(value)
        assert content_digest(changed) != digest, (column, row)


def test_swapping_values_between_rows_changes_the_digest(frame):
    swapped = frame.copy()
    swapped.loc[[0, 1], "PTS"] = swapped.loc[[1, 0], "PTS"].to_numpy()
    if frame.loc[0, "PTS"] == frame.loc[1, "PTS"]:
        pytest.skip("equal values")
    assert content_digest(swapped) != content_digest(frame)


def test_dropping_or_duplicating_a_row_changes_the_digest(frame):
    digest = content_digest(frame)
    assert content_digest(frame.drop(index=7)) != digest
    assert content_digest(pd.concat([frame, frame.iloc[[7]]])) != digest


def test_storage_types_do_not_matter_values_do():
    text = pd.DataFrame({"GAME_ID": ["a", None, "ccc"], "PTS": [1, 2, 3]})
    objects = text.astype({"GAME_ID": object})
    floats = text.astype({"PTS": "float64"})
    assert content_digest(text) == content_digest(objects) == content_digest(floats)
    assert content_digest(text.assign(PTS=[1, 2, 4])) != content_digest(text)
    empty = text.assign(GAME_ID=["a", "", "ccc"])
    assert content_digest(empty) != content_digest(text)  # "" is not missing
    long = text.assign(GAME_ID=["a" * 17, None, "ccc"])
    assert content_digest(long) != content_digest(text.assign(GAME_ID=["a" * 16, None, "ccc"]))


def test_summary_names_rows_players_seasons_dates_source(frame):
    version = data_version(frame, source="synthetic")
    assert version.rows == len(frame)
    assert version.players == frame["PLAYER_ID"].nunique()
    assert version.seasons == ("2021-22", "2022-23")
    summary = version.summary()
    assert f"{len(frame):,} rows" in summary and "2021-22..2022-23" in summary and "synthetic" in summary
    assert version.to_dict()["digest"] == version.digest
