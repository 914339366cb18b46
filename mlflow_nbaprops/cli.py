"""``nbaprops``: the package's one front door (the MLproject entry points call it).

Every command translates the package's errors into a one-paragraph message and a
non-zero exit status; tracebacks are for bugs, not for bad input.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from pathlib import Path

import click

from mlflow_nbaprops import __version__
from mlflow_nbaprops.errors import NBAPropsError
from mlflow_nbaprops.features.registry import AVAILABILITY_SCENARIOS
from mlflow_nbaprops.model.backends import BACKEND_NAMES, DEFAULT_BACKEND
from mlflow_nbaprops.redact import redact_text


def _translate_errors(command):
    """Turn :class:`NBAPropsError` and MLflow failures (an unreachable tracking server, a
    refused request) into a clean, credential-free ``Error: ...`` and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NBAPropsError as exc:
            raise click.ClickException(redact_text(str(exc))) from exc
        except OSError as exc:  # e.g. an artifact store or output path that cannot be written
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(redact_text(f"{exc.strerror or exc}{where}")) from exc
        except Exception as exc:
            if type(exc).__name__ != "MlflowException" and not type(exc).__module__.startswith("mlflow"):
                raise
            first = str(getattr(exc, "message", exc)).strip().splitlines()[0][:600]
            raise click.ClickException(f"MLflow: {redact_text(first)}") from exc

    return wrapper


def _project_run(action: str, detail: str = "") -> None:
    """Under ``mlflow run``: name its run and tag its phase (a note if it landed in Default)."""
    if not os.environ.get("MLFLOW_RUN_ID"):
        return
    from mlflow_nbaprops.tracking import name_project_run

    note = name_project_run(action, detail)
    if note:
        click.echo(note, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nbaprops")
@click.option("-v", "--verbose", is_flag=True, help="Log progress at INFO level.")
def main(verbose: bool) -> None:
    """NBA player-prop (PRA) modelling, tracked with MLflow."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # the daily commands download small artifacts all the time: MLflow's per-download bars
    # would bury their output (set the variable to "true" to have them back)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    _keep_tracking_credentials_quiet()


def _keep_tracking_credentials_quiet() -> None:
    """MLflow prints "View run ... at: <tracking URI>/#/..." when a run on a server ends, user and
    password included (``http://user:secret@host/``). With credentials in the URI that line is
    switched off (MLflow's own MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT): nothing this package runs
    prints the secret. A URI without them keeps MLflow's line."""
    from mlflow_nbaprops.redact import redact_url

    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if uri and redact_url(uri).rstrip("/") != uri.rstrip("/"):
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"


def _check_output(output: Path, hint: str = "--output", folder: bool = False, inputs=()) -> None:
    """Fail on an output that cannot be written before minutes of work, not after: an unsupported
    type, a folder where a file goes, a place this user cannot create or write -- and on one that would
    destroy what the command reads or a model's own files: an input (or a file inside an input
    folder), or anything inside a saved model's folder (one holding an ``MLmodel`` file)."""
    from mlflow_nbaprops.data.loader import SUFFIXES

    if not folder and not output.name.endswith(SUFFIXES):
        raise click.BadParameter(f"{output}: unsupported output type (expected {', '.join(SUFFIXES)})",
                                 param_hint=hint)
    if not folder and output.is_dir():
        raise click.BadParameter(f"{output} is a folder; give a file name", param_hint=hint)
    place = output if folder else output.parent
    existing = next((p for p in (place, *place.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{output}: cannot be written here ({existing or place} is not a writable folder)",
                                 param_hint=hint)
    target = output.resolve()
    for given in inputs:
        source = Path(given).resolve()
        inside = source.is_dir() and source in target.parents
        if target == source or (inside and target.exists()) or (folder and target in source.parents):
            raise click.BadParameter(f"{output} would overwrite the input {given}: write elsewhere", param_hint=hint)
        if inside:  # a new file: nothing is lost, but the folder's next load reads it as input
            click.echo(f"note: {output} is written into the input folder {given}; a later --data {given} "
                       "will read it too", err=True)
    model = next((p for p in (target if folder else target.parent, *target.parents) if (p / "MLmodel").is_file()), None)
    if model is not None:
        raise click.BadParameter(f"{output} is inside the saved model {model}: its files are the model's own "
                                 "(and checksummed); write elsewhere", param_hint=hint)


def _check_feature_set(name: str) -> None:
    """Fail on an unknown feature set before any data is read."""
    from mlflow_nbaprops.features import FEATURE_SETS

    if name not in FEATURE_SETS:
        raise click.BadParameter(f"unknown feature set {name!r}; known: {', '.join(sorted(FEATURE_SETS))}",
                                 param_hint="--feature-set")


class WholeNumber(click.ParamType):
    """An integer that also accepts MLproject's float spelling ("7.0"), never a fraction."""

    name = "integer"

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            number = value
        else:
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a whole number", param, ctx)
            if not as_float.is_integer():
                self.fail(f"{value!r} is not a whole number", param, ctx)
            number = int(as_float)
        if self.minimum is not None and number < self.minimum:
            self.fail(f"{number} is below the minimum {self.minimum}", param, ctx)
        return number


class FiniteNumber(click.ParamType):
    """A float that is a number: ``nan`` (which every comparison passes) and ``inf`` are refused."""

    name = "number"

    def __init__(self, minimum: float | None = None) -> None:
        self.minimum = minimum

    def convert(self, value, param, ctx):
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.minimum is not None and number < self.minimum:
            self.fail(f"{number:g} is below the minimum {self.minimum:g}", param, ctx)
        return number


def _booster_params(value: str | None, param_hint: str, backend: str, stage: int) -> dict:
    """A stage's hyperparameters from a JSON object, checked against the backend's parameter
    names before any data is read (boosters would silently ignore a misspelt one)."""
    from mlflow_nbaprops.model.two_stage import STAGE_NAMES, check_booster_params

    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg} at character {exc.pos} in {value!r}", param_hint=param_hint)
    if not isinstance(parsed, dict):
        raise click.BadParameter(f"must be a JSON object like '{{\"n_estimators\": 200}}', got {value!r}",
                                 param_hint=param_hint)
    try:
        check_booster_params(backend, parsed, STAGE_NAMES[stage])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from exc
    return parsed


def _load_data(specs: tuple[str, ...], seed: int, news: tuple[str, ...] = (), lines: tuple[str, ...] = ()):
    """``--data``: game-log paths, or ``synthetic[:SEASONSxTEAMSxGAMES]`` (the embedded league, with
    its own news and bookmaker); ``--news``, ``--lines``: checked against the game logs."""
    from mlflow_nbaprops.data import load_data
    from mlflow_nbaprops.errors import DataSpecError

    try:
        data = load_data(specs, seed, news, lines)
    except DataSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from exc
    _report_news(data.news)
    _report_lines(data.lines)
    return data


def _report_news(news) -> None:
    """What the news loader set aside or wants known, on stderr (never silently dropped)."""
    if news is None:
        return
    for what, count in news.skipped.items():
        click.echo(f"news: {count:,} {what}", err=True)
    for note in news.notes:
        click.echo(f"news: {note}", err=True)


def _report_lines(lines) -> None:
    if lines is None:
        return
    for what, count in lines.skipped.items():
        click.echo(f"lines: {count:,} {what}", err=True)


def _scenario(availability: str, data) -> str:
    """``auto``: ``lineups`` where the data has pregame lists (the synthetic league's own, or
    ``--news``), else ``observed``; a news scenario without news is refused here, before any fit."""
    from mlflow_nbaprops.features.registry import NEWS_SCENARIOS

    has_news = data.news is not None and len(data.news.pregame) > 0
    if availability == "auto":
        return "lineups" if has_news else "observed"
    if availability in NEWS_SCENARIOS and not has_news:
        raise click.BadParameter(f"{availability!r} reads pre-game news (starting lineups, inactive lists, game "
                                 "lines): give them with --news PATH (pregame and game-line files or folders)",
                                 param_hint="--availability")
    if availability == "report" and len(data.news.reports) == 0:
        raise click.BadParameter("'report' reads the league's injury reports: give their history (nbaprops data "
                                 "injuries, or data pull --reports) with --news", param_hint="--availability")
    return availability


#: ``--lines`` / ``--book``: the books' PRA props (one row per player-game and book) and the book whose
#: prices the chosen-book figures use; shared by ``backtest`` and ``train``.
_LINES = click.option("--lines", "lines_paths", multiple=True, type=str,
                      help="The books' PRA props (GAME_ID, PLAYER_ID, BOOK, LINE_PRA, ODDS_OVER, ODDS_UNDER): the "
                           "market report on the player-games they priced; repeat or comma-separate.")
_BOOK = click.option("--book", default=None, help="The book of the chosen-book figures (default: the book "
                                                  "quoting the most player-games).")

#: ``--news``: the pregame lists and game lines beside the game logs, shared by every command that reads data.
_NEWS = click.option("--news", "news_paths", multiple=True, type=str,
                     help="Pre-game news: pregame (starters, inactive lists) and game-line files or folders, each "
                          "recognised by its columns; repeat or comma-separate.")


@main.group()
def data() -> None:
    """Load, validate, synthesize and fingerprint game logs."""


@data.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quarantine", is_flag=True, help="Set bad rows aside (counted and reported) instead of failing.")
@_NEWS
@_translate_errors
def data_validate(paths: tuple[Path, ...], quarantine: bool, news_paths: tuple[str, ...]) -> None:
    """Validate game-log files (nba_api or canonical; files or folders) and summarize them (and the
    news beside them, checked against them)."""
    from mlflow_nbaprops.data import load_gamelogs, load_news, split_paths

    logs = load_gamelogs(paths, on_bad_rows="quarantine" if quarantine else "raise")
    version = logs.version
    click.echo(f"OK: {len(logs.files)} file(s) valid")
    click.echo(f"rows:         {version.rows:,}")
    click.echo(f"players:      {version.players:,}")
    click.echo(f"seasons:      {', '.join(version.seasons)}")
    click.echo(f"dates:        {version.date_min} .. {version.date_max}")
    click.echo(f"data version: {version.digest}")
    if quarantine:
        click.echo(f"quarantined:  {len(logs.quarantined):,} row(s)")
        for problem in logs.problems:
            click.echo(f"  - {problem}")
    if split_paths(news_paths):
        news = load_news(split_paths(news_paths), logs.frame, on_bad_rows="quarantine" if quarantine else "raise")
        _report_news(news)
        coverage = news.coverage(logs.frame)
        click.echo(f"news:         {news.version.summary()}")
        click.echo(f"coverage:     {coverage['team_games_with_lineup']:.1%} of team-games with a lineup, "
                   f"{coverage['team_games_listed']:.1%} listed, {coverage['games_with_line']:.1%} of games with a line")
        click.echo(f"news version: {news.version.digest}")
        if quarantine:
            click.echo(f"quarantined:  {len(news.quarantined):,} news row(s)")
            for problem in news.problems:
                click.echo(f"  - {problem}")


@data.command("synth")
@click.option("--seasons", default=3, show_default=True, type=WholeNumber(1), help="Number of seasons.")
@click.option("--seed", default=7, show_default=True, type=WholeNumber(0), help="Random seed (same seed, same league).")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help=".csv, .csv.gz or .parquet")
@click.option("--start-year", default=2021, show_default=True, type=int, help="First season's start year.")
@click.option("--teams", default=30, show_default=True, type=click.IntRange(4, 30), help="Teams (even).")
@click.option("--games-per-team", default=82, show_default=True, type=click.IntRange(3, 164))
@click.option("--news-output", default=None, type=click.Path(path_type=Path),
              help="Also write the league's pre-game news (pregame lists, game lines) into this folder.")
@_translate_errors
def data_synth(seasons: int, seed: int, output: Path, start_year: int, teams: int, games_per_team: int,
               news_output: Path | None) -> None:
    """Generate a synthetic league in the canonical schema and write it to OUTPUT."""
    from mlflow_nbaprops.data import data_version, synthetic_league_with_news, write_gamelogs, write_news

    _check_output(output)
    if news_output is not None:
        _check_output(news_output, "--news-output", folder=True)
    try:
        frame, news = synthetic_league_with_news(seasons, seed, teams, games_per_team, start_year)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    write_gamelogs(frame, output)
    click.echo(f"wrote {output}: {data_version(frame, str(output)).summary()}")
    if news_output is not None:
        written = write_news(news, news_output, stem=output.name.split(".")[0])
        click.echo(f"wrote {', '.join(written)}: {news.version.summary()}; news version {news.version.digest}")


@data.command("fingerprint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_translate_errors
def data_fingerprint(paths: tuple[Path, ...]) -> None:
    """Print the data version (full-content digest) of game-log files."""
    from mlflow_nbaprops.data import load_gamelogs

    click.echo(load_gamelogs(paths).version.digest)


@data.command("slice")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--since", default=None, help="First game date kept (YYYY-MM-DD).")
@click.option("--until", default=None, help="Last game date kept (YYYY-MM-DD).")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help=".csv, .csv.gz or .parquet")
@_translate_errors
def data_slice(paths: tuple[Path, ...], since: str | None, until: str | None, output: Path) -> None:
    """Write the games of PATHS dated SINCE..UNTIL (e.g. a history that stops on a given night)."""
    from mlflow_nbaprops.data import data_version, load_gamelogs, write_gamelogs

    _check_output(output, inputs=paths)
    frame = load_gamelogs(paths).frame
    keep = frame["GAME_DATE"].notna()
    if since:
        keep &= frame["GAME_DATE"] >= _date(since, "--since")
    if until:
        keep &= frame["GAME_DATE"] <= _date(until, "--until")
    if not keep.any():
        raise click.ClickException(f"no games between {since or 'the start'} and {until or 'the end'}")
    write_gamelogs(frame[keep], output)
    click.echo(f"wrote {output}: {data_version(frame[keep], str(output)).summary()}")


@data.command("pull")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the season game-log files (leaguegamefinder_players_<season>.csv.gz).")
@click.option("--news", "news_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the pregame lists (pregame_<season>.csv.gz) and game lines.")
@click.option("--season", default=None, help="Season to pull, e.g. 2025-26 (default: the season of --until).")
@click.option("--until", default=None, help="Last game date to pull (default: yesterday).")
@click.option("--lines-url", default=None, envvar="NBAPROPS_LINES_URL",
              help="A CSV of game lines (GAME_ID, GAME_DATE, HOME_TEAM, AWAY_TEAM, SPREAD_HOME, TOTAL) your source "
                   "serves; merged into game_lines_<season>.csv.gz. [env NBAPROPS_LINES_URL]")
@click.option("--reports", "reports_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Also fetch the league's injury reports (12:30, 5:30 and 6:30 PM ET of every game day pulled) "
                   "into this folder, and add them to the season's history, --news/injury_reports_<season>.csv.gz.")
@_translate_errors
def data_pull(data_dir: Path, news_dir: Path, season: str | None, until: str | None, lines_url: str | None,
              reports_dir: Path | None) -> None:
    """Game logs and pregame lists from nba_api, only the games the folders do not hold yet
    (resumes where an interrupted pull stopped), and with --reports the league's injury reports.
    Polite: one request per 0.6 s, retries with backoff."""
    import datetime as dt

    from mlflow_nbaprops.data.schema import season_of
    from mlflow_nbaprops.feed import pull, require_feed

    require_feed()
    last = _date(until, "--until").date() if until else dt.date.today() - dt.timedelta(days=1)
    season = season or season_of(_date(f"{last}", "--until"))
    _check_season(season)
    result = pull(data_dir, news_dir, season, last, lines_url=lines_url, reports_dir=reports_dir,
                  say=lambda m: click.echo(m, err=True))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(result.summary())


@data.command("injuries")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--data", "data_paths", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Game-log files or folders: the games (GAME_ID) and the players' names (PLAYER_ID).")
@_NEWS
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="The history table (.csv, .csv.gz or .parquet); a run adds the reports it does not hold yet.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Processes reading the PDFs (default: one per core).")
@_translate_errors
def data_injuries(reports: tuple[Path, ...], data_paths: tuple[Path, ...], news_paths: tuple[str, ...], output: Path,
                  workers: int | None) -> None:
    """The official injury reports (PDFs, or folders of them) as a history table: one row per report
    and listed player, with REPORT_TIME (ET), the game, TEAM, PLAYER_ID (matched by name on the logs'
    and pregame lists' players; unmatched names listed, never guessed), STATUS, REASON and its kind.
    Incremental and resumable: only reports the table lacks are read; the table is written atomically."""
    from mlflow_nbaprops.data import load_gamelogs, load_news, split_paths
    from mlflow_nbaprops.feed import require_feed
    from mlflow_nbaprops.feed.reports import injury_history

    require_feed()
    _check_output(output, inputs=(*reports, *data_paths, *split_paths(news_paths)))
    logs = load_gamelogs(data_paths).frame
    pregame = load_news(split_paths(news_paths), logs).pregame if split_paths(news_paths) else None
    result = injury_history(reports, output, logs, pregame, workers=workers, say=lambda m: click.echo(m, err=True))
    shown = sorted(result.unmatched.items(), key=lambda item: -item[1])
    if shown:
        click.echo(f"note: {len(shown)} name(s) no player of the logs or lists has (PLAYER_ID left empty): "
                   + ", ".join(f"{name} x{count}" for name, count in shown[:20])
                   + (f", and {len(shown) - 20} more" if len(shown) > 20 else ""), err=True)
    click.echo(result.summary())
    if result.skipped:
        raise click.ClickException(f"{len(result.skipped)} file(s) skipped (see above); the others are in {output}")


def _check_season(season: str) -> None:
    import re

    if not re.fullmatch(r"\d{4}-\d{2}", season) or (int(season[:4]) + 1) % 100 != int(season[5:]):
        raise click.BadParameter(f"{season!r} is not a season (e.g. 2025-26)", param_hint="--season")


@data.command("slate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--date", "night", required=True, help="The night (YYYY-MM-DD): a past night of PATHS to replay, or "
                                                     "a night after them (or no PATHS) to build from the feed.")
@click.option("--line", default=None, type=FiniteNumber(0), help="A PRA line for every row (default: none).")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help=".csv, .csv.gz or .parquet")
@click.option("--injury-report", default=None,
              help="Feed: the injury report PDF (URL or file; default: the official one of --date at 5:30 PM ET).")
@click.option("--no-lineups", is_flag=True, help="Feed: do not ask for tonight's starting lineups.")
@_NEWS
@_translate_errors
def data_slate(paths: tuple[Path, ...], night: str, line: float | None, output: Path, injury_report: str | None,
               no_lineups: bool, news_paths: tuple[str, ...]) -> None:
    """A night's slate. Replay (a night PATHS hold): its players AVAILABLE, every other player of
    its teams OUT; with --news, everyone on the night's lists, the inactive OUT, with STARTER, SPREAD
    and TOTAL. Feed (a night after PATHS, or no PATHS): schedule and rosters from nba_api, STATUS
    from the official injury report, STARTER once lineups are in, SPREAD/TOTAL from --news game lines."""
    from mlflow_nbaprops.data import load_gamelogs, load_news, split_paths, write_table
    from mlflow_nbaprops.model.predictor import news_slate, observed_slate

    _check_output(output, inputs=(*paths, *split_paths(news_paths)))
    day = _date(night, "--date")
    frame = load_gamelogs(paths).frame if paths else None
    if frame is None or day > frame["GAME_DATE"].max():
        return _feed_slate(day, frame, output, injury_report, not no_lineups, news_paths, line)
    games = frame[frame["GAME_DATE"] == day]
    if games.empty:
        raise click.ClickException(f"no games on {day:%Y-%m-%d} in the data")
    news = load_news(split_paths(news_paths), frame) if split_paths(news_paths) else None
    if news is not None:
        _report_news(news)
        slate = news_slate(frame[frame["GAME_DATE"] < day], games, news)
    else:
        slate = observed_slate(frame[frame["GAME_DATE"] < day], games)
    names = frame.drop_duplicates("PLAYER_ID", keep="last").set_index("PLAYER_ID")["PLAYER_NAME"]
    slate.insert(1, "PLAYER_NAME", slate["PLAYER_ID"].map(names).to_numpy())
    if line is not None:
        slate["LINE"] = line
    write_table(slate.assign(GAME_DATE=slate["GAME_DATE"].dt.strftime("%Y-%m-%d")), output)
    out = int((slate["STATUS"] == "OUT").sum())
    lineups = f", {int(slate['STARTER'].eq(1).sum())} starters named" if "STARTER" in slate else ""
    click.echo(f"wrote {output}: {len(slate) - out} players available and {out} out in "
               f"{games['GAME_ID'].nunique()} games on {day:%Y-%m-%d}{lineups}")


def _feed_slate(day, history, output: Path, injury_report, lineups: bool, news_paths, line) -> None:
    """``data slate`` for a night the data does not hold: built from the feed."""
    from mlflow_nbaprops.data import split_paths, write_table
    from mlflow_nbaprops.feed import require_feed, tonight_lines, tonight_slate

    require_feed()
    lines = tonight_lines([Path(p) for p in split_paths(news_paths)])
    built = tonight_slate(day.date(), history, injury_report=injury_report, game_lines=lines, lineups=lineups,
                          say=lambda m: click.echo(m, err=True))
    for note in built.notes():
        click.echo(f"note: {note}", err=True)
    if built.slate.empty:
        raise click.ClickException(f"no games to play on {day:%Y-%m-%d}: no slate written")
    slate = built.slate.assign(LINE=line) if line is not None else built.slate
    write_table(slate, output)
    click.echo(f"wrote {output}: {built.summary()}")


def _date(text: str, hint: str):
    import pandas as pd

    try:
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=hint) from exc


#: The booster library, shared by ``backtest`` and ``train``: one choice per entry of the backend table.
_BACKEND = click.option("--backend", default=DEFAULT_BACKEND, show_default=True, type=click.Choice(BACKEND_NAMES),
                        help="Booster library of both stages.")

#: What was known of tonight, shared by ``backtest`` and ``train`` (the registry's scenarios, plus auto).
_AVAILABILITY = click.option(
    "--availability", default="auto", show_default=True, type=click.Choice(["auto", *AVAILABILITY_SCENARIOS]),
    help="What the model knows of tonight. observed: rotation players absent from the box score are out; "
         "none: box scores only; report: the league's 5:30 PM ET injury report (out or doubtful: out), when most "
         "bets are placed (needs the reports' history in --news); inactive: tonight's final inactive lists (about "
         "30 minutes before tip-off); lineups: inactive lists, starting lineups and game lines (30 minutes before; "
         "rows without a lineup get the inactive model). auto: lineups with pre-game news, else observed. A served "
         "slate declares absences with STATUS.")

#: Boosters averaged per stage, shared by ``backtest`` and ``train``.
_N_SEEDS = click.option(
    "--n-seeds", default=1, show_default=True, type=click.IntRange(1, 16),
    help="Boosters per stage, each with its own seed, averaged: steadier single forecasts at N times the cost.")

#: The two stages' hyperparameter options, shared by ``backtest`` and ``train``.
_MINUTES_PARAMS = click.option("--minutes-params", default="",
                               help='Stage-1 booster hyperparameters as JSON, e.g. \'{"n_estimators": 250}\'.')
_PRA_PARAMS = click.option("--pra-params", default="",
                           help="Stage-2 (and single-stage baseline) booster hyperparameters as JSON.")


@main.command("backtest")
@click.option("--data", "data_paths", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Game-log files or folders (nba_api or canonical); repeat for several.")
@_NEWS
@_LINES
@_BOOK
@click.option("--test-season", required=True, help='Season to walk forward through, e.g. "2023-24".')
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help="Predictions table (.csv/.parquet).")
@click.option("--refit-every", default=7, show_default=True, type=click.IntRange(1, 400), help="Days between refits.")
@click.option("--train-window", default=1500, show_default=True, type=click.IntRange(30), help="Training window (days).")
@_BACKEND
@click.option("--feature-set", default="full", show_default=True, help="A registered feature set.")
@_MINUTES_PARAMS
@_PRA_PARAMS
@_AVAILABILITY
@_N_SEEDS
@click.option("--seed", default=7, show_default=True, type=WholeNumber(0),
              help="Model seed (the default is train's: a backtest scores the model train would fit).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_translate_errors
def backtest(data_paths, news_paths, lines_paths, book, test_season, output, refit_every, train_window, backend,
             feature_set, minutes_params, pra_params, availability, n_seeds, seed, quiet) -> None:
    """Walk-forward backtest over TEST_SEASON: predictions table plus headline metrics vs baselines."""
    from mlflow_nbaprops.data import game_logs, split_paths, write_table
    from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward

    _check_feature_set(feature_set)
    _check_output(output, inputs=(*data_paths, *split_paths(news_paths), *split_paths(lines_paths)))
    minutes = _booster_params(minutes_params, "--minutes-params", backend, 0)
    pra = _booster_params(pra_params, "--pra-params", backend, 1)
    data = game_logs(data_paths, news_paths, lines_paths)
    _report_news(data.news)
    _report_lines(data.lines)
    config = BacktestConfig(test_season=test_season, refit_every=refit_every, train_window_days=train_window,
                            backend=backend, feature_set=feature_set, minutes_params=minutes, pra_params=pra,
                            seed=seed, availability=_scenario(availability, data), n_seeds=n_seeds)
    try:
        result = walk_forward(data.frame, config, progress=not quiet, news=data.news, lines=data.lines, book=book or None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    write_table(result.predictions, output)
    click.echo(f"data version {data.digest} ({data.source})")
    if data.news is not None:
        click.echo(f"news version {data.news.version.digest} ({data.news.version.summary()})")
    if data.lines is not None:
        click.echo(f"lines version {data.lines.version.digest} ({data.lines.version.summary()})")
    click.echo(result.summary())
    click.echo(f"\nwrote {len(result.predictions):,} predictions to {output}")


#: ``--data``'s default: the embedded synthetic league (``mlflow_nbaprops.data.sources.SYNTHETIC``,
#: spelt here so that ``nbaprops --help`` does not import pandas).
SYNTHETIC = "synthetic"


@main.command("train")
@click.option("--data", "data_specs", multiple=True, default=(SYNTHETIC,), show_default=True,
              help="Game-log files/folders (repeat or comma-separate), or synthetic[:SEASONSxTEAMSxGAMES].")
@_NEWS
@_LINES
@_BOOK
@click.option("--test-season", default=None, help="Validation season (default: the data's last season).")
@click.option("--feature-set", default="full", show_default=True)
@_BACKEND
@_MINUTES_PARAMS
@_PRA_PARAMS
@click.option("--stage2-target", default="pra", show_default=True, type=click.Choice(["pra", "rate"]))
@_AVAILABILITY
@_N_SEEDS
@click.option("--refit-every", default=7, show_default=True, type=WholeNumber(1), help="Days between refits.")
@click.option("--train-window", default=1500, show_default=True, type=WholeNumber(30), help="Training window (days).")
@click.option("--seed", default=7, show_default=True, type=WholeNumber(0), help="Model seed (and the synthetic league's).")
@click.option("--phase", default="model", show_default=True, help="features | model | tuning | production.")
@click.option("--experiment", default="", help="Experiment name (default: NBAProps/<Phase>).")
@click.option("--register", "register_name", default="", help="Register the model under this name.")
@click.option("--baseline-run", default="", help="Run id to report deltas against.")
@click.option("--params-from", default="",
              help="A tuning study's name or parent run id (its best trial), or a trial run id: its backend, "
                   "feature set, availability, refit cadence, window and both stages' hyperparameters replace "
                   "those options.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_translate_errors
def train(data_specs, news_paths, lines_paths, book, test_season, feature_set, backend, minutes_params, pra_params,
          stage2_target, availability, n_seeds, refit_every, train_window, seed, phase, experiment, register_name,
          baseline_run, params_from, quiet) -> None:
    """Walk-forward validate, fit on all data, and log the run by the tracking standard."""
    from mlflow_nbaprops.evaluation import BacktestConfig
    from mlflow_nbaprops.tracking import train as train_and_log

    tuned = {}
    if params_from:
        from mlflow_nbaprops.tuning import params_from as tuned_config

        tuned = tuned_config(params_from)
        backend, feature_set, availability = tuned["backend"], tuned["feature_set"], tuned["availability"]
        refit_every, train_window = int(tuned["refit_every"]), int(tuned["train_window_days"])
        minutes_params, pra_params = json.dumps(tuned["minutes_params"]), json.dumps(tuned["pra_params"])
        click.echo(f"configuration from tuning run {params_from}: backend {backend}, feature set {feature_set}, "
                   f"availability {availability}, refit every {refit_every} d, window {train_window} d, "
                   f"stage 1 {minutes_params}, stage 2 {pra_params}", err=True)
    _check_feature_set(feature_set)
    minutes = _booster_params(minutes_params, "--minutes-params", backend, 0)
    pra = _booster_params(pra_params, "--pra-params", backend, 1)
    data = _load_data(data_specs, seed, news_paths, lines_paths)
    availability = _scenario(availability, data)
    seasons = sorted(data.frame["SEASON"].unique())
    test_season = test_season or seasons[-1]
    if test_season not in seasons:
        raise click.BadParameter(f"{test_season!r} is not in the data (seasons: {', '.join(seasons)})",
                                 param_hint="--test-season")
    config = BacktestConfig(test_season=test_season, refit_every=refit_every, train_window_days=train_window,
                            backend=backend, feature_set=feature_set, minutes_params=minutes, pra_params=pra,
                            stage2_target=stage2_target, seed=seed, availability=availability, n_seeds=n_seeds)
    trained = train_and_log(data, config, phase, experiment or None, register_name or None, baseline_run or None,
                            progress=not quiet, tags={"nbaprops.params_from": params_from} if params_from else None,
                            book=book or None)
    for note in trained.notes:
        click.echo(note, err=True)
    click.echo(trained.result.summary())
    click.echo(f"\nrun {trained.run_name} ({trained.run_id}) in experiment {trained.experiment_name} "
               f"(id {trained.experiment_id})")
    click.echo(f"model {trained.model_uri}" + (f", registered {register_name} v{trained.registered_version}"
                                                if register_name else ""))


@main.command("tune")
@click.option("--space", "space_path", required=True, type=click.Path(path_type=Path),
              help="Search space (YAML or JSON), e.g. examples/tune_space.yaml.")
@click.option("--data", "data_specs", multiple=True, default=(SYNTHETIC,), show_default=True,
              help="Game-log files/folders (repeat or comma-separate), or synthetic[:SEASONSxTEAMSxGAMES].")
@_NEWS
@click.option("--validation-season", required=True, help='The season the study selects on, e.g. "2022-23".')
@click.option("--trials", default=20, show_default=True, type=WholeNumber(1),
              help="Finished (complete or pruned) trials the study runs to, over all its workers.")
@click.option("--study", "study_name", default="",
              help="Study name (default: from the space, data and season: workers given the same arguments join).")
@click.option("--storage", default="",
              help="Optuna storage the workers share, e.g. postgresql://user@host/db "
                   "(default: sqlite:///nbaprops-tuning.db in this folder).")
@click.option("--timeout", default=0.0, type=FiniteNumber(0), help="Start no trial after S seconds (0: none).")
@click.option("--seed", default=7, show_default=True, type=WholeNumber(0), help="Model seed (and the synthetic league's).")
@click.option("--threads", default=2, show_default=True, type=WholeNumber(1),
              help="Booster threads per worker (workers x threads = the machine's cores).")
@click.option("--pruning/--no-pruning", default=True, show_default=True,
              help="Stop a trial whose running fold MAE is above the other trials' median.")
@click.option("--heartbeat", default=15, show_default=True, type=click.IntRange(1, 600),
              help="Seconds between a worker's heartbeats; a trial silent for 3 of them is failed.")
@click.option("--experiment", default="", help="Experiment of the study's runs (default: NBAProps/Phase3_Tuning).")
@_translate_errors
def tune_command(space_path, data_specs, news_paths, validation_season, trials, study_name, storage, timeout, seed, threads,
                 pruning, heartbeat, experiment) -> None:
    """Tune both stages on a validation season: an Optuna study, trials as nested MLflow runs, any
    number of workers (run this command again, here or on another machine, with a shared --storage)."""
    from mlflow_nbaprops.tuning import SpaceError, load_space, tune

    try:
        space = load_space(space_path)
    except SpaceError as exc:
        raise click.BadParameter(str(exc), param_hint="--space") from exc
    _project_run("tune", study_name)
    data = _load_data(data_specs, seed, news_paths)
    report = tune(data, space, validation_season, trials, study_name or None, storage or None, timeout or None, seed,
                  threads, pruning, heartbeat, experiment or None)
    click.echo(report.summary())
    if report.finalized and not report.best:
        raise click.ClickException("no trial finished: see the failed trials' runs (tag nbaprops.tune.failure)")


def _csv_list(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@main.command("compare")
@click.option("--runs", default="", help="Run ids, comma-separated (or use --experiment/--filter).")
@click.option("--experiment", default="", help="Experiment whose training runs to compare.")
@click.option("--filter", "filter_string", default="", help='MLflow filter, e.g. "metrics.val_pra_mae < 6".')
@click.option("--baseline-run", default="", help="Run id the deltas are computed against.")
@click.option("--metrics", default="",
              help="Metrics to show, comma-separated (default: val_pra_mae, val_min_mae, val_vs_l10_pct, "
                   "val_bet_calibration_error).")
@click.option("--output-dir", default="comparison", show_default=True, type=click.Path(path_type=Path))
@click.option("--log-run", is_flag=True, help="Log the table and plot as artifacts of a comparison run.")
@_translate_errors
def compare_command(runs, experiment, filter_string, baseline_run, metrics, output_dir, log_run) -> None:
    """Side-by-side table of training runs, deltas vs a baseline run, CSV/Markdown and a fold-MAE plot."""
    import mlflow

    from mlflow_nbaprops.tracking import experiment_name
    from mlflow_nbaprops.tracking.compare import compare, select_runs
    from mlflow_nbaprops.tracking.runs import use_experiment

    _check_output(output_dir, "--output-dir", folder=True)
    _project_run("compare")
    client = mlflow.MlflowClient()
    selected = select_runs(client, _csv_list(runs), experiment or None, filter_string)
    comparison = compare(client, selected, _csv_list(metrics), baseline_run or None)
    click.echo(comparison.text())
    files = comparison.write(output_dir)
    click.echo(f"\nwrote {', '.join(str(f) for f in files)}")
    if log_run:
        if not os.environ.get("MLFLOW_RUN_ID"):
            use_experiment(experiment_name("comparisons"))  # NBAProps/Comparisons
        with mlflow.start_run() as run:
            mlflow.set_tags({"nbaprops.phase": "compare", "nbaprops.compared_runs": ",".join(
                r.info.run_id for r in selected)[:5000], "nbaprops.baseline_run": baseline_run})
            for file in files:
                mlflow.log_artifact(str(file), "comparison")
            mlflow.log_table(comparison.table, "comparison/comparison_table.json")
        click.echo(f"logged comparison run {run.info.run_id}")


def _criteria_options(command):
    options = [
        click.option("--max-pra-mae", default=float("inf"), type=float, help="Fail above this validation PRA MAE."),
        click.option("--min-improvement-pct", default=0.0, type=float, help="Must beat previous-10 by this many %."),
        click.option("--min-predictions", default=1, type=WholeNumber(0), help="Minimum validated predictions."),
        click.option("--max-calibration-error", default=1.0, type=float, help="Maximum P(over) calibration error."),
        click.option("--min-roi", default=None, type=float, help="Minimum ROI (bookmaker lines only)."),
        click.option("--min-win-rate", default=None, type=float, help="Minimum win rate (bookmaker lines only)."),
        click.option("--allow-worse-than-production", type=click.BOOL, is_flag=False, flag_value=True,
                     default=False,
                     help="Skip the not-worse-than-production check."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command("register")
@click.option("--run-id", default="", help="Training run whose model to register (or --version).")
@click.option("--version", "version_", default="", help="An existing version to promote instead.")
@click.option("--name", default="NBAPropsModel", show_default=True, help="Registered model name.")
@click.option("--alias", default="staging", show_default=True, type=click.Choice(["staging", "production", "none"]))
@click.option("--reason", default="", help="Why (recorded in the history).")
@_criteria_options
@_translate_errors
def register_command(run_id, version_, name, alias, reason, max_pra_mae, min_improvement_pct, min_predictions,
                     max_calibration_error, min_roi, min_win_rate, allow_worse_than_production) -> None:
    """Register a run's model, check the promotion criteria and move the alias if they all pass."""
    from mlflow_nbaprops import promotion

    if bool(run_id) == bool(version_):
        raise click.UsageError("give exactly one of --run-id or --version")
    _project_run("register", f"{name}_{version_ or run_id[:8]}_{alias}")
    if version_:
        promotion.require_version(name, version_)
    version = version_ or promotion.register_run(run_id, name)
    click.echo(f"{name} version {version}" + (f" (from run {run_id})" if run_id else ""))
    if alias == "none":
        return
    criteria = promotion.Criteria(max_pra_mae, min_improvement_pct, min_predictions, max_calibration_error,
                                 min_roi, min_win_rate, not allow_worse_than_production)
    decision = promotion.promote(name, version, alias, reason, criteria)
    click.echo(decision.table())
    if not decision.passed:
        raise click.ClickException(f"promotion of {name} v{version} to @{alias} refused: "
                                   f"{', '.join(c.name for c in decision.checks if not c.passed)} failed; "
                                   "no alias changed")
    if decision.moved:
        click.echo(f"{name}@{alias} -> version {version}  (load: models:/{name}@{alias})")
    else:
        click.echo(f"{name}@{alias} is already version {version}: nothing changed")


@main.command("rollback")
@click.option("--name", default="NBAPropsModel", show_default=True)
@click.option("--reason", required=True, help="Why (recorded in the history).")
@_translate_errors
def rollback_command(name, reason) -> None:
    """Point @production back at the version it had before its latest promotion."""
    from mlflow_nbaprops import promotion

    _project_run("rollback", name)
    old, new = promotion.rollback(name, reason)
    click.echo(f"{name}@production: version {old} -> {new} (rolled back: {reason})")


@main.command("history")
@click.option("--name", default="NBAPropsModel", show_default=True)
@_translate_errors
def history_command(name) -> None:
    """Every recorded alias move of a registered model, oldest first."""
    from mlflow_nbaprops import promotion

    events = promotion.history(name)
    if not events:
        click.echo(f"no recorded alias moves for {name} (promote a version with nbaprops register --alias)")
    for e in events:
        click.echo(f"{e['at']}  {e['action']:<8} @{e['alias']:<10} v{e['from_version'] or '-'} -> v{e['version']}"
                   f"  by {e['by']}: {e['reason']}")


# --------------------------------------------------------------------------- the daily loop


def _results(paths: tuple[Path, ...], news: tuple[str, ...] = ()):
    from mlflow_nbaprops.data import game_logs

    data = game_logs(paths, news)
    _report_news(data.news)
    return data


_RESULTS = click.option("--data", "data_paths", multiple=True, required=True, type=click.Path(path_type=Path),
                        help="Game-log files or folders (nba_api or canonical); repeat for several.")


@main.command("refresh")
@click.option("--model", "model_uri", default="models:/NBAPropsModel@production", show_default=True,
              help="Registered model version to refresh (models:/NAME@ALIAS or models:/NAME/VERSION).")
@_RESULTS
@click.option("--alias", default="none", show_default=True, type=click.Choice(["staging", "production", "none"]),
              help="Move this alias to the new version (a 'refresh' event in the history).")
@click.option("--accept-corrections", is_flag=True,
              help="Take changed box scores (and pregame lists) of games the snapshot holds (default: refuse and "
                   "list them).")
@_NEWS
@_translate_errors
def refresh_command(model_uri, data_paths, alias, accept_corrections, news_paths) -> None:
    """New model version: the same boosters, history extended with the games since its cutoff (and, for a
    model that reads pre-game news, their pregame lists: --news)."""
    from mlflow_nbaprops.daily.refresh import describe, refresh

    _project_run("refresh")
    result = refresh(model_uri, _results(data_paths, news_paths), None if alias == "none" else alias,
                     accept_corrections)
    click.echo(describe(result))
    if result.decision is not None and not result.decision.passed:
        raise click.ClickException(f"version {result.version} registered, but @{alias} did not move: "
                                   f"{', '.join(c.name for c in result.decision.checks if not c.passed)} failed")


@main.command("predict")
@click.option("--model", "model_uri", default="models:/NBAPropsModel@production", show_default=True,
              help="Model to score with (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/..., a path).")
@click.option("--slate", "slate_path", required=True, type=click.Path(path_type=Path),
              help="Tonight's slate (.csv/.csv.gz/.parquet): PLAYER_ID, GAME_DATE, TEAM, OPPONENT, HOME "
                   "[, STATUS, LINE, MIN_PROJ, PLAYER_NAME].")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help="Predictions table to write.")
@click.option("--no-log", is_flag=True, help="Do not log the predictions to NBAProps/Predictions.")
@_translate_errors
def predict_command(model_uri, slate_path, output, no_log) -> None:
    """Score a slate; log the predictions for grading (once per slate and model version)."""
    from mlflow_nbaprops.daily.predict import score_slate
    from mlflow_nbaprops.data import read_table, write_table

    _check_output(output, inputs=(slate_path,))
    _project_run("predict")
    scored = score_slate(model_uri, read_table(slate_path, "a slate"), log=not no_log, source=str(slate_path))
    table = scored.table.astype({"OUT": object})
    write_table(table.assign(GAME_DATE=table["GAME_DATE"].dt.strftime("%Y-%m-%d")), output)
    click.echo(scored.summary())
    click.echo(f"wrote {len(table):,} predictions to {output}")


@main.command("grade")
@_RESULTS
@click.option("--min-edge", default=0.03, show_default=True, type=FiniteNumber(),
              help="Edge over the price a bet needs (as in the backtest).")
@_translate_errors
def grade_command(data_paths, min_edge) -> None:
    """Grade logged predictions against arrived results; log live metrics per model (step = yyyymmdd)."""
    from mlflow_nbaprops.daily.grade import grade

    _project_run("grade")
    click.echo(grade(_results(data_paths), min_edge=min_edge).summary())


@main.command("monitor")
@click.option("--name", "--model", "name", default="NBAPropsModel", show_default=True, help="Registered model name.")
@click.option("--alias", default="production", show_default=True)
@click.option("--window", "window_days", default=14, show_default=True, type=WholeNumber(1),
              help="Days of graded games judged.")
@click.option("--tolerance", "tolerance_pct", default=10.0, show_default=True, type=FiniteNumber(0),
              help="Drift when live MAE exceeds validation MAE by more than this many %.")
@click.option("--min-rows", default=200, show_default=True, type=WholeNumber(1),
              help="Graded predictions the window needs before drift is judged.")
@click.option("--output-dir", default="monitoring", show_default=True, type=click.Path(path_type=Path),
              help="Where the live-error figure is written.")
@_translate_errors
def monitor_command(name, alias, window_days, tolerance_pct, min_rows, output_dir) -> None:
    """Live vs validation MAE of NAME@ALIAS; exit status 1 on drift (then: nbaprops rollback)."""
    from mlflow_nbaprops.daily.monitor import monitor

    _check_output(output_dir, "--output-dir", folder=True)
    _project_run("monitor", name)
    result = monitor(name, alias, window_days, tolerance_pct, min_rows, output_dir)
    click.echo(result.summary())
    if result.drift.drifted:
        sys.exit(1)


@main.command("daily")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the season game-log files the feed keeps up to date.")
@click.option("--news", "news_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the pregame lists and game lines the feed keeps up to date.")
@click.option("--date", "night", default=None, help="Tonight (YYYY-MM-DD; default: today).")
@click.option("--name", "--model", "name", default="NBAPropsModel", show_default=True, help="Registered model name.")
@click.option("--alias", default="production", show_default=True,
              help="The alias scored with; the refresh moves it to the refreshed version.")
@click.option("--output-dir", default="daily", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the night's slate, predictions, journal and monitoring figure go.")
@click.option("--injury-report", default=None, help="The injury report PDF (URL or file; default: the official "
                                                    "one of the night at 5:30 PM ET).")
@click.option("--lines-url", default=None, envvar="NBAPROPS_LINES_URL",
              help="A CSV of game lines your source serves (see `data pull`). [env NBAPROPS_LINES_URL]")
@click.option("--min-rows", default=200, show_default=True, type=WholeNumber(1),
              help="Graded predictions the drift check needs.")
@_translate_errors
def daily_command(data_dir, news_dir, night, name, alias, output_dir, injury_report, lines_url, min_rows) -> None:
    """One night: pull -> refresh -> slate -> predict -> grade -> monitor. A failed step stops the rest
    (exit 1); running a night twice is harmless. Exit 1 on drift, as `monitor`."""
    import datetime as dt

    from mlflow_nbaprops.daily.night import NightSettings, run_night
    from mlflow_nbaprops.feed import require_feed

    require_feed()
    day = _date(night, "--date").date() if night else dt.date.today()
    _check_output(output_dir, "--output-dir", folder=True, inputs=(data_dir, news_dir))
    for folder in (data_dir, news_dir):
        if folder.resolve() == output_dir.resolve() or folder.resolve() in output_dir.resolve().parents:
            raise click.BadParameter(f"{output_dir} is inside {folder}: the night's slates would be read as data "
                                     "there; write elsewhere", param_hint="--output-dir")
    _project_run("daily", f"{day}")
    settings = NightSettings(day=day, data_dir=data_dir, news_dir=news_dir, output_dir=output_dir, model_name=name,
                             alias=alias, injury_report=injury_report, lines_url=lines_url, min_rows=min_rows)
    result = run_night(settings, say=click.echo)
    click.echo(f"{result.summary()}; journal {result.journal}")
    if result.drift:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
