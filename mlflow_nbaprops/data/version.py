"""Data versions: a full-content digest of canonical game logs, plus a human summary.

The digest sees every row and every canonical column, and nothing else: it does not
depend on file names, file layout (CSV vs Parquet, one file or nine) or row order,
and any changed value changes it. It is 32 hex characters, so it fits MLflow's
dataset digest column (36 characters) for ``mlflow.data`` / ``mlflow.log_input``.

How: each column is hashed vectorised (``pandas.util.hash_array``, 64 bits a cell),
the cells of a row are mixed into one 64-bit row hash, the row hashes are sorted
(order independence without sorting the frame) and SHA-256 runs over the schema plus
the sorted row hashes.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from mlflow_nbaprops.data import schema

DIGEST_LENGTH = 32
_THREADS = 2
_DIGEST_FORMAT = "nbaprops-data-v1"
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_ROW_MULT = np.uint64(0x100000001B3)  # FNV-64 prime: combines a row's cells in column order
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_NULL = np.uint64(0x6E756C6C6E756C6C)  # the bits a missing text cell hashes as


@dataclass(frozen=True)
class DataVersion:
    """What a data version says: the digest and a short human summary."""

    digest: str
    rows: int
    players: int
    seasons: tuple[str, ...]
    date_min: str
    date_max: str
    source: str

    def summary(self) -> str:
        seasons = (
            f"{len(self.seasons)} season(s) {self.seasons[0]}..{self.seasons[-1]}" if self.seasons else "0 seasons"
        )
        return (
            f"{self.rows:,} rows, {self.players:,} players, {seasons}, "
            f"{self.date_min}..{self.date_max}, source {self.source}"
        )

    def to_dict(self) -> dict:
        out = asdict(self)
        out["seasons"] = list(self.seasons)
        return out


def content_digest(frame: pd.DataFrame, schema_columns: tuple[str, ...] = schema.CANONICAL_COLUMNS) -> str:
    """The order-independent full-content digest (32 hex chars) of a frame over the ``schema_columns``
    it has (default: the canonical game-log columns)."""
    columns = [c for c in schema_columns if c in frame.columns]
    bounds = np.linspace(0, len(frame), _THREADS + 1).astype(int)
    chunks = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    if len(frame) >= 100_000:  # NumPy releases the GIL: hash row blocks on both cores
        with ThreadPoolExecutor(_THREADS) as pool:
            parts = list(pool.map(lambda chunk: _row_hashes(chunk, columns), chunks))
    else:
        parts = [_row_hashes(chunk, columns) for chunk in chunks]
    row_hash = np.concatenate(parts)
    row_hash.sort()
    header = f"{_DIGEST_FORMAT}|{len(frame)}|" + "|".join(f"{c}:{_kind(frame[c])}" for c in columns)
    sha = hashlib.sha256(header.encode())
    sha.update(row_hash.tobytes())
    return sha.hexdigest()[:DIGEST_LENGTH]


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One well-mixed 64-bit hash per row of ``frame`` over ``columns`` in canonical order."""
    row_hash = np.zeros(len(frame), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position, col in enumerate(columns, start=1):
            # xor and multiplication by an odd constant are invertible, so a changed
            # cell always changes its row's hash; SplitMix64 then spreads the bits
            row_hash ^= _cell_bits(frame[col])
            row_hash *= _ROW_MULT + np.uint64(2 * position)
        return _splitmix64(row_hash)


def data_version(frame: pd.DataFrame, source: str = "<frame>") -> DataVersion:
    """The :class:`DataVersion` of a canonical frame."""
    dates = frame["GAME_DATE"]
    return DataVersion(
        digest=content_digest(frame),
        rows=len(frame),
        players=int(frame["PLAYER_ID"].nunique()),
        seasons=tuple(sorted(map(str, frame["SEASON"].unique()))),
        date_min=dates.min().strftime("%Y-%m-%d") if len(frame) else "",
        date_max=dates.max().strftime("%Y-%m-%d") if len(frame) else "",
        source=source,
    )


def _kind(values: pd.Series) -> str:
    """A dtype family name that is the same however the file stored the column."""
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_numeric_dtype(values):
        return "number"
    return "text"


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser, vectorised: a strong 64-bit bit mixer."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _cell_bits(values: pd.Series) -> np.ndarray:
    """64 bits per cell that depend only on the value, not on how the column is stored."""
    kind = _kind(values)
    if kind == "date":
        return values.astype("datetime64[ns]").to_numpy().view(np.uint64)
    if kind in ("number", "bool"):
        # numbers as float64: 31 (int) and 31.0 (float from a file with gaps) are equal
        if kind == "bool":
            numbers = values.astype("boolean").astype("Float64").to_numpy("float64", na_value=np.nan)
        else:
            numbers = values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        if values.dtype.kind in "iub":  # no -0.0 or NaN possible
            return numbers.view(np.uint64)
        numbers += 0.0  # folds -0.0 into 0.0
        numbers[np.isnan(numbers)] = np.nan  # one NaN bit pattern
        return numbers.view(np.uint64)
    return _text_bits(values)


def _text_bits(values: pd.Series) -> np.ndarray:
    """Hash UTF-8 strings straight from Arrow's buffers, 8 bytes at a time, vectorised.

    Each string's bytes are read as little-endian 64-bit words (the last one masked to
    the string's length) and folded into the row with the same invertible mix as cells.
    """
    arr = _arrow_strings(values)
    n = len(arr)
    width = np.int32 if pa.types.is_string(arr.type) else np.int64
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + n + 1]
    data = arr.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    start, length = offsets[:-1], np.diff(offsets)
    bits = length.astype(np.uint64) * _GOLDEN
    longest = int(length.max()) if n else 0
    if n and longest == int(length.min()):
        blocks = _fixed_width_words(raw[offsets[0] : offsets[-1]], n, longest)
        word_at = lambda k: blocks[:, k // 8]  # noqa: E731
    else:
        padded = np.zeros(len(raw) + 8, dtype=np.uint8)
        padded[: len(raw)] = raw
        # words[i] = the 8 bytes starting at byte i (overlapping, unaligned view; read only)
        words = np.ndarray(shape=(len(raw) + 1,), dtype="<u8", buffer=padded, strides=(1,))

        def word_at(k: int) -> np.ndarray:
            word = words[np.minimum(start + k, len(raw))].astype(np.uint64, copy=False)
            word &= _BYTE_MASKS[np.clip(length - k, 0, 8)]  # keep only this string's bytes
            return word

    with np.errstate(over="ignore"):
        for k in range(0, longest, 8):
            bits ^= word_at(k)
            bits *= _ROW_MULT
            bits ^= bits >> np.uint64(29)
    if arr.null_count:
        bits[arr.is_null().to_numpy(zero_copy_only=False)] = _NULL
    return bits


def _fixed_width_words(data: np.ndarray, n: int, width: int) -> np.ndarray:
    """Strings that all have ``width`` bytes as an (n, ceil(width/8)) array of LE words."""
    blocks = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
    blocks[:, :width] = data.reshape(n, width)
    return blocks.view("<u8").astype(np.uint64, copy=False)


def _arrow_strings(values: pd.Series) -> pa.Array:
    """The column as one contiguous Arrow string array (zero-copy when already Arrow-backed)."""
    backing = getattr(values.array, "_pa_array", None)
    if backing is not None and (pa.types.is_string(backing.type) or pa.types.is_large_string(backing.type)):
        return backing.combine_chunks() if isinstance(backing, pa.ChunkedArray) else backing
    text = [None if v is None or v != v else str(v) for v in values.to_numpy(object)]
    return pa.array(text, type=pa.large_string())
