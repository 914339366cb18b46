"""The data layer: load and validate game logs, synthesize a league, version data, resolve
``--data`` specifications (no MLflow here).

    load_gamelogs(paths, on_bad_rows="raise") -> GameLogs       files/folders, validated
    canonicalize_frame(frame, source) -> DataFrame             any frame through the same checks
    read_table(path) / write_table(frame, path)                .csv, .csv.gz, .parquet
    write_gamelogs(frame, path)                                canonical game logs
    find_files(paths) -> list[Path]                            the game-log files under paths
    synthesize_league(seasons, seed, ...) -> DataFrame         the embedded synthetic league
    synthetic_league(seasons, seed, teams, games) -> DataFrame the same, canonicalized
    data_version(frame, source) -> DataVersion                 full-content digest and summary
    content_digest(frame) -> str
    load_data(specs, seed, news=()) -> DataInfo                paths or synthetic[:SxTxG], with news
    game_logs(paths, news=()) -> DataInfo
    load_news(paths, logs) -> News                             pregame lists and game lines, validated
    news_frames(pregame, lines, source, logs) -> News          the same for in-memory frames
    load_lines(paths, logs) -> Lines                           the books' PRA props, one market row a player-game
    season_of(dates) -> Series                                 "2023-24" for a date in that season
    CANONICAL_COLUMNS, REQUIRED_COLUMNS, pra(frame), Problem
"""

from mlflow_nbaprops._exports import lazy_face, public_names

_EXPORTS = {
    "loader": ["GameLogs", "canonicalize_frame", "find_files", "load_gamelogs", "read_table", "write_gamelogs",
               "write_table"],
    "schema": ["CANONICAL_COLUMNS", "REQUIRED_COLUMNS", "pra", "season_of"],
    "lines": ["Lines", "lines_from_logs", "load_lines"],
    "news": ["News", "NewsVersion", "load_news", "news_frames", "write_news"],
    "sources": ["DataInfo", "game_logs", "load_data", "split_paths", "synthetic_league", "synthetic_league_with_news"],
    "synth": ["synthesize_league"],
    "validation": ["Problem"],
    "version": ["DataVersion", "content_digest", "data_version"],
}
__all__ = public_names(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
