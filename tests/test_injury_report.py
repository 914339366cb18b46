"""The league's own injury-report PDFs: the reader on both real layouts (checked against another PDF
engine's count), its errors on what is not a report, and ``nbaprops data injuries``' history table.

The real PDFs live in ``../shared/data/injury`` (never in the repository); the tests that read them
skip where it is absent. All 1,024 of them: ``python benchmarks/check_injury_reports.py``.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import REAL_DATA
from injury_pages import independent_counts, reader_counts

from mlflow_nbaprops.errors import FeedError

pytest.importorskip("pdfplumber", reason="the feed extra (pdfplumber) is not installed")
pytest.importorskip("nba_api", reason="the feed extra (nba_api) is not installed")

from mlflow_nbaprops.feed.injury import first_last, name_key, parse_injury_report, read_injury_report  # noqa: E402

INJURY = REAL_DATA.parent / "injury"
PREGAME = REAL_DATA.parent / "pregame"
requires_reports = pytest.mark.skipif(not INJURY.is_dir(), reason=f"the league's injury reports are not at {INJURY}")

#: One report of each layout, and the report whose wrapped reason runs onto the next page.
SPACED = "2022-23/Injury-Report_2022-11-15_05PM.pdf"
SPACELESS = "2023-24/Injury-Report_2024-01-15_05PM.pdf"
ALL_STAR = "2023-24/Injury-Report_2024-02-17_05PM.pdf"


def _row(rows: pd.DataFrame, player: str) -> pd.Series:
    found = rows[rows["PLAYER_NAME"] == player]
    assert len(found) == 1, f"{player}: {len(found)} rows"
    return found.iloc[0]


@requires_reports
@pytest.mark.parametrize("name", [SPACED, SPACELESS, "2022-23/Injury-Report_2022-12-02_12PM.pdf",
                                  "2023-24/Injury-Report_2024-04-14_12PM.pdf", ALL_STAR])
def test_each_real_report_agrees_with_pdfiums_count_of_its_status_column(name):
    report = read_injury_report(INJURY / name)
    assert reader_counts(report) == independent_counts(INJURY / name)
    rows = report.rows
    assert not rows[["GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "PLAYER_NAME", "STATUS"]].eq("").any().any()
    assert all(team in matchup.split("@") for team, matchup in zip(rows["TEAM"], rows["MATCHUP"]))
    assert f"{report.published:%Y-%m-%d}" == name.split("_")[1]


@requires_reports
def test_the_2022_23_layout_spaced_words_and_the_leagues_own_team_names():
    report = read_injury_report(INJURY / SPACED)
    assert f"{report.published:%Y-%m-%d %H:%M}" == "2022-11-15 17:30" and not report.spaceless
    jaren = _row(report.rows, "Jaren Jackson Jr.")
    assert (jaren.TEAM, jaren.STATUS, jaren.GAME_TIME, jaren.MATCHUP) == ("MEM", "QUESTIONABLE", "19:30", "MEM@NOP")
    assert jaren.REASON == "Injury/Illness - Right Foot; Surgery Recovery" and jaren.REASON_KIND == "injury"
    kawhi = _row(report.rows, "Kawhi Leonard")  # the report's "LA Clippers", not nba_api's "Los Angeles Clippers"
    assert (kawhi.TEAM, kawhi.TEAM_NAME, kawhi.STATUS) == ("LAC", "LA Clippers", "OUT")
    # a 5:30 PM report lists the next day's games too, under their own date
    assert set(report.rows["GAME_DATE"]) == {"2022-11-15", "2022-11-16"}
    tomorrow = report.not_submitted
    assert len(tomorrow) and tomorrow["GAME_DATE"].eq("2022-11-16").all()


@requires_reports
def test_the_2023_24_layout_without_spaces_and_reasons_wrapped_above_and_below_and_across_pages():
    report = read_injury_report(INJURY / SPACELESS)
    assert report.spaceless and report.pages == 9
    eason = _row(report.rows, "Tari Eason")  # "Injury/Illness-LeftLowerLeg;Injury" above his line, "Management" below
    assert (eason.TEAM, eason.TEAM_NAME, eason.GAME_TIME) == ("HOU", "Houston Rockets", "13:00")
    assert eason.REASON == "Injury/Illness - Left Lower Leg; Injury Management"
    assert _row(report.rows, "Jermaine Samuels Jr.").REASON == "G League - Two-Way"
    assert _row(report.rows, "Ricky Council IV").TEAM == "PHI"  # "Philadelphia76ers"
    # page 1's last line, its reason's last word printed at the top of page 2
    assert _row(report.rows, "Brandon Ingram").REASON == "Injury/Illness - Right Achilles; Soreness"
    assert _row(report.rows, "Trey Murphy III").STATUS == "AVAILABLE"
    lebron = _row(report.rows, "LeBron James")
    assert (lebron.STATUS, lebron.REASON) == ("QUESTIONABLE", "Injury/Illness - Left Ankle; Peroneal Tendinopathy")
    assert "LAC" in set(report.not_submitted["TEAM"]) and set(report.not_submitted["GAME_DATE"]) == {"2024-01-16"}
    whole = (INJURY / SPACELESS).read_bytes()  # a download cut short: one error, the file named
    with pytest.raises(FeedError, match=r"^cut\.pdf: not a readable PDF"):
        parse_injury_report(whole[: len(whole) // 2], "cut.pdf")


@requires_reports
def test_the_all_star_weekends_outside_teams_are_said_not_read_as_rows():
    report = read_injury_report(INJURY / ALL_STAR)
    assert report.rows.empty and report.not_submitted.empty
    assert [line["MATCHUP"] for line in report.outside] == ["UNK@UNK", "UNK@UNK"]


def test_names_and_reasons_of_both_layouts_read_alike():
    assert first_last("Jackson Jr., Jaren") == first_last("JacksonJr.,Jaren", spaceless=True) == "Jaren Jackson Jr."
    assert first_last("CouncilIV,Ricky", spaceless=True) == "Ricky Council IV"
    assert name_key("Nikola Jokić") == name_key("Jokic, Nikola".split(", ")[1] + " Jokic") == "nikolajokic"
    assert name_key("Jaren Jackson Jr.") == name_key(first_last("JacksonJr.,Jaren", spaceless=True))
    assert name_key("De'Anthony Melton") == name_key("DeAnthony Melton")


# --------------------------------------------------------------------------- what is not a report


def _pdf(lines: list[list[str]], title: str = "Injury Report: 01/15/24 05:30 PM",
         header=("Game Date", "Game Time", "Matchup", "Team", "Player Name", "Current Status", "Reason")) -> bytes:
    """A one-page PDF laid out like the 2022-23 report: the title, a header, ``lines`` of seven cells."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="pt", format="letter")
    pdf.set_font("Helvetica", size=8)
    pdf.add_page()
    pdf.text(300, 20, title)
    x = [20, 95, 170, 245, 370, 500, 600]
    for xi, text in zip(x, header):
        pdf.text(xi, 60, text)
    for i, cells in enumerate(lines):
        for xi, text in zip(x, cells):
            if text:
                pdf.text(xi, 80 + 18 * i, text)
    return bytes(pdf.output())


GOOD = ["01/15/2024", "07:30 (ET)", "BOS@TOR", "Boston Celtics", "Tatum, Jayson", "Questionable", "Rest"]


def test_a_small_report_reads_and_every_kind_of_bad_one_is_one_error_naming_file_and_page():
    report = parse_injury_report(_pdf([GOOD]), "mine.pdf")
    assert report.rows[["TEAM", "PLAYER_NAME", "STATUS", "REASON_KIND"]].values.tolist() == [
        ["BOS", "Jayson Tatum", "QUESTIONABLE", "rest"]]
    cases = {
        "not a readable PDF": b"<html>maintenance</html>",
        "page 1 has no header row": _pdf([GOOD], header=("Date", "Time", "Game", "Club", "Name", "Status", "Note")),
        "'Tatum, Jayson' has status 'Maybe'": _pdf([[*GOOD[:5], "Maybe", "Rest"]]),
        "team 'Boston Celtix' is not one nba_api knows": _pdf([[*GOOD[:3], "Boston Celtix", *GOOD[4:]]]),
        r"team 'Miami Heat' \(MIA\) is not in its matchup BOS@TOR": _pdf([[*GOOD[:3], "Miami Heat", *GOOD[4:]]]),
        "game time '7 PM' is not HH:MM": _pdf([[GOOD[0], "7 PM", *GOOD[2:]]]),
    }
    for message, pdf in cases.items():
        with pytest.raises(FeedError, match=f"^bad.pdf: .*{message}"):
            parse_injury_report(pdf, "bad.pdf")


# --------------------------------------------------------------------------- nbaprops data injuries


@pytest.fixture(scope="module")
def season_logs(tmp_path_factory):
    """The 2023-24 game logs alone (the matching's known players are that season's)."""
    source = REAL_DATA / "leaguegamefinder_players_2023-24.csv.gz"
    if not source.is_file() or not INJURY.is_dir():
        pytest.skip(f"the real 2023-24 game logs or injury reports are not beside the checkout ({REAL_DATA.parent})")
    folder = tmp_path_factory.mktemp("logs")
    shutil.copy(source, folder / source.name)
    return folder


def test_data_injuries_writes_the_history_incrementally_and_skips_what_is_not_a_new_report(season_logs, tmp_path):
    from click.testing import CliRunner

    from mlflow_nbaprops.cli import main

    reports = tmp_path / "reports"
    reports.mkdir()
    for hour in ("12PM", "05PM", "06PM"):
        shutil.copy(INJURY / f"2023-24/Injury-Report_2024-01-15_{hour}.pdf", reports)
    output = tmp_path / "history.csv.gz"
    command = ["data", "injuries", str(reports), "--data", str(season_logs), "--output", str(output), "--workers", "2"]
    first = CliRunner().invoke(main, command)
    assert first.exit_code == 0, first.output
    assert "3 new report(s) read, 0 already in it, 0 skipped" in first.output
    table = pd.read_csv(output, dtype=str)
    assert sorted(table["REPORT_TIME"].unique()) == ["2024-01-15T12:30", "2024-01-15T17:30", "2024-01-15T18:30"]
    listed = table[table["STATUS"] != "NOT_SUBMITTED"]
    assert set(listed["STATUS"]) <= {"OUT", "DOUBTFUL", "QUESTIONABLE", "PROBABLE", "AVAILABLE"}
    tonight = listed[listed["GAME_DATE"] == "2024-01-15"]
    assert tonight["GAME_ID"].notna().all() and tonight["GAME_ID"].str.startswith("00223").all()
    lebron = listed[(listed["PLAYER_NAME"] == "LeBron James") & (listed["REPORT_TIME"] == "2024-01-15T17:30")]
    assert lebron[["PLAYER_ID", "TEAM", "STATUS"]].values.tolist() == [["2544", "LAL", "QUESTIONABLE"]]
    # the players nobody in the season's logs is: listed by name with an empty id, never guessed
    unknown = listed[listed["PLAYER_ID"].isna()]
    assert len(unknown) and "PLAYER_ID left empty" in first.output
    assert all(name in first.output for name in unknown["PLAYER_NAME"].unique()[:3])

    # a second run reads nothing again; a copy of a report under another name is one time twice: skipped
    shutil.copy(reports / "Injury-Report_2024-01-15_05PM.pdf", reports / "Injury-Report_2024-01-15_05PM_copy.pdf")
    (reports / "Injury-Report_2024-01-16_05PM.pdf").write_bytes(b"<html>not found</html>")
    second = CliRunner().invoke(main, command)
    assert second.exit_code == 1
    assert "0 new report(s) read, 3 already in it, 2 skipped" in second.output
    assert "two reports for one time" in second.output and "not a readable PDF" in second.output
    assert pd.read_csv(output, dtype=str).equals(table)  # nothing lost, nothing written twice


def test_data_injuries_with_the_pregame_lists_matches_players_who_never_played(season_logs, tmp_path):
    from mlflow_nbaprops.data import load_gamelogs, load_news
    from mlflow_nbaprops.feed.reports import injury_history

    if not (PREGAME / "pregame_2023-24.csv.gz").is_file():
        pytest.skip(f"the real pregame lists are not at {PREGAME}")
    logs = load_gamelogs(season_logs).frame
    pregame = load_news(PREGAME / "pregame_2023-24.csv.gz", logs).pregame
    report = INJURY / "2023-24/Injury-Report_2024-01-15_05PM.pdf"
    alone = injury_history([report], tmp_path / "a.csv", logs, workers=1, say=lambda m: None)
    both = injury_history([report], tmp_path / "b.csv", logs, pregame, workers=1, say=lambda m: None)
    assert sum(both.unmatched.values()) < sum(alone.unmatched.values())


# --------------------------------------------------------------------------- the history as news


def _history(rows: list[dict]) -> pd.DataFrame:
    base = {"REPORT_TIME": "2024-01-15T17:30", "GAME_DATE": "2024-01-15", "GAME_TIME": "22:30",
            "MATCHUP": "OKC@LAL", "GAME_ID": "", "TEAM": "LAL", "PLAYER_ID": "2544", "PLAYER_NAME": "LeBron James",
            "STATUS": "QUESTIONABLE", "REASON": "Injury/Illness - Left Ankle; Sprain", "REASON_KIND": "injury",
            "SOURCE": "Injury-Report_2024-01-15_05PM.pdf"}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_the_news_loader_reads_the_history_by_its_columns_and_names_each_bad_row(tmp_path):
    from mlflow_nbaprops.data import load_news
    from mlflow_nbaprops.errors import DataValidationError

    good = _history([{}, {"PLAYER_ID": "", "PLAYER_NAME": "Justin Lewis", "TEAM": "OKC", "STATUS": "OUT"},
                     {"PLAYER_ID": "", "PLAYER_NAME": "", "TEAM": "OKC", "STATUS": "NOT_SUBMITTED",
                      "GAME_DATE": "2024-01-16", "MATCHUP": "OKC@LAC", "REPORT_TIME": "2024-01-15T17:30"}])
    good.to_csv(tmp_path / "injuries.csv", index=False)
    news = load_news(tmp_path / "injuries.csv")
    assert len(news.reports) == 3 and news.pregame.empty and news.version.reports == 1
    assert str(news.reports["REPORT_TIME"].iloc[0]) == "2024-01-15 17:30:00"
    assert news.reports["PLAYER_ID"].isna().sum() == 2  # unmatched and not-submitted rows keep no id
    assert "3 injury-report rows of 1 reports" in news.version.summary()

    bad = _history([{"STATUS": "MAYBE"}, {"REPORT_TIME": "01/15/2024 5:30 PM", "PLAYER_ID": "1"},
                    {"TEAM": "BOS", "PLAYER_ID": "2"}, {"PLAYER_ID": "3", "SOURCE": "other.pdf"},
                    {"PLAYER_ID": "", "PLAYER_NAME": ""}])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataValidationError) as caught:
        load_news(tmp_path / "bad.csv")
    message = str(caught.value)
    for expected in ("column STATUS: must be one of OUT", "column REPORT_TIME: must be the publication's time",
                     "column TEAM: not one of the two teams of its MATCHUP",
                     "column REPORT_TIME: two report files for one publication time",
                     "column PLAYER_NAME: a listed player needs a PLAYER_ID or a name"):
        assert expected in message, message
    assert "bad.csv rows 1" in message
