"""Promotion through the model registry: register, check promotion criteria, promote with history, roll back.

MLflow aliases (``staging``, ``production``; stages are deprecated since MLflow 2.9) keep no
history, so every alias move is recorded as its own registered-model tag
``nbaprops.history.<time_ns>-<random>`` (unique keys: racing writers cannot overwrite each
other's events) holding JSON ``{action, alias, version, from_version, at, by, reason}``, and
on the versions themselves (``nbaprops.promoted_*``, ``archived``). Replaying the events in
order gives each alias's stack; ``rollback`` pops the production stack (a refresh — the same
model with newer history — replaces the top instead of pushing).

    "The production model" is ``models:/NBAPropsModel@production`` everywhere.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import secrets
import time
from dataclasses import dataclass, field

import mlflow
from mlflow.exceptions import MlflowException

from mlflow_nbaprops.errors import NBAPropsError
from mlflow_nbaprops.search import quoted

ALIASES = ("staging", "production")
HISTORY_PREFIX = "nbaprops.history."
#: Alias moves, and the version tag each leaves (``nbaprops.promoted_to_production``, ...).
_PAST = {"promote": "promoted", "refresh": "refreshed", "rollback": "rolled_back"}


class RegistryError(NBAPropsError):
    """A registry action that cannot be done (nothing to roll back, unknown run, …)."""


@dataclass(frozen=True)
class Criteria:
    """Promotion thresholds (defaults pass everything but the "not worse than production" check)."""

    max_pra_mae: float = float("inf")
    min_improvement_pct: float = 0.0  # beat the previous-10 baseline by at least this many %
    min_predictions: int = 1
    max_calibration_error: float = 1.0
    min_roi: float | None = None  # only where the validation had bookmaker lines
    min_win_rate: float | None = None
    not_worse_than_production: bool = True


@dataclass
class Check:
    name: str
    value: str
    threshold: str
    passed: bool
    note: str = ""


@dataclass
class Decision:
    version: str
    alias: str
    checks: list[Check] = field(default_factory=list)
    moved: bool = False  # False when the criteria failed or the alias was already there

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def table(self) -> str:
        rows = [f"{'criterion':<30}{'value':>12}  {'threshold':<16}result"]
        for c in self.checks:
            rows.append(f"{c.name:<30}{c.value:>12}  {c.threshold:<16}{'PASS' if c.passed else 'FAIL'}"
                        + (f"  ({c.note})" if c.note else ""))
        return "\n".join(rows)


def _user() -> str:
    try:
        return os.environ.get("NBAPROPS_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 -- no login name in some containers
        return "unknown"


def register_run(run_id: str, name: str, client: mlflow.MlflowClient | None = None) -> str:
    """Register the ``model`` of ``run_id`` under ``name`` (created if needed); returns the version."""
    client = client or mlflow.MlflowClient()
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise RegistryError(f"run {run_id!r} not found: {exc.message}") from exc
    existing = _versions_of_run(client, name, run_id)
    if existing:
        return str(existing[0])
    source = run.data.tags.get("nbaprops.model_uri") or f"runs:/{run.info.run_id}/model"
    try:
        mine = int(mlflow.register_model(source, name).version)
    except MlflowException as exc:
        raise RegistryError(f"could not register the model of run {run_id}: {exc.message}") from exc
    # racing registrations of one run: every racer sees the earliest version (made before its
    # own), keeps that one and withdraws its own, so a run ends with exactly one version
    first = _versions_of_run(client, name, run_id)[0]
    if first != mine:
        _retry(client.delete_model_version, name, str(mine))
    return str(first)


def _versions_of_run(client, name: str, run_id: str) -> list[int]:
    return sorted(int(v.version) for v in client.search_model_versions(f"name = {quoted(name)} and run_id = {quoted(run_id)}"))


def require_version(name: str, version: str, client: mlflow.MlflowClient | None = None) -> None:
    """A :class:`RegistryError` unless ``name`` has version ``version``."""
    client = client or mlflow.MlflowClient()
    try:
        client.get_model_version(name, str(version))
    except MlflowException as exc:
        raise RegistryError(f"registered model {name!r} has no version {version!r}") from exc


def evaluate(name: str, version: str, alias: str, criteria: Criteria,
             client: mlflow.MlflowClient | None = None) -> Decision:
    """Each criterion with its value, threshold and pass/fail, from the version's run metrics."""
    client = client or mlflow.MlflowClient()
    mv = client.get_model_version(name, version)
    run = client.get_run(mv.run_id)
    m, tags = run.data.metrics, run.data.tags
    decision = Decision(version, alias)

    def add(label, value, threshold, passed, note=""):
        decision.checks.append(Check(label, value, threshold, bool(passed), note))

    def metric(key):
        return m.get(key, float("nan"))

    mae = metric("val_pra_mae")
    add("PRA MAE", _show(mae), f"<= {criteria.max_pra_mae:g}", mae <= criteria.max_pra_mae)
    gain = -metric("val_vs_l10_pct")
    add("beats previous-10 by %", f"{gain:.2f}", f">= {criteria.min_improvement_pct:g}",
        gain >= criteria.min_improvement_pct)
    n = metric("val_n_predictions")
    add("predictions", f"{n:.0f}", f">= {criteria.min_predictions}", n >= criteria.min_predictions)
    ece = metric("val_bet_calibration_error")
    add("calibration error", f"{ece:.4f}", f"<= {criteria.max_calibration_error:g}",
        ece <= criteria.max_calibration_error)
    bookmaker = tags.get("nbaprops.line_source") == "bookmaker"
    for label, key, limit in (("ROI", "val_bet_roi", criteria.min_roi), ("win rate", "val_bet_win_rate",
                                                                           criteria.min_win_rate)):
        if limit is None:
            continue
        if bookmaker:
            add(label, f"{metric(key):.4f}", f">= {limit:g}", metric(key) >= limit)
        else:
            add(label, "n/a", f">= {limit:g}", True, "proxy lines only: not judged")
    if criteria.not_worse_than_production:
        current = current_version(name, "production", client)
        if current is None or current == str(version):
            add("not worse than production", "-", "-", True, "no other production version")
        else:
            prod_run = client.get_run(client.get_model_version(name, current).run_id)
            same = prod_run.data.tags.get("nbaprops.test_season") == tags.get("nbaprops.test_season")
            prod_mae = prod_run.data.metrics.get("val_pra_mae", float("nan"))
            if same:
                mine, theirs = _distinct(mae, prod_mae)
                add("not worse than production", mine, f"<= {theirs} (v{current})", mae <= prod_mae)
            else:
                add("not worse than production", _show(mae), f"v{current}", True,
                    f"production was validated on {prod_run.data.tags.get('nbaprops.test_season')}: not comparable")
    return decision


def _show(value: float) -> str:
    return f"{value:.3f}"


def _distinct(a: float, b: float) -> tuple[str, str]:
    """Two numbers with as many decimals (3 to 8) as it takes to tell them apart: "5.879 <= 5.879
    FAIL" hid 5.8786 vs 5.8785."""
    for digits in range(3, 9):
        left, right = f"{a:.{digits}f}", f"{b:.{digits}f}"
        if left != right or a == b:
            return left, right
    return left, right


#: Version tag naming the trained version a refreshed one descends from (its boosters').
LINEAGE_TAG = "nbaprops.lineage"


def lineage(name: str, version: str, client: mlflow.MlflowClient) -> str:
    """The trained version whose boosters ``version`` carries (itself, for a trained version)."""
    return client.get_model_version(name, str(version)).tags.get(LINEAGE_TAG, str(version))


def current_version(name: str, alias: str, client: mlflow.MlflowClient | None = None) -> str | None:
    client = client or mlflow.MlflowClient()
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def promote(name: str, version: str, alias: str, reason: str, criteria: Criteria,
            client: mlflow.MlflowClient | None = None, action: str = "promote") -> Decision:
    """Move ``alias`` to ``version`` if every criterion passes; a failure changes nothing.

    ``action`` "refresh" records a refreshed version (same boosters, newer history) that
    *replaces* the alias's current version in its history instead of stacking on it, so a
    rollback after refreshes restores the previous model, not yesterday's snapshot. A refreshed
    version of *another* lineage (say, staging's model refreshed onto production) is a new model for
    the alias: it is recorded as a promotion, so a rollback returns to the model it replaced.
    """
    if action not in ("promote", "refresh"):
        raise RegistryError(f"action must be promote or refresh, not {action!r}")
    client = client or mlflow.MlflowClient()
    if alias not in ALIASES:
        raise RegistryError(f"alias must be one of {', '.join(ALIASES)}, not {alias!r}")
    decision = evaluate(name, version, alias, criteria, client)
    if not decision.passed:
        return decision
    previous = current_version(name, alias, client)
    if previous == str(version):
        return decision
    if action == "refresh" and previous is not None and lineage(name, version, client) != lineage(name, previous, client):
        action, reason = "promote", f"{reason or 'refresh'} (a refresh of another lineage: a new model for @{alias})"
    _move_alias(client, name, alias, str(version), previous, reason or action, action)
    decision.moved = True
    return decision


def rollback(name: str, reason: str, alias: str = "production",
             client: mlflow.MlflowClient | None = None) -> tuple[str, str]:
    """Restore the version ``alias`` pointed at before its latest promotion; returns (from, to)."""
    client = client or mlflow.MlflowClient()
    if not reason.strip():
        raise RegistryError("rollback needs a --reason (it is recorded in the model's history)")
    stack = alias_stack(name, alias, client)
    current = current_version(name, alias, client)
    if current is None or len(stack) < 2 or stack[-1] != current:
        raise RegistryError(
            f"nothing to roll back for {name}@{alias}: "
            + ("no version has the alias" if current is None else
               f"no earlier {alias} version in the recorded history (current v{current})"))
    target = stack[-2]
    try:  # checked before anything is written: history never records a move that did not happen
        client.get_model_version(name, target)
    except MlflowException as exc:
        raise RegistryError(f"cannot roll back {name}@{alias} to version {target}: that version no longer exists "
                            "(deleted?); nothing was changed. Promote a version with nbaprops register --version N") from exc
    _move_alias(client, name, alias, target, current, reason, "rollback")
    return current, target


def history(name: str, client: mlflow.MlflowClient | None = None) -> list[dict]:
    """Every recorded alias move of ``name``, oldest first."""
    client = client or mlflow.MlflowClient()
    try:
        tags = client.get_registered_model(name).tags
    except MlflowException as exc:
        raise RegistryError(f"registered model {name!r} not found") from exc
    events = [json.loads(v) for k, v in tags.items() if k.startswith(HISTORY_PREFIX)]
    return sorted(events, key=lambda e: (e["at_ns"], e["id"]))


def alias_stack(name: str, alias: str, client: mlflow.MlflowClient | None = None) -> list[str]:
    """Versions ``alias`` has pointed at, oldest first, replaying promotions (push) and rollbacks (pop)."""
    stack: list[str] = []
    for event in history(name, client):
        if event["alias"] != alias:
            continue
        if event["action"] == "promote":
            stack.append(event["version"])
        elif event["action"] == "refresh":
            stack[-1:] = [event["version"]]
        elif event["action"] == "rollback" and stack:
            stack.pop()
    return stack


def _move_alias(client, name: str, alias: str, version: str, previous: str | None, reason: str, action: str) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    event = {"action": action, "alias": alias, "version": version, "from_version": previous,
             "at": now.isoformat(timespec="seconds"), "at_ns": time.time_ns(), "id": secrets.token_hex(4),
             "by": _user(), "reason": reason[:300]}
    # history first: a crash between the two leaves a recorded intent, never an unrecorded move
    _retry(client.set_registered_model_tag, name, f"{HISTORY_PREFIX}{event['at_ns']}-{event['id']}", json.dumps(event))
    _retry(client.set_registered_model_alias, name, alias, version)
    _reconcile(client, name, alias)
    stamp = {"at": event["at"], "by": event["by"], "reason": event["reason"]}
    _retry(client.set_model_version_tag, name, version, f"nbaprops.{_PAST[action]}_to_{alias}", json.dumps(
        {**stamp, "from_version": previous}))
    if alias == "production":
        _retry(client.set_model_version_tag, name, version, "archived", "false")
        if previous:
            _retry(client.set_model_version_tag, name, previous, "archived", "true")
            _retry(client.set_model_version_tag, name, previous, "nbaprops.archived", json.dumps(
                {**stamp, "replaced_by": version, "action": action}))


def _reconcile(client, name: str, alias: str) -> None:
    """Make the alias follow the history: with racing promoters the last recorded event wins,
    whichever alias write landed last (every promoter runs this after its own write)."""
    stack = alias_stack(name, alias, client)
    if stack and current_version(name, alias, client) != stack[-1]:
        _retry(client.set_registered_model_alias, name, alias, stack[-1])


def _retry(write, *args, attempts: int = 6) -> None:
    """An idempotent registry write, retried: two servers' workers inserting the same alias or
    tag at once make one of them fail a unique constraint (seen on PostgreSQL)."""
    for attempt in range(attempts):
        try:
            write(*args)
            return
        except MlflowException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1) + secrets.randbelow(100) / 1000)
