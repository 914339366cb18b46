"""The official NBA injury report (a PDF) as a table, on pdfplumber.

The maintained parser, ``nbainjuries``, reads the PDF through tabula-py, so it needs a Java
runtime on the machine that runs the nightly job, and fixed page areas per season. This is a
small reader on pdfplumber (pure Python, maintained) instead: it finds the header row on each page
(``Game Date, Game Time, Matchup, Team, Player Name, Current Status, Reason``), cuts the words
into those columns by their x position, and carries the game and team down the rows that leave
them blank, as the report prints them. A reason that wraps onto the next line is joined.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pandas as pd

from mlflow_nbaprops.errors import FeedError

COLUMNS = ("GAME_DATE", "MATCHUP", "TEAM_NAME", "PLAYER_NAME", "STATUS", "REASON")
#: The report's header words, in order, and the column each starts.
HEADER = (("Game", "GAME_DATE"), ("Game", "GAME_TIME"), ("Matchup", "MATCHUP"), ("Team", "TEAM_NAME"),
          ("Player", "PLAYER_NAME"), ("Current", "STATUS"), ("Reason", "REASON"))
STATUSES = ("OUT", "DOUBTFUL", "QUESTIONABLE", "PROBABLE", "AVAILABLE")
NOT_SUBMITTED = "NOT YET SUBMITTED"
_LINE_TOLERANCE = 3.0  # points: words whose tops differ by less are on one line
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}


def parse_injury_report(pdf: bytes, source: str = "injury report") -> tuple[pd.DataFrame, list[str]]:
    """``(rows, teams_not_submitted)``: one row per listed player (``COLUMNS``; ``PLAYER_NAME`` as
    "First Last", ``STATUS`` upper case) and the teams whose report says NOT YET SUBMITTED."""
    import pdfplumber

    try:
        document = pdfplumber.open(io.BytesIO(pdf))
    except Exception as exc:  # noqa: BLE001 -- any reader failure: not a PDF we can read
        raise FeedError(f"{source}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    rows: list[dict[str, str]] = []
    unsubmitted: list[str] = []
    bounds: list[tuple[float, str]] | None = None
    carry = {"GAME_DATE": "", "GAME_TIME": "", "MATCHUP": "", "TEAM_NAME": ""}
    with document:
        for number, page in enumerate(document.pages, start=1):
            lines = _lines(page.extract_words(keep_blank_chars=False))
            start = 0
            for i, words in enumerate(lines):
                found = _header_bounds(words)
                if found:
                    bounds, start = found, i + 1
                    break
            if bounds is None:
                raise FeedError(f"{source}: page {number} has no header row "
                                f"({', '.join(h for h, _ in HEADER)}): the report's layout changed?")
            for words in lines[start:]:
                cells = _cells(words, bounds)
                if not any(cells.values()) or _is_page_furniture(cells):
                    continue
                for key in carry:
                    if cells.get(key):
                        carry[key] = cells[key]
                if cells.get("MATCHUP") and not cells.get("TEAM_NAME"):
                    carry["TEAM_NAME"] = ""
                player, status, reason = cells.get("PLAYER_NAME", ""), cells.get("STATUS", ""), cells.get("REASON", "")
                if NOT_SUBMITTED in f"{status} {reason}".upper() and not player:
                    unsubmitted.append(carry["TEAM_NAME"])
                    continue
                if not player and not status and reason and rows:  # a wrapped reason
                    rows[-1]["REASON"] = f"{rows[-1]['REASON']} {reason}".strip()
                    continue
                if not player:
                    continue
                if status.upper() not in STATUSES:
                    raise FeedError(f"{source}: page {number}: {player!r} has status {status!r}, not one of "
                                    f"{', '.join(STATUSES)}")
                rows.append({"GAME_DATE": carry["GAME_DATE"], "MATCHUP": carry["MATCHUP"],
                             "TEAM_NAME": carry["TEAM_NAME"], "PLAYER_NAME": first_last(player),
                             "STATUS": status.upper(), "REASON": reason})
    return pd.DataFrame(rows, columns=list(COLUMNS)), unsubmitted


def first_last(name: str) -> str:
    """``"Jackson Jr., Jaren"`` -> ``"Jaren Jackson Jr."``; a name without a comma is kept."""
    if "," not in name:
        return name.strip()
    last, first = (part.strip() for part in name.split(",", 1))
    return f"{first} {last}".strip()


def name_key(name: str) -> str:
    """A name reduced for matching: no accents, case, punctuation or suffix (Jr., III)."""
    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.sub(r"[^a-z ]", " ", plain.replace("'", "").replace(".", "")).split() if w not in _SUFFIXES]
    return " ".join(words)


def _lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines by their top, each line sorted left to right."""
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _header_bounds(words: list[dict]) -> list[tuple[float, str]] | None:
    """The columns' left edges if this line is the header row."""
    texts = [w["text"] for w in words]
    bounds, at = [], 0
    for label, column in HEADER:
        try:
            at = texts.index(label, at)
        except ValueError:
            return None
        bounds.append((words[at]["x0"], column))
        at += 1
    return bounds


def _cells(words: list[dict], bounds: list[tuple[float, str]]) -> dict[str, str]:
    cells: dict[str, list[str]] = {column: [] for _, column in bounds}
    edges = [x for x, _ in bounds]
    for word in words:
        index = max((i for i, x in enumerate(edges) if word["x0"] >= x - 1.0), default=0)
        cells[bounds[index][1]].append(word["text"])
    return {column: " ".join(texts).strip() for column, texts in cells.items()}


def _is_page_furniture(cells: dict[str, str]) -> bool:
    """The page footer ("Page 2 of 3") and a repeated title line."""
    text = " ".join(cells.values())
    return bool(re.fullmatch(r"Page \d+ of \d+", text.strip())) or text.startswith("Injury Report:")
