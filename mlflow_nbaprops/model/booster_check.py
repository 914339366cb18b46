"""Structural checks of saved booster files, run before the booster library parses them.

LightGBM and XGBoost trust their own files: some malformed ones end the process
(LightGBM: ``std::terminate`` from a parallel parse, exit 134; XGBoost: a segmentation fault
on inconsistent tree arrays, exit 139) instead of raising. A file edited after saving, its
checksum updated to match, gets past the checksums; a process serving models must still get
an exception it can handle. These checks read the files in Python and refuse what the
libraries would choke on: tree sizes and counts, array lengths, child and feature indices.
"""

from __future__ import annotations

import struct

import numpy as np

from mlflow_nbaprops.errors import ModelIntegrityError

_TREE_ARRAYS_INTERNAL = ("split_feature", "split_gain", "threshold", "decision_type", "left_child", "right_child")


def _refuse(name: str, library: str, why: str):
    raise ModelIntegrityError(f"model file {name} is not a valid {library} model ({why}); not loaded")


# --------------------------------------------------------------------------- LightGBM text


def check_lightgbm_text(text: bytes, name: str) -> None:
    """Refuse a LightGBM model text whose trees are not where ``tree_sizes`` says or whose
    arrays disagree with ``num_leaves`` (LightGBM's parallel parse aborts on those)."""
    def bad(why: str):
        _refuse(name, "LightGBM", why)

    start = text.find(b"\nTree=")
    if start < 0:
        bad("no trees")
    header = dict(line.split(b"=", 1) for line in text[:start].splitlines() if b"=" in line)
    try:
        max_feature = int(header[b"max_feature_idx"])
        sizes = [int(v) for v in header[b"tree_sizes"].split()]
    except (KeyError, ValueError):
        bad("its header lacks max_feature_idx or tree_sizes")
    position = start + 1
    for number, size in enumerate(sizes):
        block = text[position:position + size]
        if len(block) != size or not block.startswith(b"Tree="):
            bad(f"tree {number} is not where tree_sizes puts it")
        _check_lightgbm_tree(block, max_feature, number, bad)
        position += size
    if not text[position:].lstrip(b"\n").startswith(b"end of trees"):
        bad("tree_sizes does not account for every tree")


def _check_lightgbm_tree(block: bytes, max_feature: int, number: int, bad) -> None:
    fields = dict(line.split(b"=", 1) for line in block.splitlines() if b"=" in line)

    def numbers(key: bytes, kind=float) -> list:
        try:
            return [kind(v) for v in fields.get(key, b"").split()]
        except ValueError:
            bad(f"tree {number}: {key.decode()} holds something that is not a number")

    try:
        leaves = int(fields[b"num_leaves"])
    except (KeyError, ValueError):
        bad(f"tree {number}: no num_leaves")
    if leaves < 1:
        bad(f"tree {number}: num_leaves {leaves}")
    if len(numbers(b"leaf_value")) != leaves:
        bad(f"tree {number}: {leaves} leaves but {len(numbers(b'leaf_value'))} leaf values")
    if leaves == 1:
        return
    for key in _TREE_ARRAYS_INTERNAL:
        if len(numbers(key.encode())) != leaves - 1:
            bad(f"tree {number}: {key} does not have num_leaves - 1 = {leaves - 1} entries")
    children = numbers(b"left_child", int) + numbers(b"right_child", int)
    if any(not -leaves <= c <= leaves - 2 for c in children):
        bad(f"tree {number}: a child index outside the tree")
    if any(not 0 <= f <= max_feature for f in numbers(b"split_feature", int)):
        bad(f"tree {number}: a split on a feature the model does not have")


# --------------------------------------------------------------------------- XGBoost UBJSON

_SCALARS = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}


class _UBJ:
    """A small UBJSON reader (the subset XGBoost writes: objects, arrays, typed arrays)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def marker(self) -> bytes:
        return self.take(1)

    def number(self, marker: bytes):
        if marker not in _SCALARS:
            raise ValueError(f"unexpected marker {marker!r}")
        dtype = np.dtype(_SCALARS[marker])
        return np.frombuffer(self.take(dtype.itemsize), dtype)[0].item()

    def length(self) -> int:
        n = self.number(self.marker())
        if not isinstance(n, int) or n < 0:
            raise ValueError("bad length")
        return n

    def value(self, marker: bytes | None = None, depth: int = 0):
        if depth > 64:
            raise ValueError("nested too deep")
        marker = marker or self.marker()
        if marker in _SCALARS:
            return self.number(marker)
        if marker == b"S" or marker == b"H":
            return self.take(self.length()).decode("utf-8", "replace")
        if marker == b"C":
            return self.take(1).decode("latin-1")
        if marker in (b"T", b"F", b"Z"):
            return {b"T": True, b"F": False, b"Z": None}[marker]
        if marker == b"[":
            return self.array(depth)
        if marker == b"{":
            return self.object(depth)
        raise ValueError(f"unexpected marker {marker!r}")

    def container(self) -> tuple[bytes | None, int | None]:
        kind = count = None
        if self.data[self.pos:self.pos + 1] == b"$":
            self.pos += 1
            kind = self.marker()
        if self.data[self.pos:self.pos + 1] == b"#":
            self.pos += 1
            count = self.length()
        return kind, count

    def array(self, depth: int):
        kind, count = self.container()
        if kind in _SCALARS and count is not None:
            dtype = np.dtype(_SCALARS[kind])
            return np.frombuffer(self.take(dtype.itemsize * count), dtype)
        items = []
        while count is None or len(items) < count:
            if count is None and self.data[self.pos:self.pos + 1] == b"]":
                self.pos += 1
                break
            items.append(self.value(kind, depth + 1))
        return items

    def object(self, depth: int) -> dict:
        kind, count = self.container()
        out = {}
        while count is None or len(out) < count:
            if count is None and self.data[self.pos:self.pos + 1] == b"}":
                self.pos += 1
                break
            key = self.take(self.length()).decode("utf-8", "replace")
            out[key] = self.value(kind, depth + 1)
        return out


def check_xgboost_ubj(data: bytes, name: str) -> None:
    """Refuse an XGBoost UBJSON model that does not decode, or whose trees' arrays disagree
    with their node counts or point outside the tree or the features."""
    def bad(why: str):
        _refuse(name, "XGBoost", why)

    try:
        reader = _UBJ(data)
        model = reader.value()
        if reader.pos != len(data):
            bad("bytes after the end of the model")
        learner = model["learner"]
        num_feature = int(learner["learner_model_param"]["num_feature"])
        trees = learner["gradient_booster"]["model"]["trees"]
        declared = int(learner["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"])
    except ModelIntegrityError:
        raise
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as exc:
        bad(f"it does not decode: {exc}")
    if len(trees) != declared:
        bad(f"{len(trees)} trees where {declared} are declared")
    for number, tree in enumerate(trees):
        try:
            nodes = int(tree["tree_param"]["num_nodes"])
            left, right = np.asarray(tree["left_children"]), np.asarray(tree["right_children"])
            split = np.asarray(tree["split_indices"])
            arrays = [left, right, split, np.asarray(tree["split_conditions"]), np.asarray(tree["base_weights"]),
                      np.asarray(tree["parents"])]
        except (KeyError, TypeError, ValueError):
            bad(f"tree {number} lacks its arrays")
        if nodes < 1 or any(len(a) != nodes for a in arrays):
            bad(f"tree {number}: arrays do not match num_nodes {nodes}")
        if ((left < -1) | (left >= nodes) | (right < -1) | (right >= nodes)).any():
            bad(f"tree {number}: a child index outside the tree")
        internal = left != -1
        if ((split[internal] < 0) | (split[internal] >= num_feature)).any():
            bad(f"tree {number}: a split on a feature the model does not have")
