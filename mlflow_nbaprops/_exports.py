"""Lazy package faces (PEP 562): a package lists its public names and the submodule each
lives in; a name's submodule is imported the first time the name is used.

So ``import mlflow_nbaprops.features.registry`` (the run-context plugin, on every
``import mlflow``) does not load the feature builder, pandas and pyarrow through
``features/__init__``, and the CLI can read the backend table without the whole model layer.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable


def lazy_face(package: str, exports: dict[str, list[str]]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose public names are ``exports``
    (submodule -> names)."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # once: later lookups are plain attributes
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__


def public_names(exports: dict[str, list[str]]) -> list[str]:
    return sorted(name for names in exports.values() for name in names)
