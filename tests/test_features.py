"""Features: the registry's lineage, and the builder's leakage guard."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from conftest import REAL_DATA, requires_real_data
from mlflow_nbaprops.data import canonicalize_frame, load_gamelogs
from mlflow_nbaprops.data.synth import synthesize_league
from mlflow_nbaprops.features import (
    FEATURE_SETS,
    FEATURES,
    FeatureSet,
    box_scores_only,
    build_features,
    diff,
    get_feature_set,
)

STATS = ["MIN", "PTS", "REB", "AST", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "TOV", "STL",
         "BLK", "PF", "PLUS_MINUS"]


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    return canonicalize_frame(synthesize_league(2, seed=21, n_teams=8, games_per_team=28))


@pytest.fixture(scope="module")
def features(league) -> pd.DataFrame:
    return build_features(league, "full")


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(["PLAYER_ID", "GAME_ID"]).sort_index()


# ----------------------------------------------------------------------------- registry


def test_every_feature_is_defined_once_with_tier_sources_window_description():
    for name, feature in FEATURES.items():
        assert feature.name == name
        assert feature.tier in ("core", "contextual", "temporal", "availability", "starts", "lineup", "market")
        assert feature.sources and feature.window and feature.description
    full = get_feature_set("full")
    assert set(full.tiers()) == {"core", "contextual", "temporal", "availability", "starts", "lineup", "market"}
    assert all(full.tiers().values())
    assert full.version == "v5.1" and len(full.hash) == 16 and full.absences == "inactive_list"


def test_older_versions_stay_registered_and_none_means_box_scores_only():
    """A model saved with full v2.0 still finds its definitions (same hash as when it was saved);
    --availability none is the set without the availability tier, a registered version itself."""
    v2 = get_feature_set("full", "v2.0")
    assert v2.hash == "763c032855a8b845" and len(v2.features) == 49
    full = get_feature_set("full")
    assert box_scores_only(full) is v2
    news = [n for tier in ("availability", "starts", "lineup", "market") for n in full.tiers()[tier]]
    assert diff(v2, full)["added"] == sorted(news) and not diff(v2, full)["changed"]
    assert box_scores_only(get_feature_set("core")) is get_feature_set("core")
    with pytest.raises(KeyError, match="unknown version 'v9' of feature set 'full'; known: v2.0, v3.0, v4.0, v4.1, "
                                       "v5.0, v5.0-inactive, v5.1, v5.1-inactive"):
        get_feature_set("full", "v9")


def test_v3_models_keep_their_hash_and_their_12_minute_rotation_line(league):
    """v4.0 moved the rotation line from 12 to 22 minutes. A model saved with v3.0 still finds its
    definitions under the hash it was saved with, and its features are computed at its own line:
    the two versions differ exactly where a 12-22 minute player is absent."""
    v3, v4 = get_feature_set("full", "v3.0"), get_feature_set("full", "v4.0")
    assert v3.hash == "7b2b8af269cda67b" and v3.rotation == (12.0, 12.0)
    assert v4.hash == "835ecb3c679e53e5" and v4.rotation == (22.0, 12.0) and v3.names == v4.names
    assert diff(v3, v4)["changed"] == sorted(v4.tiers()["availability"])
    assert all(dict(f.params) == {"rotation_minutes": 22.0} for f in v4.features if f.tier == "availability")
    assert box_scores_only(v3) is box_scores_only(v4) is get_feature_set("full", "v2.0")
    old, new = build_features(league, v3), build_features(league, v4)
    assert (old["team_out_n"] >= new["team_out_n"]).all() and (old["team_out_n"] > new["team_out_n"]).any()
    boxes = get_feature_set("full", "v2.0").names
    pd.testing.assert_frame_equal(old[boxes], new[boxes])
    mixed = FeatureSet("full", "mixed", (v3.features[-1], v4.features[-2]), "")
    with pytest.raises(ValueError, match=r"mixes rotation rules \['12 min / 12 days', '22 min / 12 days'\]"):
        mixed.rotation


def test_changing_a_definition_changes_the_hash_and_diff_reports_it():
    core = get_feature_set("core")
    changed = dataclasses.replace(core.features[0], window="last 4 games")
    edited = FeatureSet("core", "v1.1", (changed, *core.features[1:]), core.description)
    assert edited.hash != core.hash
    assert diff(core, edited) == {"added": [], "removed": [], "changed": [core.features[0].name]}
    full = get_feature_set("full")
    delta = diff(core, full)
    assert not delta["removed"] and not delta["changed"]
    assert set(delta["added"]) == set(full.names) - set(core.names)
    assert diff(full, core)["removed"] == delta["added"]


def test_unknown_feature_set_and_tier_are_clear():
    with pytest.raises(KeyError, match="unknown feature set 'nope'; known: core, full"):
        get_feature_set("nope")
    with pytest.raises(ValueError, match="tier must be one of"):
        dataclasses.replace(FEATURES["home"], tier="magic")


def test_builder_computes_exactly_the_sets_features(league):
    for name, fs in FEATURE_SETS.items():
        built = build_features(league, name)
        assert [c for c in built.columns if c in FEATURES] == fs.names
        assert len(built) == len(league)


# ----------------------------------------------------------------------------- values


def test_rolling_values_match_a_hand_computation(league, features):
    frame = league.assign(PRA=league["PTS"] + league["REB"] + league["AST"])
    player = frame["PLAYER_ID"].value_counts().index[0]
    games = frame[frame["PLAYER_ID"] == player].sort_values("GAME_DATE")
    feats = features.loc[games.index]
    pra, minutes = games["PRA"].to_numpy(float), games["MIN"].to_numpy(float)
    for i in (1, 5, 12, 30):
        assert feats["min_l3"].iloc[i] == pytest.approx(minutes[max(0, i - 3):i].mean())
        assert feats["pra_l10"].iloc[i] == pytest.approx(pra[max(0, i - 10):i].mean())
        assert feats["min_last"].iloc[i] == minutes[i - 1]
        assert feats["games_career"].iloc[i] == i
        window = slice(max(0, i - 10), i)
        assert feats["pra_per_min_l10"].iloc[i] == pytest.approx(pra[window].sum() / minutes[window].sum())
    assert np.isnan(feats["pra_l10"].iloc[0])  # nothing before the first game
    gaps = games["GAME_DATE"].diff().dt.days.to_numpy()
    assert feats["player_rest_days"].iloc[3] == min(gaps[3], 30)


def test_minute_shares_and_the_last_rotation_match_a_hand_computation(league, features):
    """Shares take overtime out; the rotation is the team's previous game's players and roles."""
    frame = league.copy()
    team_minutes = frame.groupby(["GAME_ID", "TEAM"])["MIN"].transform("sum")
    frame["share"] = frame["MIN"] * 48 / np.maximum(team_minutes / 5, 48)
    player = frame["PLAYER_ID"].value_counts().index[0]
    games = frame[frame["PLAYER_ID"] == player].sort_values("GAME_DATE")
    feats = features.loc[games.index]
    for i in (1, 7, 20):
        assert feats["min_share_l10"].iloc[i] == pytest.approx(games["share"].iloc[max(0, i - 10):i].mean())
        assert feats["min_share_last"].iloc[i] == pytest.approx(games["share"].iloc[i - 1])

    team = frame["TEAM"].iloc[0]
    team_games = frame[frame["TEAM"] == team].groupby("GAME_ID")["GAME_DATE"].first().sort_values()
    previous, game = team_games.index[14], team_games.index[15]
    before = frame[(frame["GAME_DATE"] <= team_games[previous])].sort_values("GAME_DATE")
    role = before.groupby("PLAYER_ID")["MIN"].apply(lambda m: m.iloc[-10:].mean())
    rotation = frame.loc[(frame["GAME_ID"] == previous) & (frame["TEAM"] == team), "PLAYER_ID"]
    ranks = role[rotation].rank(ascending=False)
    rows = features[(features["GAME_ID"] == game) & (features["TEAM"] == team)]
    assert len(rows) > 5
    for _, row in rows.iterrows():
        played = row["PLAYER_ID"] in set(rotation)
        assert row["in_last_rotation"] == float(played)
        others = role[rotation].sum() - (role[row["PLAYER_ID"]] if played else 0.0)
        assert row["rotation_min_others"] == pytest.approx(others)
        if played:
            assert row["rotation_rank"] == ranks[row["PLAYER_ID"]]
        else:
            assert np.isnan(row["rotation_rank"])


def test_context_features_are_sane(features):
    assert set(features["back_to_back"].unique()) <= {0.0, 1.0}
    assert (features.loc[features["back_to_back"] == 1, "rest_days"] == 1).all()
    assert features["games_last_7d"].between(0, 7).all()
    assert features["opp_pra_allowed_l15"].dropna().between(0.6, 1.5).all()
    assert (features["vacated_min"] >= -1e-9).all()
    assert features["season_progress"].between(0, 1).all()
    assert features["min_share_l10"].dropna().between(0, 48).all()  # overtime never lifts a share past 48
    assert set(features["team_last_overtime"].unique()) <= {0.0, 1.0}
    assert (features["rotation_rank"].dropna() >= 1).all() and (features["rotation_min_others"].dropna() >= 0).all()


# ----------------------------------------------------------------------------- leakage guard


def test_features_for_a_date_ignore_that_date_and_everything_after(league, features):
    """For many dates D: scramble every box score on or after D, or delete everything after D;
    the features of every row up to D must not move by a single bit (the boosters split on
    these values: a 1e-12 difference once moved single forecasts by several points)."""
    rng = np.random.default_rng(0)
    dates = np.sort(league["GAME_DATE"].unique())
    base = _keyed(features)
    names = [c for c in features.columns if c in FEATURES]
    checked = 0
    for day in rng.choice(dates[5:], size=12, replace=False):
        scrambled = league.copy()
        later = scrambled["GAME_DATE"] >= day
        for col in STATS:
            scrambled.loc[later, col] = rng.integers(0, 40, later.sum()).astype(scrambled[col].dtype)
        truncated = league[league["GAME_DATE"] <= day].copy()
        truncated.loc[truncated["GAME_DATE"] == day, STATS] = 0
        for variant in (scrambled, truncated):
            rebuilt = _keyed(build_features(variant, "full"))
            keys = _keyed(league[league["GAME_DATE"] <= day]).index
            pd.testing.assert_frame_equal(rebuilt.loc[keys, names], base.loc[keys, names], check_exact=True)
            checked += len(keys)
    assert checked > 5000


def test_changing_only_later_games_moves_no_earlier_feature_bit(league, features):
    """Every box score strictly after D changed by a small factor (the rows that sort between
    earlier ones, other players' and teams' included): rows up to D stay bit-identical."""
    rng = np.random.default_rng(5)
    day = np.sort(league["GAME_DATE"].unique())[len(league["GAME_DATE"].unique()) * 3 // 4]
    changed = league.copy()
    later = changed["GAME_DATE"] > day
    for col in STATS:
        factor = rng.uniform(0.5, 1.5, later.sum())
        changed.loc[later, col] = (changed.loc[later, col] * factor).round().astype(changed[col].dtype)
    assert (changed.loc[later, "MIN"] != league.loc[later, "MIN"]).mean() > 0.5
    names = [c for c in features.columns if c in FEATURES]
    rebuilt = build_features(changed, "full")
    up_to = (league["GAME_DATE"] <= day).to_numpy()
    pd.testing.assert_frame_equal(rebuilt.loc[up_to, names], features.loc[up_to, names], check_exact=True)
    assert not rebuilt.loc[~up_to, names].equals(features.loc[~up_to, names])  # the change did reach the later rows


def test_row_order_does_not_change_any_feature(league, features):
    shuffled = league.sample(frac=1.0, random_state=3)
    rebuilt = build_features(shuffled, "full")
    names = [c for c in features.columns if c in FEATURES]
    pd.testing.assert_frame_equal(_keyed(rebuilt)[names], _keyed(features)[names], check_exact=True)


def test_upcoming_games_get_the_features_their_history_gives(league, features):
    """Slate mode: rows without box scores, featurized from the history before them, equal the
    features the same games get when they are part of the history."""
    day = np.sort(league["GAME_DATE"].unique())[-20]
    history = league[league["GAME_DATE"] < day]
    slate = league.loc[league["GAME_DATE"] == day, ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "GAME_ID"]]
    built = build_features(history, "full", targets=slate)
    assert built["is_target"].sum() == len(slate)
    # (tonight's absences are the caller's to declare: see the availability tests below)
    names = [c for c in features.columns if c in FEATURES and FEATURES[c].tier != "availability"]
    got = _keyed(built[built["is_target"]])[names]
    want = _keyed(features.loc[slate.index])[names]
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_player_never_seen_gets_empty_history_features(league):
    history = league[league["GAME_DATE"] < league["GAME_DATE"].max()]
    slate = pd.DataFrame({"PLAYER_ID": [999_999_999], "GAME_DATE": [league["GAME_DATE"].max()],
                          "TEAM": [league["TEAM"].iloc[0]], "OPPONENT": [league["OPPONENT"].iloc[0]], "HOME": [True]})
    row = build_features(history, "full", targets=slate).iloc[-1]
    assert np.isnan(row["pra_l10"]) and row["games_career"] == 0
    assert not np.isnan(row["opp_pra_allowed_l15"])  # team context is still known


# ----------------------------------------------------------------------------- tonight's availability


def _rotation_before(frame: pd.DataFrame, team: str, day) -> pd.Series:
    """By hand: the team's rotation players before ``day`` and their roles (last-10 mean minutes),
    per the definition (role at least the line, 22, last game for this team at most 21 days ago)."""
    before = frame[frame["GAME_DATE"] < day].sort_values("GAME_DATE")
    last = before.groupby("PLAYER_ID").tail(1).set_index("PLAYER_ID")
    roles = before.groupby("PLAYER_ID")["MIN"].apply(lambda m: m.iloc[-10:].mean())
    mine = last[(last["TEAM"] == team) & ((day - last["GAME_DATE"]).dt.days <= 21)].index
    return roles[mine][roles[mine] >= 22]


def test_absent_rotation_players_match_a_hand_computation(league, features):
    frame = league.assign(PRA=league["PTS"] + league["REB"] + league["AST"])
    games = frame.groupby(["GAME_ID", "TEAM"])["GAME_DATE"].first().sort_values()
    checked = returned = 0
    for (game, team), day in games.iloc[100::6].items():
        rotation = _rotation_before(frame, team, day)
        playing = set(frame.loc[(frame["GAME_ID"] == game) & (frame["TEAM"] == team), "PLAYER_ID"])
        out = rotation[~rotation.index.isin(playing)]
        rows = features[(features["GAME_ID"] == game) & (features["TEAM"] == team)]
        assert (rows["team_out_n"] == len(out)).all()
        assert rows["team_out_min"].to_numpy() == pytest.approx(np.full(len(rows), out.sum()))
        opp = rows["OPPONENT"].iloc[0]
        opp_rotation = _rotation_before(frame, opp, day)
        opp_playing = set(frame.loc[(frame["GAME_ID"] == game) & (frame["TEAM"] == opp), "PLAYER_ID"])
        assert (rows["opp_out_n"] == (~opp_rotation.index.isin(opp_playing)).sum()).all()
        # back tonight: available rotation players who missed the team's previous game
        previous = games[(games.index.get_level_values(1) == team) & (games < day)]
        played_previous = set(frame.loc[(frame["GAME_ID"] == previous.index[-1][0]) & (frame["TEAM"] == team),
                                        "PLAYER_ID"]) if len(previous) else set()
        back = rotation[rotation.index.isin(playing) & ~rotation.index.isin(played_previous)]
        for _, row in rows.iterrows():
            assert row["team_back_min"] == pytest.approx(back.drop(row["PLAYER_ID"], errors="ignore").sum())
        checked += len(out)
        returned += len(back)
    assert checked > 10 and returned > 5  # the synthetic league's injuries and rests do make absences


def test_out_min_recent_is_the_absences_of_his_last_10_games(features):
    """out_min_recent: the mean team_out_min of the player's previous 10 games this season (any
    team); out_min_vs_recent: tonight's minus it."""
    ordered = features.sort_values(["PLAYER_ID", "GAME_DATE"])
    expected = ordered.groupby(["PLAYER_ID", "SEASON"])["team_out_min"].transform(
        lambda s: s.shift(1).rolling(10, 1).mean())
    np.testing.assert_allclose(ordered["out_min_recent"], expected, rtol=1e-12)
    # his first game of each season has none
    assert ordered["out_min_recent"].isna().sum() == len(ordered.drop_duplicates(["PLAYER_ID", "SEASON"]))
    np.testing.assert_allclose(features["out_min_vs_recent"], features["team_out_min"] - features["out_min_recent"])
    assert (features["out_min_recent"] > 0).mean() > 0.3


def test_fringe_players_presence_tonight_moves_no_feature(league, features):
    """Only who is absent *among rotation players* is read of tonight's game: deleting every
    fringe player's row of a day's games, or adding a deep-bench player who did not play,
    leaves every other row of that day bit-identical."""
    days = np.sort(league["GAME_DATE"].unique())
    names = [c for c in features.columns if c in FEATURES]
    for day in days[[len(days) // 4, len(days) // 2, len(days) - 5]]:
        on_day = league[league["GAME_DATE"] == day]
        rotation = set()
        for team in on_day["TEAM"].unique():
            rotation |= set(_rotation_before(league, team, day).index)
        fringe = on_day.index[~on_day["PLAYER_ID"].isin(rotation)]
        assert len(fringe) > 0
        # a deep-bench player of the first game's team who did not play: appears tonight
        team = on_day["TEAM"].iloc[0]
        earlier = league[(league["TEAM"] == team) & (league["GAME_DATE"] < day)]
        bench = earlier[~earlier["PLAYER_ID"].isin(rotation | set(on_day["PLAYER_ID"]))]
        extra = on_day[on_day["TEAM"] == team].head(1).assign(PLAYER_ID=bench["PLAYER_ID"].iloc[-1], MIN=3.0)
        variant = pd.concat([league.drop(index=fringe), extra], ignore_index=False)
        rebuilt = _keyed(build_features(variant, "full"))
        keep = _keyed(on_day.drop(index=fringe)).index
        pd.testing.assert_frame_equal(rebuilt.loc[keep, names], _keyed(features).loc[keep, names], check_exact=True)


@pytest.mark.slow
@requires_real_data
def test_real_absences_at_the_rotation_line_do_not_read_tonights_score():
    """Why the line is 22 minutes (v4.0), on the real logs: a 12-22 minute player is missing from
    close games (final margin <= 5) far more often than from blowouts (>= 20) - benched while the
    game is tight, given garbage time when it is not - so v3.0's 12-minute line read tonight's
    score into the backtest. At the line, absences are no more frequent in close games."""
    frame = load_gamelogs(REAL_DATA).frame.reset_index(drop=True)
    at_line = build_features(frame, get_feature_set("full"))["team_out_n"].to_numpy()
    from_12 = build_features(frame, get_feature_set("full", "v3.0"))["team_out_n"].to_numpy()
    points = frame.groupby(["GAME_ID", "TEAM"])["PTS"].sum()
    margin = (2 * points - points.groupby(level=0).transform("sum")).abs()
    margin = margin.reindex(pd.MultiIndex.from_frame(frame[["GAME_ID", "TEAM"]])).to_numpy()
    team_game = ~frame.duplicated(["GAME_ID", "TEAM"]).to_numpy()
    close, blowout = team_game & (margin <= 5), team_game & (margin >= 20)
    band = from_12 - at_line
    assert band[close].mean() > 1.4 * band[blowout].mean()  # 1.01 vs 0.58 absent a game
    assert at_line[close].mean() <= 1.05 * at_line[blowout].mean()  # 0.76 vs 0.82


def test_declaring_a_player_below_the_rotation_line_out_moves_no_feature(league):
    """A reserve (last-10 minutes under the line) declared out changes no absence feature for anybody:
    his absences in the logs are partly tonight's game script, so none is counted (history or slate).
    Only tonight's dressed roster (v5.1) counts him out, which is what the declaration says."""
    day = np.sort(league["GAME_DATE"].unique())[-20]
    history = league[league["GAME_DATE"] < day]
    slate = league.loc[league["GAME_DATE"] == day, ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME"]]
    team = slate["TEAM"].iloc[0]
    earlier = history[history["TEAM"] == team].sort_values("GAME_DATE")
    roles = earlier.groupby("PLAYER_ID")["MIN"].apply(lambda m: m.iloc[-10:].mean())
    recent = set(earlier.loc[earlier["GAME_DATE"] >= day - pd.Timedelta(days=12), "PLAYER_ID"])
    reserves = [p for p, role in roles.items() if p in recent and 8 <= role < 22]
    rotation = [p for p, role in roles.items() if p in recent and role >= 22]
    assert reserves and rotation
    roster = ["roster_n", "team_roster_min", "min_roster_share", "team_roster_role_min", "min_projected"]
    names = [n for n in get_feature_set("full").names if n not in roster]
    def built(out, columns=names):
        declared = pd.DataFrame({"PLAYER_ID": out, "TEAM": team, "GAME_DATE": day})
        b = build_features(history, "full", targets=slate, absences=declared)
        return b.loc[b["is_target"], columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(built(reserves), built([]), check_exact=True)
    on_slate = [p for p in reserves if p in set(slate.loc[slate["TEAM"] == team, "PLAYER_ID"])]
    mates = (slate["TEAM"] == team).to_numpy() & ~slate["PLAYER_ID"].isin(reserves).to_numpy()
    fewer = built([], ["roster_n"]) - built(reserves, ["roster_n"])
    assert on_slate and (fewer.loc[mates, "roster_n"] == len(on_slate)).all()
    moved = built(rotation[:1]) != built([])  # a rotation player's absence does move his teammates
    assert moved["team_out_n"].any() and moved["min_expected_tonight"].any()


def test_an_upcoming_game_reads_absences_only_from_what_the_caller_declares(league, features):
    """Slate rows: a team-game listing only some players is not read as 'the rest are out';
    declared absences give exactly the features the game got when it was history. (Not the dressed
    roster: without a pregame list a history game's box score says who played, not who dressed, so
    it counts its rotation candidates only; a slate's rows are dressed. With lists the two agree:
    test_news's served-night test.)"""
    day = np.sort(league["GAME_DATE"].unique())[-20]
    history = league[league["GAME_DATE"] < day]
    slate = league.loc[league["GAME_DATE"] == day, ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "GAME_ID"]]
    roster = {"roster_n", "team_roster_min", "min_roster_share", "team_roster_role_min", "min_projected"}
    names = [c for c in features.columns if c in FEATURES and c not in roster]
    absent = []
    for team in slate["TEAM"].unique():
        rotation = _rotation_before(league, team, day)
        absent += [(p, team, day) for p in rotation.index if p not in set(slate["PLAYER_ID"])]
    assert absent
    declared = pd.DataFrame(absent, columns=["PLAYER_ID", "TEAM", "GAME_DATE"])
    built = build_features(history, "full", targets=slate, absences=declared)
    got = _keyed(built[built["is_target"]])[names]
    pd.testing.assert_frame_equal(got, _keyed(features.loc[slate.index])[names], check_exact=True)

    partial = slate.groupby("TEAM").head(2)  # only the players with a line
    silent = build_features(history, "full", targets=partial)
    assert (silent.loc[silent["is_target"], ["team_out_n", "opp_out_n"]] == 0).all().all()


def test_a_rotation_player_on_tonights_slate_for_another_team_is_out_for_his_old_one(league):
    """Traded since his last game: the slate lists him with his new team. His old team sees him
    absent, as the batch builder does when tonight's box score has him elsewhere."""
    day = np.sort(league["GAME_DATE"].unique())[-20]
    history = league[league["GAME_DATE"] < day]
    slate = league.loc[league["GAME_DATE"] == day, ["PLAYER_ID", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "GAME_ID"]]
    teams = list(slate.drop_duplicates("GAME_ID")[["TEAM", "OPPONENT"]].itertuples(index=False))
    (old, _), (new, new_opponent) = teams[0], teams[1]
    mover = _rotation_before(league, old, day).index[0]
    moved = slate[slate["PLAYER_ID"] != mover]
    row = moved[moved["TEAM"] == new].head(1).assign(PLAYER_ID=mover)
    before = build_features(history, "full", targets=moved)
    after = build_features(history, "full", targets=pd.concat([moved, row], ignore_index=True))
    of = lambda built, team: built.loc[built["is_target"] & (built["TEAM"] == team), "team_out_n"]  # noqa: E731
    assert (of(after, old).to_numpy() == of(before, old).to_numpy() + 1).all()
    assert (of(after, new_opponent).to_numpy() == of(before, new_opponent).to_numpy()).all()
