"""The booster libraries, one entry each: everything the package knows about LightGBM or
XGBoost lives here, and every other module asks :func:`get_backend` / :func:`backend_of`.

An entry holds the library's defaults, its parameter names and aliases, how to construct,
predict with, explain, save and load its boosters, the file extension of its native format
and the pip distribution(s) that provide it. Adding a library (CatBoost, say) is one new
:class:`Backend` subclass registered in :data:`BACKENDS`, and nothing else.

A user's own scikit-learn regressor is the *foreign* backend: cloned per stage and saved
with cloudpickle (the caller decides whether such files may be loaded).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import importlib.metadata
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mlflow_nbaprops.errors import BackendMissingError
from mlflow_nbaprops.model.booster_check import check_lightgbm_text, check_xgboost_ubj


class Backend:
    """One booster library. Subclasses set the class attributes and the model hooks."""

    name: ClassVar[str]
    #: The importable module; the pip distributions that provide it (the first is the one to install).
    module: ClassVar[str]
    distributions: ClassVar[tuple[str, ...]]
    install_hint: ClassVar[str]
    #: Native file extension of a saved booster.
    extension: ClassVar[str]
    #: Defaults chosen on the 2022-23 season (never on the 2023-24 test season): 150 trees at 0.09
    #: and ~64 bins score within 0.005 PRA MAE of 350 trees at 0.04 and fit several times faster,
    #: which is what makes weekly walk-forward refits affordable.
    defaults: ClassVar[dict[str, Any]]
    #: Both stages minimise absolute error by default. PRA is right-skewed, the headline metric is
    #: MAE and an over/under bet is won or lost at the median (2022-23: MAE 5.94 vs 5.99 for L2).
    #: Minutes are left-skewed (foul trouble, blowouts, injuries cut games short): the median is the
    #: better point forecast (2022-23 screening: minutes MAE 4.876 -> 4.828; PRA unchanged).
    absolute_error: ClassVar[dict[str, Any]]
    #: Arguments the estimator sets itself (seed and threads from its ``random_state``/``n_jobs``).
    reserved: ClassVar[tuple[str, ...]] = ("random_state", "n_jobs")

    def library(self):
        """The imported library, or a :class:`BackendMissingError` saying how to install it."""
        try:
            return importlib.import_module(self.module)
        except ImportError as exc:
            raise BackendMissingError(f"the {self.name} backend needs the {self.module} package, which is not "
                                      f"installed: {self.install_hint}") from exc

    def aliases(self) -> dict[str, str]:
        """alias -> canonical parameter name (each canonical name maps to itself too); read-only."""
        return {}

    def known_params(self) -> frozenset[str] | None:
        """Every parameter name (and alias) the library accepts; None where it cannot be listed."""
        return None

    def canonical(self, name: str) -> str:
        return self.aliases().get(name, name)

    def make(self, params: dict[str, Any], random_state: int, n_jobs: int):
        """A fresh scikit-learn-API booster with exactly ``params`` (defaults already merged)."""
        raise NotImplementedError

    def owns(self, model) -> bool:
        """True if ``model`` (fitted or loaded) is one of this library's boosters."""
        return type(model).__module__.split(".")[0] == self.module

    def predict(self, model, X) -> np.ndarray:
        """Predictions as float64 for the feature table ``X`` (columns in training order)."""
        return np.asarray(model.predict(X), dtype=float)

    def gains(self, model, n_features: int) -> np.ndarray | None:
        """Total gain per input column, in training order."""
        return None

    def save(self, model, path: Path) -> None:
        raise NotImplementedError

    def load(self, path: Path):
        raise NotImplementedError

    def pip_requirements(self) -> list[str]:
        """What a saved model's environment installs: the distribution of :attr:`distributions`
        that is installed here, pinned to its version (the first one, unpinned, if none is)."""
        for distribution in self.distributions:
            pinned = _pinned(distribution)
            if pinned:
                return pinned
        return [self.distributions[0]]

    @contextlib.contextmanager
    def one_thread_each(self) -> Iterator[None]:
        """The library's setting while several of its boosters fit (and predict) side by side in
        one process, each on one thread. Most libraries keep threads per booster: nothing to do."""
        yield

    def failed(self, exc: BaseException) -> bool:
        """True if ``exc`` is the library's own error (reported naming the stage and its params)."""
        return isinstance(exc, (ValueError, TypeError)) or type(exc).__module__.split(".")[0] == self.module


class LightGBM(Backend):
    name = "lightgbm"
    module = "lightgbm"
    distributions = ("lightgbm",)
    install_hint = "pip install lightgbm"
    extension = "txt"
    defaults = {"n_estimators": 150, "learning_rate": 0.09, "num_leaves": 31, "min_child_samples": 60,
                "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 2.0, "max_bin": 63}
    absolute_error = {"objective": "l1"}
    reserved = ("random_state", "n_jobs", "verbosity")

    def aliases(self) -> dict[str, str]:
        return _lightgbm_aliases() or {}

    def known_params(self) -> frozenset[str] | None:
        return _lightgbm_params()

    @contextlib.contextmanager
    def one_thread_each(self):
        """LightGBM keeps one process-wide thread count: every call sets it (a ``predict`` without
        ``num_threads`` to "every core"), and a call sizes per-thread buffers from it before its
        parallel loop reads it again. Two boosters in two threads then interleave a one-thread and
        an every-core call, and the loop overruns its buffers (a segfault in Dataset construction,
        seen here). Capped at one thread process-wide (``LGBM_SetMaxThreads``, restored after),
        every call agrees."""
        lib = _lightgbm_lib()
        if lib is None:
            raise BackendMissingError("the lightgbm library cannot be loaded to cap its threads: " + self.install_hint)
        before = ctypes.c_int(-1)
        if lib.LGBM_GetMaxThreads(ctypes.byref(before)) != 0 or lib.LGBM_SetMaxThreads(ctypes.c_int(1)) != 0:
            raise RuntimeError("lightgbm refused to cap its threads (LGBM_SetMaxThreads)")
        try:
            yield
        finally:
            lib.LGBM_SetMaxThreads(before)

    def make(self, params, random_state, n_jobs):
        return self.library().LGBMRegressor(random_state=random_state, n_jobs=n_jobs, verbosity=-1, **params)

    @staticmethod
    def booster(model):
        """The ``lightgbm.Booster`` of a stage: an ``LGBMRegressor``'s ``booster_``, or a booster
        loaded from its text file as it is."""
        return model.booster_ if hasattr(model, "booster_") else model

    def predict(self, model, X):
        # a plain array (pandas adapters cost more than the trees for a one-row request), and the
        # scikit-learn wrapper bypassed for its booster: same numbers, no feature-name check
        return np.asarray(self.booster(model).predict(X.to_numpy(dtype=float)), dtype=float)

    def gains(self, model, n_features):
        return np.asarray(self.booster(model).feature_importance("gain"), dtype=float)

    def save(self, model, path):
        self.booster(model).save_model(str(path))

    def load(self, path):
        text = path.read_bytes()
        check_lightgbm_text(text, path.name)
        return self.library().Booster(model_str=text.decode("utf-8"))


class XGBoost(Backend):
    name = "xgboost"
    module = "xgboost"
    #: the full wheel pulls ~460 MB of GPU libraries; the CPU-only wheel is the same module in 5 MB
    distributions = ("xgboost", "xgboost-cpu")
    install_hint = "pip install 'mlflow-nbaprops[xgboost]' (or the 5 MB CPU-only wheel: pip install xgboost-cpu)"
    extension = "ubj"
    defaults = {"n_estimators": 150, "learning_rate": 0.09, "max_depth": 6, "min_child_weight": 40,
                "subsample": 0.8, "colsample_bytree": 0.8, "reg_lambda": 2.0, "tree_method": "hist", "max_bin": 64}
    absolute_error = {"objective": "reg:absoluteerror"}
    #: XGBoost's native names for its scikit-learn arguments (the booster accepts both).
    _ALIASES = {"eta": "learning_rate", "lambda": "reg_lambda", "alpha": "reg_alpha",
                "min_split_loss": "gamma", "seed": "random_state", "nthread": "n_jobs"}

    def aliases(self):
        return self._ALIASES

    def known_params(self):
        return _xgboost_params()

    def make(self, params, random_state, n_jobs):
        return self.library().XGBRegressor(random_state=random_state, n_jobs=n_jobs, **params)

    def predict(self, model, X):
        return np.asarray(model.predict(X.to_numpy(dtype=float)), dtype=float)  # float32 out: widened

    def gains(self, model, n_features):
        booster = model.get_booster()
        score = booster.get_score(importance_type="total_gain")
        names = booster.feature_names or [f"f{i}" for i in range(n_features)]
        return np.array([score.get(name, 0.0) for name in names], dtype=float)

    def save(self, model, path):
        model.save_model(str(path))

    def load(self, path):
        data = path.read_bytes()
        check_xgboost_ubj(data, path.name)  # the library segfaults on some edited files
        model = self.library().XGBRegressor()
        model.load_model(bytearray(data))
        return model


class Foreign(Backend):
    """A user-supplied scikit-learn regressor (not a library: no defaults, no name checks)."""

    name = "foreign"
    module = "sklearn"
    distributions = ("cloudpickle", "scikit-learn")
    install_hint = "pip install cloudpickle scikit-learn"
    extension = "pkl"
    defaults: ClassVar[dict[str, Any]] = {}
    absolute_error: ClassVar[dict[str, Any]] = {}
    reserved = ()

    def owns(self, model) -> bool:
        return True

    def pip_requirements(self) -> list[str]:
        """Both: cloudpickle reads the files, the estimator's own library runs them."""
        return [pin for distribution in self.distributions for pin in _pinned(distribution)]

    def save(self, model, path):
        import cloudpickle

        path.write_bytes(cloudpickle.dumps(model))

    def load(self, path):
        import cloudpickle

        return cloudpickle.loads(path.read_bytes())


#: The booster libraries by name (the CLI's ``--backend`` choices, in this order).
BACKENDS: dict[str, Backend] = {b.name: b for b in (LightGBM(), XGBoost())}
BACKEND_NAMES = tuple(BACKENDS)
#: The base install's library (XGBoost is an extra).
DEFAULT_BACKEND = "lightgbm"
FOREIGN = Foreign()


def get_backend(name: str) -> Backend:
    """The entry of library ``name`` (or of the foreign backend); ``ValueError`` if unknown."""
    if name == FOREIGN.name:
        return FOREIGN
    try:
        return BACKENDS[name]
    except (KeyError, TypeError):
        raise ValueError(f"backend must be one of {BACKEND_NAMES}, not {name!r}") from None


def is_foreign(backend) -> bool:
    """True for a user-supplied estimator instead of a backend name."""
    return not isinstance(backend, str)


def backend_for(backend) -> Backend:
    """The entry for an estimator's ``backend`` argument (a name, or a foreign estimator)."""
    return FOREIGN if is_foreign(backend) else get_backend(backend)


def backend_of(model) -> Backend:
    """The entry whose library made ``model`` (a fitted or loaded booster); foreign otherwise."""
    return next((b for b in BACKENDS.values() if b.owns(model)), FOREIGN)


def _pinned(distribution: str) -> list[str]:
    """``[name==version]`` of an installed distribution, ``[]`` if it is not installed."""
    try:
        return [f"{distribution}=={importlib.metadata.version(distribution)}"]
    except importlib.metadata.PackageNotFoundError:
        return []


@functools.cache
def _lightgbm_lib() -> ctypes.CDLL | None:
    """LightGBM's C library (the one its Python package loaded: the same process-wide state);
    None if it cannot be loaded."""
    try:
        lightgbm = importlib.import_module("lightgbm")
        found = sorted(Path(lightgbm.__file__).parent.glob("**/lib_lightgbm.*"))
        return ctypes.cdll.LoadLibrary(str(found[0]))
    except (ImportError, IndexError, OSError):
        return None


@functools.lru_cache(maxsize=None)
def _lightgbm_aliases() -> dict[str, str] | None:
    """LightGBM's alias -> parameter map from its C API (``LGBM_DumpParamAliases``, documented;
    the Python package lists them nowhere public); None if the library cannot be read."""
    lib = _lightgbm_lib()
    if lib is None:
        return None
    try:
        size = 1 << 20
        written = ctypes.c_int64(0)
        buffer = ctypes.create_string_buffer(size)
        if lib.LGBM_DumpParamAliases(ctypes.c_int64(size), ctypes.byref(written), buffer) != 0 or written.value > size:
            return None
        groups = json.loads(buffer.value.decode("utf-8"))
    except (AttributeError, ValueError):
        return None
    return {alias: name for name, aliases in groups.items() for alias in (name, *aliases)}


@functools.lru_cache(maxsize=None)
def _lightgbm_params() -> frozenset[str] | None:
    """LightGBM's scikit-learn arguments plus every parameter name and alias of its C API."""
    aliases = _lightgbm_aliases()
    if aliases is None:
        return None
    return frozenset(LightGBM().library().LGBMRegressor().get_params()) | frozenset(aliases)


@functools.lru_cache(maxsize=None)
def _xgboost_params() -> frozenset[str]:
    """XGBoost's scikit-learn arguments plus every learner parameter of its configuration (an
    untrained booster's ``save_config``: the library's own list, no model is fitted)."""
    xgboost = XGBoost().library()
    names = set(xgboost.XGBRegressor().get_params())
    cache = xgboost.DMatrix(np.zeros((2, 1)), label=[0.0, 1.0])  # kept alive while the booster reads it
    booster = xgboost.Booster({}, [cache])
    stack = [json.loads(booster.save_config())]
    while stack:  # parameters are a configuration's non-section entries
        section = stack.pop()
        for key, value in section.items():
            if isinstance(value, dict):
                stack.append(value)
            else:
                names.add(key)
    return frozenset(names)
