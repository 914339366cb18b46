"""``nbaprops tune``: an Optuna study over a :class:`SearchSpace`, each trial a walk-forward on the
validation season logged as a nested MLflow run under one parent run per study.

Several workers, one study: Optuna's relational storage (PostgreSQL for a team, an embedded
sqlite file by default) hands out the trials; every worker logs to the same tracking server.
A worker that dies mid-trial stops sending heartbeats: the next worker to start a trial (or to
finish the study) marks that trial FAIL and its MLflow run FAILED, and the study goes on.

Pruning on the folds: each refit's running PRA MAE is the trial's intermediate value, so a
poor configuration stops after a few folds (Optuna's median pruner). A pruned trial's run ends
KILLED, tagged ``nbaprops.tune.state = PRUNED``.

The study selects on the validation season only. The worker that finishes the study scores the
best configuration and the package defaults once on the season after it, when the data has one,
and logs both beside their validation numbers on the parent run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import socket
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import mlflow
import numpy as np
from mlflow.tracking.context.registry import resolve_tags
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

from mlflow_nbaprops.data import DataInfo
from mlflow_nbaprops.errors import NBAPropsError
from mlflow_nbaprops.evaluation import BacktestConfig, SharedFeatures, plots, walk_forward
from mlflow_nbaprops.features.registry import NEWS_SCENARIOS
from mlflow_nbaprops.redact import redact_text, redact_url
from mlflow_nbaprops.tracking import experiment_id, experiment_name, headline_metrics
from mlflow_nbaprops.tracking.project import project_run_id
from mlflow_nbaprops.tracking.standard import config_params
from mlflow_nbaprops.tuning.space import SearchSpace
from mlflow_nbaprops.search import quoted

logger = logging.getLogger(__name__)
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")

INSTALL_HINT = "pip install 'mlflow-nbaprops[tune]'"
#: Without ``--storage``: an embedded sqlite file in the working directory, no setup.
DEFAULT_STORAGE = "sqlite:///nbaprops-tuning.db"
STUDY_TAG = "nbaprops.tune.study"
ROLE_TAG = "nbaprops.tune.role"
STATE_TAG = "nbaprops.tune.state"
CONFIG_ARTIFACT = "tune_config.json"
#: Median pruner: no pruning before this many finished trials, nor before the second fold's report
#: (configurations are compared on the same rows, fold for fold: two months of games suffice).
PRUNE_AFTER_TRIALS = 4
PRUNE_AFTER_FOLDS = 1
#: A worker stops after this many failed trials in a row (a bad space fails every trial).
MAX_FAILURES_IN_A_ROW = 3


class TuningError(NBAPropsError):
    """A study that cannot run as asked (Optuna missing, a study of another space or data...)."""


def import_optuna():
    """Optuna, or a :class:`TuningError` saying how to install it (it is the ``tune`` extra)."""
    try:
        import optuna
    except ImportError as exc:
        raise TuningError(f"nbaprops tune needs Optuna, which is not installed: {INSTALL_HINT}") from exc
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@dataclass
class TuneReport:
    """What a worker saw of the study when it stopped."""

    study: str
    storage: str
    parent_run_id: str
    validation_season: str
    counts: dict[str, int]
    fits: dict[str, int]
    best: dict[str, Any] | None = None
    defaults_value: float | None = None
    next_season: str | None = None
    next_scores: dict[str, float] = field(default_factory=dict)
    finalized: bool = False
    #: When this worker did not finish the study: the worker that does (or did).
    finisher: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{n} {state.lower()}" for state, n in self.counts.items() if n)
        lines = [f"study {self.study} ({redact_url(self.storage)}): {counts or 'no trials'}",
                 f"parent run {self.parent_run_id}"]
        done, total = self.fits["done"], self.fits["without_pruning"]
        if total:
            lines.append(f"refits: {done} of the {total} the same trials need without pruning "
                         f"({100 * (1 - done / total):.0f}% saved)")
        if self.best:
            lines.append(f"best: trial {self.best['trial']}, {self.validation_season} PRA MAE {self.best['value']:.4f}"
                         + (f" (package defaults {self.defaults_value:.4f})" if self.defaults_value is not None else ""))
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in self.best["params"].items()))
        if self.next_scores:
            best, default = self.next_scores.get("best"), self.next_scores.get("defaults")
            lines.append(f"{self.next_season}, scored once: best {best:.4f}"
                         + (f", package defaults {default:.4f}" if default is not None else "")
                         + " (the season after the one the study selected on)")
        elif self.finalized:
            lines.append(f"no season after {self.validation_season} in the data: nothing scored out of sample")
        if not self.finalized:
            lines.append(f"the worker that ran the study's last trial finishes it: {self.finisher}" if self.finisher
                         else "another worker is still running trials: it finishes the study")
        lines.append(f"train it: nbaprops train --params-from {self.parent_run_id} ...")
        return "\n".join(lines)


def tune(data: DataInfo, space: SearchSpace, validation_season: str, trials: int = 20, study_name: str | None = None,
         storage: str | None = None, timeout: float | None = None, seed: int = 0, n_jobs: int = 2,
         pruning: bool = True, heartbeat: int = 15, experiment: str | None = None) -> TuneReport:
    """Join (or create) study ``study_name`` and run trials until it has ``trials`` finished
    (complete or pruned) ones, or ``timeout`` seconds pass; then, if no other worker is still
    running a trial, finish the study (figures, best params, the next season's scores)."""
    optuna = import_optuna()
    with warnings.catch_warnings():  # heartbeats are "experimental" (stable since Optuna 2.9): not the caller's news
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _run_study(optuna, data, space, validation_season, trials, study_name, storage, timeout, seed, n_jobs,
                          pruning, heartbeat, experiment)


def _run_study(optuna, data: DataInfo, space: SearchSpace, validation_season: str, trials: int,
               study_name: str | None, storage: str | None, timeout: float | None, seed: int, n_jobs: int,
               pruning: bool, heartbeat: int, experiment: str | None) -> TuneReport:
    started = time.perf_counter()
    seasons = sorted(data.frame["SEASON"].unique())
    if validation_season not in seasons:
        raise TuningError(f"validation season {validation_season!r} is not in the data (seasons: {', '.join(seasons)})")
    later = seasons[seasons.index(validation_season) + 1:]
    scenarios = {d.fixed for d in space.dimensions if d.name == "availability" and d.fixed is not None}
    scenarios |= {c for d in space.dimensions if d.name == "availability" and d.choices for c in d.choices}
    needs = sorted(s for s in scenarios if s in NEWS_SCENARIOS)
    if needs and (data.news is None or len(data.news.pregame) == 0):
        raise TuningError(f"the space's availability {', '.join(needs)} reads pre-game news: give it with --news")
    if "report" in scenarios and len(data.news.reports) == 0:
        raise TuningError("the space's availability report reads the league's injury reports: give their history "
                          "(nbaprops data injuries) with --news")
    fingerprint = _fingerprint(space, data, validation_season, news=bool(needs))
    study_name = study_name or f"nbaprops-{validation_season}-{fingerprint[:10]}"
    storage_url = storage or DEFAULT_STORAGE
    client = mlflow.MlflowClient()
    worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"  # host:pid, one name per call

    def stale(study, trial) -> None:  # a worker stopped mid-trial: its run fails with its trial
        run_id = trial.user_attrs.get("mlflow_run_id")
        if run_id:
            _fail_run(client, run_id, "the worker stopped (no heartbeat)")

    rdb = _storage(optuna, storage_url, heartbeat, stale)
    sampler = optuna.samplers.TPESampler(seed=seed if storage is None else None)  # shared: workers differ
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=PRUNE_AFTER_TRIALS, n_warmup_steps=PRUNE_AFTER_FOLDS)
              if pruning else optuna.pruners.NopPruner())
    try:
        study = optuna.create_study(study_name=study_name, storage=rdb, direction="minimize", sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
    except Exception as exc:
        raise TuningError(f"cannot open study {study_name!r} in {redact_url(storage_url)}: "
                          f"{redact_text(str(exc).splitlines()[0])}") from exc
    _check_same_study(study, fingerprint, validation_season, space)

    exp_id = experiment_id(client, experiment or experiment_name("tuning"))
    parent = _parent_run(client, exp_id, study_name, {
        "validation_season": validation_season, "trials": trials, "backend": space.backend,
        "searched": ", ".join(space.searched), "space": redact_text(space.source), "storage": redact_url(storage_url),
        "pruner": f"median, after {PRUNE_AFTER_TRIALS} trials, from fold {PRUNE_AFTER_FOLDS}" if pruning else "none",
        "sampler": "TPE", "seed": seed, "data_version": data.digest, "data_source": redact_text(data.source)}, {
        "nbaprops.phase": "tuning", ROLE_TAG: "study", STUDY_TAG: study_name,
        "nbaprops.tune.storage": redact_url(storage_url), "nbaprops.tune.space": redact_text(space.source),
        "nbaprops.tune.searched": ", ".join(space.searched)[:5000], "nbaprops.test_season": validation_season,
        "nbaprops.data.digest": data.digest, "nbaprops.data.source": redact_text(data.source)[:250]})
    study.set_user_attr("mlflow_parent_run_id", parent)
    project = project_run_id()
    if project:  # the run `mlflow run` made: point it at the study's parent run
        client.set_tag(project, "nbaprops.tune.parent_run", parent)
        client.set_tag(project, STUDY_TAG, study_name)

    frame = data.frame[data.frame["SEASON"] <= validation_season].reset_index(drop=True)
    features = SharedFeatures(frame, data.news)  # once per absence source: every trial's set is columns of it
    defaults = space.defaults()
    if defaults:
        study.enqueue_trial(defaults, user_attrs={"kind": "defaults"}, skip_if_exists=True)

    ran = [0]
    current: list[str] = []  # this worker's trial run (one at a time): never left RUNNING when it stops

    def objective(trial) -> float:
        ran[0] += 1
        if ran[0] == 1 and client.get_run(parent).info.status != "RUNNING":  # a finished study, more trials
            client.update_run(parent, status="RUNNING")
        values = space.suggest(trial)
        config = space.config(values, validation_season, seed, n_jobs)
        tags = {MLFLOW_PARENT_RUN_ID: parent, "nbaprops.phase": "tuning", ROLE_TAG: "trial", STUDY_TAG: study_name,
                "nbaprops.tune.trial": str(trial.number), "nbaprops.tune.worker": worker,
                "nbaprops.tune.kind": str(trial.user_attrs.get("kind", "sampled")),
                "nbaprops.data.digest": data.digest, "nbaprops.test_season": validation_season,
                **config.features.tags()}
        run = client.create_run(exp_id, run_name=f"{study_name}_trial{trial.number:03d}", tags=resolve_tags(tags))
        run_id = run.info.run_id
        current[:] = [run_id]
        fitted = [0]

        def report(fold: int, n_folds: int, running_mae: float) -> None:
            fitted[0] += 1
            trial.set_user_attr("folds_total", n_folds)
            trial.set_user_attr("folds_fitted", fitted[0])
            client.log_metric(run_id, "val_running_pra_mae", running_mae, step=fold)
            trial.report(running_mae, step=fold)
            if trial.should_prune():
                raise optuna.TrialPruned(f"fold {fold}: running PRA MAE {running_mae:.4f} above the median")

        try:  # from the run's first write: an interrupt anywhere after it leaves no run RUNNING
            trial.set_user_attr("mlflow_run_id", run_id)
            trial.set_user_attr("worker", worker)
            params = {**config_params(config, data), **values}
            client.log_batch(run_id, params=[mlflow.entities.Param(k, redact_text(str(v))[:6000])
                                             for k, v in params.items()])
            client.log_dict(run_id, _config_record(config, values, trial.number), CONFIG_ARTIFACT)
            result = walk_forward(frame, config, progress=False, features=features(config.features), on_fold=report,
                                  news=data.news)
        except optuna.TrialPruned:
            client.set_tag(run_id, STATE_TAG, "PRUNED")
            client.log_metric(run_id, "folds_fitted", fitted[0])
            client.set_terminated(run_id, "KILLED")
            raise
        except BaseException as exc:
            _fail_run(client, run_id, f"{type(exc).__name__}: {exc}")
            raise
        metrics = {**headline_metrics(result.metrics), "folds_fitted": float(fitted[0])}
        client.log_batch(run_id, metrics=[mlflow.entities.Metric(k, v, int(time.time() * 1000), 0)
                                          for k, v in metrics.items()])
        client.set_tag(run_id, STATE_TAG, "COMPLETE")
        client.set_terminated(run_id, "FINISHED")
        return float(result.metrics["pra_mae"])

    failures = [0]

    def give_up(study, trial) -> None:  # a configuration error fails every trial: stop, do not loop
        failures[0] = failures[0] + 1 if trial.state == optuna.trial.TrialState.FAIL else 0
        if failures[0] >= MAX_FAILURES_IN_A_ROW:
            logger.error("%d trials in a row failed: this worker stops", failures[0])
            study.stop()

    def best_so_far(study, trial) -> None:
        values = [t.value for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                  if t.value is not None]
        if values:
            client.log_metric(parent, "best_val_pra_mae", min(values), step=trial.number)

    taken = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.RUNNING)

    def to_start() -> int:
        """Trials still to start: the trials other workers are running count as taken (Optuna's
        MaxTrialsCallback counts finished ones only, so each extra worker overran by a trial)."""
        optuna.storages.fail_stale_trials(study)  # a dead worker's trial is not taken
        return trials - len(study.get_trials(deepcopy=False, states=taken))

    def enough(study, trial) -> None:
        if to_start() <= 0:
            study.stop()

    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if failures[0] >= MAX_FAILURES_IN_A_ROW or to_start() <= 0 or (left is not None and left <= 0):
                others_done = _others_done(study, optuna, heartbeat)
                break
            study.optimize(objective, timeout=left, gc_after_trial=False, catch=(NBAPropsError, ValueError),
                           callbacks=[enough, best_so_far, give_up])
            # wait for the others' trials: one a dead worker left fails, and is started again here
            others_done = _others_done(study, optuna, heartbeat)
            if not others_done:
                break
    except BaseException as exc:  # a crash (or an interrupt) of this worker: no run is left RUNNING by it
        _worker_failed(study, optuna, client, parent, worker, exc, current)
        raise

    report = TuneReport(study_name, storage_url, parent, validation_season, _counts(study), _fits(study, optuna))
    report.finisher = _finisher(study, optuna, client, parent, worker, ran_trials=bool(ran[0])) if others_done else None
    if report.finisher == worker:
        # every trial is done: the next season's two backtests may take the whole machine
        client.set_tag(parent, "nbaprops.tune.finished_by", worker)
        _finish(study, optuna, client, parent, space, data, validation_season, later[0] if later else None,
                report, seed, max(n_jobs, os.cpu_count() or 1))
    report.seconds = time.perf_counter() - started
    return report


def params_from(run_or_study: str, client: mlflow.MlflowClient | None = None) -> dict[str, Any]:
    """The configuration a tuning run stands for, as ``train`` takes it: a study's parent run
    (or the study's name) gives its best trial's, a trial run its own."""
    client = client or mlflow.MlflowClient()
    run_id = run_or_study if _RUN_ID.match(run_or_study) else _study_parent(client, run_or_study)
    run = client.get_run(run_id)  # an unknown run: MLflow's own error
    if CONFIG_ARTIFACT not in {f.path for f in client.list_artifacts(run_id)}:
        state = run.data.tags.get(STATE_TAG, "not a tuning run")
        raise TuningError(f"run {run_id} has no {CONFIG_ARTIFACT} ({state}): pass the parent run of a finished "
                          "study or one of its trial runs")
    return mlflow.artifacts.load_dict(f"{run.info.artifact_uri.rstrip('/')}/{CONFIG_ARTIFACT}")["config"]


# --------------------------------------------------------------------------- helpers


def _worker_failed(study, optuna, client: mlflow.MlflowClient, parent: str, worker: str, exc: BaseException,
                   runs: list[str] = ()) -> None:
    """This worker stops on an error its trials do not catch. Its trial runs still RUNNING (an
    interrupt between two writes) end FAILED or KILLED. With no other worker's trial running,
    nobody is left to finish the study: its parent run is marked FAILED, with the error, instead of
    staying RUNNING."""
    status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
    try:
        for run_id in runs:
            if client.get_run(run_id).info.status == "RUNNING":
                _fail_run(client, run_id, f"{type(exc).__name__}: {exc}", status)
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if any(t.user_attrs.get("worker") not in (None, worker) for t in running):
            return
        client.set_tag(parent, STATE_TAG, "FAILED")
        client.set_tag(parent, "nbaprops.tune.failure",
                       redact_text(f"worker {worker}: {type(exc).__name__}: {exc}")[:5000])
        client.set_terminated(parent, status)
    except Exception:  # the error that stopped the worker is the one to report
        logger.exception("could not mark the study's parent run after a worker error")


def _fail_run(client: mlflow.MlflowClient, run_id: str, reason: str, status: str = "FAILED") -> None:
    """End a trial run that did not finish: state FAILED, the reason (redacted) in a tag."""
    client.set_tag(run_id, STATE_TAG, "FAILED")
    client.set_tag(run_id, "nbaprops.tune.failure", redact_text(reason)[:5000])
    client.set_terminated(run_id, status)


def _study_parent(client: mlflow.MlflowClient, study_name: str) -> str:
    """The parent run of study ``study_name``, in whichever experiment it was logged."""
    ids = [e.experiment_id for e in client.search_experiments()]
    found = client.search_runs(ids, f"tags.`{STUDY_TAG}` = {quoted(study_name)} and tags.`{ROLE_TAG}` = 'study'",
                               order_by=["attributes.start_time DESC"], max_results=1) if ids else []
    if not found:
        raise TuningError(f"{study_name!r} is neither a run id nor a study with a parent run on this tracking server")
    return found[0].info.run_id


def _storage(optuna, url: str, heartbeat: int, on_stale):
    """Optuna's relational storage with heartbeats. Workers starting together on an empty
    database race to create its tables: the loser retries once the winner is done."""
    for attempt in range(4):
        try:
            return optuna.storages.RDBStorage(url, heartbeat_interval=heartbeat, grace_period=3 * heartbeat,
                                              heartbeat_stale_trial_callback=on_stale)
        except Exception as exc:
            if attempt == 3 or type(exc).__module__.split(".")[0] not in ("sqlalchemy", "optuna"):
                raise TuningError(f"cannot open the Optuna storage {redact_url(url)}: "
                                  f"{redact_text(str(exc).splitlines()[0])}") from exc
            time.sleep(1.0 + attempt)


def _fingerprint(space: SearchSpace, data: DataInfo, season: str, news: bool = False) -> str:
    """What the study's workers must share: the space, the data (and the news, where the space reads
    it) and the validation season."""
    record = {"space": [vars(d) for d in space.dimensions], "backend": space.backend, "data": data.digest,
              "season": season}
    if news:
        record["news"] = data.news.version.digest
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_same_study(study, fingerprint: str, season: str, space: SearchSpace) -> None:
    """Workers of one study must search the same space on the same data and season."""
    saved = study.user_attrs.get("fingerprint")
    if saved is None:
        study.set_user_attr("fingerprint", fingerprint)
        study.set_user_attr("validation_season", season)
        study.set_user_attr("space", space.describe()[:2000])
    elif saved != fingerprint:
        raise TuningError(f"study {study.study_name!r} searches another space, data or validation season "
                          f"({study.user_attrs.get('space', '?')} on {study.user_attrs.get('validation_season', '?')}): "
                          "give this one its own --study name")


def _parent_run(client: mlflow.MlflowClient, exp_id: str, study_name: str, params: dict[str, Any],
                tags: dict[str, str]) -> str:
    """The study's one parent run, created by the first worker. Workers starting together may
    each create one: the earliest-started is kept, the others are deleted."""
    filter_string = f"tags.`{STUDY_TAG}` = {quoted(study_name)} and tags.`{ROLE_TAG}` = 'study'"

    def candidates() -> list:
        found = client.search_runs([exp_id], filter_string, max_results=100, order_by=["attributes.start_time ASC"])
        return sorted(found, key=lambda r: (r.info.start_time, r.info.run_id))

    found = candidates()
    if not found:
        mine = client.create_run(exp_id, run_name=study_name, tags=resolve_tags(tags)).info.run_id
        client.log_batch(mine, params=[mlflow.entities.Param(k, str(v)[:6000]) for k, v in params.items()])
        time.sleep(0.2)  # let a racing worker's candidate land before choosing
        found = candidates()
        if found[0].info.run_id != mine:
            client.delete_run(mine)
    return found[0].info.run_id


def _counts(study) -> dict[str, int]:
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    return {state: states.count(state) for state in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")}


def _fits(study, optuna) -> dict[str, int]:
    """Refits done, and the refits the same finished trials would have needed without pruning."""
    done = total = 0
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                      optuna.trial.TrialState.PRUNED)):
        done += int(t.user_attrs.get("folds_fitted", 0))
        total += int(t.user_attrs.get("folds_total", t.user_attrs.get("folds_fitted", 0)))
    return {"done": done, "without_pruning": total}


def _others_done(study, optuna, heartbeat: int) -> bool:
    """True once no trial is running. A dead worker's trial stays RUNNING until its heartbeat is
    stale: wait that long for it to be failed; a live worker's trial: it finishes the study."""
    deadline = time.monotonic() + 4 * heartbeat + 5
    while True:
        optuna.storages.fail_stale_trials(study)
        if not study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(min(heartbeat, 5))


def _finisher(study, optuna, client: mlflow.MlflowClient, parent: str, worker: str, ran_trials: bool) -> str | None:
    """The one worker that finishes the study, decided alike by every worker once no trial runs:
    the worker of the last trial to finish. (A tag written and read back is no lock: two workers
    ending a second apart each read their own name and both scored the next season.) A worker
    that ran no trial joined a study whose trials are done: it finishes it if nobody has."""
    if not ran_trials:
        tags = client.get_run(parent).data.tags
        return tags.get("nbaprops.tune.finished_by") if tags.get(STATE_TAG) == "FINISHED" else worker
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                    optuna.trial.TrialState.PRUNED))
    last = max(done, key=lambda t: (t.datetime_complete, t.number), default=None)
    return worker if last is None else last.user_attrs.get("worker", worker)


def _config_record(config: BacktestConfig, values: dict[str, Any], trial: int | None) -> dict[str, Any]:
    return {"trial": trial, "params": values,
            "config": {"backend": config.backend, "feature_set": config.feature_set,
                       "availability": config.availability, "refit_every": config.refit_every,
                       "train_window_days": config.train_window_days,
                       "minutes_params": config.minutes_params, "pra_params": config.pra_params}}


def _finish(study, optuna, client: mlflow.MlflowClient, parent: str, space: SearchSpace, data: DataInfo,
            season: str, next_season: str | None, report: TuneReport, seed: int, n_jobs: int) -> None:
    """Figures, best params and the out-of-sample scores on the parent run; then it is FINISHED."""
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    report.finalized = True
    if not complete:
        client.set_tag(parent, STATE_TAG, "no trial finished")
        client.set_terminated(parent, "FAILED")
        return
    trials = sorted(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                             optuna.trial.TrialState.PRUNED)), key=lambda t: t.number)
    values = [t.value if t.value is not None else (list(t.intermediate_values.values()) or [np.nan])[-1]
              for t in trials]
    best_curve = np.fmin.accumulate([t.value if t.value is not None else np.nan for t in trials])
    client.log_figure(parent, plots.optimisation_history([t.number for t in trials], values,
                                                         [t.state.name for t in trials], best_curve),
                      "figures/optimisation_history.png")
    try:
        importances = optuna.importance.get_param_importances(study)
        client.log_figure(parent, plots.param_importances(importances), "figures/param_importances.png")
        client.log_dict(parent, importances, "param_importances.json")
    except (RuntimeError, ValueError) as exc:  # fewer than two finished trials, or nothing varied
        logger.warning("no parameter importances: %s", exc)

    best = study.best_trial
    best_values = {**space.fixed(), **best.params}
    best_config = space.config(best_values, season, seed, n_jobs)
    report.best = {"trial": best.number, "value": float(best.value), "params": best.params,
                   "run_id": best.user_attrs.get("mlflow_run_id")}
    defaults = [t for t in complete if t.user_attrs.get("kind") == "defaults"]
    report.defaults_value = float(defaults[0].value) if defaults else None
    client.log_dict(parent, _config_record(best_config, best_values, best.number), CONFIG_ARTIFACT)
    metrics = {"trials_complete": float(report.counts["COMPLETE"]),
               "trials_pruned": float(report.counts["PRUNED"]), "trials_failed": float(report.counts["FAIL"]),
               "refits_done": float(report.fits["done"]), "refits_without_pruning": float(report.fits["without_pruning"])}
    if report.defaults_value is not None:
        metrics["defaults_val_pra_mae"] = report.defaults_value
    client.set_tag(parent, "nbaprops.tune.best_trial", str(best.number))
    client.set_tag(parent, "nbaprops.tune.best_run", str(best.user_attrs.get("mlflow_run_id", "")))

    if next_season is not None:  # the season after: scored once, never selected on
        report.next_season = next_season
        frame = data.frame[data.frame["SEASON"] <= next_season].reset_index(drop=True)
        features = SharedFeatures(frame, data.news)
        default_values = {**space.fixed(), **space.defaults()}
        scored: dict[str, dict[str, float]] = {}  # the defaults won: one walk-forward, not two of the same
        for label, values_ in (("best", best_values), ("defaults", default_values)):
            key = json.dumps(values_, sort_keys=True, default=str)
            if key not in scored:
                config_ = space.config(values_, next_season, seed, n_jobs)
                result = walk_forward(frame, config_, progress=False, features=features(config_.features),
                                      news=data.news)
                scored[key] = {"pra_mae": float(result.metrics["pra_mae"]), "min_mae": float(result.metrics["min_mae"])}
            report.next_scores[label] = scored[key]["pra_mae"]
            metrics[f"next_{label}_pra_mae"] = scored[key]["pra_mae"]
            metrics[f"next_{label}_min_mae"] = scored[key]["min_mae"]
        client.set_tag(parent, "nbaprops.tune.next_season", next_season)
    client.log_batch(parent, metrics=[mlflow.entities.Metric(k, v, int(time.time() * 1000), 0)
                                      for k, v in metrics.items()])
    client.set_tag(parent, STATE_TAG, "FINISHED")
    client.set_terminated(parent, "FINISHED")
