"""What the daily commands share: which registered version a model URI names, where their
runs go (the run helpers themselves are tracking's: :mod:`mlflow_nbaprops.tracking.runs`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import mlflow
from mlflow.exceptions import MlflowException

from mlflow_nbaprops.promotion import LINEAGE_TAG, RegistryError  # (LINEAGE_TAG: the registry's, used here too)
from mlflow_nbaprops.tracking import experiment_name

#: Where ``predict`` logs each scored slate, and ``grade`` the live metrics.
PREDICTIONS_EXPERIMENT = experiment_name("predictions")
MONITORING_EXPERIMENT = experiment_name("monitoring")
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
