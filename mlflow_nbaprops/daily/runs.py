"""What the daily commands share: which registered version a model URI names, and the runs
they log (each in its own experiment, tagged by every run-context provider, ours included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking.context.registry import resolve_tags

from mlflow_nbaprops.promotion import RegistryError
from mlflow_nbaprops.tracking import experiment_name

#: Where ``predict`` logs each scored slate, and ``grade`` the live metrics.
PREDICTIONS_EXPERIMENT = experiment_name("predictions")
MONITORING_EXPERIMENT = experiment_name("monitoring")
#: Version tag naming the trained version a refreshed one descends from (its boosters').
LINEAGE_TAG = "nbaprops.lineage"
_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")


@dataclass(frozen=True)
class ModelRef:
    """A model URI resolved against the registry (``name`` empty for a run or a path)."""

    uri: str
    name: str = ""
    version: str = ""
    run_id: str = ""
    lineage: str = ""  # the trained version whose boosters this version carries

    @property
    def label(self) -> str:
        """``NBAPropsModel/7`` for a registered version, else the URI."""
        return f"{self.name}/{self.version}" if self.name else self.uri

    @property
    def lineage_label(self) -> str:
        return f"{self.name}/{self.lineage}" if self.name else self.uri


def resolve(model_uri: str, client: mlflow.MlflowClient) -> ModelRef:
    """``models:/Name@alias`` or ``models:/Name/3`` as the version it names now; any other URI as is."""
    match = _MODELS_URI.match(model_uri.strip())
    if not match:
        return ModelRef(model_uri)
    name = match["name"]
    try:
        mv = (client.get_model_version_by_alias(name, match["alias"]) if match["alias"]
              else client.get_model_version(name, match["version"]))
    except MlflowException as exc:
        raise RegistryError(f"{model_uri}: no such registered model version ({exc.message.splitlines()[0]})") from exc
    return ModelRef(model_uri, name, str(mv.version), mv.run_id or "", mv.tags.get(LINEAGE_TAG, str(mv.version)))


def experiment_id(client: mlflow.MlflowClient, name: str) -> str:
    """The id of experiment ``name``, created if needed."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException:  # created by a racing process meanwhile
        return client.get_experiment_by_name(name).experiment_id


@contextmanager
def loop_run(client: mlflow.MlflowClient, experiment: str, run_name: str, tags: dict[str, str]) -> Iterator:
    """A new run in ``experiment``, active for fluent logging, FINISHED on success, FAILED on error.

    Created explicitly, not with ``mlflow.start_run()``: under ``mlflow run`` that would resume
    the project's run in whatever experiment it was started, and the daily runs must be found
    where ``grade`` and ``monitor`` look. Every run-context provider's tags are applied
    (MLflow's and this package's git / data / lineage tags). ``experiment`` becomes the
    active experiment (MLflow resumes a run only inside its own).
    """
    exp_id = experiment_id(client, experiment)
    run = client.create_run(exp_id, run_name=run_name, tags=resolve_tags(tags))
    mlflow.set_experiment(experiment_id=exp_id)
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
