"""``nbaprops daily``: one night of the loop, from the feed to the drift check.

    pull -> refresh -> slate -> predict -> grade -> monitor

Each step is printed with its time and written to ``<output_dir>/daily_<date>.json`` as it ends;
a step that fails stops the rest, names itself and what ran before it, and leaves nothing of its
own half-done (every file is written atomically, every MLflow change is one step's). Running the
night twice is harmless: the pull finds nothing new, the refresh makes no version, the slate is
logged once per model version, grading skips what it graded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mlflow_nbaprops.data import schema
from mlflow_nbaprops.errors import NBAPropsError

STEPS = ("pull", "refresh", "slate", "predict", "grade", "monitor")


class NightFailed(NBAPropsError):
    """A step of the night failed; the message says which, what ran and what did not."""


@dataclass
class NightSettings:
    """What one night needs: the folders, the model, where the night's files go."""

    day: dt.date
    data_dir: Path
    news_dir: Path
    output_dir: Path
    model_name: str = "NBAPropsModel"
    alias: str = "production"
    injury_report: str | None = None
    lines_url: str | None = None
    min_edge: float = 0.03
    window_days: int = 14
    tolerance_pct: float = 10.0
    min_rows: int = 200

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_name}@{self.alias}"


@dataclass
class Night:
    """The steps that ran, in order: name, seconds, what each said; ``drift`` from the monitor."""

    day: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    drift: bool = False
    journal: str = ""

    def summary(self) -> str:
        total = sum(s["seconds"] for s in self.steps)
        return f"night of {self.day}: {len(self.steps)} steps in {total:.1f} s" + (" -- DRIFT" if self.drift else "")


def run_night(settings: NightSettings, say: Callable[[str], None] = print) -> Night:
    """Run the six steps for ``settings.day``; :class:`NightFailed` at the first that fails."""
    from mlflow_nbaprops.daily.grade import grade
    from mlflow_nbaprops.daily.monitor import monitor
    from mlflow_nbaprops.daily.predict import score_slate
    from mlflow_nbaprops.daily.refresh import describe, refresh
    from mlflow_nbaprops.data import game_logs, read_table, write_table
    from mlflow_nbaprops.feed import StatsClient, pull, tonight_lines, tonight_slate

    day = settings.day
    night = Night(f"{day:%Y-%m-%d}")
    out = Path(settings.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    journal = out / f"daily_{day:%Y-%m-%d}.json"
    night.journal = str(journal)
    client = StatsClient()
    slate_path = out / f"slate_{day:%Y-%m-%d}.csv"
    predictions_path = out / f"predictions_{day:%Y-%m-%d}.csv"
    state: dict[str, Any] = {}

    def step_pull() -> str:
        season = schema.season_of(pd.Timestamp(day))
        pulled = pull(settings.data_dir, settings.news_dir, season, day - dt.timedelta(days=1), client,
                      settings.lines_url, say=lambda m: say(f"  {m}"))
        return pulled.summary()

    def step_refresh() -> str:
        news = (str(settings.news_dir),) if any(Path(settings.news_dir).glob("*.csv*")) else ()
        state["data"] = data = game_logs((settings.data_dir,), news)
        result = refresh(settings.model_uri, data, settings.alias)
        if result.decision is not None and not result.decision.passed:
            failed = ", ".join(c.name for c in result.decision.checks if not c.passed)
            raise NightFailed(f"version {result.version} registered, but @{settings.alias} did not move: {failed} "
                              "failed; tonight would be scored by a model behind last night")
        return describe(result).replace("\n", "; ")

    def step_slate() -> str:
        data = state["data"]
        history = data.frame[data.frame["GAME_DATE"] < pd.Timestamp(day)]
        lines = tonight_lines([Path(settings.news_dir)])
        built = tonight_slate(day, history, client, settings.injury_report, lines, say=lambda m: say(f"  {m}"))
        for note in built.notes():
            say(f"  note: {note}")
        if built.slate.empty:
            state["slate"] = None
            return f"no games on {day:%Y-%m-%d}: nothing to score"
        write_table(built.slate, slate_path)
        state["slate"] = built.slate
        return f"{built.summary()} -> {slate_path}"

    def step_predict() -> str:
        if state.get("slate") is None:
            return "no slate tonight"
        scored = score_slate(settings.model_uri, read_table(slate_path, "a slate"), source=str(slate_path))
        table = scored.table.astype({"OUT": object})
        write_table(table.assign(GAME_DATE=table["GAME_DATE"].dt.strftime("%Y-%m-%d")), predictions_path)
        return f"{scored.summary()}; -> {predictions_path}"

    def step_grade() -> str:
        return grade(state["data"], min_edge=settings.min_edge).summary().replace("\n", "; ")

    def step_monitor() -> str:
        result = monitor(settings.model_name, settings.alias, settings.window_days, settings.tolerance_pct,
                         settings.min_rows, out / "monitoring")
        night.drift = result.drift.drifted
        return result.summary().replace("\n", "; ")

    actions = dict(zip(STEPS, (step_pull, step_refresh, step_slate, step_predict, step_grade, step_monitor)))
    for i, name in enumerate(STEPS, start=1):
        say(f"[{i}/{len(STEPS)}] {name}")
        start = time.perf_counter()
        try:
            said = actions[name]()
        except (Exception, KeyboardInterrupt) as exc:
            mlflow_failure = type(exc).__module__.startswith("mlflow")  # an unreachable server, a refused request
            if not isinstance(exc, (NBAPropsError, OSError, KeyboardInterrupt)) and not mlflow_failure:
                raise  # a bug: its traceback, not a one-line message
            reason = f"MLflow: {str(exc).strip().splitlines()[0][:500]}" if mlflow_failure else str(exc)
            night.steps.append({"step": name, "seconds": round(time.perf_counter() - start, 2), "ok": False,
                                "said": reason[:2000]})
            _write_journal(journal, night)
            done = ", ".join(s["step"] for s in night.steps if s["ok"]) or "none"
            raise NightFailed(f"the night of {day:%Y-%m-%d} stopped at step {i} ({name}): {reason}\n"
                              f"steps done: {done}; not run: {', '.join(STEPS[i:]) or 'none'}. Each finished step's "
                              "files and runs stand; run the night again once the cause is fixed.") from exc
        seconds = time.perf_counter() - start
        night.steps.append({"step": name, "seconds": round(seconds, 2), "ok": True, "said": said})
        _write_journal(journal, night)
        say(f"      {said}")
        say(f"      ({seconds:.1f} s)")
    return night


def _write_journal(path: Path, night: Night) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(asdict(night), indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)
