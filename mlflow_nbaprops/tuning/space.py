"""The search space of a tuning study: a small declarative file (YAML or JSON) over both stages'
booster hyperparameters, the training window, the refit cadence, the feature set and the
availability scenario. Checked in full before any data is read (a misspelt hyperparameter is
refused as ``--minutes-params`` refuses it), and turned into a :class:`BacktestConfig` per trial.

A value is fixed (``refit_every: 30``), a choice (``feature_set: [full, core]``) or a range
(``learning_rate: {low: 0.03, high: 0.15, log: true}``; ``{low: 100, high: 300, step: 50}``:
whole numbers when low, high and step are). See ``examples/tune_space.yaml``.

Standard library, PyYAML and the package's lower layers only: no Optuna here (the trial passed
to :meth:`SearchSpace.suggest` only needs ``suggest_int/float/categorical``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mlflow_nbaprops.errors import NBAPropsError, did_you_mean
from mlflow_nbaprops.evaluation import BacktestConfig
from mlflow_nbaprops.features import AVAILABILITY_SCENARIOS, FEATURE_SETS
from mlflow_nbaprops.model import BACKEND_NAMES, effective_params
from mlflow_nbaprops.model.backends import DEFAULT_BACKEND
from mlflow_nbaprops.model.two_stage import STAGE_NAMES, check_booster_params

#: The two stages' sections and how errors name them.
STAGES = {"minutes": STAGE_NAMES[0], "pra": STAGE_NAMES[1]}
#: Study-level dimensions and their package defaults (a backtest's, read from BacktestConfig).
_CONFIG_DEFAULTS = {f.name: f.default for f in fields(BacktestConfig)}
DIMENSIONS: dict[str, Any] = {name: _CONFIG_DEFAULTS[name]
                              for name in ("feature_set", "refit_every", "train_window_days", "availability")}
_KEYS = ("backend", *DIMENSIONS, *STAGES)
_RANGE_KEYS = {"low", "high", "step", "log"}


class SpaceError(NBAPropsError, ValueError):
    """A search-space file that cannot be read or names something the package does not know."""


@dataclass(frozen=True)
class Dimension:
    """One searched or fixed value, under its flat name (``minutes.learning_rate``)."""

    name: str
    fixed: Any = None
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False

    @property
    def searched(self) -> bool:
        return self.choices is not None or self.low is not None

    @property
    def whole(self) -> bool:
        return all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high, self.step)
                   if v is not None)

    def suggest(self, trial) -> Any:
        if self.choices is not None:
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.low is None:
            return self.fixed
        if self.whole:
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1, log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), step=self.step, log=self.log)

    def admits(self, value: Any) -> bool:
        """True if ``value`` is one this dimension can take (a default to start the study from)."""
        if self.choices is not None:
            return value in self.choices
        if self.low is None:
            return value == self.fixed
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.low <= value <= self.high:
            return False
        if self.whole and not float(value).is_integer():
            return False
        return self.step is None or abs(((value - self.low) / self.step) - round((value - self.low) / self.step)) < 1e-9


@dataclass(frozen=True)
class SearchSpace:
    """A parsed space file: the backend and every dimension, fixed or searched."""

    backend: str
    dimensions: tuple[Dimension, ...]
    source: str = ""

    @property
    def searched(self) -> list[str]:
        return [d.name for d in self.dimensions if d.searched]

    def suggest(self, trial) -> dict[str, Any]:
        """One configuration: ``{flat name: value}`` for every dimension (fixed ones included)."""
        return {d.name: d.suggest(trial) for d in self.dimensions}

    def fixed(self) -> dict[str, Any]:
        """The values every trial shares (the dimensions not searched)."""
        return {d.name: d.fixed for d in self.dimensions if not d.searched}

    def defaults(self) -> dict[str, Any]:
        """The package's defaults for the searched dimensions that admit them: the study's first
        trial, so the study reports what tuning gained over them."""
        defaults = {**DIMENSIONS}
        for stage in STAGES:
            defaults.update({f"{stage}.{k}": v for k, v in effective_params(self.backend, None).items()})
        return {d.name: defaults[d.name] for d in self.dimensions
                if d.searched and d.name in defaults and d.admits(defaults[d.name])}

    def config(self, values: dict[str, Any], test_season: str, seed: int = 0, n_jobs: int = 2) -> BacktestConfig:
        """The backtest a configuration stands for (dimensions not in ``values``: package defaults;
        point predictions only: a trial is judged on the two-stage MAE, nothing else is fitted)."""
        given = {**DIMENSIONS, **{k: v for k, v in values.items() if "." not in k}}
        params = {stage: {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith(f"{stage}.")}
                  for stage in STAGES}
        return BacktestConfig(test_season=test_season, refit_every=int(given["refit_every"]),
                              train_window_days=int(given["train_window_days"]), backend=self.backend,
                              feature_set=str(given["feature_set"]), availability=str(given["availability"]),
                              minutes_params=params["minutes"], pra_params=params["pra"], seed=seed, n_jobs=n_jobs,
                              point_only=True)

    def describe(self) -> str:
        parts = [f"backend {self.backend}"]
        for d in self.dimensions:
            if d.choices is not None:
                parts.append(f"{d.name} in {list(d.choices)}")
            elif d.low is not None:
                parts.append(f"{d.name} {d.low}..{d.high}" + (f" step {d.step}" if d.step else "")
                             + (" (log)" if d.log else ""))
            else:
                parts.append(f"{d.name} = {d.fixed}")
        return "; ".join(parts)


#: A space file is a few lines; anything past this is not one (a 50 MB file parsed for minutes).
MAX_SPACE_BYTES = 64 * 1024


def load_space(path: str | Path) -> SearchSpace:
    """Read and check a space file (``.yaml``/``.yml`` or ``.json``): at most ``MAX_SPACE_BYTES``,
    and YAML without anchors and aliases (a few hundred bytes of nested aliases expand to
    gigabytes: the "billion laughs")."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SPACE_BYTES:
            raise SpaceError(f"{path}: {size:,} bytes is not a search space (at most {MAX_SPACE_BYTES:,} bytes)")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpaceError(f"{path}: cannot read the search space ({exc})") from exc
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(text)
        else:
            import yaml

            raw = yaml.load(text, Loader=_NoAliasLoader)
    except SpaceError as exc:
        raise SpaceError(f"{path}: {exc}") from None
    except ValueError as exc:  # json.JSONDecodeError and yaml.YAMLError's parse errors
        raise SpaceError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}") from exc
    except Exception as exc:  # yaml.YAMLError is not a ValueError
        if type(exc).__module__.startswith("yaml"):
            raise SpaceError(f"{path}: not valid YAML: {exc}") from exc
        raise
    return parse_space(raw, str(path))


def _no_aliases(loader, node=None):
    raise SpaceError("a search space may not use YAML anchors or aliases (&name / *name): write each value out")


try:  # PyYAML comes with MLflow; the loader is defined once
    import yaml as _yaml

    class _NoAliasLoader(_yaml.SafeLoader):
        """SafeLoader that refuses anchors and aliases before anything is expanded."""

        def compose_node(self, parent, index):
            if self.check_event(_yaml.AliasEvent):
                _no_aliases(self)
            event = self.peek_event()
            if getattr(event, "anchor", None):
                _no_aliases(self)
            return super().compose_node(parent, index)
except ImportError:  # pragma: no cover
    _NoAliasLoader = None


def parse_space(raw: Any, source: str = "space") -> SearchSpace:
    """Check a space given as a mapping; :class:`SpaceError` naming ``source`` and the key."""
    if not isinstance(raw, dict) or not raw:
        raise SpaceError(f"{source}: a search space is a mapping of {', '.join(_KEYS)}")
    for key in raw:
        if key not in _KEYS:
            raise SpaceError(f"{source}: unknown key {key!r}{did_you_mean(str(key), _KEYS)} (known: {', '.join(_KEYS)})")
    backend = raw.get("backend", DEFAULT_BACKEND)
    if backend not in BACKEND_NAMES:
        raise SpaceError(f"{source}: backend {backend!r} is not one of {', '.join(BACKEND_NAMES)}")
    dimensions = [_dimension(f"{source}: {name}", name, raw.get(name, default))
                  for name, default in DIMENSIONS.items()]
    for d in dimensions:
        _check_study_values(source, d)
    for stage, stage_name in STAGES.items():
        section = raw.get(stage) or {}
        if not isinstance(section, dict):
            raise SpaceError(f"{source}: {stage} is a mapping of {backend} hyperparameters, not {section!r}")
        try:
            check_booster_params(backend, {name: None for name in section}, stage_name)
        except ValueError as exc:
            raise SpaceError(f"{source}: {stage}: {exc}") from exc
        dimensions += [_dimension(f"{source}: {stage}.{name}", f"{stage}.{name}", value)
                       for name, value in section.items()]
    space = SearchSpace(backend, tuple(dimensions), source)
    if not space.searched:
        raise SpaceError(f"{source}: nothing to search: give at least one dimension a list of choices or a range")
    return space


def _dimension(where: str, name: str, value: Any) -> Dimension:
    if isinstance(value, list):
        if not value:
            raise SpaceError(f"{where}: an empty list of choices")
        if any(isinstance(v, (dict, list)) for v in value):
            raise SpaceError(f"{where}: choices must be plain values, not {value!r}")
        return Dimension(name, choices=tuple(value))
    if isinstance(value, dict):
        unknown = set(value) - _RANGE_KEYS
        if unknown or not {"low", "high"} <= set(value):
            raise SpaceError(f"{where}: a range is {{low, high[, step][, log]}}, not {value!r}")
        low, high, step, log = value["low"], value["high"], value.get("step"), value.get("log", False)
        for label, number in (("low", low), ("high", high), ("step", step)):
            if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))
                                       or not math.isfinite(number)):
                raise SpaceError(f"{where}: {label} must be a finite number, not {number!r}")
        if not isinstance(log, bool):
            raise SpaceError(f"{where}: log must be true or false, not {log!r}")
        if not low < high:
            raise SpaceError(f"{where}: low {low} must be below high {high}")
        if step is not None and (step <= 0 or log):
            raise SpaceError(f"{where}: step must be positive and cannot be combined with log")
        if log and low <= 0:
            raise SpaceError(f"{where}: a log range needs low > 0, not {low}")
        return Dimension(name, low=low, high=high, step=step, log=log)
    return Dimension(name, fixed=value)


def _check_study_values(source: str, d: Dimension) -> None:
    values = list(d.choices) if d.choices is not None else [d.low, d.high] if d.low is not None else [d.fixed]
    for value in values:
        if d.name == "feature_set" and value not in FEATURE_SETS:
            raise SpaceError(f"{source}: feature_set {value!r} is not a registered set "
                             f"({', '.join(sorted(FEATURE_SETS))})")
        if d.name == "availability" and value not in AVAILABILITY_SCENARIOS:
            raise SpaceError(f"{source}: availability {value!r} is not one of {', '.join(AVAILABILITY_SCENARIOS)}")
        minimum = {"refit_every": 1, "train_window_days": 30}.get(d.name)
        if minimum is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
            raise SpaceError(f"{source}: {d.name} must be whole days >= {minimum}, not {value!r}")
