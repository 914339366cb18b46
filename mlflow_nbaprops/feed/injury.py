"""The league's official injury report (a PDF) as a table, on pdfplumber.

The report is a ruled table under a title (``Injury Report: 01/15/24 05:30 PM``, Eastern time) with
the columns ``Game Date, Game Time, Matchup, Team, Player Name, Current Status, Reason``. Game,
time, matchup and team are printed on the first line of their group and left blank below it, so
they are carried down. Two real layouts are read:

- until 2022-23: words separated by spaces (``Jackson Jr., Jaren``), a long reason wrapped onto
  the line below its player's;
- from 2023-24: no space inside a cell (``HoustonRockets``, ``SamuelsJr.,Jermaine``,
  ``Injury/Illness-LeftKnee;Soreness``), a wrapped reason centred on its player's line, so
  printed above *and* below it.

The reader groups the words into lines by their top and cuts each line into the columns by the
header's x positions. A line with a player or a status is a row; any other line is a piece of
a wrapped cell and joins the nearest row's cells (above it or below). A spaceless reason is given
its spaces back (``Injury/Illness - Left Knee; Soreness``), so both layouts read alike.

The maintained parser, ``nbainjuries``, reads the PDF through tabula-py (a Java runtime on the
machine that runs the nightly job, and fixed page areas per season); pdfplumber is pure Python
and reads both layouts by their header.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.errors import FeedError

#: One row per listed player. GAME_DATE ISO, GAME_TIME 24-hour ET (``19:30``), TEAM the tricode.
COLUMNS = ("GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "TEAM_NAME", "PLAYER_NAME", "STATUS", "REASON",
           "REASON_KIND")
NOT_SUBMITTED_COLUMNS = ("GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "TEAM_NAME")
#: The header's labels, spaces removed, and the column each starts.
HEADER = (("GameDate", "GAME_DATE"), ("GameTime", "GAME_TIME"), ("Matchup", "MATCHUP"), ("Team", "TEAM_NAME"),
          ("PlayerName", "PLAYER_NAME"), ("CurrentStatus", "STATUS"), ("Reason", "REASON"))
STATUSES = schema.REPORT_STATUSES
#: The kinds of reason, in the order they are tried: a kind whose mark starts the reason's letters
#: (lower case, nothing else) or, for a mark ending in ``*``, stands anywhere in them.
REASON_KINDS = (("injury", ("injury", "illness", "concussion*")), ("g_league", ("gleague",)), ("rest", ("rest",)),
                ("personal", ("personal*",)), ("suspension", ("suspension*",)), ("trade_pending", ("tradepending",)),
                ("other", ()))
NOT_SUBMITTED = "NOTYETSUBMITTED"
_LINE_TOLERANCE = 2.5  # points: words whose tops differ by less are on one line
_EDGE_SLACK = 3.0  # points: a cell's text starts this far left of its header at most
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
_TITLE = re.compile(r"InjuryReport:(\d\d/\d\d/\d\d)(\d\d:\d\d)(AM|PM)")
_FOOTER = re.compile(r"Page\d+of\d+")
#: Names the report gives a team that are not nba_api's full name.
TEAM_ALIASES = {"LA Clippers": "LAC"}
#: The league named a publication by its hour until it moved to publications every 15 minutes
#: (``05PM``: the report published at 5:30 PM ET), by its time since (``05_30PM``); the first day of
#: the new names as ``nbainjuries`` has it.
QUARTER_HOURLY_SINCE = dt.date(2025, 12, 22)
#: The publications of a game day the package reads, ET: 12:30 PM (before the afternoon tip-offs),
#: 5:30 PM (the evening's: most bets are placed after it), 6:30 PM (the last before a 7 PM tip-off).
PUBLICATIONS = (dt.time(12, 30), dt.time(17, 30), dt.time(18, 30))
EVENING = dt.time(17, 30)


@dataclass
class InjuryReport:
    """One publication: its time (ET, from the title), the listed players and the teams NOT YET SUBMITTED."""

    source: str
    published: dt.datetime | None
    rows: pd.DataFrame
    not_submitted: pd.DataFrame
    pages: int = 0
    spaceless: bool = False
    status_counts: dict[str, int] = field(default_factory=dict)
    #: Lines of games between teams outside the league (the All-Star weekend's ``UNK@UNK``,
    #: ``Non-NBA Team``): not rows, but kept to be counted and said.
    outside: list[dict[str, str]] = field(default_factory=list)


def parse_injury_report(pdf: bytes, source: str = "injury report") -> InjuryReport:
    """The report in ``pdf`` as an :class:`InjuryReport`; a file that is not a report of this shape
    is one :class:`FeedError` naming ``source`` and the page."""
    import pdfplumber

    try:
        document = pdfplumber.open(io.BytesIO(pdf))
    except Exception as exc:  # noqa: BLE001 -- any reader failure: not a PDF we can read
        raise FeedError(f"{source}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    reader = _Reader(source)
    with document:
        try:
            pages = len(document.pages)
        except Exception as exc:  # noqa: BLE001 -- pdfminer reads the page tree lazily
            raise FeedError(f"{source}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
        for number, page in enumerate(document.pages, start=1):
            try:
                words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
                rules = [*page.lines, *page.rects]
            except Exception as exc:  # noqa: BLE001 -- a damaged page: say which
                raise FeedError(f"{source}: page {number} cannot be read ({type(exc).__name__}: {exc})") from exc
            reader.page(number, words, rules)
    reader.finish()
    if not pages:
        raise FeedError(f"{source}: the PDF has no pages")
    rows = pd.DataFrame(reader.rows, columns=list(COLUMNS))
    report = InjuryReport(source=source, published=reader.published, rows=rows,
                          not_submitted=pd.DataFrame(reader.unsubmitted, columns=list(NOT_SUBMITTED_COLUMNS)),
                          pages=pages, spaceless=reader.spaceless, outside=reader.outside)
    report.status_counts = {s: int((rows["STATUS"] == s).sum()) for s in STATUSES}
    return report


def report_name(day: dt.date, at: dt.time = EVENING) -> str:
    """The time part of the league's file name for the publication of ``day`` at ``at`` (ET):
    ``Injury-Report_<date>_<this>.pdf``."""
    twelve = f"{at:%I}{at:%p}"
    if day >= QUARTER_HOURLY_SINCE:
        return f"{at:%I}_{at:%M}{at:%p}"
    if at.minute != 30:
        raise ValueError(f"before {QUARTER_HOURLY_SINCE} the report was published at half past the hour, not {at:%H:%M}")
    return twelve


def read_injury_report(path: str | Path) -> InjuryReport:
    """The report in the file at ``path``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return parse_injury_report(data, str(path))


class _Reader:
    """The pages of one report, read in order: the column edges and the groups carry across page breaks."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.published: dt.datetime | None = None
        self.spaceless = False
        self.bounds: list[tuple[float, str]] | None = None
        self.entries: list[tuple[int, dict[str, list[str]]]] = []  # (page, column -> texts) per row
        self.rows: list[dict[str, str]] = []
        self.unsubmitted: list[dict[str, str]] = []
        self.outside: list[dict[str, str]] = []
        self.carry = {"GAME_DATE": "", "GAME_TIME": "", "MATCHUP": "", "TEAM_NAME": ""}

    def page(self, number: int, words: list[dict], rules: list[dict]) -> None:
        """Read one page: ``words`` and ``rules`` (its lines and rects) as pdfplumber gives them."""
        lines = _lines(words)
        start = 0
        for i, line in enumerate(lines):
            text = "".join(w["text"] for w in line)
            title = _TITLE.search(text)
            if title and self.published is None:
                self.published = _published(title, self.source)
            bounds = _header_bounds(line)
            if bounds:
                self.bounds, start = bounds, i + 1
                self.spaceless = any(w["text"].startswith("GameDate") for w in line)
                break
            if title:
                start = i + 1
        if self.bounds is None:
            if not any(w["text"].strip() for w in words):
                return  # a blank page
            raise FeedError(f"{self.source}: page {number} has no header row "
                            f"({', '.join(label for label, _ in HEADER)}) and no page before it had one: "
                            "not an injury report, or its layout changed")
        body = [(line[0]["top"], _cells(line, self.bounds)) for line in lines[start:]]
        body = [(top, cells) for top, cells in body if any(cells.values()) and not _is_furniture(cells)]
        edges = _row_edges(rules, dict((c, x) for x, c in self.bounds)["REASON"])
        band = [bisect.bisect_right(edges, top) if edges else None for top, _ in body]
        anchors = [i for i, (_, cells) in enumerate(body) if _is_row(cells)]
        owner: dict[int, int | None] = {}  # body line -> the anchor it belongs to (None: the previous page's last)
        for i, (top, _) in enumerate(body):
            if i in anchors:
                owner[i] = i
                continue
            same_band = [a for a in anchors if band[a] is not None and band[a] == band[i]]
            if same_band:
                owner[i] = same_band[0]
            elif edges and (not anchors or band[i] < band[anchors[0]]):
                owner[i] = None  # above the page's first row, in a band of its own: the cell began a page before
            elif anchors:  # no rules to go by: the nearest row (the one above on a tie)
                owner[i] = min(anchors, key=lambda a: (abs(body[a][0] - top), -a))
            else:
                owner[i] = None
        first = len(self.entries)
        for i in anchors:
            self.entries.append((number, {}))
        for i, (_, cells) in enumerate(body):
            if owner[i] is None:
                if not self.entries[:first]:
                    raise FeedError(f"{self.source}: page {number}: text {' '.join(cells.values()).strip()!r} "
                                    "belongs to no player's line")
                target = self.entries[first - 1][1]
            else:
                target = self.entries[first + anchors.index(owner[i])][1]
            for column, text in cells.items():
                if text:
                    target.setdefault(column, []).append(text)

    def finish(self) -> None:
        """The rows, from the entries of every page (a cell may have ended on the next page)."""
        for number, cells in self.entries:
            self._row(number, {column: " ".join(texts) for column, texts in cells.items()})

    def _row(self, number: int, cells: dict[str, str]) -> None:
        if cells.get("MATCHUP") and cells.get("MATCHUP") != self.carry["MATCHUP"]:
            self.carry["TEAM_NAME"] = ""  # a new game: its first team is named on this line
        for key in self.carry:
            if cells.get(key):
                self.carry[key] = cells[key]
        where = f"{self.source}: page {number}"
        player, status, reason = (cells.get(c, "") for c in ("PLAYER_NAME", "STATUS", "REASON"))
        silent = NOT_SUBMITTED in _squash(" ".join(cells.values())).upper()
        game = self._game(where)
        if game is None:  # a game outside the league (the All-Star weekend)
            self.outside.append({"GAME_DATE": self.carry["GAME_DATE"], "MATCHUP": self.carry["MATCHUP"],
                                 "TEAM_NAME": self.carry["TEAM_NAME"], "PLAYER_NAME": player,
                                 "STATUS": "NOT YET SUBMITTED" if silent else status})
            return
        if silent:
            self.unsubmitted.append(game)
            return
        if not player or not status:
            raise FeedError(f"{where}: a line with {'a status' if status else 'a player'} but no "
                            f"{'player' if status else 'status'}: {' | '.join(cells.values())!r}")
        if status.upper() not in STATUSES:
            raise FeedError(f"{where}: {player!r} has status {status!r}, not one of {', '.join(STATUSES)}")
        reason = spaced_reason(reason) if self.spaceless else " ".join(reason.split())
        self.rows.append({**game, "PLAYER_NAME": first_last(player, self.spaceless), "STATUS": status.upper(),
                          "REASON": reason, "REASON_KIND": reason_kind(reason)})

    def _game(self, where: str) -> dict[str, str] | None:
        """The carried game and team of the current line, checked and in canonical form; None for a
        game between teams outside the league (neither code of the matchup is a team's)."""
        date, time, matchup, team_name = (self.carry[k] for k in ("GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM_NAME"))
        try:
            day = dt.datetime.strptime(date, "%m/%d/%Y").date()
        except ValueError:
            raise FeedError(f"{where}: game date {date!r} is not MM/DD/YYYY") from None
        clock = re.fullmatch(r"(\d\d):(\d\d)\s*\(ET\)", time)
        if not clock:
            raise FeedError(f"{where}: game time {time!r} is not HH:MM (ET)")
        hour = int(clock.group(1))
        hour = hour if hour == 12 else hour + 12  # every tip-off is between noon and midnight, ET
        pair = re.fullmatch(r"([A-Z]{3})@([A-Z]{3})", matchup.replace(" ", ""))
        if not pair:
            raise FeedError(f"{where}: matchup {matchup!r} is not AWAY@HOME")
        if not team_name:
            raise FeedError(f"{where}: a line of {matchup} {date} names no team")
        team = team_tricode(team_name)
        if team is None and not set(pair.groups()) & set(_team_keys().values()):
            return None
        if team is None:
            raise FeedError(f"{where}: team {team_name!r} is not one nba_api knows")
        if team not in pair.groups():
            raise FeedError(f"{where}: team {team_name!r} ({team}) is not in its matchup {matchup}")
        return {"GAME_DATE": f"{day:%Y-%m-%d}", "GAME_TIME": f"{hour:02d}:{clock.group(2)}",
                "MATCHUP": f"{pair.group(1)}@{pair.group(2)}", "TEAM": team, "TEAM_NAME": _team_name(team_name)}


def _row_edges(rules: list[dict], reason_x: float) -> list[float]:
    """The tops of the horizontal rules (lines, and rects' edges) that cross the reason column: the
    edges of the table's rows."""
    edges: set[float] = set()
    for rule in rules:
        if rule["x0"] > reason_x + 5 or rule["x1"] < reason_x + 40:
            continue
        if rule.get("object_type") == "rect":
            edges.update((round(rule["top"], 1), round(rule["bottom"], 1)))
        elif abs(rule["top"] - rule["bottom"]) < 1.0:
            edges.add(round(rule["top"], 1))
    return sorted(edges)


def _published(match: re.Match, source: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(" ".join(match.groups()), "%m/%d/%y %I:%M %p")
    except ValueError:
        raise FeedError(f"{source}: the title's time {' '.join(match.groups())!r} is not MM/DD/YY HH:MM AM|PM") from None


def first_last(name: str, spaceless: bool = False) -> str:
    """``"Jackson Jr., Jaren"`` -> ``"Jaren Jackson Jr."``; ``"SamuelsJr.,Jermaine"`` (the spaceless
    layout) -> ``"Jermaine Samuels Jr."``; a name without a comma is kept."""
    name = " ".join(name.split())
    if "," not in name:
        return name
    last, first = (part.strip() for part in name.split(",", 1))
    if spaceless:
        last = re.sub(r"(?<=[a-z'])(Jr\.|Sr\.|III|II|IV|V)$", r" \1", last)
    return f"{first} {last}".strip()


def spaced_reason(reason: str) -> str:
    """A reason of the spaceless layout with its spaces back: ``Injury/Illness-LeftKnee;Soreness``
    -> ``Injury/Illness - Left Knee; Soreness``, ``GLeague-Two-Way`` -> ``G League - Two-Way``."""
    text = reason.replace(" ", "")
    text = re.sub(r"^GLeague", "G League", text)
    text = re.sub(r"^(Injury/Illness|G League)-", r"\1 - ", text)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = re.sub(r";(?=\S)", "; ", text)
    return text


def reason_kind(reason: str) -> str:
    """``injury``, ``g_league``, ``rest``, ``personal``, ``suspension``, ``trade_pending`` or ``other``."""
    letters = re.sub(r"[^a-z]", "", reason.lower())
    for kind, marks in REASON_KINDS:
        if any(mark[:-1] in letters if mark.endswith("*") else letters.startswith(mark) for mark in marks):
            return kind
    return "other"


def name_key(name: str) -> str:
    """A name reduced for matching: no accents, case, punctuation, spaces or suffix (Jr., III), so
    ``Jaren Jackson Jr.``, ``Jackson Jr., Jaren`` turned round and the spaceless ``JacksonJr.`` agree."""
    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.sub(r"[^a-z ]", " ", plain.replace("'", "").replace(".", "")).split() if w not in _SUFFIXES]
    return "".join(words)


def team_tricode(name: str) -> str | None:
    """The tricode of a team as the report names it (``LA Clippers``, the spaceless ``HoustonRockets``)."""
    return _team_keys().get(_squash(name).lower())


def _team_name(name: str) -> str:
    """The team's full name with its spaces (the spaceless layout prints ``Philadelphia76ers``)."""
    return _team_names().get(_squash(name).lower(), name)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


_TEAMS: dict[str, str] = {}
_NAMES: dict[str, str] = {}


def _team_keys() -> dict[str, str]:
    if not _TEAMS:
        from nba_api.stats.static import teams

        for team in teams.get_teams():
            _TEAMS[_squash(team["full_name"]).lower()] = team["abbreviation"]
            _NAMES[_squash(team["full_name"]).lower()] = team["full_name"]
        for alias, tricode in TEAM_ALIASES.items():
            _TEAMS[_squash(alias).lower()] = tricode
            _NAMES[_squash(alias).lower()] = alias
    return _TEAMS


def _team_names() -> dict[str, str]:
    _team_keys()
    return _NAMES


def _lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines by their top, each line sorted left to right."""
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _header_bounds(line: list[dict]) -> list[tuple[float, str]] | None:
    """The columns' left edges if this line is the header row (``Game Date`` or ``GameDate``)."""
    text = "".join(w["text"] for w in line)
    if "".join(label for label, _ in HEADER) not in text:
        return None
    bounds, labels = [], iter(HEADER)
    label, column = next(labels)
    pending = ""  # what of the current label the words so far have spelled
    for word in line:
        if not pending and not label.startswith(word["text"]) and word["text"] != label:
            continue
        if not pending:
            bounds.append((word["x0"] - _EDGE_SLACK, column))
        pending += word["text"]
        if pending == label:
            pending = ""
            try:
                label, column = next(labels)
            except StopIteration:
                return bounds
        elif not label.startswith(pending):
            return None
    return None


def _cells(line: list[dict], bounds: list[tuple[float, str]]) -> dict[str, str]:
    cells: dict[str, list[str]] = {column: [] for _, column in bounds}
    edges = [x for x, _ in bounds]
    for word in line:
        index = max((i for i, x in enumerate(edges) if word["x0"] >= x), default=0)
        cells[bounds[index][1]].append(word["text"])
    return {column: " ".join(texts).strip() for column, texts in cells.items()}


def _is_row(cells: dict[str, str]) -> bool:
    """A player's line (or a team's NOT YET SUBMITTED line), not a piece of a wrapped cell."""
    return bool(cells.get("PLAYER_NAME") or cells.get("STATUS")
                or NOT_SUBMITTED in _squash(" ".join(cells.values())).upper())


def _is_furniture(cells: dict[str, str]) -> bool:
    """The page footer (``Page 2 of 3``) and a repeated title line."""
    text = _squash(" ".join(cells.values()))
    return bool(_FOOTER.fullmatch(text)) or text.startswith("InjuryReport:")
