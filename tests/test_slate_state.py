"""The served path's night state: slate features from lookups plus the availability maths
equal the batch builder's, bit for bit, on every game date of a season."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlflow_nbaprops.data import canonicalize_frame
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.features import build_features, get_feature_set
import mlflow_nbaprops.features.snapshot as snapshot_module
from mlflow_nbaprops.features.snapshot import HistorySnapshot
from mlflow_nbaprops.model.predictor import MAX_SLATE_DATES, observed_slate, validate_slate

FS = get_feature_set("full")
NAMES = list(FS.names)


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    return canonicalize_frame(synthesize_league(2, seed=5, n_teams=8, games_per_team=30), source="synthetic")


def _batch(history: pd.DataFrame, targets: pd.DataFrame, absences: pd.DataFrame) -> pd.DataFrame:
    built = build_features(history, FS, targets=targets, absences=absences)
    return built.loc[built["is_target"], NAMES].reset_index(drop=True)


def _night_slate(history: pd.DataFrame, games: pd.DataFrame):
    slate = validate_slate(observed_slate(history, games))
    absences = slate.loc[slate["OUT"].eq(True), ["PLAYER_ID", "TEAM", "GAME_DATE"]]
    return slate[["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]], absences


@pytest.mark.slow
def test_each_night_of_a_season_gets_the_batch_builders_features_bit_for_bit(league):
    season = league[league["SEASON"] == league["SEASON"].max()]
    nights = sorted(season["GAME_DATE"].unique())[3::2]  # every other night keeps this under 10 s
    fast = 0
    for night in nights:
        history = league[league["GAME_DATE"] < night]
        snapshot = HistorySnapshot.from_history(history)
        targets, absences = _night_slate(history, league[league["GAME_DATE"] == night])
        # (a player on a new team since last season takes the full path: see the test below)
        fast += snapshot.night(pd.Timestamp(night), FS).covers(targets).all()
        got = snapshot.features(targets, FS, absences, keys=False)
        pd.testing.assert_frame_equal(got, _batch(history, targets, absences), check_exact=True)
    assert len(nights) > 12 and fast > 0.8 * len(nights)


def test_a_partial_slate_and_its_news_match_the_full_path(league):
    """Only the players with a line, some declared out, one listed twice: lookups = builder."""
    nights = sorted(league["GAME_DATE"].unique())
    night = nights[-6]
    history = league[league["GAME_DATE"] < night]
    snapshot = HistorySnapshot.from_history(history)
    targets, absences = _night_slate(history, league[league["GAME_DATE"] == night])
    partial = targets.groupby("TEAM").head(3)
    partial = pd.concat([partial, partial.head(1)], ignore_index=True)
    mine = history[history["TEAM"].isin(partial["TEAM"])]  # each team's busiest player of its last game: out
    last = mine[mine["GAME_DATE"] == mine.groupby("TEAM")["GAME_DATE"].transform("max")]
    declared = last.sort_values("MIN").groupby("TEAM").tail(1)[["PLAYER_ID", "TEAM"]].assign(GAME_DATE=night)
    fast = snapshot.features(partial, FS, declared)
    assert (fast["team_out_n"] > 0).any() and (fast["opp_out_n"] > 0).any()
    assert fast["GAME_ID"].str.startswith("T").all()
    once = partial.iloc[:-1]  # (the builder itself must not see a row twice: the snapshot dedups for it)
    pd.testing.assert_frame_equal(fast.iloc[:-1], snapshot._built(once, FS, declared), check_exact=True,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(fast[NAMES].iloc[:-1], _batch(history, once, declared), check_exact=True)
    pd.testing.assert_series_equal(fast.iloc[-1], fast.iloc[0], check_names=False)


def test_traded_players_debuts_and_unknown_teams(league):
    """A player listed for a team he has never played for (traded) gets a probe row of his own,
    once for the night; a debut gets his team's newcomer row; an unknown opponent takes the
    batch builder's path. All three: the batch builder's features."""
    nights = sorted(league["GAME_DATE"].unique())
    night = nights[-4]
    history = league[league["GAME_DATE"] < night]
    snapshot = HistorySnapshot.from_history(history)
    targets, absences = _night_slate(history, league[league["GAME_DATE"] == night])
    teams = targets.drop_duplicates("TEAM")["TEAM"].tolist()
    mover = targets[targets["TEAM"] == teams[0]].iloc[0]["PLAYER_ID"]
    traded = targets.copy()
    traded.loc[traded["PLAYER_ID"] == mover, ["TEAM", "OPPONENT"]] = traded.loc[
        traded["TEAM"] == teams[1], ["TEAM", "OPPONENT"]].iloc[0].to_numpy()
    assert not snapshot.night(pd.Timestamp(night), FS).covers(traded).all()
    got = snapshot.features(traded, FS, absences, keys=False)
    pd.testing.assert_frame_equal(got, _batch(history, traded, absences), check_exact=True)
    assert snapshot.night(pd.Timestamp(night), FS).covers(traded).all()  # probed now, kept for the night
    newcomer = pd.concat([targets, targets.head(1).assign(PLAYER_ID=999_999_999)], ignore_index=True)
    assert snapshot.night(pd.Timestamp(night), FS).covers(newcomer).all()  # a debut: the team's newcomer row
    pd.testing.assert_frame_equal(snapshot.features(newcomer, FS, absences, keys=False),
                                  _batch(history, newcomer, absences), check_exact=True)
    stranger = targets.head(2).assign(OPPONENT="XYZ")
    assert not snapshot.night(pd.Timestamp(night), FS).covers(stranger).any()
    assert np.isnan(snapshot.features(stranger, FS, keys=False)["opp_pace_l15"]).all()


def test_a_night_is_built_once_and_a_few_are_kept(league, monkeypatch):
    # the shipped bound keeps every date a slate may cover, for a model and its fallback
    assert snapshot_module.NIGHTS_KEPT >= 2 * MAX_SLATE_DATES
    monkeypatch.setattr(snapshot_module, "NIGHTS_KEPT", 4)  # the bound itself, on a few nights
    history = league[league["GAME_DATE"] < sorted(league["GAME_DATE"].unique())[-3]]
    snapshot = HistorySnapshot.from_history(history)
    first = snapshot.night(snapshot.cutoff + pd.Timedelta(days=1), FS)
    assert snapshot.night(snapshot.cutoff + pd.Timedelta(days=1), FS) is first
    for k in range(2, 8):
        snapshot.night(snapshot.cutoff + pd.Timedelta(days=k), FS)
    assert len(snapshot._nights) <= 4


def test_concurrent_requests_for_a_night_build_it_once_and_build_ahead_prepares_the_next(league, monkeypatch):
    """A served model answers on several threads: eight requests for a new night wait for one
    build; ``build_ahead`` builds the night after the history before any request asks for it."""
    import threading

    history = league[league["GAME_DATE"] < sorted(league["GAME_DATE"].unique())[-3]]
    builds, real_build = [], snapshot_module.build_night

    def slow_build(*args, **kwargs):
        builds.append(args[2])
        threading.Event().wait(0.2)  # long enough for every thread to arrive while it builds
        return real_build(*args, **kwargs)

    monkeypatch.setattr(snapshot_module, "build_night", slow_build)
    snapshot = HistorySnapshot.from_history(history)
    tonight = snapshot.cutoff + pd.Timedelta(days=2)
    got = []
    threads = [threading.Thread(target=lambda: got.append(snapshot.night(tonight, FS))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert builds == [tonight] and len(got) == 8 and all(night is got[0] for night in got)

    ahead = snapshot.build_ahead(FS)
    assert snapshot.night(snapshot.next_night(), FS) is not None  # waits for the build in flight, no second build
    ahead.join(timeout=60)
    assert builds == [tonight, snapshot.cutoff + pd.Timedelta(days=1)]
