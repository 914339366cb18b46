"""The run-context provider MLflow finds through the ``mlflow.run_context_provider`` entry point.

MLflow instantiates it while ``import mlflow`` runs, so this module imports only the
standard library (and the package's standard-library helpers), the constructor does no
I/O, and nothing escapes ``in_context()`` or ``tags()``: a failure becomes the tag
``nbaprops.context.error`` plus a logged warning. ``NBAPROPS_CONTEXT_DISABLE=1`` turns the
plugin off.
"""

from __future__ import annotations

import logging
import os

from mlflow_nbaprops import __version__
from mlflow_nbaprops.redact import redact_text

ENV_DISABLE = "NBAPROPS_CONTEXT_DISABLE"
ERROR_TAG = "nbaprops.context.error"
#: Longest tag value written (MLflow allows more; these tags are for people and filters).
MAX_TAG_LENGTH = 500
_logger = logging.getLogger(__name__)
_LINEAGE: dict[str, dict[str, str]] = {}


class NBAPropsRunContext:
    """Tags every run with git state, the configured data's version and the feature lineage."""

    def in_context(self) -> bool:
        try:
            return os.environ.get(ENV_DISABLE, "").strip().lower() not in ("1", "true", "yes", "on")
        except Exception:  # noqa: BLE001 -- a plugin must never break a run
            return False

    def tags(self) -> dict[str, str]:
        try:
            return context_tags()
        except Exception as exc:  # noqa: BLE001 -- a plugin must never break a run
            _logger.warning("mlflow-nbaprops could not tag the run: %s", redact_text(str(exc)))
            return {ERROR_TAG: _cap(redact_text(f"context: {type(exc).__name__}: {exc}"))}


def context_tags() -> dict[str, str]:
    """The plugin's tags for a run started now (also applied by the CLI to ``mlflow run`` runs)."""
    from mlflow_nbaprops.context.config import load_config
    from mlflow_nbaprops.context.data import data_state
    from mlflow_nbaprops.context.git import git_state

    tags: dict[str, str] = {"nbaprops.plugin_version": __version__}
    errors: list[str] = []

    def section(name: str, work) -> None:
        """One group of tags: whatever fails in it costs its own tags, never the others'."""
        try:
            work()
        except Exception as exc:  # noqa: BLE001 -- a plugin must never break a run
            errors.append(f"{name}: {type(exc).__name__}: {exc}")

    def git() -> None:
        state = git_state()
        tags.update(state.tags)
        errors.extend(state.errors)

    config = load_config()  # (never raises: problems are in config.errors)
    errors += config.errors

    def data() -> None:
        state = data_state(config.data, config.source)
        tags.update(state.tags)
        errors.extend(state.errors)

    def lineage() -> None:
        try:
            tags.update(lineage_tags(config.feature_set))
        except KeyError as exc:
            errors.append(f"features: {exc.args[0] if exc.args else exc}")

    section("git", git)
    section("data", data)
    section("features", lineage)
    if errors:
        tags[ERROR_TAG] = "; ".join(errors)
        _logger.warning("mlflow-nbaprops run context: %s", redact_text("; ".join(errors)))
    return {key: _cap(redact_text(str(value))) for key, value in tags.items()}


def lineage_tags(feature_set: str | None) -> dict[str, str]:
    """Name, version, definitions hash and size of the active feature set (memoised)."""
    from mlflow_nbaprops.features.registry import DEFAULT_FEATURE_SET, get_feature_set

    name = feature_set or DEFAULT_FEATURE_SET
    if name not in _LINEAGE:
        _LINEAGE[name] = get_feature_set(name).tags()
    return dict(_LINEAGE[name])


def _cap(value: str) -> str:
    return value if len(value) <= MAX_TAG_LENGTH else value[: MAX_TAG_LENGTH - 1] + "…"
