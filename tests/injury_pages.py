"""An independent count of an injury report's statuses, for checking the reader against.

PDFium (``pypdfium2``, another PDF engine than the reader's pdfplumber) reads the text inside the
Current Status column's box, the box found from PDFium's own position of the header's "Current"
and "Reason" words (on a page without a header, the last page's box), and counts the status words
in it; NOT YET SUBMITTED is counted anywhere on the page. Nothing of the reader is used.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

STATUS_WORDS = ("Out", "Doubtful", "Questionable", "Probable", "Available")


def independent_counts(path: Path) -> dict[str, int]:
    """Each status's count, and ``NOT_SUBMITTED``'s, read by PDFium from the status column's box."""
    import pypdfium2 as pdfium

    counts: collections.Counter = collections.Counter()
    document = pdfium.PdfDocument(str(path))
    column: tuple[str, float, float] | None = None
    try:
        for page in document:
            text = page.get_textpage()
            column = _column(text) or column
            if column is None:
                raise ValueError(f"{path}: PDFium finds no Current Status header on the first page")
            width, height = page.get_size()  # the page's own axes (a landscape page may be a rotated portrait)
            axis, low, high = column
            box = (dict(left=low, bottom=0, right=high, top=height) if axis == "x"
                   else dict(left=0, bottom=low, right=width, top=high))
            for word in re.split(r"\s+", text.get_text_bounded(**box)):
                if word in STATUS_WORDS:
                    counts[word.upper()] += 1
            counts["NOT_SUBMITTED"] += len(re.findall(r"NOT\s*YET\s*SUBMITTED", text.get_text_range()))
    finally:
        document.close()
    return {key: value for key, value in counts.items() if value}


def _column(text) -> tuple[str, float, float] | None:
    """The status column on this page, where the page prints the header: the axis the text runs
    along in the page's own space and the column's two edges on it (from "Current" to "Reason")."""
    whole = text.get_text_range()
    header = re.search(r"Current\s*Status\s*Reason", whole)
    if not header:
        return None
    current = text.get_charbox(header.start())
    reason = text.get_charbox(whole.index("Reason", header.start()))
    if abs(reason[0] - current[0]) > abs(reason[1] - current[1]):
        return "x", current[0] - 3, reason[0] - 3
    low, high = sorted((current[1], reason[1]))
    return ("y", low + 3, high + 3) if reason[1] < current[1] else ("y", low - 3, high - 3)


def reader_counts(report) -> dict[str, int]:
    """The same counts from what the reader gave (an ``InjuryReport``): its rows by status, its NOT
    YET SUBMITTED teams, and the lines of games outside the league it set aside (PDFium sees those too)."""
    counts = collections.Counter(report.rows["STATUS"])
    counts["NOT_SUBMITTED"] += len(report.not_submitted)
    for line in report.outside:
        counts["NOT_SUBMITTED" if line["STATUS"] == "NOT YET SUBMITTED" else line["STATUS"].upper()] += 1
    return {key: value for key, value in counts.items() if value}
