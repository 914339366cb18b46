"""Score tonight's slate with a registered model and log what production predicted.

Each scored slate becomes a run in ``NBAProps/Predictions`` holding the model URI, the
version it resolved to, the slate's digest, the predictions table (with the previous-10
baselines ``grade`` compares against), the warnings and the unknown players. The same slate
scored by the same version again is not logged twice.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from mlflow_nbaprops import flavor
from mlflow_nbaprops.daily.runs import LINEAGE_TAG, PREDICTIONS_EXPERIMENT, ModelRef, resolve
from mlflow_nbaprops.tracking.runs import loop_run, search_all
from mlflow_nbaprops.errors import DataValidationError
from mlflow_nbaprops.model.predictor import validate_slate
from mlflow_nbaprops.search import quoted

PREDICTIONS_ARTIFACT = "predictions/predictions.parquet"
#: Slate columns carried into the predictions table beside the answer.
_CARRIED = ["PLAYER_ID", "PLAYER_NAME", "GAME_DATE", "TEAM", "OPPONENT", "HOME", "STATUS", "OUT", "STARTER", "SPREAD",
            "TOTAL", "LINE", "MIN_PROJ", "ODDS_OVER", "ODDS_UNDER"]


@dataclass
class Scored:
    model: ModelRef
    table: pd.DataFrame
    digest: str
    run_id: str | None  # the run holding these predictions (an earlier one for a duplicate)
    duplicate: bool

    def summary(self) -> str:
        t = self.table
        dates = ", ".join(sorted({f"{d:%Y-%m-%d}" for d in t["GAME_DATE"]}))
        lines = [f"{len(t):,} slate rows for {dates} scored by {self.model.label}: "
                 f"{int(t['unknown_player'].sum())} unknown player(s), {int((t['warning'] != '').sum())} with a warning, "
                 f"{int(t['OUT'].eq(True).sum())} ruled out"]
        if self.duplicate:
            lines.append(f"already logged: run {self.run_id} holds this slate for {self.model.label} (not logged again)")
        elif self.run_id:
            lines.append(f"logged as run {self.run_id} in {PREDICTIONS_EXPERIMENT}")
        return "\n".join(lines)


def slate_digest(targets: pd.DataFrame) -> str:
    """A digest of the validated slate's content, independent of row and column order."""
    columns = sorted(targets.columns)
    frame = targets[columns].sort_values(columns, kind="stable").reset_index(drop=True).astype(str)
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(("|".join(columns)).encode() + np.sort(hashed).tobytes()).hexdigest()[:32]


def score_slate(model_uri: str, slate: pd.DataFrame, log: bool = True, source: str = "",
                client: mlflow.MlflowClient | None = None) -> Scored:
    """Predict ``slate`` with ``model_uri``; log it unless ``log`` is False or it was logged already.

    A slate date on or before the model's history cutoff is refused: the model has seen those
    games (score history with ``nbaprops backtest``, not as a slate).
    """
    client = client or mlflow.MlflowClient()
    model = resolve(model_uri, client)
    predictor = flavor.load_model(model.uri if not model.name else f"models:/{model.name}/{model.version}")
    targets = validate_slate(slate)
    cutoff = predictor.snapshot.cutoff
    early = np.flatnonzero((targets["GAME_DATE"] <= cutoff).to_numpy())
    if len(early):
        shown = ", ".join(f"row {i} ({targets['GAME_DATE'].iloc[i]:%Y-%m-%d})" for i in early[:5])
        raise DataValidationError(
            f"column GAME_DATE must be after the model's history cutoff {cutoff:%Y-%m-%d}: {shown}"
            + (f" and {len(early) - 5} more" if len(early) > 5 else "")
            + " (those games are in the model's history; refresh it with newer games, or backtest the past)")
    answer = predictor.predict_slate(slate).reset_index(drop=True)
    carried = targets.copy()
    for column in ("PLAYER_NAME", "STATUS"):
        if column in slate.columns:
            carried[column] = slate[column].to_numpy()
    table = pd.concat([carried[[c for c in _CARRIED if c in carried]], predictor.baselines(targets),
                       answer[predictor.output_columns]], axis=1)
    if "OUT" not in table:
        table.insert(table.columns.get_loc("HOME") + 1, "OUT", None)
    if "MIN_PROJ" in table:  # a projection of 0 minutes rules him out as STATUS OUT does
        table["OUT"] = table["OUT"].astype(object).where(table["MIN_PROJ"] != 0, True)
    # every column that changes the answer or its grading: the validated slate, its prices included
    digest = slate_digest(targets)
    scored = Scored(model, table, digest, None, False)
    if not log:
        return scored
    earlier = search_all(client, PREDICTIONS_EXPERIMENT,
                         f"tags.`nbaprops.slate_digest` = '{digest}' and tags.`nbaprops.model` = {quoted(model.label)} "
                         "and attributes.status = 'FINISHED'")
    if earlier:
        scored.run_id, scored.duplicate = earlier[0].info.run_id, True
        return scored
    days = sorted({f"{d:%Y-%m-%d}" for d in targets["GAME_DATE"]})
    tags = {"nbaprops.phase": "predict", "nbaprops.model": model.label, "nbaprops.model_uri": model.uri,
            "nbaprops.model_name": model.name, "nbaprops.model_version": model.version,
            LINEAGE_TAG: model.lineage_label, "nbaprops.slate_digest": digest,
            "nbaprops.slate_dates": ",".join(days)[:500], "nbaprops.snapshot_cutoff": f"{cutoff:%Y-%m-%d}",
            "nbaprops.slate_source": source[:250], "nbaprops.graded": "false"}
    name = f"{days[0].replace('-', '')}_predict_{model.label.replace('/', '_v') if model.name else 'model'}"
    with loop_run(client, PREDICTIONS_EXPERIMENT, name, tags) as run, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, Path(PREDICTIONS_ARTIFACT).name)
        table.astype({"OUT": object}).to_parquet(path, index=False)
        mlflow.log_artifact(str(path), str(Path(PREDICTIONS_ARTIFACT).parent))
        mlflow.log_metrics({"n_rows": float(len(table)), "n_unknown_players": float(table["unknown_player"].sum()),
                            "n_warnings": float((table["warning"] != "").sum()),
                            "n_ruled_out": float(table["OUT"].eq(True).sum())})
        unknown = table.loc[table["unknown_player"], ["PLAYER_ID", "TEAM", "GAME_DATE"]].astype(str)
        mlflow.log_dict({"unknown_players": unknown.to_dict("records"),
                         "warnings": sorted(set(table.loc[table["warning"] != "", "warning"]))}, "warnings.json")
        scored.run_id = run.info.run_id
    return scored


__all__ = ["PREDICTIONS_ARTIFACT", "Scored", "score_slate", "slate_digest"]
