"""Values inside MLflow search filter strings (standard library only).

MLflow's filter grammar takes a string value in single or double quotes, with no escape for the
quote itself: a model named ``Bob's`` inside ``'...'`` broke the filter with MLflow's raw parse
error. :func:`quoted` picks the quote the value does not contain.
"""

from __future__ import annotations

from mlflow_nbaprops.errors import NBAPropsError


def quoted(value: str) -> str:
    """``value`` as a filter string literal: ``'value'``, or ``"value"`` if it holds a ``'``."""
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise NBAPropsError(f"{text!r} holds both quote characters (' and \"): MLflow cannot search for it; "
                        "rename it")
