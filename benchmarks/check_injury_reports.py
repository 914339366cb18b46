"""Read every official injury report in a folder and reconcile each against an independent count.

    python benchmarks/check_injury_reports.py [FOLDER ...] [--workers 2]

Default folder: ``../shared/data/injury`` (both seasons, 1,024 PDFs). For each file, the reader
(:func:`mlflow_nbaprops.feed.injury.read_injury_report`, pdfplumber) must give every row a game
date, time, matchup, team and status, and its count of each status and of NOT YET SUBMITTED teams
must equal a count taken from the page by another PDF engine: PDFium (``pypdfium2``) reads the
text inside the Current Status column's box (the box found from PDFium's own position of the
header's ``Status`` and ``Reason`` words) and the words ``NOT YET SUBMITTED`` anywhere on the page.
Printed: the files read, the rows by status, every file that failed (reader error or a count that
disagrees), and the wall time with ``--workers`` processes.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from injury_pages import independent_counts, reader_counts  # noqa: E402  -- the tests' counts, the same in both


def check(path: Path) -> tuple[str, dict[str, int], str | None, float]:
    """``(file, reader's counts, problem or None, seconds the reader took)``."""
    from mlflow_nbaprops.errors import FeedError
    from mlflow_nbaprops.feed.injury import read_injury_report

    start = time.perf_counter()
    try:
        report = read_injury_report(path)
    except FeedError as exc:
        return str(path), {}, f"reader: {exc}", time.perf_counter() - start
    took = time.perf_counter() - start
    rows = report.rows
    mine = reader_counts(report)
    empty = [c for c in ("GAME_DATE", "GAME_TIME", "MATCHUP", "TEAM", "STATUS", "PLAYER_NAME")
             if rows[c].fillna("").eq("").any()]
    if empty:
        return str(path), mine, f"rows without {', '.join(empty)}", took
    if report.published is None:
        return str(path), mine, "no publication time in the title", took
    theirs = independent_counts(path)
    differ = {k: (mine.get(k, 0), theirs.get(k, 0)) for k in set(mine) | set(theirs)
              if mine.get(k, 0) != theirs.get(k, 0)}
    if differ:
        return str(path), mine, "counts differ (reader, PDFium): " + ", ".join(
            f"{k} {a} vs {b}" for k, (a, b) in sorted(differ.items())), took
    return str(path), mine, None, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[ROOT.parent / "shared" / "data" / "injury"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = sorted(f for folder in args.folders for f in (folder.rglob("*.pdf") if folder.is_dir() else [folder]))
    if not files:
        sys.exit(f"no PDF in {', '.join(map(str, args.folders))}")
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(check, files, chunksize=8))
    wall = time.perf_counter() - start
    totals: collections.Counter = collections.Counter()
    failed = []
    for name, counts, problem, _ in results:
        totals.update(counts)
        if problem:
            failed.append((name, problem))
    reader_seconds = sum(r[3] for r in results)
    print(f"{len(files)} reports, {len(files) - len(failed)} read and reconciled, {len(failed)} failed")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in totals.most_common()))
    print(f"wall {wall:.1f} s with {args.workers} worker(s) (reader and PDFium count); "
          f"the reader alone {reader_seconds:.1f} s of CPU, {reader_seconds / len(files):.2f} s a report")
    for name, problem in failed:
        print(f"FAILED {name}: {problem}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
