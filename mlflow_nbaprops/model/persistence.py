"""Files for a fitted predictor: native booster formats, JSON and Parquet — no pickle for
anything this package trains.

Layout of a saved predictor directory::

    minutes.<ext>, pra.<ext>   stage boosters in their library's native format (the backend
                               table's extension: LightGBM text ``.txt``, XGBoost UBJSON ``.ubj``);
                               with ``n_seeds`` > 1 also minutes.1.<ext>, pra.1.<ext>, ...
    regressor.json             parameters and learned state (residual quantiles, feature names…)
    history.parquet, prior_games.parquet, league.parquet   the history snapshot for slate
                               predictions (league levels per season precomputed)
    pregame.parquet            the held games' pregame lists (a model whose features read news)
    market.json                the market-aware P(over): logistic coefficients (a model trained with lines)
    fallback/                  the model answering rows without tonight's lineup (a ``lineups``
                               model): its boosters and regressor.json, the same formats
    predictor.json             feature set (name, version, definitions hash), snapshot cutoff, info

A user-supplied foreign estimator (``TwoStageRegressor(backend=<sklearn regressor>)``) is the
one exception: its stages can only be saved with cloudpickle (``*.pkl``), and the caller
decides whether such files may be loaded (MLflow's pickle gate, in the flavor).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mlflow_nbaprops.errors import ModelIntegrityError
from mlflow_nbaprops.features.registry import get_feature_set
from mlflow_nbaprops.features.snapshot import LEAGUE_FILE, PREGAME_FILE, PRIOR_FILE, ROWS_FILE, HistorySnapshot
from mlflow_nbaprops.model.predictor import PropsPredictor
from mlflow_nbaprops.model.backends import FOREIGN, Backend, backend_for, get_backend
from mlflow_nbaprops.model.market import MarketCalibration
from mlflow_nbaprops.model.two_stage import SeedAverage, TwoStageRegressor

FORMAT_VERSION = 1
#: The files a refresh rewrites (history snapshot and ``predictor.json``); every other file is
#: the fitted model, which a refresh keeps byte for byte.
SNAPSHOT_FILES = (ROWS_FILE, PRIOR_FILE, LEAGUE_FILE, PREGAME_FILE, "predictor.json")
#: The fallback model's folder, and the market calibration's file.
FALLBACK_DIR = "fallback"
MARKET_FILE = "market.json"
STAGES = ("minutes", "pra")
_ARRAYS = ("bin_centers_", "residual_quantiles_", "residual_levels_")
#: A foreign model's estimator itself (cloudpickle), beside its stages.
FOREIGN_ESTIMATOR = "backend.pkl"


def backend_name(regressor: TwoStageRegressor) -> str:
    """The name a saved model records for its stages' library ("foreign" for a user's estimator)."""
    return backend_for(regressor.backend).name


def save_predictor(predictor: PropsPredictor, directory: str | Path) -> list[str]:
    """Write ``predictor`` into ``directory`` (which must exist); returns the files written."""
    directory = Path(directory)
    files = save_regressor(predictor.regressor, directory)
    files += predictor.snapshot.save(directory)
    fs = predictor.feature_set
    meta = {
        "format_version": FORMAT_VERSION,
        "feature_set": _set_record(fs),
        "snapshot": {"cutoff": predictor.snapshot.cutoff.date().isoformat(), "days": predictor.snapshot.days},
        "info": predictor.info,
    }
    if predictor.market is not None:
        _write_json(directory / MARKET_FILE, predictor.market.to_dict())
        files.append(MARKET_FILE)
    if predictor.fallback is not None:
        (directory / FALLBACK_DIR).mkdir()
        files += [f"{FALLBACK_DIR}/{name}" for name in save_regressor(predictor.fallback, directory / FALLBACK_DIR)]
        meta["fallback"] = _set_record(predictor.fallback_set)
    _write_json(directory / "predictor.json", meta)
    return files + ["predictor.json"]


def load_predictor(directory: str | Path, allow_pickle: bool = False) -> PropsPredictor:
    """Read a directory written by :func:`save_predictor`."""
    directory = Path(directory)
    meta = _read_json(directory / "predictor.json")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelIntegrityError(f"predictor format {meta.get('format_version')} is not {FORMAT_VERSION}")
    fs = _registered(meta["feature_set"])
    regressor = load_regressor(directory, allow_pickle=allow_pickle)
    snapshot = HistorySnapshot.load(directory, meta["snapshot"]["cutoff"], meta["snapshot"]["days"])
    fallback = fallback_set = None
    if "fallback" in meta:
        fallback_set = _registered(meta["fallback"])
        fallback = load_regressor(directory / FALLBACK_DIR, allow_pickle=allow_pickle)
    market = MarketCalibration.from_dict(_read_json(directory / MARKET_FILE)) if (directory / MARKET_FILE).is_file() \
        else None
    return PropsPredictor(regressor, fs, snapshot, meta.get("info", {}), fallback, fallback_set, market)


def _set_record(fs) -> dict[str, Any]:
    return {"name": fs.name, "version": fs.version, "hash": fs.hash, "features": list(fs.names)}


def _registered(saved: dict[str, Any]):
    """The registered feature set a saved model names, checked against the hash it was saved with."""
    try:
        fs = get_feature_set(saved["name"], saved.get("version"))
    except KeyError as exc:
        raise ModelIntegrityError(f"the model uses feature set {saved['name']!r} {saved.get('version')}, "
                                  "unknown to this package") from exc
    if fs.hash != saved["hash"]:
        raise ModelIntegrityError(
            f"feature set {fs.name} {saved['version']} was saved with definitions hash {saved['hash']}, but the "
            f"installed package defines {fs.name} {fs.version} with hash {fs.hash}: install the package version "
            "the model was trained with")
    return fs


def save_regressor(regressor: TwoStageRegressor, directory: Path) -> list[str]:
    """Stage boosters in their native format plus ``regressor.json``; returns the files."""
    if not regressor.has_distribution():
        raise ValueError("this model was fitted with calibrate=False (point predictions only, for scoring): "
                         "it has no predictive distribution to serve; fit it with calibrate=True to save it")
    backend = backend_for(regressor.backend)
    files = []
    for stage in STAGES:
        fitted = getattr(regressor, f"{stage}_model_")
        members = fitted.members if isinstance(fitted, SeedAverage) else [fitted]
        for k, model in enumerate(members):
            name = _stage_file(stage, k, backend)
            backend.save(model, directory / name)
            files.append(name)
    params = regressor.get_params(deep=False)
    if backend is FOREIGN:
        FOREIGN.save(regressor.backend, directory / FOREIGN_ESTIMATOR)
        files.append(FOREIGN_ESTIMATOR)
        params["backend"] = FOREIGN.name
    params["quantiles"] = list(params["quantiles"])
    state: dict[str, Any] = {
        "backend": backend.name,
        "params": params,
        "feature_names_in_": [str(c) for c in regressor.feature_names_in_],
        "n_train_rows_": regressor.n_train_rows_,
        "oof_mae_": regressor.oof_mae_,
    }
    for name in _ARRAYS:
        state[name] = np.asarray(getattr(regressor, name)).tolist()  # float64 survives JSON exactly
    _write_json(directory / "regressor.json", state)
    return files + ["regressor.json"]


def load_regressor(directory: Path, allow_pickle: bool = False) -> TwoStageRegressor:
    state = _read_json(directory / "regressor.json")
    try:
        backend = get_backend(state["backend"])
    except ValueError as exc:
        raise ModelIntegrityError(f"regressor.json names backend {state['backend']!r}, unknown to this "
                                  "package") from exc
    params = dict(state["params"])
    params["quantiles"] = tuple(params["quantiles"])
    if backend is FOREIGN:
        if not allow_pickle:
            raise ModelIntegrityError(
                "this model's stages are a user-supplied estimator saved with cloudpickle, and loading pickled "
                "files is disabled (MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false)")
        params["backend"] = FOREIGN.load(directory / FOREIGN_ESTIMATOR)
    regressor = TwoStageRegressor(**params)
    for stage in STAGES:
        members = [backend.load(directory / _stage_file(stage, k, backend))
                   for k in range(int(params.get("n_seeds", 1)))]
        setattr(regressor, f"{stage}_model_", members[0] if len(members) == 1 else SeedAverage(members))
    regressor.feature_names_in_ = np.asarray(state["feature_names_in_"], dtype=object)
    regressor.n_features_in_ = len(regressor.feature_names_in_)
    regressor.n_train_rows_ = state["n_train_rows_"]
    regressor.oof_mae_ = state["oof_mae_"]
    for name in _ARRAYS:
        setattr(regressor, name, np.asarray(state[name], dtype=float))
    return regressor


def _stage_file(stage: str, member: int, backend: Backend) -> str:
    """``minutes.txt`` for a stage's first booster, ``minutes.1.txt``... for the others."""
    return f"{stage}.{backend.extension}" if member == 0 else f"{stage}.{member}.{backend.extension}"


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=1, sort_keys=True, default=_jsonable), encoding="utf-8")


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
