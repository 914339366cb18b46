"""Held against the real line: props in, the market report, the market-aware P(over), the policy."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pandas as pd
import pytest

from conftest import REAL_DATA, requires_real_data
from mlflow_nbaprops.data import load_gamelogs, load_lines, schema, synthetic_league_with_news
from mlflow_nbaprops.data.lines import LOG_BOOK, american_to_decimal, lines_from_logs, vig_free_over
from mlflow_nbaprops.errors import DataValidationError
from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
from mlflow_nbaprops.evaluation.market import calibrate_walk_forward
from mlflow_nbaprops.model.market import BetPolicy, MarketCalibration, expected_value
from mlflow_nbaprops.model.persistence import load_predictor, save_predictor

FAST = {"n_estimators": 25, "learning_rate": 0.2}
BOOKS = ("Alpha", "Beta", "Gamma")


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    frame, _ = synthetic_league_with_news(3, seed=23, teams=8, games=24)
    return frame


def props_of(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Three books quoting the league's own lines, each off by a point now and then, with their own
    prices: a props file as The Odds API gives one."""
    rng = np.random.default_rng(seed)
    priced = frame[frame["LINE_PRA"].notna()]
    parts = []
    for k, book in enumerate(BOOKS):
        shift = rng.choice([-1.0, 0.0, 0.0, 1.0], size=len(priced))
        lean = rng.choice([-10.0, -5.0, 0.0, 5.0, 10.0], size=len(priced))
        parts.append(pd.DataFrame({
            "GAME_ID": priced["GAME_ID"].to_numpy(), "GAME_DATE": priced["GAME_DATE"].dt.strftime("%Y-%m-%d").to_numpy(),
            "PLAYER_ID": priced["PLAYER_ID"].to_numpy(), "PLAYER_NAME": priced["PLAYER_NAME"].to_numpy(), "BOOK": book,
            "LINE_PRA": priced["LINE_PRA"].to_numpy() + shift, "ODDS_OVER": -110.0 - lean, "ODDS_UNDER": -110.0 + lean,
            "TIMESTAMP": (priced["GAME_DATE"] + pd.Timedelta(hours=23)).dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def props(league) -> pd.DataFrame:
    return props_of(league)


def test_props_load_into_one_market_row_a_player_game(league, props, tmp_path):
    path = tmp_path / "props.csv.gz"
    props.to_csv(path, index=False)
    lines = load_lines(path, league)
    assert set(lines.books) == set(BOOKS) and not lines.skipped
    market = lines.market("Beta")
    assert len(market) == props[["GAME_ID", "PLAYER_ID"]].drop_duplicates().shape[0]
    one = props[(props["GAME_ID"] == market["GAME_ID"].iloc[5]) & (props["PLAYER_ID"] == market["PLAYER_ID"].iloc[5])]
    row = market.iloc[5]
    assert row["line"] == one["LINE_PRA"].median()
    lowest = one[one["LINE_PRA"] == one["LINE_PRA"].min()]
    assert row["best_over_line"] == lowest["LINE_PRA"].iloc[0]
    assert row["best_over_odds"] == lowest["ODDS_OVER"].iloc[american_to_decimal(lowest["ODDS_OVER"]).argmax()]
    assert row["book_line"] == one.loc[one["BOOK"] == "Beta", "LINE_PRA"].iloc[0]
    assert row["p_market"] == pytest.approx(np.median(vig_free_over(one["ODDS_OVER"], one["ODDS_UNDER"])))
    assert vig_free_over(-110, -110) == pytest.approx(0.5) and vig_free_over(-150, 130) > 0.5


@pytest.mark.parametrize("change,column,text", [
    ("line 200", "LINE_PRA", "a line outside 0..150"),
    ("odds +50", "ODDS_OVER", "not American odds"),
    ("odds text", "ODDS_UNDER", "text in numeric column"),
    ("no prices", "ODDS_OVER, ODDS_UNDER", "a quote with neither price"),
])
def test_bad_props_are_named_by_file_column_and_row(league, props, tmp_path, change, column, text):
    bad = props.astype({"ODDS_OVER": object, "ODDS_UNDER": object}).copy()
    if change == "line 200":
        bad.loc[4, "LINE_PRA"] = 200.0
    elif change == "odds +50":
        bad.loc[4, "ODDS_OVER"] = 50
    elif change == "odds text":
        bad.loc[4, "ODDS_UNDER"] = "evens"
    else:
        bad.loc[4, ["ODDS_OVER", "ODDS_UNDER"]] = [None, None]
    path = tmp_path / "props.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as excinfo:
        load_lines(path, league)
    assert f"column {column}: {text}" in str(excinfo.value) and "props.csv rows 5" in str(excinfo.value)


def test_a_book_quoting_twice_keeps_its_latest_price_and_strangers_are_counted(league, props, tmp_path):
    again = props.head(3).assign(ODDS_OVER=-200.0, TIMESTAMP=(pd.to_datetime(props.head(3)["GAME_DATE"])
                                                              + pd.Timedelta(hours=23, minutes=30)).dt.strftime(
        "%Y-%m-%dT%H:%M:%SZ"))
    stranger = props.head(2).assign(PLAYER_ID=[999_999_998, 999_999_999])
    playoff = props.head(1).assign(GAME_ID="0042300101")
    path = tmp_path / "props.csv"
    pd.concat([props, again, stranger, playoff]).to_csv(path, index=False)
    lines = load_lines(path, league)
    assert lines.skipped == {
        "quotes of a book it quoted again for the same player-game (its latest kept): skipped": 3,
        "props rows of games not in the game logs: skipped": 1,
        "props rows of players without a box score in that game (did not play, or another id): skipped": 2}
    first = props.iloc[0]
    kept = lines.quotes[(lines.quotes["GAME_ID"] == first["GAME_ID"]) & (lines.quotes["PLAYER_ID"] == first["PLAYER_ID"])
                        & (lines.quotes["BOOK"] == first["BOOK"])]
    assert len(kept) == 1 and kept["ODDS_OVER"].iloc[0] == -200.0  # the later quote


def test_a_quote_priced_against_its_line_is_set_aside_and_its_book_named(league, props, tmp_path):
    """Two books of the real 2023-24 props price a line below the others' as an over underdog (the over
    and under prices swapped at the source): betting those overs blind returned +25 %. Such a quote is
    no price anyone could trust; it is counted, its book named, and left out of every figure."""
    key = ["GAME_ID", "PLAYER_ID"]
    median = props.groupby(key)["LINE_PRA"].transform("median")
    changed = props.copy()
    swapped = changed[changed["BOOK"] == "Alpha"].index[:4]  # 4 of Alpha's quotes: a lower line, over +180
    changed.loc[swapped, "LINE_PRA"] = median[swapped] - 2.0
    changed.loc[swapped, ["ODDS_OVER", "ODDS_UNDER"]] = [180.0, -295.0]
    honest = changed[changed["BOOK"] == "Beta"].index[40:41]  # another player-game: a lower line with the over favoured: kept
    changed.loc[honest, "LINE_PRA"] = median[honest] - 2.0
    changed.loc[honest, ["ODDS_OVER", "ODDS_UNDER"]] = [-180.0, 140.0]
    path = tmp_path / "props.csv"
    changed.to_csv(path, index=False)
    lines = load_lines(path, league)
    against = [k for k in lines.skipped if k.startswith("quotes priced against their line")]
    assert len(against) == 1 and lines.skipped[against[0]] == 4 and "Alpha 4" in against[0]
    assert len(lines.quotes) == len(props) - 4 and set(lines.quotes["BOOK"]) == set(BOOKS)
    kept = lines.quotes.merge(changed.loc[honest, key], on=key)
    assert (kept.loc[kept["BOOK"] == "Beta", "ODDS_OVER"] == -180.0).all()
    # a book pricing many of its quotes so (more than 5 %) is no book to trust: set aside whole
    many = props[props["BOOK"] == "Gamma"].copy()
    bad = many.sample(frac=0.2, random_state=0).index
    many.loc[bad, "LINE_PRA"] = many.loc[bad, "LINE_PRA"] - 3.0
    many.loc[bad, ["ODDS_OVER", "ODDS_UNDER"]] = [180.0, -295.0]
    pd.concat([props[props["BOOK"] != "Gamma"], many]).to_csv(path, index=False)
    lines = load_lines(path, league)
    whole = [k for k in lines.skipped if k.startswith("quotes of books that price more than 5 %")]
    assert len(whole) == 1 and "Gamma" in whole[0] and lines.skipped[whole[0]] == len(many)
    assert set(lines.quotes["BOOK"]) == {"Alpha", "Beta"}


def test_the_backtest_reports_the_model_against_the_real_line_on_those_rows_only(league, props, tmp_path):
    path = tmp_path / "props.csv"
    props.to_csv(path, index=False)
    lines = load_lines(path, league)
    config = BacktestConfig("2023-24", refit_every=14, minutes_params=FAST, pra_params=FAST, availability="observed")
    result = walk_forward(league, config, progress=False, lines=lines, book="Gamma")
    report = result.market
    rows = report.rows
    assert report.n_rows == len(rows) == result.predictions["market_line"].notna().sum()
    # the line is the books' median, read from the props file itself (never the backtest's own line:
    # here the bookmaker's in the logs, which the books' lines differ from by a point now and then)
    median = props.groupby(["GAME_ID", "PLAYER_ID"])["LINE_PRA"].median()
    expected = median.reindex(pd.MultiIndex.from_frame(rows[["GAME_ID", "PLAYER_ID"]])).to_numpy()
    assert np.array_equal(rows["line"].to_numpy(), expected)
    own = result.predictions.set_index(["GAME_ID", "PLAYER_ID"])["line"]
    assert (own.reindex(pd.MultiIndex.from_frame(rows[["GAME_ID", "PLAYER_ID"]])).to_numpy() != expected).any()
    assert report.metrics["line_mae"] == pytest.approx(np.abs(rows["PRA"] - expected).mean())
    assert report.metrics["pra_mae"] == pytest.approx(np.abs(rows["PRA"] - rows["pred_PRA"]).mean())
    assert "covers only" not in report.summary() and "rows with a real line only" in report.summary()
    # the market-aware P(over) scores a month with a calibration fitted on earlier months only
    first_month = pd.to_datetime(rows["GAME_DATE"]).dt.to_period("M") == pd.to_datetime(rows["GAME_DATE"]).min().to_period("M")
    assert rows.loc[first_month.to_numpy(), "p_aware"].isna().all() and rows["p_aware"].notna().any()
    assert {"best", "book"} <= set(report.bets["price"])
    assert set(report.bets.loc[report.bets["price"] == "book", "BOOK"]) == {"Gamma"}
    assert set(report.by_book["group"]) <= set(BOOKS) and len(report.by_month)
    metrics = report.mlflow_metrics()
    assert all(k.startswith("val_market_") for k in metrics) and "val_market_line_mae" in metrics
    assert result.line_source == "bookmaker"  # the proxy/bookmaker figures stay, under their own names
    bets = report.bets[report.bets["price"] == "best"]
    assert (bets["ev"] >= config.min_edge).all()
    assert np.allclose(bets["ev"], expected_value(np.where(bets["side"] == "over", bets["p_over"], 1 - bets["p_over"]),
                                                  bets["odds"]))


def test_the_calibration_fits_on_earlier_rows_only_and_round_trips_as_json(tmp_path):
    rng = np.random.default_rng(3)
    n = 2000
    X = np.column_stack([rng.normal(0, 3, n), rng.uniform(10, 30, n), rng.uniform(10, 40, n), rng.normal(0, 1, n),
                         rng.normal(0, 0.3, n)])
    truth = 1 / (1 + np.exp(-(0.3 * X[:, 0] + 2.0 * X[:, 4])))
    over = (rng.random(n) < truth).astype(float)
    dates = pd.date_range("2023-10-24", periods=n, freq="2h")
    calibration = MarketCalibration.fit(X, over, dates)
    again = MarketCalibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    np.testing.assert_array_equal(again.predict(X), calibration.predict(X))
    assert calibration.rows == n and calibration.first_date == "2023-10-24"
    assert MarketCalibration.fit(X[:100], over[:100]) is None  # too few rows to fit anything
    rows = pd.DataFrame(X, columns=["median_minus_line", "spread_80", "line", "logit_model", "logit_market"]).assign(
        GAME_DATE=dates, over=over)
    p, fitted = calibrate_walk_forward(rows)
    months = dates.to_period("M")
    assert np.isnan(p[months == months[0]]).all() and np.isfinite(p[months == months[-1]]).all()
    assert all(f.last_date < str(months[-1].start_time.date()) for f in fitted[-1:])


def test_a_served_row_with_a_line_and_prices_gets_the_market_aware_p_over_and_each_sides_ev(league, tmp_path):
    from mlflow_nbaprops.model import PropsPredictor, TwoStageRegressor
    from mlflow_nbaprops.model.predictor import observed_slate

    history = league[league["GAME_DATE"] < league["GAME_DATE"].max()]
    model = PropsPredictor.train(history, TwoStageRegressor(minutes_params=FAST, pra_params=FAST))
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(0, 3, 800), rng.uniform(10, 30, 800), rng.uniform(10, 40, 800),
                         rng.normal(0, 1, 800), rng.normal(0, 0.3, 800)])
    model.market = MarketCalibration.fit(X, (rng.random(800) < 0.5).astype(float))
    save_predictor(model, tmp_path)
    assert (tmp_path / "market.json").is_file() and not list(tmp_path.glob("*.pkl"))
    model = load_predictor(tmp_path)
    slate = observed_slate(history, league[league["GAME_DATE"] == league["GAME_DATE"].max()])
    slate = slate[slate["STATUS"] == "AVAILABLE"].head(4).assign(GAME_DATE=history["GAME_DATE"].max() + pd.Timedelta(days=1))
    priced = model.predict(slate.assign(LINE=15.5, ODDS_OVER=-125, ODDS_UNDER=105))
    assert not np.allclose(priced["p_over"], priced["p_over_model"])
    np.testing.assert_allclose(priced["ev_over"], priced["p_over"] * american_to_decimal(-125) - 1)
    np.testing.assert_allclose(priced["ev_under"], priced["p_under"] * american_to_decimal(105) - 1)
    unpriced = model.predict(slate.assign(LINE=15.5))
    np.testing.assert_array_equal(unpriced["p_over"], unpriced["p_over_model"])
    assert unpriced["ev_over"].isna().all()
    with pytest.raises(DataValidationError, match="column ODDS_OVER must be American odds"):
        model.predict(slate.assign(LINE=15.5, ODDS_OVER=50, ODDS_UNDER=-110))


def test_the_policy_stakes_fractional_kelly_with_a_cap():
    policy = BetPolicy(min_ev=0.05, kelly=0.5, cap=0.02)
    stake = policy.stake(np.array([0.6, 0.52, 0.9]), np.array([-110.0, -110.0, 100.0]))
    full = (0.6 * american_to_decimal(-110) - 1) / (american_to_decimal(-110) - 1)
    assert stake[0] == pytest.approx(min(0.5 * full, 0.02)) and stake[1] == 0.0 and stake[2] == 0.02


def test_lines_in_the_game_logs_are_one_book(league):
    lines = lines_from_logs(league)
    assert lines.books == [LOG_BOOK] and len(lines.quotes) == league["LINE_PRA"].notna().sum()


@requires_real_data
def test_the_real_props_load_as_their_readme_says():
    shared = REAL_DATA.parent
    logs = load_gamelogs(REAL_DATA / "leaguegamefinder_players_2023-24.csv.gz").frame
    lines = load_lines(shared / "market" / "props_pra_2023-24.csv.gz", logs)
    market = lines.market()
    # two books of one platform price ~40 % of their quotes against their line: set aside whole
    assert sorted(lines.books) == ['Barstool Sportsbook', 'BetMGM', 'BetOnline.ag', 'Bovada', 'Caesars', 'DraftKings',
                                   'FanDuel', 'PointsBet (US)'] and 4_570 <= len(market) <= 4_581
    whole = next(k for k in lines.skipped if k.startswith("quotes of books that price more than 5 %"))
    assert "Unibet 4" in whole and "BetRivers 4" in whole
    played = market.merge(logs.assign(PRA=schema.pra(logs))[["GAME_ID", "PLAYER_ID", "PRA", "MIN"]],
                          on=["GAME_ID", "PLAYER_ID"])
    played = played[played["MIN"] > 0]
    assert np.abs(played["PRA"] - played["line"]).mean() == pytest.approx(6.140, abs=0.005)
    assert mlflow  # (the module imports MLflow only through the package under test)
