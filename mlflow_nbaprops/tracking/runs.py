"""Runs made explicitly (not with ``mlflow.start_run()``), for commands whose runs must land in
a given experiment whatever run ``mlflow run`` made: the daily loop's and the tuner's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking.context.registry import resolve_tags


def experiment_id(client: mlflow.MlflowClient, name: str) -> str:
    """The id of experiment ``name``, created if needed."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException:  # created by a racing process meanwhile
        return client.get_experiment_by_name(name).experiment_id


def use_experiment(name: str, client: mlflow.MlflowClient | None = None) -> str:
    """Make experiment ``name`` (created if needed) the active one; returns its id.

    Not ``mlflow.set_experiment(name)``: when another process creates the experiment between
    its lookup and its create, MLflow 3.17 returns the experiment without making it active,
    and the run that follows lands in Default (two of three trainings started together on a
    new tracking server found their experiment; the third was logged to Default).
    """
    exp_id = experiment_id(client or mlflow.MlflowClient(), name)
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


@contextmanager
def loop_run(client: mlflow.MlflowClient, experiment: str, run_name: str, tags: dict[str, str]) -> Iterator:
    """A new run in ``experiment``, active for fluent logging, FINISHED on success, FAILED on error.

    Created explicitly, not with ``mlflow.start_run()``: under ``mlflow run`` that would resume
    the project's run in whatever experiment it was started, and the daily runs must be found
    where ``grade`` and ``monitor`` look. Every run-context provider's tags are applied
    (MLflow's and this package's git / data / lineage tags). ``experiment`` becomes the
    active experiment (MLflow resumes a run only inside its own).
    """
    exp_id = use_experiment(experiment, client)
    run = client.create_run(exp_id, run_name=run_name, tags=resolve_tags(tags))
    with mlflow.start_run(run_id=run.info.run_id) as active:
        yield active


def search_all(client: mlflow.MlflowClient, experiment: str, filter_string: str) -> list:
    """Every run of ``experiment`` (if it exists) matching ``filter_string``, oldest first."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    runs, token = [], None
    while True:
        page = client.search_runs([found.experiment_id], filter_string, max_results=1000, page_token=token,
                                  order_by=["attributes.start_time ASC"])
        runs += list(page)
        token = page.token
        if not token:
            return runs
