"""Refresh without refit: a new model version with the same boosters and a history snapshot
extended by the games played since, so tonight's slate sees last night's games.

The new version is logged by a run in ``NBAProps/Phase4_Production`` that records the parent
version, the new data's version and date range, and carries the parent's validation metrics
(the boosters are the parent's, byte for byte: checked before anything is registered). Its
alias move goes through the registry's promotion path as a "refresh" event.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow.models import Model
from mlflow.tracking.artifact_utils import _download_artifact_from_uri

from mlflow_nbaprops import flavor, promotion
from mlflow_nbaprops.daily.runs import LINEAGE_TAG, ModelRef, resolve
from mlflow_nbaprops.tracking.runs import loop_run
from mlflow_nbaprops.errors import DataValidationError, ModelIntegrityError
from mlflow_nbaprops.features.snapshot import Extension
from mlflow_nbaprops.model.persistence import SNAPSHOT_FILES
from mlflow_nbaprops.data import DataInfo
from mlflow_nbaprops.tracking import experiment_name

#: Tags of the parent's training run that describe its validation: copied, because a
#: refreshed version is judged (promotion criteria, monitoring) by its boosters' validation.
VALIDATION_TAGS = ("nbaprops.test_season", "nbaprops.line_source", "nbaprops.validation", "nbaprops.availability",
                   "nbaprops.model_type", "nbaprops.architecture", "nbaprops.feature_set",
                   "nbaprops.feature_set_version", "nbaprops.feature_set_hash", "nbaprops.baseline_mae")


@dataclass
class Refreshed:
    parent: ModelRef
    extension: Extension
    version: str | None = None  # None: nothing new, no version made
    run_id: str | None = None
    decision: promotion.Decision | None = None
    snapshot_cutoff: str = ""


def refresh(model_uri: str, data: DataInfo, alias: str | None = None, accept_corrections: bool = False,
            client: mlflow.MlflowClient | None = None) -> Refreshed:
    """Register a refreshed version of the registered model ``model_uri`` with ``data``'s new games;
    move ``alias`` to it (a "refresh" event in the history) if given."""
    client = client or mlflow.MlflowClient()
    _check_not_future(data)
    parent = resolve(model_uri, client)
    if not parent.name:
        raise promotion.RegistryError(
            f"{model_uri}: refresh makes a new version of a registered model; give models:/NAME@ALIAS or "
            "models:/NAME/VERSION")
    with tempfile.TemporaryDirectory() as tmp:
        local = _download_artifact_from_uri(f"models:/{parent.name}/{parent.version}", output_path=tmp)
        predictor = flavor.load_model(local)  # verifies every file's SHA-256
        parent_sha = Model.load(local).flavors[flavor.FLAVOR_NAME]["sha256"]
    reads_news = predictor.snapshot.news is not None
    updated, extension = predictor.refreshed(data.frame, data.digest, accept_corrections=accept_corrections,
                                             news=data.news if reads_news else None)
    result = Refreshed(parent, extension, snapshot_cutoff=predictor.snapshot.cutoff.date().isoformat())
    if updated is predictor:
        return result

    parent_run = client.get_run(parent.run_id) if parent.run_id else None
    refresh_info = updated.info["last_refresh"]
    tags = {
        "nbaprops.phase": "refresh",
        "nbaprops.parent_model": parent.label,
        "nbaprops.parent_run": parent.run_id,
        LINEAGE_TAG: parent.lineage,
        "nbaprops.validation_from_run": parent_run.data.tags.get("nbaprops.validation_from_run", parent.run_id)
        if parent_run else "",
        "nbaprops.data.digest": data.digest,
        "nbaprops.data.rows": str(len(data.frame)),
        "nbaprops.data.source": data.source[:250],
        "nbaprops.data.status": "read by the run",
        **({k: parent_run.data.tags[k] for k in VALIDATION_TAGS if k in parent_run.data.tags} if parent_run else {}),
        **({"nbaprops.news.digest": data.news.version.digest} if reads_news and data.news is not None else {}),
    }
    run_name = f"{dt.date.today():%Y%m%d}_refresh_{parent.name}_v{parent.version}_to_{refresh_info['last_date']}"
    with loop_run(client, experiment_name("production"), run_name, tags) as run:
        mlflow.log_params({"parent_version": parent.version, "refresh_data_version": data.digest,
                           "new_rows": extension.new_rows, "new_games": extension.new_games,
                           "first_new_date": refresh_info["first_date"], "last_new_date": refresh_info["last_date"],
                           "corrected_rows": len(extension.corrected), "snapshot_cutoff": refresh_info["snapshot_cutoff"],
                           **({"refresh_news_version": refresh_info.get("news_version") or "none",
                               "games_without_news": len(extension.games_without_news)} if reads_news else {})})
        if parent_run:
            mlflow.log_metrics({k: v for k, v in parent_run.data.metrics.items() if k.startswith("val_")})
        mlflow.log_dict({"extension": extension.summary(), "corrected": extension.corrected,
                         "parent": parent.label}, "refresh.json")
        info = flavor.log_model(updated, name="model")
        _check_same_boosters(parent_sha, info.flavors[flavor.FLAVOR_NAME]["sha256"], parent.label)
        version_tags = {LINEAGE_TAG: parent.lineage, "nbaprops.parent_version": parent.version,
                        "nbaprops.refresh": json.dumps({**refresh_info, "run_id": run.info.run_id})}
        version = str(mlflow.register_model(info.model_uri, parent.name, tags=version_tags).version)
    result.version, result.run_id = version, run.info.run_id
    result.snapshot_cutoff = refresh_info["snapshot_cutoff"]
    if alias:
        result.decision = promotion.promote(parent.name, version, alias, "refresh", promotion.Criteria(), client,
                                           action="refresh")
    return result


#: A result dated after today is a typo, not a game: a refresh taking it would carry the model's
#: history (and every slate after it) into the future. One day of slack for time zones.
FUTURE_SLACK_DAYS = 1


def _check_not_future(data: DataInfo) -> None:
    today = pd.Timestamp(dt.date.today())
    future = data.frame["GAME_DATE"] > today + pd.Timedelta(days=FUTURE_SLACK_DAYS)
    if future.any():
        rows = data.frame.loc[future, ["GAME_ID", "GAME_DATE"]].drop_duplicates("GAME_ID")
        shown = ", ".join(f"GAME_ID {g} ({d:%Y-%m-%d})" for g, d in rows.head(5).itertuples(index=False))
        raise DataValidationError(f"column GAME_DATE: {int(future.sum()):,} result row(s) of {len(rows):,} game(s) are "
                                  f"dated after today ({today:%Y-%m-%d}): {shown}. Results are games played; nothing "
                                  "was changed")


def _check_same_boosters(parent: dict[str, str], child: dict[str, str], label: str) -> None:
    """Every file but the snapshot's must be the parent's, byte for byte (same SHA-256)."""
    model_files = {name: sha for name, sha in parent.items() if name not in SNAPSHOT_FILES}
    changed = sorted(name for name, sha in model_files.items() if child.get(name) != sha)
    extra = sorted(set(child) - set(parent))
    if changed or extra:
        raise ModelIntegrityError(
            f"refreshing {label} would change the fitted model files {', '.join(changed + extra)}: not registered")


def describe(result: Refreshed) -> str:
    """What a refresh did, for the command line."""
    parent = result.parent
    lines = [result.extension.summary()]
    if result.version is None:
        lines.append(f"{parent.label} is current to {result.snapshot_cutoff}: no new version")
        return "\n".join(lines)
    lines.append(f"{parent.name} version {result.version}: version {parent.version}'s boosters (byte-identical), "
                 f"history to {result.snapshot_cutoff} (run {result.run_id})")
    if result.decision is not None:
        lines.append(result.decision.table())
        alias = result.decision.alias
        lines.append(f"{parent.name}@{alias} -> version {result.version}" if result.decision.moved else
                     f"{parent.name}@{alias} not moved: "
                     + ("criteria failed" if not result.decision.passed else "already there"))
    return "\n".join(lines)


__all__ = ["Refreshed", "describe", "refresh"]
