"""The nightly feed: nba_api in, the data folders and tonight's slate out (no MLflow here).

    pull(data_dir, news_dir, season, until) -> Pulled         game logs and pregame lists, incremental
    tonight_slate(day, history) -> Tonight                   schedule, rosters, injury report, lineups
    parse_injury_report(pdf) -> (rows, not_submitted)        the official injury report's table
    StatsClient(FeedConfig)                                  the polite, retrying client under nba_api

nba_api (and pdfplumber, for the injury report) is the ``feed`` extra: ``pip install
"mlflow-nbaprops[feed]"``. Every failure is a :class:`~mlflow_nbaprops.errors.FeedError` naming
the endpoint and its parameters.
"""

from mlflow_nbaprops._exports import lazy_face, public_names

_EXPORTS = {
    "http": ["FeedConfig", "StatsClient"],
    "injury": ["parse_injury_report"],
    "season": ["Pulled", "pull", "gamelog_file", "pregame_file", "game_lines_file"],
    "tonight": ["Tonight", "tonight_lines", "tonight_slate"],
}
__all__ = public_names(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)


def require_feed() -> None:
    """A clear error if the ``feed`` extra is not installed."""
    import importlib.util

    from mlflow_nbaprops.errors import FeedError

    missing = [name for name in ("nba_api", "pdfplumber") if importlib.util.find_spec(name) is None]
    if missing:
        raise FeedError(f"the feed needs {', '.join(missing)}: pip install \"mlflow-nbaprops[feed]\"")
