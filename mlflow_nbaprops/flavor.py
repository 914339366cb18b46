"""The ``nbaprops`` MLflow model flavor: save, log and load the two-stage PRA predictor.

Shaped like MLflow's own ``mlflow.xgboost``::

    import mlflow_nbaprops.flavor as nbaprops_flavor

    info = nbaprops_flavor.log_model(predictor, name="model", registered_model_name="NBAPropsModel")
    predictor = nbaprops_flavor.load_model("models:/NBAPropsModel@production")
    pyfunc = mlflow.pyfunc.load_model("models:/NBAPropsModel@production")   # slate rows in

Stage boosters are stored in their native formats (XGBoost UBJSON, LightGBM text), all
other learned state as JSON and Parquet; the ``MLmodel`` flavor section records the
feature set (name, version, definitions hash), the training data version and date range,
the package version and a SHA-256 of every file, which ``load_model`` verifies.
Only a user-supplied foreign estimator is pickled (cloudpickle), and loading it honours
MLflow's ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import mlflow
from mlflow.environment_variables import MLFLOW_ALLOW_PICKLE_DESERIALIZATION
from mlflow.exceptions import MlflowException
from mlflow.models import Model, ModelInputExample, ModelSignature
from mlflow.models.model import MLMODEL_FILE_NAME
from mlflow.models.utils import _save_example
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.tracking._model_registry import DEFAULT_AWAIT_MAX_SLEEP_SECONDS
from mlflow.tracking.artifact_utils import _download_artifact_from_uri
from mlflow.types import ColSpec, DataType, Schema
from mlflow.utils.environment import (
    _CONDA_ENV_FILE_NAME,
    _CONSTRAINTS_FILE_NAME,
    _PYTHON_ENV_FILE_NAME,
    _REQUIREMENTS_FILE_NAME,
    _mlflow_conda_env,
    _process_conda_env,
    _process_pip_requirements,
    _PythonEnv,
    _validate_env_arguments,
)
from mlflow.utils.file_utils import get_total_file_size, write_to
from mlflow.utils.model_utils import (
    _add_code_from_conf_to_system_path,
    _get_flavor_configuration,
    _validate_and_copy_code_paths,
    _validate_and_prepare_target_save_path,
)

from mlflow_nbaprops import __version__
from mlflow_nbaprops.errors import DataValidationError, ModelIntegrityError, NBAPropsError
from mlflow_nbaprops.model.backends import BACKEND_NAMES, get_backend
from mlflow_nbaprops.model.persistence import FORMAT_VERSION, backend_name, load_predictor, save_predictor
from mlflow_nbaprops.model.predictor import (
    LINE_COLUMN,
    MINUTES_COLUMN,
    SLATE_COLUMNS,
    SPREAD_COLUMN,
    STARTER_COLUMN,
    STATUS_COLUMN,
    TARGET_COLUMNS,
    TOTAL_COLUMN,
    PropsPredictor,
)

FLAVOR_NAME = "nbaprops"
#: Folder inside the MLflow model directory holding the predictor's files.
DATA_DIR = "predictor"
_PACKAGE = "mlflow-nbaprops"


# --------------------------------------------------------------------------- environment


def get_default_pip_requirements(backends: tuple[str, ...] = BACKEND_NAMES) -> list[str]:
    """``mlflow-nbaprops`` pinned to this version plus exactly the libraries the model's stages
    need, each pinned as installed (the backend table says which distributions provide them)."""
    return [f"{_PACKAGE}=={__version__}",
            *(pin for name in sorted(set(backends)) for pin in get_backend(name).pip_requirements())]


def get_default_conda_env(backends: tuple[str, ...] = BACKEND_NAMES) -> dict:
    """The default conda environment for models produced by :func:`save_model`/:func:`log_model`."""
    return _mlflow_conda_env(additional_pip_deps=get_default_pip_requirements(backends))


# --------------------------------------------------------------------------- signature


def slate_signature(predictor: PropsPredictor) -> ModelSignature:
    """The answer's columns; no input schema: the model judges every cell it is sent.

    MLflow offers no input type that passes values through *and* lets its CSV reader parse them.
    Typed columns are cast before anyone looks (with ``boolean``/``double``/``string``,
    ``"false"`` or ``"away"`` became a *home* game, ``true`` a line of 1); ``Any`` columns make
    ``text/csv`` requests fail inside MLflow's parser. Without an input schema JSON, CSV and
    pandas slates all reach :meth:`PropsPredictor.predict` as sent, which validates them (a
    missing column, a bad value: one line naming column and rows). The columns a slate takes are
    listed in the flavor's ``slate_columns``, and the input example shows them."""
    outputs = [ColSpec(DataType.double, c) for c in predictor.numeric_columns]
    outputs += [ColSpec(DataType.boolean, "unknown_player"), ColSpec(DataType.string, "warning"),
                ColSpec(DataType.string, "answered_by")]
    return ModelSignature(inputs=None, outputs=Schema(outputs))


def as_slate_request(slate: pd.DataFrame) -> pd.DataFrame:
    """``slate`` in the types a JSON request carries them: PLAYER_ID and the numbers as doubles,
    GAME_DATE as ISO text, HOME as bool (what ``to_json`` needs to write a request the server
    reads back unchanged). The predictor and the ``python_function`` model take a pandas slate as
    it is."""
    out = slate.copy()
    out["PLAYER_ID"] = pd.to_numeric(out["PLAYER_ID"], errors="coerce").astype(float)
    if pd.api.types.is_datetime64_any_dtype(out["GAME_DATE"]):
        out["GAME_DATE"] = out["GAME_DATE"].dt.strftime("%Y-%m-%d")
    out["GAME_DATE"] = out["GAME_DATE"].astype(str)
    for col in ("TEAM", "OPPONENT"):
        out[col] = out[col].astype(str)
    out["HOME"] = out["HOME"].astype(bool)
    for col in (LINE_COLUMN, MINUTES_COLUMN, STARTER_COLUMN, SPREAD_COLUMN, TOTAL_COLUMN, "ODDS_OVER", "ODDS_UNDER"):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def slate_example(predictor: PropsPredictor, rows: int = 3) -> pd.DataFrame:
    """A few real slate rows: the snapshot's last players, one day after the cutoff; the last
    one ruled out on the injury report (``STATUS`` OUT), the others available."""
    last = predictor.snapshot.rows.sort_values("GAME_DATE").tail(rows)
    day = predictor.snapshot.next_night().date().isoformat()  # the night a load builds ahead
    return pd.DataFrame({
        "PLAYER_ID": last["PLAYER_ID"].astype(float).to_numpy(),
        "GAME_DATE": day,
        "TEAM": last["TEAM"].astype(str).to_numpy(),
        "OPPONENT": last["OPPONENT"].astype(str).to_numpy(),
        "HOME": last["HOME"].astype(bool).to_numpy(),
        LINE_COLUMN: 20.5,
        STATUS_COLUMN: ["AVAILABLE"] * (len(last) - 1) + ["OUT"] if len(last) else [],
    })


# --------------------------------------------------------------------------- save / log


def save_model(
    predictor: PropsPredictor,
    path: str | os.PathLike,
    conda_env=None,
    code_paths: list[str] | None = None,
    mlflow_model: Model | None = None,
    signature: ModelSignature | None | bool = None,
    input_example: ModelInputExample = None,
    pip_requirements=None,
    extra_pip_requirements=None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Save ``predictor`` as an MLflow model with the ``nbaprops`` and ``python_function`` flavors.

    By default the signature is :func:`slate_signature` and the input example is
    :func:`slate_example`; pass ``signature=False`` / your own example to change that.
    """
    if not isinstance(predictor, PropsPredictor):
        raise TypeError(f"save_model needs a PropsPredictor, got {type(predictor).__name__}")
    _validate_env_arguments(conda_env, pip_requirements, extra_pip_requirements)
    path = os.path.abspath(path)
    _validate_and_prepare_target_save_path(path)
    code_dir_subpath = _validate_and_copy_code_paths(code_paths, path)

    mlflow_model = mlflow_model or Model()
    if input_example is None:
        input_example = slate_example(predictor)
    _save_example(mlflow_model, input_example, path)
    if signature is None:
        signature = slate_signature(predictor)
    if signature is not False:
        mlflow_model.signature = signature
    if metadata is not None:
        mlflow_model.metadata = metadata

    data_dir = Path(path, DATA_DIR)
    data_dir.mkdir()
    files = save_predictor(predictor, data_dir)
    backend = backend_name(predictor.regressor)
    # the environment files first: the MLmodel records their checksums too
    if conda_env is None:
        default = get_default_pip_requirements((backend,)) if pip_requirements is None else None
        conda_env, pip_requirements, pip_constraints = _process_pip_requirements(
            default, pip_requirements, extra_pip_requirements)
    else:
        conda_env, pip_requirements, pip_constraints = _process_conda_env(conda_env)
    with open(os.path.join(path, _CONDA_ENV_FILE_NAME), "w") as f:
        yaml.safe_dump(conda_env, stream=f, default_flow_style=False)
    env_files = [_CONDA_ENV_FILE_NAME, _REQUIREMENTS_FILE_NAME, _PYTHON_ENV_FILE_NAME]
    if pip_constraints:
        write_to(os.path.join(path, _CONSTRAINTS_FILE_NAME), "\n".join(pip_constraints))
        env_files.append(_CONSTRAINTS_FILE_NAME)
    write_to(os.path.join(path, _REQUIREMENTS_FILE_NAME), "\n".join(pip_requirements))
    _PythonEnv.current().to_yaml(os.path.join(path, _PYTHON_ENV_FILE_NAME))
    fs = predictor.feature_set
    mlflow.pyfunc.add_to_model(
        mlflow_model, loader_module=__name__, data=DATA_DIR,
        conda_env=_CONDA_ENV_FILE_NAME, python_env=_PYTHON_ENV_FILE_NAME, code=code_dir_subpath,
    )
    mlflow_model.add_flavor(
        FLAVOR_NAME,
        format_version=FORMAT_VERSION,
        package_version=__version__,
        data=DATA_DIR,
        code=code_dir_subpath,
        backends={"minutes": backend, "pra": backend},
        feature_set={"name": fs.name, "version": fs.version, "hash": fs.hash, "n_features": len(fs.names)},
        scenario=predictor.scenario,
        slate_columns={"required": list(TARGET_COLUMNS),
                       "optional": [c for c in SLATE_COLUMNS if c not in TARGET_COLUMNS]},
        **({"fallback": {"scenario": predictor.fallback_scenario, "name": predictor.fallback_set.name,
                         "version": predictor.fallback_set.version, "hash": predictor.fallback_set.hash}}
           if predictor.fallback is not None else {}),
        data_version=predictor.info.get("data_version"),
        **({"news_version": predictor.info["news_version"]} if predictor.info.get("news_version") else {}),
        **({"market_calibration": {"rows": predictor.market.rows, "from": predictor.market.first_date,
                                   "to": predictor.market.last_date}} if predictor.market is not None else {}),
        train_start=predictor.info.get("train_start"),
        train_end=predictor.info.get("train_end"),
        snapshot_cutoff=predictor.snapshot.cutoff.date().isoformat(),
        sha256={name: _sha256(data_dir / name) for name in files},
        env_sha256={name: _sha256(Path(path, name)) for name in env_files},
    )
    if size := get_total_file_size(path):
        mlflow_model.model_size_bytes = size
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))


def log_model(
    predictor: PropsPredictor,
    artifact_path: str | None = None,
    conda_env=None,
    code_paths: list[str] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None | bool = None,
    input_example: ModelInputExample = None,
    await_registration_for: int = DEFAULT_AWAIT_MAX_SLEEP_SECONDS,
    pip_requirements=None,
    extra_pip_requirements=None,
    metadata: dict[str, Any] | None = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
):
    """Log ``predictor`` to the active run (MLflow 3: ``name=``); returns a ``ModelInfo``."""
    import mlflow_nbaprops.flavor as this

    return Model.log(
        artifact_path=artifact_path, name=name, flavor=this, registered_model_name=registered_model_name,
        predictor=predictor, conda_env=conda_env, code_paths=code_paths, signature=signature,
        input_example=input_example, await_registration_for=await_registration_for,
        pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements, metadata=metadata,
        params=params, tags=tags, model_type=model_type, step=step, model_id=model_id,
    )


# --------------------------------------------------------------------------- load


def load_model(model_uri: str, dst_path: str | None = None) -> PropsPredictor:
    """Load the fitted predictor from ``model_uri`` (``runs:/…``, ``models:/name@alias``, a path).

    Every file is checked against the SHA-256 recorded at save time first.
    """
    local = _download_artifact_from_uri(artifact_uri=model_uri, output_path=dst_path)
    conf = _get_flavor_configuration(model_path=local, flavor_name=FLAVOR_NAME)
    _add_code_from_conf_to_system_path(local, conf)
    return _load_verified(Path(local), conf)


def _load_verified(model_dir: Path, conf: dict) -> PropsPredictor:
    if conf.get("format_version") != FORMAT_VERSION:
        raise ModelIntegrityError(
            f"{model_dir}: nbaprops flavor format {conf.get('format_version')!r} is not supported by "
            f"mlflow-nbaprops {__version__} (format {FORMAT_VERSION})")
    data_dir = model_dir / conf.get("data", DATA_DIR)
    if not conf.get("sha256"):
        raise ModelIntegrityError(f"{model_dir}: the MLmodel records no file checksums; refusing to load unverified files")
    for key, folder, prefix in (("sha256", data_dir, f"{DATA_DIR}/"), ("env_sha256", model_dir, "")):
        recorded = conf.get(key, {})  # (env_sha256: absent from models saved before it was recorded)
        if not isinstance(recorded, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in recorded.items()):
            raise ModelIntegrityError(f"{model_dir}: the MLmodel's {key} entry is malformed (expected file name -> "
                                      "SHA-256 hex digest); refusing to load unverified files")
        for name, expected in recorded.items():
            file = folder / name
            if Path(name).is_absolute() or ".." in Path(name).parts or not file.is_file():
                raise ModelIntegrityError(f"model file {prefix}{name} is missing from {model_dir}")
            actual = _sha256(file)
            if actual != expected:
                raise ModelIntegrityError(
                    f"model file {prefix}{name} failed its SHA-256 check (recorded {expected[:12]}…, found "
                    f"{actual[:12]}…, {file.stat().st_size} bytes): it was modified or truncated after saving")
    try:
        return load_predictor(data_dir, allow_pickle=MLFLOW_ALLOW_PICKLE_DESERIALIZATION.get())
    except NBAPropsError:
        raise
    except Exception as exc:  # a corrupt file that still matches (e.g. hand-edited MLmodel)
        raise ModelIntegrityError(f"could not load the nbaprops model in {model_dir}: {exc}") from exc


def _load_pyfunc(path: str) -> "_PyFuncModel":
    """Called by ``mlflow.pyfunc.load_model`` with the flavor's ``data`` folder."""
    data_dir = Path(path)
    model_dir = data_dir.parent if data_dir.name == DATA_DIR else data_dir
    conf = _get_flavor_configuration(model_path=str(model_dir), flavor_name=FLAVOR_NAME)
    predictor = _load_verified(model_dir, conf)
    predictor.build_ahead()  # tonight's state, built while the server starts (mlflow models serve)
    return _PyFuncModel(predictor)


class SlateRefused(MlflowException):
    """The model's own refusal of a request, kept as the model wrote it: one line that names the
    column and rows first. MLflow's scoring server rewrites a failed prediction's message to
    ``Failed to predict data '<the whole input frame>'. Error: <message>``, which echoed the
    request back and put the column after it (about 3 KB for a wide slate); the rewrite is
    ignored here (the status, 400 ``INVALID_PARAMETER_VALUE``, is unchanged)."""

    @property
    def message(self) -> str:
        return self._refusal

    @message.setter
    def message(self, value: str) -> None:
        if not hasattr(self, "_refusal"):  # the first value is the model's; later ones wrap it
            self._refusal = value


class _PyFuncModel:
    """The ``python_function`` face: slate or feature rows in, predictions out; bad input
    becomes an ``MlflowException`` (HTTP 400 from ``mlflow models serve``) naming the problem."""

    def __init__(self, predictor: PropsPredictor) -> None:
        self.predictor = predictor

    def get_raw_model(self) -> PropsPredictor:
        return self.predictor

    def predict(self, data, params: dict[str, Any] | None = None) -> pd.DataFrame:
        if isinstance(data, dict):
            data = pd.DataFrame(data)
        try:
            out = self.predictor.predict(data)
        except (DataValidationError, ValueError) as exc:
            raise SlateRefused(str(exc), error_code=INVALID_PARAMETER_VALUE) from exc
        # no line -> no probability: null in the JSON answer (a bare NaN is not valid JSON)
        for col in ("p_over", "p_under", "p_over_model", "ev_over", "ev_under"):
            if out[col].isna().any():
                out[col] = out[col].astype(object).where(out[col].notna(), None)
        return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "DATA_DIR", "FLAVOR_NAME", "SlateRefused", "as_slate_request", "get_default_conda_env", "get_default_pip_requirements",
    "load_model", "log_model", "save_model", "slate_example", "slate_signature",
]
