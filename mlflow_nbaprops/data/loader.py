"""Read game-log files (nba_api ``leaguegamefinder`` or canonical) into the canonical schema.

The one public entry is :func:`load_gamelogs`. Reading is tolerant about layout
(file, files, folder; CSV, gzipped CSV, Parquet; nba_api or canonical column names)
and strict about content: every row either passes validation or is reported with
its file, column and row number. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, Union

import numpy as np
import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.data.validation import Problem, RowFlags, format_problems, validate_frame
from mlflow_nbaprops.errors import DataLoadError, DataValidationError

_logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")

#: The text dtype pandas gives a column of Python strings ("str" on pandas 3, object before).
TEXT_DTYPE = pd.Series(["x"]).dtype


@dataclass
class GameLogs:
    """The result of :func:`load_gamelogs`.

    ``frame`` holds the valid rows in the canonical schema, sorted by date, game, team
    and player. ``quarantined`` holds the rows set aside (only with
    ``on_bad_rows="quarantine"``), with their ``_file``, ``_row`` and ``reason``.
    """

    frame: pd.DataFrame
    files: list[str]
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)

    @cached_property
    def version(self):
        """The full-content :class:`~mlflow_nbaprops.data.version.DataVersion` of ``frame``."""
        from mlflow_nbaprops.data.version import data_version

        return data_version(self.frame, source=_describe_source(self.files))


def find_files(paths: PathLike | Iterable[PathLike], what: str = "game-log") -> list[Path]:
    """Expand files and folders into the sorted list of ``what`` files (tables) they name."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and _has_suffix(p))
            if not inside:
                raise DataLoadError(f"{path}: folder has no {what} files ({', '.join(SUFFIXES)})")
            found.extend(inside)
        elif path.is_file():
            if not _has_suffix(path):
                raise DataLoadError(f"{path}: unsupported file type (expected {', '.join(SUFFIXES)})")
            found.append(path)
        else:
            raise DataLoadError(f"{path}: no such file or folder")
    if not found:
        raise DataLoadError(f"no {what} paths given")
    return found


def load_gamelogs(
    paths: PathLike | Iterable[PathLike],
    *,
    on_bad_rows: Literal["raise", "quarantine"] = "raise",
) -> GameLogs:
    """Load and validate game logs from a file, several files or a folder.

    With ``on_bad_rows="raise"`` (the default) any invalid row raises
    :class:`DataValidationError` naming file, column and rows. With ``"quarantine"``
    the invalid rows are set aside in ``GameLogs.quarantined``, counted, and logged.
    Missing required columns always raise: no row of such a file can be used.
    """
    if on_bad_rows not in ("raise", "quarantine"):
        raise ValueError(f"on_bad_rows must be 'raise' or 'quarantine', not {on_bad_rows!r}")
    files = find_files(paths)
    flags = RowFlags()
    parts = [_canonicalize(_read_file(path), str(path), flags) for path in files]
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    problems = validate_frame(frame, flags)
    quarantined = pd.DataFrame()
    if problems:
        if on_bad_rows == "raise":
            raise DataValidationError(format_problems(problems), problems)
        bad = flags.mask(frame)
        quarantined = frame.loc[bad].assign(reason=flags.reasons(frame)[bad]).reset_index(drop=True)
        frame = frame.loc[~bad]
        _logger.warning(
            "quarantined %d of %d rows:\n%s", int(bad.sum()), len(bad), format_problems(problems)
        )
    return GameLogs(frame=_finish(frame), files=[str(f) for f in files], quarantined=quarantined, problems=problems)


def canonicalize_frame(raw: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Validate an in-memory frame (nba_api or canonical names) and return it canonical.

    Raises :class:`DataValidationError` on any invalid row, like :func:`load_gamelogs`.
    """
    flags = RowFlags()
    frame = _canonicalize(raw.reset_index(drop=True), source, flags)
    problems = validate_frame(frame, flags)
    if problems:
        raise DataValidationError(format_problems(problems), problems)
    return _finish(frame)


def write_gamelogs(frame: pd.DataFrame, path: PathLike) -> Path:
    """Write a canonical frame as ``.csv``, ``.csv.gz`` or ``.parquet`` (by extension), atomically."""
    out = frame.copy()
    out["GAME_DATE"] = out["GAME_DATE"].dt.strftime("%Y-%m-%d")
    return write_table(out, path)


def write_table(frame: pd.DataFrame, path: PathLike) -> Path:
    """Write any table as ``.csv``, ``.csv.gz`` or ``.parquet`` (by extension), atomically:
    a failed write leaves no partial file behind."""
    path = Path(path)
    if not _has_suffix(path):
        raise DataLoadError(f"{path}: unsupported output type (expected {', '.join(SUFFIXES)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if path.name.endswith(".parquet"):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, compression="gzip" if path.name.endswith(".gz") else None)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_table(path: PathLike, what: str = "a table") -> pd.DataFrame:
    """Read a ``.csv``, ``.csv.gz`` or ``.parquet`` table (a slate, a predictions file) as it
    is, text cells as text; any failure becomes a :class:`DataLoadError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataLoadError(f"{path}: no such file")
    if not _has_suffix(path):
        raise DataLoadError(f"{path}: unsupported file type (expected {', '.join(SUFFIXES)})")
    try:
        frame = pd.read_parquet(path) if path.name.endswith(".parquet") else pd.read_csv(path, dtype=str)
    except Exception as exc:
        raise DataLoadError(f"{path}: cannot be read as {what}: {exc}") from exc
    if len(frame) == 0:
        raise DataLoadError(f"{path}: {what} with no rows")
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    return frame


# --------------------------------------------------------------------------- internals


def _has_suffix(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def _describe_source(files: Sequence[str]) -> str:
    if len(files) == 1:
        return files[0]
    parents = {str(Path(f).parent) for f in files}
    where = parents.pop() if len(parents) == 1 else "several folders"
    return f"{len(files)} files in {where}"


def _read_file(path: Path, what: str = "game logs") -> pd.DataFrame:
    try:
        if path.name.endswith(".parquet"):
            raw = pd.read_parquet(path)
        else:
            raw = pd.read_csv(path, dtype={"GAME_ID": str, "SEASON_ID": str, "SEASON": str}, low_memory=False)
    except Exception as exc:  # translate any reader failure at the boundary, naming the file
        raise DataLoadError(f"{path}: cannot be read as {what}: {exc}") from exc
    if len(raw) == 0:
        raise DataLoadError(f"{path}: has no rows (a header only)")
    raw.columns = [str(c).strip().upper() for c in raw.columns]
    return raw


def _canonicalize(raw: pd.DataFrame, source: str, flags: RowFlags) -> pd.DataFrame:
    """Map one file's columns onto the canonical schema, recording unparseable cells in ``flags``."""
    # nba_api names -> canonical ones (a file that already has the canonical column keeps it)
    raw = raw.rename(columns={k: v for k, v in schema.NBA_API_RENAMES.items() if v not in raw.columns})
    missing = [c for c in schema.REQUIRED_COLUMNS if c not in raw.columns and not _derivable(c, raw)]
    if missing:
        raise DataValidationError(
            f"{source}: missing required column(s) {', '.join(missing)} "
            f"(has: {', '.join(map(str, raw.columns))})",
            [Problem("missing_columns", ", ".join(missing), "missing required columns", len(raw), {source: []})],
        )
    out = pd.DataFrame(index=raw.index)
    out["_file"] = source
    out["_row"] = np.arange(1, len(raw) + 1)

    out["GAME_ID"] = _game_id(raw["GAME_ID"])
    out["GAME_DATE"] = _dates(raw["GAME_DATE"], source, flags, out)
    for col in schema.NUMERIC_COLUMNS:
        if col in raw.columns:
            out[col] = _numbers(raw[col], col, source, flags, out)
    for col in schema.TEXT_COLUMNS:
        if col in raw.columns and col not in out.columns:
            out[col] = _as_text(raw[col])
    if "TEAM" in raw.columns:
        out["TEAM"] = _as_text(raw["TEAM"]).str.strip()
    if "OPPONENT" not in raw.columns or "HOME" not in raw.columns:
        _from_matchup(raw, out, source, flags)
    if "OPPONENT" in raw.columns:
        out["OPPONENT"] = _as_text(raw["OPPONENT"]).str.strip()
    for col in schema.BOOL_COLUMNS:
        if col in raw.columns:
            out[col] = _bools(raw[col], col, source, flags, out)
    if "SEASON" not in raw.columns:
        out["SEASON"] = _season(raw, out["GAME_DATE"])
    for col in schema.REQUIRED_COLUMNS:
        nulls = out[col].isna() & ~out["_row"].isin(flags.flagged(source, col))
        if nulls.any():
            flags.add(source, "missing_value", col, "empty value in required column", out["_row"][nulls])
    ordered = ["_file", "_row", *[c for c in schema.CANONICAL_COLUMNS if c in out.columns]]
    return out[ordered]


def _derivable(column: str, raw: pd.DataFrame) -> bool:
    if column in ("OPPONENT", "HOME"):
        return "MATCHUP" in raw.columns
    if column == "SEASON":
        return "GAME_DATE" in raw.columns
    return False


def _as_text(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == TEXT_DTYPE and values.dtype != object:
        return values.astype(TEXT_DTYPE)
    codes, uniques = pd.factorize(values)
    return _take([str(u) for u in uniques], codes, values.index).astype(TEXT_DTYPE)


def _game_id(values: pd.Series) -> pd.Series:
    """GAME_ID is text; numeric IDs (lost leading zeros) are padded back to nba_api's 10 digits."""
    if pd.api.types.is_numeric_dtype(values):
        return _as_text(values.map(lambda v: f"{int(v):010d}" if pd.notna(v) else v))
    return _as_text(values).str.strip()


def _dates(values: pd.Series, source: str, flags: RowFlags, out: pd.DataFrame) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = _as_text(values).str.strip()
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        retry = parsed.isna() & text.notna()
        if retry.any():  # e.g. nba_api's older "APR 10, 2019"
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
        bad = parsed.isna() & text.notna()
        if bad.any():
            flags.add(source, "unparseable_date", "GAME_DATE", "unparseable date", out["_row"][bad], text[bad])
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.normalize().astype("datetime64[ns]")


def _numbers(values: pd.Series, col: str, source: str, flags: RowFlags, out: pd.DataFrame) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        text = _as_text(values).str.strip()
        number = pd.to_numeric(text, errors="coerce")
        bad = number.isna() & text.notna() & (text != "")
        if bad.any():
            flags.add(source, "not_numeric", col, "text in numeric column", out["_row"][bad], text[bad])
        values = number
    values = values.astype("float64")
    if col in schema.INT_COLUMNS:
        fractional = values.notna() & (values != np.floor(values))
        if fractional.any():
            flags.add(source, "not_integer", col, "fraction in whole-number column", out["_row"][fractional], values[fractional])
    return values


def _bools(values: pd.Series, col: str, source: str, flags: RowFlags, out: pd.DataFrame) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool)
    text = _as_text(values).str.strip().str.lower()
    parsed = text.map(schema.BOOLEAN_WORDS)
    bad = parsed.isna() & text.notna()
    if bad.any():
        flags.add(source, "not_boolean", col, "not a true/false value", out["_row"][bad], values[bad])
    return parsed.astype(object)


def _from_matchup(raw: pd.DataFrame, out: pd.DataFrame, source: str, flags: RowFlags) -> None:
    """Derive OPPONENT and HOME from nba_api's MATCHUP, parsed against the row's own team.

    ``"LAL vs. BOS"``: LAL at home against BOS; ``"LAL @ BOS"``: LAL away at BOS. Neutral-site
    rows carry the same ``"AWAY @ HOME"`` text for both teams, so the row's team may be either
    name: the other name is the opponent and HOME means "the designated home team".
    """
    text = _as_text(raw["MATCHUP"])
    codes, uniques = pd.factorize(text)  # a season has ~2,500 distinct MATCHUPs: parse those once
    parsed = [_split_matchup(m) for m in uniques]
    left = _take([p[0] for p in parsed], codes, out.index)
    at = _take([p[1] for p in parsed], codes, out.index).eq(True).to_numpy()
    right = _take([p[2] for p in parsed], codes, out.index)
    team = out["TEAM"]
    is_left, is_right = (team == left).to_numpy(), (team == right).to_numpy()
    out["OPPONENT"] = right.where(is_left, left.where(is_right)).astype(TEXT_DTYPE)
    # left team is home for "vs.", right team is home for "@"
    home = pd.Series(np.where(is_left, ~at, at), index=out.index, dtype=object)
    home[~(is_left | is_right)] = None
    out["HOME"] = home
    bad = text.notna() & ~(is_left | is_right)
    if bad.any():
        flags.add(source, "team_mismatch", "MATCHUP", "MATCHUP does not name the row's TEAM", out["_row"][bad], text[bad])


def _split_matchup(matchup: str) -> tuple[str | None, bool | None, str | None]:
    parts = str(matchup).split()
    if len(parts) == 3 and parts[1] in ("@", "vs.", "vs"):
        return parts[0], parts[1] == "@", parts[2]
    return None, None, None


def _take(values: list, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values[codes]`` as a Series, with code -1 (missing) giving None."""
    table = np.array(values + [None], dtype=object)
    return pd.Series(table[codes], index=index, dtype=object)


def _season(raw: pd.DataFrame, dates: pd.Series) -> pd.Series:
    """SEASON from SEASON_ID (``22023`` -> ``2023-24``), else SEASON_LABEL, else the date."""
    start = pd.Series(schema.season_start_year(dates.dt.year, dates.dt.month), index=dates.index)
    if "SEASON_ID" in raw.columns:
        sid = pd.to_numeric(_as_text(raw["SEASON_ID"]).str.strip().str[-4:], errors="coerce")
        start = sid.where(sid.notna(), start)
    elif "SEASON_LABEL" in raw.columns:
        lab = pd.to_numeric(_as_text(raw["SEASON_LABEL"]).str[:4], errors="coerce")
        start = lab.where(lab.notna(), start)
    codes, years = pd.factorize(start)
    return _take([schema.season_label(int(y)) for y in years], codes, dates.index).astype(TEXT_DTYPE)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop bookkeeping columns, fix dtypes, sort canonically."""
    frame = frame.drop(columns=["_file", "_row"])
    for col in schema.INT_COLUMNS:
        if col in frame.columns:
            if frame[col].isna().any():  # optional count with gaps: keep as float, NaN = unknown
                frame[col] = frame[col].astype("float64")
            else:
                frame[col] = frame[col].astype("int64")
    for col in schema.BOOL_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].astype(bool) if frame[col].notna().all() else frame[col].astype("boolean")
    frame = frame.sort_values(["GAME_DATE", "GAME_ID", "TEAM", "PLAYER_ID"], kind="mergesort")
    return frame.reset_index(drop=True)
