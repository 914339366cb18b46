"""Pre-game news: loading and validating it, the features that read it (leakage-safe, exact), the
scenarios by what was known when, and the served answer with and without a lineup."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REAL_DATA, requires_real_data
from mlflow_nbaprops.cli import main
from mlflow_nbaprops.data import (
    canonicalize_frame,
    load_news,
    news_frames,
    synthetic_league_with_news,
    write_gamelogs,
    write_news,
)
from mlflow_nbaprops.data.news import News
from mlflow_nbaprops.errors import DataLoadError, DataValidationError
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.features import build_features, get_feature_set, scenario_feature_set
from mlflow_nbaprops.features.registry import diff
from mlflow_nbaprops.features.snapshot import HistorySnapshot
from mlflow_nbaprops.model.predictor import PropsPredictor, news_slate, validate_slate
from mlflow_nbaprops.tracking.training import fallback_model

FAST = {"n_estimators": 25, "learning_rate": 0.2}
V5 = get_feature_set("full")


@pytest.fixture(scope="module")
def league() -> tuple[pd.DataFrame, News]:
    return synthetic_league_with_news(2, seed=17, teams=8, games=24)


@pytest.fixture()
def files(league, tmp_path):
    frame, news = league
    logs = tmp_path / "logs.parquet"
    write_gamelogs(frame, logs)
    written = write_news(news, tmp_path / "news", stem="league")
    return logs, [str(p) for p in written]


def _problem(excinfo, column: str, text: str) -> str:
    message = str(excinfo.value)
    assert f"column {column}: {text}" in message, message
    return message


# ----------------------------------------------------------------------------- loading and validation


def test_news_files_load_by_their_columns_and_version_by_content(league, files, tmp_path):
    frame, news = league
    _, written = files
    loaded = load_news(tmp_path / "news", frame)  # a folder holding both kinds
    assert loaded.version.digest == news.version.digest  # file layout, format, row order: all irrelevant
    assert len(loaded.pregame) == len(news.pregame) and len(loaded.lines) == frame["GAME_ID"].nunique()
    shuffled = tmp_path / "shuffled.parquet"
    pd.read_csv(written[0], dtype=str).sample(frac=1, random_state=1).to_parquet(shuffled)
    assert load_news([shuffled, written[1]], frame).version.digest == news.version.digest
    edited = news.pregame.copy()
    edited.loc[edited.index[7], "STATUS"] = "DNP" if edited.loc[edited.index[7], "STATUS"] != "DNP" else "INACTIVE"
    assert News(edited, news.lines).version.digest != news.version.digest  # one changed value
    assert "pregame rows in" in news.version.summary() and len(news.version.digest) == 32
    coverage = news.coverage(frame)
    assert coverage["team_games_with_lineup"] == 1.0 and 0.95 < coverage["games_with_line"] < 1.0


def test_the_synthetic_league_publishes_lists_like_the_real_ones(league):
    frame, news = league
    pre = news.pregame
    assert set(pre["STATUS"]) == {"PLAYED", "INACTIVE", "DNP"}
    assert pre.groupby(["GAME_ID", "TEAM"])["STARTER"].sum().eq(5).all()
    played = pre[pre["STATUS"] == "PLAYED"].set_index(["GAME_ID", "PLAYER_ID"]).index
    assert played.sort_values().equals(frame.set_index(["GAME_ID", "PLAYER_ID"]).index.sort_values())
    starters = pre[pre["STARTER"]].set_index(["GAME_ID", "PLAYER_ID"]).index
    assert starters.isin(frame[frame["STARTER"]].set_index(["GAME_ID", "PLAYER_ID"]).index).all()
    # the spread is the bookmaker's expected margin: favourites win more often
    home = frame[frame["HOME"]].groupby("GAME_ID")["PTS"].sum() - frame[~frame["HOME"]].groupby("GAME_ID")["PTS"].sum()
    lines = news.lines.set_index("GAME_ID").join(home.rename("margin")).dropna()
    assert np.corrcoef(-lines["SPREAD_HOME"], lines["margin"])[0, 1] > 0.3


@pytest.mark.parametrize("case,column,text", [
    ("six starters", "STARTER", "a team-game lists more than 5 starters"),
    ("starter not 0/1", "STARTER", "must be 1 or 0"),
    ("unknown status", "STATUS", "must be one of PLAYED, INACTIVE, DNP"),
    ("duplicate", "GAME_ID, PLAYER_ID", "duplicate player in one game's list"),
    ("starter who sat", "STATUS", "a starter (STARTER 1) must have STATUS PLAYED"),
    ("listed out, played", "STATUS", "listed as not playing, but the game logs give him minutes"),
    ("other team", "TEAM", "not one of the game's two teams in the game logs"),
    ("other date", "GAME_DATE", "differs from the game logs' date of that game"),
])
def test_bad_pregame_rows_are_named_by_file_column_and_row(league, tmp_path, case, column, text):
    frame, news = league
    pre = news.pregame.assign(GAME_DATE=news.pregame["GAME_DATE"].dt.strftime("%Y-%m-%d"),
                              STARTER=news.pregame["STARTER"].astype(int)).astype(object)
    bench = pre.index[(pre["STARTER"] == 0) & (pre["STATUS"] == "PLAYED")][0]
    starter = pre.index[pre["STARTER"] == 1][0]
    if case == "six starters":
        pre.loc[bench, "STARTER"] = 1
    elif case == "starter not 0/1":
        pre.loc[bench, "STARTER"] = "maybe"
    elif case == "unknown status":
        pre.loc[bench, "STATUS"] = "QUESTIONABLE"
    elif case == "duplicate":
        pre = pd.concat([pre, pre.loc[[bench]]], ignore_index=True)
    elif case == "starter who sat":
        pre.loc[starter, "STATUS"] = "DNP"
    elif case == "listed out, played":
        pre.loc[bench, "STATUS"] = "INACTIVE"
    elif case == "other team":
        pre.loc[bench, "TEAM"] = "XYZ"
    elif case == "other date":
        pre.loc[bench, "GAME_DATE"] = "2030-01-01"
    path = tmp_path / "pregame.csv"
    pre.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as excinfo:
        load_news(path, frame)
    message = _problem(excinfo, column, text)
    assert str(path) in message and "rows" in message and message.startswith("invalid news: ")


@pytest.mark.parametrize("case,column,text", [
    ("home and away swapped", "HOME_TEAM, AWAY_TEAM", "not the home and away teams the game logs give"),
    ("spread of 55", "SPREAD_HOME", "a point spread beyond +-40"),
    ("total of 80", "TOTAL", "a game total outside 120..320"),
    ("text total", "TOTAL", "text in numeric column"),
    ("same game twice", "GAME_ID", "the same game twice"),
])
def test_bad_game_lines_are_named_by_file_column_and_row(league, tmp_path, case, column, text):
    frame, news = league
    lines = news.lines.assign(GAME_DATE=news.lines["GAME_DATE"].dt.strftime("%Y-%m-%d")).astype(object)
    if case == "home and away swapped":
        lines.loc[3, ["HOME_TEAM", "AWAY_TEAM"]] = lines.loc[3, ["AWAY_TEAM", "HOME_TEAM"]].to_numpy()
    elif case == "spread of 55":
        lines.loc[3, "SPREAD_HOME"] = 55
    elif case == "total of 80":
        lines.loc[3, "TOTAL"] = 80
    elif case == "text total":
        lines.loc[3, "TOTAL"] = "two-thirty"
    elif case == "same game twice":
        lines = pd.concat([lines, lines.loc[[3]]], ignore_index=True)
    path = tmp_path / "game_lines.csv"
    lines.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as excinfo:
        load_news(path, frame)
    row = len(lines) if case == "same game twice" else 4  # (1-based data rows; index 3 is row 4)
    assert f"game_lines.csv rows {row}" in _problem(excinfo, column, text)


def test_news_of_games_not_in_the_logs_is_counted_and_reported_not_dropped_silently(league, files, tmp_path):
    frame, news = league
    logs, written = files
    first_season = frame[frame["SEASON"] == frame["SEASON"].min()]
    loaded = load_news(written, first_season)
    later = news.pregame["GAME_ID"].isin(set(frame["GAME_ID"]) - set(first_season["GAME_ID"])).sum()
    assert loaded.skipped["pregame rows of games not in the game logs: skipped"] == later > 0
    assert len(loaded.pregame) == len(news.pregame) - later
    path = tmp_path / "first.parquet"
    write_gamelogs(first_season, path)
    out = CliRunner().invoke(main, ["data", "validate", str(path), "--news", ",".join(written)])
    assert out.exit_code == 0, out.output
    assert f"news: {later:,} pregame rows of games not in the game logs: skipped" in out.stderr
    assert "news version" in out.output and "of team-games with a lineup" in out.output


def test_a_props_file_or_a_stranger_given_as_news_says_what_it_is(league, tmp_path):
    frame, _ = league
    props = tmp_path / "props.csv"
    pd.DataFrame({"GAME_ID": ["0022100001"], "BOOK": ["X"], "LINE_PRA": [20.5], "PLAYER_ID": [1]}).to_csv(props)
    with pytest.raises(DataLoadError, match="player-props file .* pass it with --lines"):
        load_news(props, frame)
    other = tmp_path / "other.csv"
    pd.DataFrame({"A": [1]}).to_csv(other, index=False)
    with pytest.raises(DataLoadError, match="not a news file: a pregame file has GAME_ID"):
        load_news(other, frame)
    half = tmp_path / "half.csv"
    pd.DataFrame({"GAME_ID": ["1"], "STARTER": [1]}).to_csv(half, index=False)
    with pytest.raises(DataValidationError, match="a pregame file is missing required column"):
        load_news(half, frame)


def test_quarantine_sets_bad_news_rows_aside_counted(league, tmp_path):
    frame, news = league
    pre = news.pregame.assign(STARTER=news.pregame["STARTER"].astype(int)).astype(object)
    pre.loc[[4, 9], "STATUS"] = "MAYBE"
    path = tmp_path / "pregame.parquet"
    pre.assign(GAME_DATE=news.pregame["GAME_DATE"]).to_parquet(path)
    loaded = load_news(path, frame, on_bad_rows="quarantine")
    assert len(loaded.quarantined) == 2 and len(loaded.pregame) == len(pre) - 2
    assert loaded.quarantined["reason"].str.contains("STATUS").all()


# ----------------------------------------------------------------------------- features


def test_start_history_lineups_and_lines_match_a_hand_computation(league):
    frame, news = league
    built = build_features(frame, V5, news=news)
    started = frame[["GAME_ID", "PLAYER_ID"]].merge(news.pregame[["GAME_ID", "PLAYER_ID", "STARTER"]], how="left")
    frame = frame.assign(_s=started["STARTER"].astype(float).to_numpy())
    player = frame["PLAYER_ID"].value_counts().index[3]
    games = frame[frame["PLAYER_ID"] == player].sort_values("GAME_DATE")
    feats = built.loc[games.index]
    s = games["_s"].to_numpy()
    for i in (1, 4, 15, len(games) - 1):
        assert feats["start_share_l10"].iloc[i] == pytest.approx(s[max(0, i - 10):i].mean())
        assert feats["started_last"].iloc[i] == s[i - 1]
        assert feats["starter_tonight"].iloc[i] == s[i]  # tonight's lineup: the row's own game
    # tonight's lineup at the team level: the starters of his team-game who were not regular starters
    row = games.index[20]
    mates = frame[(frame["GAME_ID"] == frame.loc[row, "GAME_ID"]) & (frame["TEAM"] == frame.loc[row, "TEAM"])]
    starters = built.loc[mates.index[mates["_s"] == 1]]
    assert built.loc[row, "team_new_starters"] == (~(starters["start_share_l10"] >= 0.5)).sum()
    assert built.loc[row, "team_starters_min"] == pytest.approx(starters["min_l10"].fillna(0).sum())
    # the game line from the team's side
    line = news.lines.set_index("GAME_ID").loc[frame.loc[row, "GAME_ID"]]
    spread = line["SPREAD_HOME"] if frame.loc[row, "HOME"] else -line["SPREAD_HOME"]
    assert built.loc[row, "team_spread"] == spread and built.loc[row, "game_total"] == line["TOTAL"]
    assert built.loc[row, "team_implied_total"] == (line["TOTAL"] - spread) / 2


def _last10_minutes_before(frame: pd.DataFrame, player: int, day) -> float:
    """His mean minutes over his last 10 games before ``day`` (0 without any)."""
    earlier = frame[(frame["PLAYER_ID"] == player) & (frame["GAME_DATE"] < day)].sort_values("GAME_DATE")
    return float(earlier["MIN"].iloc[-10:].mean()) if len(earlier) else 0.0


def test_the_dressed_roster_counts_who_dressed_and_shares_out_240_minutes(league):
    """v5.1: a team-game's roster is who its list dressed (played or DNP, not INACTIVE); each row gets
    the roster's size, its players' summed last-10 minutes, and his share of 240 by them and, with the
    lineup, by tonight's roles. A DNP player counts (dressed before tip-off); declaring him inactive
    takes him out for every teammate."""
    frame, news = league
    pre = news.pregame
    dnp = pre[pre["STATUS"] == "DNP"]
    game, team = next((g, t) for g, t in dnp[["GAME_ID", "TEAM"]].itertuples(index=False)
                      if frame.loc[frame["GAME_ID"] == g, "SEASON"].iloc[0] == frame["SEASON"].max())
    built = build_features(frame, V5, news=news)
    listed = pre[(pre["GAME_ID"] == game) & (pre["TEAM"] == team)]
    dressed = listed[listed["STATUS"] != "INACTIVE"]
    day = frame.loc[frame["GAME_ID"] == game, "GAME_DATE"].iloc[0]
    minutes = {p: _last10_minutes_before(frame, p, day) for p in dressed["PLAYER_ID"]}
    mates = frame.index[(frame["GAME_ID"] == game) & (frame["TEAM"] == team)]
    row = mates[0]
    me = frame.loc[row, "PLAYER_ID"]
    assert built.loc[row, "roster_n"] == len(dressed)
    assert built.loc[row, "team_roster_min"] == pytest.approx(sum(minutes.values()))
    assert built.loc[row, "min_roster_share"] == pytest.approx(240 * minutes[me] / sum(minutes.values()))
    # by tonight's roles: the starters' minutes in their last starts, the others' off the bench
    assert built.loc[row, "min_projected"] == pytest.approx(
        240 * built.loc[row, "min_in_role_tonight"] / built.loc[row, "team_roster_role_min"])
    assert built.loc[mates, "team_roster_role_min"].nunique() == 1
    # a DNP player declared inactive instead: one fewer dressed, his minutes gone, for every teammate
    sat = dnp[(dnp["GAME_ID"] == game) & (dnp["TEAM"] == team)]["PLAYER_ID"].iloc[0]
    flip = (pre["GAME_ID"] == game) & (pre["PLAYER_ID"] == sat)
    moved = build_features(frame, V5, news=News(pre.assign(STATUS=pre["STATUS"].where(~flip, "INACTIVE")), news.lines))
    assert (moved.loc[mates, "roster_n"] == built.loc[mates, "roster_n"] - 1).all()
    assert moved.loc[mates, "team_roster_min"].to_numpy() == pytest.approx(
        built.loc[mates, "team_roster_min"].to_numpy() - minutes[sat])
    others = ~frame.index.isin(mates)
    pd.testing.assert_frame_equal(moved.loc[others, V5.names], built.loc[others, V5.names], check_exact=True)


def test_missing_news_leaves_its_features_missing_not_guessed(league):
    frame, news = league
    game = frame["GAME_ID"].iloc[len(frame) // 2]
    team = frame.loc[frame["GAME_ID"] == game, "TEAM"].iloc[0]
    no_list = news.pregame[~((news.pregame["GAME_ID"] == game) & (news.pregame["TEAM"] == team))]
    no_line = news.lines[news.lines["GAME_ID"] != game]
    built = build_features(frame, V5, news=News(no_list, no_line))
    here = (frame["GAME_ID"] == game).to_numpy()
    mine = here & (frame["TEAM"] == team).to_numpy()
    assert built.loc[mine, "starter_tonight"].isna().all() and built.loc[mine, "team_new_starters"].isna().all()
    assert built.loc[here & ~mine, "opp_new_starters"].isna().all()  # the opponent reads his lineup: unknown
    assert built.loc[here & ~mine, "starter_tonight"].notna().all()  # the other team's own lineup is known
    assert built.loc[here, ["team_spread", "game_total"]].isna().all().all()
    full = build_features(frame, V5, news=news)
    other = ~here
    pd.testing.assert_frame_equal(built.loc[other, ["starter_tonight", "team_spread"]],
                                  full.loc[other, ["starter_tonight", "team_spread"]])


def test_inactive_lists_count_what_was_declared_not_a_coachs_decision(league):
    """A rotation player absent from the box score but listed DNP (dressed, a coach's decision
    made in the game) is out for v4.1 (box score) and available for v5.0 (inactive list)."""
    frame, news = league
    candidates = frame.groupby("PLAYER_ID")["MIN"].mean()
    regular = candidates[candidates > 30].index[0]
    games = frame.index[frame["PLAYER_ID"] == regular]
    dropped = games[len(games) // 2]  # his box score of one game gone: he sat
    game, team = frame.loc[dropped, ["GAME_ID", "TEAM"]]
    sat = frame.drop(index=dropped)
    listed = news.pregame.copy()
    at = (listed["GAME_ID"] == game) & (listed["PLAYER_ID"] == regular)
    listed.loc[at, ["STATUS", "STARTER"]] = ["DNP", False]
    listed_news = News(listed, news.lines)
    mates = (sat["GAME_ID"] == game) & (sat["TEAM"] == team)
    observed = build_features(sat, get_feature_set("full", "v4.1"))
    declared = build_features(sat, V5, news=listed_news)
    assert (observed.loc[mates.to_numpy(), "team_out_n"] >= 1).all()
    assert (declared.loc[mates.to_numpy(), "team_out_n"] == observed.loc[mates.to_numpy(), "team_out_n"] - 1).all()
    listed.loc[at, "STATUS"] = "INACTIVE"  # declared before tip-off: out for both
    declared = build_features(sat, V5, news=News(listed, news.lines))
    assert (declared.loc[mates.to_numpy(), "team_out_n"] == observed.loc[mates.to_numpy(), "team_out_n"]).all()


def test_news_features_read_nothing_of_a_games_date_or_after_bit_for_bit(league):
    """Change every later game's news (lineups, statuses, lines) and an earlier row moves by not one
    bit; tonight's own starter never enters the history windows."""
    frame, news = league
    cut = sorted(frame["GAME_DATE"].unique())[len(frame["GAME_DATE"].unique()) // 2]
    built = build_features(frame, V5, news=news)
    pre, lines = news.pregame.copy(), news.lines.copy()
    later = pre["GAME_DATE"] >= cut
    pre.loc[later, "STATUS"] = np.where(pre.loc[later, "STATUS"] == "DNP", "INACTIVE", pre.loc[later, "STATUS"])
    lines.loc[lines["GAME_DATE"] >= cut, ["SPREAD_HOME", "TOTAL"]] = [9.5, 199.0]
    pre.loc[later & ~pre["STARTER"] & (pre["STATUS"] == "PLAYED"), "STARTER"] = False
    moved = build_features(frame, V5, news=News(pre, lines))
    before = (frame["GAME_DATE"] < cut).to_numpy()
    pd.testing.assert_frame_equal(built.loc[before], moved.loc[before], check_exact=True)
    assert not built.loc[~before, "team_spread"].equals(moved.loc[~before, "team_spread"])
    # the history features of a row ignore the row's own STARTER
    flipped = news.pregame.copy()
    row = frame.index[-1]
    flip = (flipped["GAME_ID"] == frame.loc[row, "GAME_ID"]) & (flipped["PLAYER_ID"] == frame.loc[row, "PLAYER_ID"])
    flipped.loc[flip, "STARTER"] = ~flipped.loc[flip, "STARTER"]
    again = build_features(frame, V5, news=News(flipped, news.lines))
    for name in ("start_share_l10", "started_last", "start_share_season", "min_as_starter_l10"):
        assert again.loc[row, name] == built.loc[row, name] or np.isnan(built.loc[row, name])


def test_old_versions_keep_their_hashes_and_each_scenario_its_set():
    assert get_feature_set("full", "v4.1").hash == "f754f5c00588badb"
    assert get_feature_set("full", "v4.0").hash == "835ecb3c679e53e5"
    assert get_feature_set("full", "v5.0").hash == "de957f1036d75edf"
    assert get_feature_set("full", "v5.0-inactive").hash == "a8a0cb079e893e52"
    assert diff(get_feature_set("full", "v5.0"), V5) == {
        "added": ["min_projected", "min_roster_share", "roster_n", "team_roster_min", "team_roster_role_min"],
        "removed": [], "changed": []}
    assert [scenario_feature_set("full", s).version for s in ("none", "observed", "inactive", "lineups")] == [
        "v2.0", "v4.1", "v5.1-inactive", "v5.1"]
    inactive = get_feature_set("full", "v5.1-inactive")
    assert set(inactive.names) - set(get_feature_set("full", "v5.0-inactive").names) == {
        "roster_n", "team_roster_min", "min_roster_share"}
    assert set(inactive.names) < set(V5.names) and inactive.absences == V5.absences == "inactive_list"
    assert inactive.news_tiers == ["starts"] and V5.news_tiers == ["starts", "lineup", "market"]
    assert get_feature_set("full", "v4.1").absences == "box_score" and not get_feature_set("full", "v4.1").needs_news


# ----------------------------------------------------------------------------- the served path


def _slate(frame: pd.DataFrame, news: News, night) -> tuple[pd.DataFrame, pd.DataFrame]:
    history = frame[frame["GAME_DATE"] < night]
    return history, news_slate(history, frame[frame["GAME_DATE"] == night], news)


def test_the_served_night_state_equals_the_batch_builder_with_news_bit_for_bit(league):
    frame, news = league
    nights = sorted(frame.loc[frame["SEASON"] == frame["SEASON"].max(), "GAME_DATE"].unique())[4::5]
    for night in nights:
        history, slate = _slate(frame, news, night)
        targets = validate_slate(slate)
        out = targets.loc[targets["OUT"].eq(True), ["PLAYER_ID", "TEAM", "GAME_DATE"]]
        snapshot = HistorySnapshot.from_history(history, news=news)
        got = snapshot.features(targets, V5, out, keys=False)
        upto = frame[frame["GAME_DATE"] <= night]
        batch = build_features(upto, V5, news=news)
        tonight = upto["GAME_DATE"] == night
        keyed = batch.loc[tonight.to_numpy()].set_index("PLAYER_ID")
        played = targets["PLAYER_ID"].isin(keyed.index).to_numpy()
        want = keyed.loc[targets.loc[played, "PLAYER_ID"], list(V5.names)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got.loc[played].reset_index(drop=True), want, check_exact=True)
        assert got["starter_tonight"].notna().all() and got["team_spread"].notna().any()


def test_a_lineups_model_answers_rows_without_a_lineup_with_its_inactive_model(league, tmp_path):
    from mlflow_nbaprops.model.persistence import load_predictor, save_predictor

    frame, news = league
    night = sorted(frame["GAME_DATE"].unique())[-1]
    history, slate = _slate(frame, news, night)
    config = BacktestConfig(frame["SEASON"].max(), minutes_params=FAST, pra_params=FAST, availability="lineups")
    model = PropsPredictor.train(history, config.estimator(), config.features, news=news,
                                 fallback=fallback_model(config))
    assert model.scenario == "lineups" and model.fallback_scenario == "inactive"
    save_predictor(model, tmp_path)
    assert (tmp_path / "fallback" / "minutes.txt").is_file() and (tmp_path / "pregame.parquet").is_file()
    model = load_predictor(tmp_path)
    slate = slate.assign(GAME_DATE=history["GAME_DATE"].max() + pd.Timedelta(days=1))
    teams = slate["TEAM"].unique()
    blank = slate.assign(STARTER=np.where(slate["TEAM"] == teams[0], np.nan, slate["STARTER"]))
    out = model.predict(blank)
    playing = ~blank["STATUS"].eq("OUT").to_numpy()
    mine = (blank["TEAM"] == teams[0]).to_numpy()
    assert (out.loc[mine & playing, "answered_by"] == "inactive").all()
    assert (out.loc[~mine & playing, "answered_by"] == "lineups").all()
    assert (out.loc[~playing, "answered_by"] == "not playing").all()
    assert out.loc[mine & playing, "warning"].str.contains(
        r"no lineup announced for TEAM \(0 of 5 starters given\): answered by the inactive model").all()
    assert out.loc[mine & playing, "pred_PRA"].ge(0).all() and out["pred_PRA_q90"].notna().all()
    assert out.loc[mine & playing, "pred_PRA"].mean() > 5
    # the fallback's answer is the inactive-lists model's own: the same as asking it directly
    fallback = PropsPredictor(model.fallback, model.fallback_set, model.snapshot, {"scenario": "inactive"})
    direct = fallback.predict(blank.drop(columns=["STARTER", "SPREAD", "TOTAL"]))
    np.testing.assert_array_equal(out.loc[mine & playing, "pred_PRA"], direct.loc[mine & playing, "pred_PRA"])
    # the dressed roster: a slate listing whole teams reads it as the backtest does; a partial one is told
    assert not out["warning"].str.contains("players of TEAM on the slate").any()
    few = slate[playing].groupby("TEAM").head(3)
    told = model.predict(few)["warning"]
    assert told.str.contains("only 3 players of TEAM on the slate not ruled out: tonight's dressed roster counts").all()


@pytest.mark.parametrize("change,column,text", [
    ("six", "STARTER", "names more than 5 starters for one team"),
    ("spread", "SPREAD", "is not the same line on every row of one game"),
    ("total", "TOTAL", "differs between rows of one game"),
    ("word", "STARTER", "must be 1 (he starts), 0 (he does not) or empty"),
    ("far", "SPREAD", "must be between -40 and 40"),
])
def test_a_slate_with_an_impossible_lineup_or_line_is_refused(league, change, column, text):
    frame, news = league
    _, slate = _slate(frame, news, sorted(frame["GAME_DATE"].unique())[-3])
    slate = slate.astype({"STARTER": object})
    team = slate["TEAM"].iloc[0]
    bench = slate.index[(slate["TEAM"] == team) & (slate["STARTER"] == 0)][0]
    if change == "six":
        slate.loc[bench, "STARTER"] = 1
    elif change == "spread":
        slate.loc[bench, "SPREAD"] = slate.loc[bench, "SPREAD"] + 3
    elif change == "total":
        slate.loc[bench, "TOTAL"] = slate.loc[bench, "TOTAL"] + 3
    elif change == "word":
        slate.loc[bench, "STARTER"] = "probably"
    elif change == "far":
        slate.loc[bench, "SPREAD"] = 45.0
    with pytest.raises(DataValidationError, match=re.escape(f"column {column} {text}")):
        validate_slate(slate)


# ----------------------------------------------------------------------------- scenarios end to end


def test_each_scenario_walks_forward_on_the_same_rows_and_says_what_it_knew(league):
    frame, news = league
    season = frame["SEASON"].max()
    results = {}
    for scenario in ("observed", "inactive", "lineups"):
        config = BacktestConfig(season, refit_every=28, minutes_params=FAST, pra_params=FAST, availability=scenario)
        results[scenario] = walk_forward(frame, config, progress=False, news=news)
    keys = ["GAME_ID", "PLAYER_ID", "PRA"]
    for r in results.values():
        pd.testing.assert_frame_equal(r.predictions[keys], results["observed"].predictions[keys])
    assert "availability inactive: tonight's final inactive lists" in results["inactive"].summary()
    assert "starting lineups and game lines" in results["lineups"].summary()
    assert "starter_tonight" in results["lineups"].model.feature_names_in_
    assert "starter_tonight" not in results["inactive"].model.feature_names_in_
    assert "changed its starting lineup" in results["lineups"].summary()
    segments = results["lineups"].segments
    assert set(segments.loc[segments["segment"] == "lineup", "value"]) == {"changed", "as usual"}
    with pytest.raises(ValueError, match="reads pre-game news .* give the pregame lists and game lines"):
        walk_forward(frame, BacktestConfig(season, availability="inactive"), progress=False)


def test_the_cli_refuses_a_news_scenario_without_news_before_any_fit(league, tmp_path):
    frame, _ = league
    logs = tmp_path / "logs.parquet"
    write_gamelogs(frame, logs)
    out = CliRunner().invoke(main, ["backtest", "--data", str(logs), "--test-season", "2022-23",
                                                    "--availability", "lineups", "--output", str(tmp_path / "p.csv")])
    assert out.exit_code == 2 and "'lineups' reads pre-game news" in out.stderr and "--news PATH" in out.stderr


@requires_real_data
def test_the_real_news_loads_against_the_real_logs_as_its_readme_says():
    from mlflow_nbaprops.data import load_gamelogs

    shared = REAL_DATA.parent
    logs = load_gamelogs(REAL_DATA).frame
    news = load_news([shared / "pregame", *sorted((shared / "market").glob("game_lines_*"))], logs)
    assert len(news.pregame) == 347_281 and len(news.lines) == logs["GAME_ID"].nunique() == 10_661
    assert news.pregame["STATUS"].value_counts().to_dict() == {"PLAYED": 226_088, "INACTIVE": 79_826, "DNP": 41_367}
    assert not news.skipped and news.lines["SPREAD_HOME"].isna().sum() == 3
    coverage = news.coverage(logs)
    assert coverage["team_games_listed"] == 1.0 and coverage["team_games_with_lineup"] > 0.995
    assert json.dumps(news.version.summary())  # a plain string
