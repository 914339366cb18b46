"""Grade logged production predictions once the box scores arrive, and keep the live record.

Live metrics go to one run per *model lineage* in ``NBAProps/Monitoring``: a trained
version and the versions refreshed from it share boosters, so their predictions are one
model's record (each graded row keeps the exact version that made it). Metrics are logged per
game date with ``step`` = yyyymmdd; the graded rows themselves are the run's
``live/graded.parquet``, which ``monitor`` reads.

Idempotent: a (lineage, game date) is graded once, when none of its predictions still waits
for a result; a prediction run is marked graded when none of its rows is pending.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.entities import Metric
from mlflow.tracking.context.registry import resolve_tags

from mlflow_nbaprops.daily.predict import PREDICTIONS_ARTIFACT
from mlflow_nbaprops.daily.runs import LINEAGE_TAG, MONITORING_EXPERIMENT, PREDICTIONS_EXPERIMENT
from mlflow_nbaprops.tracking.runs import experiment_id, search_all
from mlflow_nbaprops.evaluation.live import Matched, date_step, live_metrics, match_results
from mlflow_nbaprops.evaluation.metrics import coverage_text
from mlflow_nbaprops.data import DataInfo
from mlflow_nbaprops.search import quoted

GRADED_ARTIFACT = "live/graded.parquet"
LIVE_TAG = "nbaprops.live_for"


@dataclass
class GradeReport:
    prediction_runs: int = 0
    matched: Matched | None = None
    graded_dates: dict[str, list[str]] = field(default_factory=dict)  # lineage -> dates graded now
    already_graded: int = 0  # rows on dates graded by an earlier run
    waiting: int = 0  # rows on dates with a result still missing
    live_runs: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # lineage -> date -> metrics
    unreadable: dict[str, str] = field(default_factory=dict)  # run id -> why its predictions were skipped

    def summary(self) -> str:
        if not self.prediction_runs:
            return "no ungraded prediction runs in " + PREDICTIONS_EXPERIMENT
        skipped = [f"{len(self.unreadable)} prediction run(s) skipped, their predictions unreadable (tagged "
                   "nbaprops.graded=unreadable): " + "; ".join(f"run {k}: {v}" for k, v in self.unreadable.items())]
        if self.matched is None:
            return skipped[0]
        lines = [f"{self.prediction_runs - len(self.unreadable)} prediction run(s) read; {self.matched.summary()}",
                 *(skipped if self.unreadable else [])]
        if self.already_graded:
            lines.append(f"{self.already_graded:,} graded rows skipped: their dates were graded before")
        if self.waiting:
            lines.append(f"{self.waiting:,} graded rows wait for the rest of their date's results")
        for lineage, dates in self.graded_dates.items():
            for day in dates:
                m = self.metrics[lineage][day]
                extra = f", ROI {m['roi']:+.3f} on {m['bets']:.0f} bets" if "roi" in m else ""
                vs = f", previous-10 {m['l10_pra_mae']:.3f}" if "l10_pra_mae" in m else ""
                lines.append(f"{lineage} {day}: {m['n']:.0f} graded, PRA MAE {m['pra_mae']:.3f}{vs}, minutes MAE "
                             f"{m['min_mae']:.3f}, {coverage_text(m)}{extra}")
            lines.append(f"{lineage}: live run {self.live_runs[lineage]} in {MONITORING_EXPERIMENT}")
        if not any(self.graded_dates.values()):
            lines.append("nothing new to grade")
        return "\n".join(lines)


def grade(results: DataInfo, client: mlflow.MlflowClient | None = None, min_edge: float = 0.03) -> GradeReport:
    """Grade every ungraded prediction run against ``results`` (canonical game logs)."""
    client = client or mlflow.MlflowClient()
    runs = search_all(client, PREDICTIONS_EXPERIMENT, "tags.`nbaprops.phase` = 'predict' and "
                      "tags.`nbaprops.graded` = 'false' and attributes.status = 'FINISHED'")
    report = GradeReport(prediction_runs=len(runs))
    if not runs:
        return report
    predictions, report.unreadable = _read_predictions(client, runs)
    for run_id, why in report.unreadable.items():  # out of the queue, with the reason on the run
        client.set_tag(run_id, "nbaprops.graded", "unreadable")
        client.set_tag(run_id, "nbaprops.grade_error", why[:5000])
    runs = [run for run in runs if run.info.run_id not in report.unreadable]
    if not runs:
        return report
    # a slate scored again (tonight's news changed) supersedes the earlier answer for its rows
    predictions = predictions.sort_values(["start_time", "run_id"], kind="stable").drop_duplicates(
        ["lineage", "PLAYER_ID", "GAME_DATE"], keep="last")
    report.matched = matched = match_results(predictions, results.frame)
    incomplete = set(zip(matched.pending["lineage"], matched.pending["GAME_DATE"]))
    for lineage, rows in matched.graded.groupby("lineage", sort=True):
        live_id = _live_run(client, lineage)
        report.live_runs[lineage] = live_id
        done = graded_rows(client, live_id)
        seen = rows["GAME_DATE"].isin(set(done["GAME_DATE"])) if len(done) else pd.Series(False, index=rows.index)
        waiting = pd.Series([(lineage, d) in incomplete for d in rows["GAME_DATE"]], index=rows.index, dtype=bool)
        report.already_graded += int(seen.sum())
        report.waiting += int((waiting & ~seen).sum())
        new = rows[~seen & ~waiting]
        if len(new) == 0:
            continue
        now = int(time.time() * 1000)
        metrics, per_day = [], {}
        for day, day_rows in new.groupby("GAME_DATE", sort=True):
            values = live_metrics(day_rows, min_edge=min_edge)
            per_day[f"{day:%Y-%m-%d}"] = values
            metrics += [Metric(f"live_{k}", float(v), now, date_step(day)) for k, v in values.items()]
        for start in range(0, len(metrics), 1000):
            client.log_batch(live_id, metrics=metrics[start:start + 1000])
        _write_graded(client, live_id, pd.concat([done, new], ignore_index=True) if len(done) else new)
        report.graded_dates[lineage] = list(per_day)
        report.metrics[lineage] = per_day
    open_runs = set(matched.pending["run_id"])
    for run in runs:
        if run.info.run_id not in open_runs:
            client.set_tag(run.info.run_id, "nbaprops.graded", "true")
    return report


#: What a logged predictions table must hold to be graded.
REQUIRED_PREDICTION_COLUMNS = ("PLAYER_ID", "GAME_DATE", "TEAM", "pred_PRA", "pred_MIN")


def _read_predictions(client: mlflow.MlflowClient, runs: list) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every readable run's predictions; the runs whose artifact is missing, corrupt or lacks a
    column are returned apart (run id -> why), so one bad artifact stops nothing else."""
    frames, unreadable = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in runs:
            run_id = run.info.run_id
            try:
                path = client.download_artifacts(run_id, PREDICTIONS_ARTIFACT, tmp)
                frame = pd.read_parquet(path)
                Path(path).unlink()
                missing = [c for c in REQUIRED_PREDICTION_COLUMNS if c not in frame.columns]
                if missing:
                    raise ValueError(f"lacks column(s) {', '.join(missing)}")
                frame["GAME_DATE"] = pd.to_datetime(frame["GAME_DATE"]).astype("datetime64[ns]")
                frame["PLAYER_ID"] = frame["PLAYER_ID"].astype("int64")
            except Exception as exc:  # any reader's failure: name the run, grade the others
                unreadable[run_id] = f"{PREDICTIONS_ARTIFACT}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                continue
            frames.append(frame.assign(run_id=run_id, start_time=run.info.start_time,
                                       lineage=run.data.tags.get(LINEAGE_TAG, run.data.tags.get("nbaprops.model", "")),
                                       model=run.data.tags.get("nbaprops.model", "")))
    if not frames:
        return pd.DataFrame(), unreadable
    return pd.concat(frames, ignore_index=True), unreadable


def live_run_id(client: mlflow.MlflowClient, lineage: str) -> str | None:
    """The live-record run of ``lineage`` (``NBAPropsModel/3``), if grading has made one."""
    found = search_all(client, MONITORING_EXPERIMENT, f"tags.`{LIVE_TAG}` = {quoted(lineage)}")
    return found[0].info.run_id if found else None


def _live_run(client: mlflow.MlflowClient, lineage: str) -> str:
    existing = live_run_id(client, lineage)
    if existing:
        return existing
    tags = resolve_tags({LIVE_TAG: lineage, "nbaprops.phase": "live", LINEAGE_TAG: lineage})
    run = client.create_run(experiment_id(client, MONITORING_EXPERIMENT),
                            run_name=f"live_{lineage.replace('/', '_v')}", tags=tags)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def graded_rows(client: mlflow.MlflowClient, run_id: str | None) -> pd.DataFrame:
    """The graded predictions a live run holds (empty if there is no run or nothing graded yet)."""
    folder = str(Path(GRADED_ARTIFACT).parent)
    if not run_id or not any(a.path == GRADED_ARTIFACT for a in client.list_artifacts(run_id, folder)):
        return pd.DataFrame()
    with tempfile.TemporaryDirectory() as tmp:
        frame = pd.read_parquet(client.download_artifacts(run_id, GRADED_ARTIFACT, tmp))
    frame["GAME_DATE"] = pd.to_datetime(frame["GAME_DATE"]).astype("datetime64[ns]")
    return frame


def _write_graded(client: mlflow.MlflowClient, run_id: str, frame: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, Path(GRADED_ARTIFACT).name)
        frame.astype({"OUT": object} if "OUT" in frame else {}).to_parquet(path, index=False)
        client.log_artifact(run_id, str(path), str(Path(GRADED_ARTIFACT).parent))


__all__ = ["GRADED_ARTIFACT", "GradeReport", "grade", "graded_rows", "live_run_id"]
