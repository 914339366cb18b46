"""The package's exceptions: every user-facing failure is one of these."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``; did you mean 'n_estimators'?`` when ``known`` has a close match to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class NBAPropsError(Exception):
    """Base class of every error this package raises on purpose."""


class DataLoadError(NBAPropsError):
    """A path could not be read as game logs (missing, unreadable, wrong format)."""


class DataValidationError(NBAPropsError):
    """Game logs failed validation. ``problems`` lists each failed check."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ModelIntegrityError(NBAPropsError):
    """A saved model's files are missing, modified or truncated, or cannot be loaded safely."""


class BackendMissingError(NBAPropsError, ImportError):
    """A booster library the chosen backend needs is not installed (XGBoost is an extra)."""


class DataSpecError(NBAPropsError, ValueError):
    """A ``--data`` specification is neither game-log paths nor ``synthetic[:SxTxG]``."""


class TrainingError(NBAPropsError):
    """Training could not run on the data and settings given (too little history, a booster
    refusing a hyperparameter value)."""


class FeedError(NBAPropsError):
    """A request to the stats site or the injury report failed for good (after its retries), or
    what came back is not the shape the feed reads. The message names the endpoint and its parameters."""
