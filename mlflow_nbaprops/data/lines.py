"""Player PRA props from the books: one row per player-game and book, validated, then one market
row per player-game (the consensus line, the best price on each side and its book, one chosen book).

A props file (``../shared/data/market/props_pra_*``; The Odds API's ``player_points_rebounds_assists``
market) has ``GAME_ID, GAME_DATE, PLAYER_ID[, PLAYER_NAME], BOOK, LINE_PRA, ODDS_OVER, ODDS_UNDER
[, TIMESTAMP]``; a canonical game-log file may carry one book's ``LINE_PRA``/``ODDS_OVER``/
``ODDS_UNDER`` itself (the synthetic league's bookmaker: book ``"in the game logs"``).

Validation follows the game logs' standard (file, column, first rows): a line outside 0-150, odds that
are not American odds (+100 or more, -100 or less; one side may be empty: a book quoting one side
only), a quote with neither price. The same book twice for one player-game keeps its latest quote
(``TIMESTAMP``; the first where they tie) and the others are counted and reported, as are quotes
stamped more than a day after their game's date (not a pre-game price), and quotes priced against their
line (a line a point or more below the books' median whose over is an underdog, or above it a
favourite: over and under prices swapped at the source); a book pricing more than 5 % of its quotes
so is set aside whole. Rows whose player-game is
not in the game logs are set aside, counted and reported: props of playoff games or of names a book
spells its own way.

The market row of a player-game:

- ``line``: the consensus line, the median of the books' lines;
- ``p_market``: the books' vig-free probability of the over at their own lines, the median;
- ``best_over_*`` / ``best_under_*``: the bet a line shopper takes on each side -- the lowest line for
  the over (the highest for the under), at the best price among the books quoting it -- and its book;
- ``book_*``: the chosen book's line and prices (``book``; by default the book quoting the most player-games).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.data.loader import PathLike, _as_text, _dates, _game_id, _numbers, _read_file, find_files
from mlflow_nbaprops.data.validation import Problem, RowFlags, format_problems
from mlflow_nbaprops.data.version import DIGEST_LENGTH, content_digest
from mlflow_nbaprops.errors import DataLoadError, DataValidationError

_logger = logging.getLogger(__name__)

PROPS_COLUMNS: tuple[str, ...] = ("GAME_ID", "GAME_DATE", "PLAYER_ID", "PLAYER_NAME", "BOOK", "LINE_PRA",
                                  "ODDS_OVER", "ODDS_UNDER")
PROPS_REQUIRED: tuple[str, ...] = ("GAME_ID", "PLAYER_ID", "BOOK", "LINE_PRA", "ODDS_OVER", "ODDS_UNDER")
#: The book of a line carried in the game logs themselves (the synthetic league's bookmaker).
LOG_BOOK = "in the game logs"
MAX_LINE = 150.0
#: Where the props come from and what they cover, for every figure computed on them.
COVERAGE_NOTE = ("rows with a real line only: props quoted at tip-off for games that started on the same UTC date "
                 "(early tip-offs, more of them in March-April), about a quarter of the season")


def american_to_decimal(odds) -> np.ndarray:
    """Decimal odds (stake included) of American odds: -110 -> 1.909, +150 -> 2.5."""
    odds = np.asarray(odds, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(odds < 0, 1.0 + 100.0 / -odds, 1.0 + odds / 100.0)


def implied(odds) -> np.ndarray:
    """The probability a price implies (vig included): -110 -> 0.524."""
    return 1.0 / american_to_decimal(odds)


def vig_free_over(odds_over, odds_under) -> np.ndarray:
    """The book's probability of the over with its margin removed (the two implied probabilities
    normalised to sum to one)."""
    over, under = implied(odds_over), implied(odds_under)
    return over / (over + under)


@dataclass(frozen=True)
class LinesVersion:
    digest: str
    rows: int
    player_games: int
    books: tuple[str, ...]
    source: str

    def summary(self) -> str:
        return (f"{self.rows:,} quotes of {self.player_games:,} player-games from {len(self.books)} book(s) "
                f"({', '.join(self.books[:10])}), source {self.source}")


@dataclass
class Lines:
    """Canonical props (``quotes``: one row per player-game and book) and what was set aside."""

    quotes: pd.DataFrame
    files: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    note: str = COVERAGE_NOTE

    @cached_property
    def version(self) -> LinesVersion:
        sha = content_digest(self.quotes, PROPS_COLUMNS)
        return LinesVersion(digest=sha[:DIGEST_LENGTH], rows=len(self.quotes),
                            player_games=len(self.quotes.drop_duplicates(["GAME_ID", "PLAYER_ID"])),
                            books=tuple(pd.unique(self.quotes["BOOK"])), source=_source(self.files))

    @property
    def books(self) -> list[str]:
        return list(pd.unique(self.quotes["BOOK"]))

    def market(self, book: str | None = None) -> pd.DataFrame:
        """One row per player-game: consensus, best prices, the chosen ``book``'s quote (see module doc)."""
        return market_rows(self.quotes, book)


def load_lines(paths: PathLike | Iterable[PathLike], logs: pd.DataFrame | None = None) -> Lines:
    """Load and validate props files, checked against canonical game ``logs`` when given."""
    files = find_files(paths, what="props")
    flags = RowFlags()
    parts = []
    for path in files:
        raw = _read_file(path, "props")
        missing = [c for c in PROPS_REQUIRED if c not in raw.columns]
        if missing:
            raise DataValidationError(
                f"{path}: a props file is missing required column(s) {', '.join(missing)} "
                f"(has: {', '.join(map(str, raw.columns))[:300]})",
                [Problem("missing_columns", ", ".join(missing), "missing required columns", len(raw), {str(path): []})])
        parts.append(_canonical(raw, str(path), flags))
    quotes = pd.concat(parts, ignore_index=True)
    return _finish(quotes, flags, logs, [str(f) for f in files])


def lines_from_logs(logs: pd.DataFrame) -> Lines:
    """The one book a canonical game-log frame carries in ``LINE_PRA``/``ODDS_OVER``/``ODDS_UNDER``."""
    if "LINE_PRA" not in logs.columns or logs["LINE_PRA"].notna().sum() == 0:
        raise DataLoadError("the game logs carry no LINE_PRA: give a props file (--lines)")
    priced = logs[logs["LINE_PRA"].notna()]
    raw = pd.DataFrame({"GAME_ID": priced["GAME_ID"].to_numpy(), "GAME_DATE": priced["GAME_DATE"].to_numpy(),
                        "PLAYER_ID": priced["PLAYER_ID"].to_numpy(), "PLAYER_NAME": priced["PLAYER_NAME"].to_numpy(),
                        "BOOK": LOG_BOOK, "LINE_PRA": priced["LINE_PRA"].to_numpy(),
                        "ODDS_OVER": priced.get("ODDS_OVER", pd.Series(-110.0, index=priced.index)).to_numpy(),
                        "ODDS_UNDER": priced.get("ODDS_UNDER", pd.Series(-110.0, index=priced.index)).to_numpy()})
    flags = RowFlags()
    return _finish(_canonical(raw, "the game logs", flags), flags, logs, ["the game logs"],
                   note="rows with a line in the game logs (the league's own bookmaker)")


def market_rows(quotes: pd.DataFrame, book: str | None = None) -> pd.DataFrame:
    """One market row per player-game of ``quotes`` (see the module doc)."""
    if len(quotes) == 0:
        return pd.DataFrame(columns=["GAME_ID", "PLAYER_ID", "line", "p_market", "books"])
    q = quotes.copy()
    q["_p"] = vig_free_over(q["ODDS_OVER"], q["ODDS_UNDER"])
    q["_dec_over"], q["_dec_under"] = american_to_decimal(q["ODDS_OVER"]), american_to_decimal(q["ODDS_UNDER"])
    keys = ["GAME_ID", "PLAYER_ID"]
    grouped = q.groupby(keys, sort=False)
    out = grouped.agg(GAME_DATE=("GAME_DATE", "first"), line=("LINE_PRA", "median"), p_market=("_p", "median"),
                      books=("BOOK", "size")).reset_index()
    # line shopping: the over at the lowest line (best price there), the under at the highest
    over = q.sort_values([*keys, "LINE_PRA", "_dec_over"], ascending=[True, True, True, False], kind="mergesort")
    over = over.drop_duplicates(keys)[[*keys, "LINE_PRA", "ODDS_OVER", "BOOK"]].set_axis(
        [*keys, "best_over_line", "best_over_odds", "best_over_book"], axis=1)
    under = q.sort_values([*keys, "LINE_PRA", "_dec_under"], ascending=[True, False, False, False], kind="mergesort")
    under = under.drop_duplicates(keys)[[*keys, "LINE_PRA", "ODDS_UNDER", "BOOK"]].set_axis(
        [*keys, "best_under_line", "best_under_odds", "best_under_book"], axis=1)
    out = out.merge(over, on=keys, how="left").merge(under, on=keys, how="left")
    if book is not None and book not in set(q["BOOK"]):
        raise DataLoadError(f"book {book!r} quotes none of these props; books: {', '.join(sorted(set(q['BOOK'])))}")
    chosen = book if book is not None else str(q["BOOK"].value_counts().index[0])
    mine = q[q["BOOK"] == chosen][[*keys, "LINE_PRA", "ODDS_OVER", "ODDS_UNDER"]].set_axis(
        [*keys, "book_line", "book_odds_over", "book_odds_under"], axis=1)
    out = out.merge(mine, on=keys, how="left")
    out["book"] = chosen
    return out


# --------------------------------------------------------------------------- internals

#: A quote's line this far from the books' median, and its vig-free P(over) this far on the wrong side
#: of even money, is priced against its line: no coherent book makes the over an underdog at a lower line.
AGAINST_LINE_POINTS, AGAINST_LINE_MARGIN = 1.0, 0.10
#: A book pricing more than this share of its quotes against their line is set aside whole (on 2023-24's
#: props two books of one platform price ~40 % so, every other book none; their remaining quotes
#: returned -30 % to +39 % by side and line offset: no price either).
UNTRUSTED_BOOK_SHARE = 0.05


def _priced_against_line(quotes: pd.DataFrame) -> np.ndarray:
    """Quotes whose price moves the wrong way for their line against the other books': a line below the
    player-game's median line whose over is priced below 0.5 - margin (or above it, over 0.5 + margin).
    On the 2023-24 props these are two books' (the same platform's) quotes, whose over and under prices
    look swapped: betting the over blind at their lower lines returned +25 %."""
    if len(quotes) == 0:
        return np.zeros(0, dtype=bool)
    median = quotes.groupby(["GAME_ID", "PLAYER_ID"], sort=False)["LINE_PRA"].transform("median").to_numpy(float)
    off = quotes["LINE_PRA"].to_numpy(float) - median
    p_over = np.asarray(vig_free_over(quotes["ODDS_OVER"], quotes["ODDS_UNDER"]), dtype=float)
    with np.errstate(invalid="ignore"):
        low = (off <= -AGAINST_LINE_POINTS) & (p_over < 0.5 - AGAINST_LINE_MARGIN)
        high = (off >= AGAINST_LINE_POINTS) & (p_over > 0.5 + AGAINST_LINE_MARGIN)
    return low | high


def _source(files: list[str]) -> str:
    return files[0] if len(files) == 1 else f"{len(files)} files"


def _canonical(raw: pd.DataFrame, source: str, flags: RowFlags) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    out["_file"] = source
    out["_row"] = np.arange(1, len(raw) + 1)
    out["GAME_ID"] = _game_id(raw["GAME_ID"])
    if "GAME_DATE" in raw.columns:
        out["GAME_DATE"] = _dates(raw["GAME_DATE"], source, flags, out)
    out["PLAYER_ID"] = _numbers(raw["PLAYER_ID"], "PLAYER_ID", source, flags, out)
    if "PLAYER_NAME" in raw.columns:
        out["PLAYER_NAME"] = _as_text(raw["PLAYER_NAME"])
    book = _as_text(raw["BOOK"]).str.strip()
    empty = book.isna() | (book == "")
    if empty.any():
        flags.add(source, "missing_value", "BOOK", "empty value in required column", out["_row"][empty])
    out["BOOK"] = book
    line = _numbers(raw["LINE_PRA"], "LINE_PRA", source, flags, out)
    bad = line.isna() | (line < 0) | (line > MAX_LINE) | ~np.isfinite(line.fillna(0.0))
    already = out["_row"].isin(flags.flagged(source, "LINE_PRA"))
    if (bad & ~already).any():
        flags.add(source, "impossible_line", "LINE_PRA", f"a line outside 0..{MAX_LINE:g} (or empty)",
                  out["_row"][bad & ~already], line[bad & ~already])
    out["LINE_PRA"] = line
    for col in ("ODDS_OVER", "ODDS_UNDER"):
        odds = _numbers(raw[col], col, source, flags, out)
        bad = odds.notna() & ((odds.abs() < 100) | ~np.isfinite(odds.fillna(0.0)) | (odds.abs() > 100_000))
        already = out["_row"].isin(flags.flagged(source, col))
        if (bad & ~already).any():
            flags.add(source, "not_american_odds", col, "not American odds (+100 or more, or -100 or less)",
                      out["_row"][bad & ~already], odds[bad & ~already])
        out[col] = odds
    neither = out["ODDS_OVER"].isna() & out["ODDS_UNDER"].isna() & ~out["_row"].isin(
        flags.flagged(source, "ODDS_OVER") | flags.flagged(source, "ODDS_UNDER"))
    if neither.any():
        flags.add(source, "missing_value", "ODDS_OVER, ODDS_UNDER", "a quote with neither price", out["_row"][neither])
    if "TIMESTAMP" in raw.columns:
        stamp = pd.to_datetime(_as_text(raw["TIMESTAMP"]).str.strip(), errors="coerce", utc=True, format="ISO8601")
        out["_stamp"] = stamp.dt.tz_localize(None)
    return out


def _finish(quotes: pd.DataFrame, flags: RowFlags, logs: pd.DataFrame | None, files: list[str],
            note: str = COVERAGE_NOTE) -> Lines:
    problems = flags.problems()
    if problems:
        raise DataValidationError(format_problems(problems, "props"), problems)
    skipped: dict[str, int] = {}
    if "_stamp" in quotes and "GAME_DATE" in quotes:  # a price stamped a day after its game is no pre-game price
        late = (quotes["_stamp"] > quotes["GAME_DATE"] + pd.Timedelta(hours=36)).to_numpy()
        if late.any():
            skipped["quotes stamped more than a day after their game's date (not a pre-game price): skipped"] = \
                int(late.sum())
            quotes = quotes.loc[~late]
    order = ["GAME_ID", "PLAYER_ID", "BOOK", *(["_stamp"] if "_stamp" in quotes else [])]
    quotes = quotes.sort_values(order, kind="mergesort", na_position="first")
    twice = quotes.duplicated(["GAME_ID", "PLAYER_ID", "BOOK"], keep="last").to_numpy()
    if twice.any():
        skipped["quotes of a book it quoted again for the same player-game (its latest kept): skipped"] = \
            int(twice.sum())
        quotes = quotes.loc[~twice]
    against = _priced_against_line(quotes)
    if against.any():
        share = pd.Series(against, index=quotes.index).groupby(quotes["BOOK"]).mean()
        untrusted = share[share > UNTRUSTED_BOOK_SHARE]
        whole = quotes["BOOK"].isin(untrusted.index).to_numpy()
        if whole.any():  # so many swapped prices that its other quotes are no price to trust either
            skipped[f"quotes of books that price more than {UNTRUSTED_BOOK_SHARE * 100:g} % of their quotes against their "
                    "line, set aside whole ("
                    f"{', '.join(f'{b} {v:.0%}' for b, v in untrusted.sort_values(ascending=False).items())}): "
                    "skipped"] = int(whole.sum())
        alone = against & ~whole
        if alone.any():
            books = quotes.loc[alone, "BOOK"].value_counts()
            skipped["quotes priced against their line (a line at least a point below the books' median with the "
                    f"over an underdog, or above it with the over a favourite: over and under prices swapped?; "
                    f"{', '.join(f'{b} {n}' for b, n in books.items())}): skipped"] = int(alone.sum())
        quotes = quotes.loc[~(whole | alone)]
    if logs is not None:
        known = pd.MultiIndex.from_frame(logs[["GAME_ID", "PLAYER_ID"]].astype({"GAME_ID": object, "PLAYER_ID": "int64"}))
        here = pd.MultiIndex.from_arrays([quotes["GAME_ID"].to_numpy(object),
                                          quotes["PLAYER_ID"].astype("int64").to_numpy()]).isin(known)
        games = quotes["GAME_ID"].isin(set(logs["GAME_ID"])).to_numpy()
        if (~games).any():
            skipped["props rows of games not in the game logs: skipped"] = int((~games).sum())
        if (games & ~here).any():
            skipped["props rows of players without a box score in that game (did not play, or another id): skipped"] = \
                int((games & ~here).sum())
        quotes = quotes.loc[here]
        dates = logs.drop_duplicates("GAME_ID").set_index("GAME_ID")["GAME_DATE"]
        quotes = quotes.assign(GAME_DATE=dates.reindex(quotes["GAME_ID"]).to_numpy())
    for what, count in skipped.items():
        _logger.warning("lines: %d %s", count, what)
    quotes = quotes.drop(columns=["_file", "_row", "_stamp"], errors="ignore").astype({"PLAYER_ID": "int64"})
    quotes = quotes.sort_values(["GAME_DATE", "GAME_ID", "PLAYER_ID", "BOOK"], kind="mergesort") \
        if "GAME_DATE" in quotes else quotes
    return Lines(quotes.reset_index(drop=True), files, skipped, note)


__all__ = ["COVERAGE_NOTE", "LOG_BOOK", "Lines", "LinesVersion", "american_to_decimal", "implied", "lines_from_logs",
           "load_lines", "market_rows", "vig_free_over"]
