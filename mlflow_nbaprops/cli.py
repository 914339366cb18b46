"""``nbaprops``: the package's one front door (the MLproject entry points call it).

Every command translates the package's errors into a one-paragraph message and a
non-zero exit status; tracebacks are for bugs, not for bad input.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from mlflow_nbaprops import __version__
from mlflow_nbaprops.errors import NBAPropsError


def _translate_errors(command):
    """Turn :class:`NBAPropsError` into a clean ``Error: ...`` and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NBAPropsError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


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


def _check_output_suffix(output: Path) -> None:
    """Fail on an unsupported output type before minutes of work, not after."""
    from mlflow_nbaprops.data.loader import SUFFIXES

    if not output.name.endswith(SUFFIXES):
        raise click.BadParameter(f"{output}: unsupported output type (expected {', '.join(SUFFIXES)})",
                                 param_hint="--output")


@main.group()
def data() -> None:
    """Load, validate, synthesize and fingerprint game logs."""


@data.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quarantine", is_flag=True, help="Set bad rows aside (counted and reported) instead of failing.")
@_translate_errors
def data_validate(paths: tuple[Path, ...], quarantine: bool) -> None:
    """Validate game-log files (nba_api or canonical; files or folders) and summarize them."""
    from mlflow_nbaprops.data import load_gamelogs

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


@data.command("synth")
@click.option("--seasons", default=3, show_default=True, type=click.IntRange(1, 20), help="Number of seasons.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same league).")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help=".csv, .csv.gz or .parquet")
@click.option("--start-year", default=2021, show_default=True, type=int, help="First season's start year.")
@click.option("--teams", default=30, show_default=True, type=click.IntRange(4, 30), help="Teams (even).")
@click.option("--games-per-team", default=82, show_default=True, type=click.IntRange(3, 164))
@_translate_errors
def data_synth(seasons: int, seed: int, output: Path, start_year: int, teams: int, games_per_team: int) -> None:
    """Generate a synthetic league in the canonical schema and write it to OUTPUT."""
    from mlflow_nbaprops.data import canonicalize_frame, data_version, write_gamelogs
    from mlflow_nbaprops.data.synth import synthesize_league

    _check_output_suffix(output)
    try:
        frame = synthesize_league(
            seasons, seed, start_year=start_year, n_teams=teams, games_per_team=games_per_team
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    frame = canonicalize_frame(frame, source="synthetic")  # the same validation real data gets
    write_gamelogs(frame, output)
    click.echo(f"wrote {output}: {data_version(frame, str(output)).summary()}")


@data.command("fingerprint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_translate_errors
def data_fingerprint(paths: tuple[Path, ...]) -> None:
    """Print the data version (full-content digest) of game-log files."""
    from mlflow_nbaprops.data import load_gamelogs

    click.echo(load_gamelogs(paths).version.digest)


@main.command("backtest")
@click.option("--data", "data_paths", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Game-log files or folders (nba_api or canonical); repeat for several.")
@click.option("--test-season", required=True, help='Season to walk forward through, e.g. "2023-24".')
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help="Predictions table (.csv/.parquet).")
@click.option("--refit-every", default=7, show_default=True, type=click.IntRange(1, 400), help="Days between refits.")
@click.option("--train-window", default=1100, show_default=True, type=click.IntRange(30), help="Training window (days).")
@click.option("--backend", default="lightgbm", show_default=True, type=click.Choice(["xgboost", "lightgbm"]))
@click.option("--feature-set", default="full", show_default=True, help="A registered feature set.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_translate_errors
def backtest(data_paths, test_season, output, refit_every, train_window, backend, feature_set, seed, quiet) -> None:
    """Walk-forward backtest over TEST_SEASON: predictions table plus headline metrics vs baselines."""
    from mlflow_nbaprops.data import load_gamelogs, write_table
    from mlflow_nbaprops.evaluation import BacktestConfig, walk_forward
    from mlflow_nbaprops.features import FEATURE_SETS

    if feature_set not in FEATURE_SETS:
        raise click.BadParameter(f"unknown feature set {feature_set!r}; known: {', '.join(sorted(FEATURE_SETS))}",
                                 param_hint="--feature-set")
    _check_output_suffix(output)
    logs = load_gamelogs(data_paths)
    config = BacktestConfig(test_season=test_season, refit_every=refit_every, train_window_days=train_window,
                            backend=backend, feature_set=feature_set, seed=seed)
    try:
        result = walk_forward(logs.frame, config, progress=not quiet)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    write_table(result.predictions, output)
    click.echo(f"data version {logs.version.digest} ({logs.version.summary()})")
    click.echo(result.summary())
    click.echo(f"\nwrote {len(result.predictions):,} predictions to {output}")


if __name__ == "__main__":  # pragma: no cover
    main()
