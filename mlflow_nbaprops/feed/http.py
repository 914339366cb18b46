"""One polite, robust HTTP client for the feed, installed under nba_api's endpoint classes.

nba_api builds the requests and parses the answers; this module decides how they travel: a
minimum interval between requests, a timeout, retries with exponential backoff on 429 and 5xx
(urllib3's ``Retry``, honouring ``Retry-After`` up to a cap), read timeouts and dropped
connections retried too, and the headers the stats site wants (nba_api's own). What still fails
becomes a :class:`FeedError` naming the endpoint and its parameters; an answer that is not the
shape the feed reads (not JSON, a data set or a column missing) becomes one as well.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from mlflow_nbaprops.errors import FeedError
from mlflow_nbaprops.redact import redact_url

_logger = logging.getLogger(__name__)

STATS_URL = "https://stats.nba.com/stats/{endpoint}"
#: The official injury report: one PDF per publication (hourly on game days; the 5 PM ET one is read).
INJURY_URL = "https://ak-static.cms.nba.com/referee/injury/Injury-Report_{date}_{hour}.pdf"
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Where each V3 answer keeps what the feed reads: nba_api turns a missing or renamed container into
#: empty data sets, which would read as "no games tonight" or "no lineups yet", so it is checked.
V3_PATHS = {"scoreboardv3": ("scoreboard", "games"), "boxscoretraditionalv3": ("boxScoreTraditional",),
            "boxscoresummaryv3": ("boxScoreSummary",)}
#: A ``Retry-After`` longer than this is cut to it: a nightly job must end.
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class FeedConfig:
    """Where the feed reads and how politely. Environment: ``NBAPROPS_STATS_URL``,
    ``NBAPROPS_INJURY_URL`` (templates), ``NBAPROPS_FEED_INTERVAL``, ``NBAPROPS_FEED_TIMEOUT``,
    ``NBAPROPS_FEED_RETRIES``, ``NBAPROPS_FEED_BACKOFF`` (seconds)."""

    stats_url: str = STATS_URL
    injury_url: str = INJURY_URL
    min_interval: float = 0.6
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 2.0

    @classmethod
    def from_env(cls, **overrides: Any) -> "FeedConfig":
        env = {"stats_url": "NBAPROPS_STATS_URL", "injury_url": "NBAPROPS_INJURY_URL",
               "min_interval": "NBAPROPS_FEED_INTERVAL", "timeout": "NBAPROPS_FEED_TIMEOUT",
               "retries": "NBAPROPS_FEED_RETRIES", "backoff": "NBAPROPS_FEED_BACKOFF"}
        values: dict[str, Any] = {}
        for name, var in env.items():
            text = os.environ.get(var)
            if text is None or text == "":
                continue
            kind = type(getattr(cls, name))
            try:
                values[name] = kind(text)
            except ValueError as exc:
                raise FeedError(f"{var}={text!r} is not a {kind.__name__}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        config = replace(cls(), **values)
        if config.min_interval < 0 or config.timeout <= 0 or config.retries < 0 or config.backoff < 0:
            raise FeedError(f"feed settings out of range: {config}")
        if "{endpoint}" not in config.stats_url:
            raise FeedError(f"the stats URL {config.stats_url!r} lacks the {{endpoint}} placeholder")
        return config

    @property
    def tries(self) -> int:
        return self.retries + 1


def _retry(config: FeedConfig):
    from urllib3.util.retry import Retry

    class _LoggedRetry(Retry):
        """urllib3's retry, saying what it retries and capping ``Retry-After``."""

        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            new = super().increment(method, url, response, error, _pool, _stacktrace)
            what = f"HTTP {response.status}" if response is not None else type(error).__name__ if error else "error"
            used = len(new.history)
            _logger.warning("%s answered %s; try %d of %d", _endpoint_of(url), what, used + 1, config.tries)
            return new

        def get_retry_after(self, response):
            after = super().get_retry_after(response)
            return None if after is None else min(after, MAX_RETRY_AFTER)

    return _LoggedRetry(total=config.retries, connect=config.retries, read=config.retries, status=config.retries,
                        other=0, backoff_factor=config.backoff, backoff_max=MAX_RETRY_AFTER,
                        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                        respect_retry_after_header=True, raise_on_status=True)


def _endpoint_of(url: str | None) -> str:
    return (url or "?").split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def polite_session(config: FeedConfig):
    """A ``requests.Session``: at most one request per ``min_interval``, retries, non-2xx raised."""
    import requests
    from requests.adapters import HTTPAdapter

    class _Polite(requests.Session):
        _lock = threading.Lock()
        _last = 0.0

        def request(self, method, url, *args, **kwargs):
            with self._lock:
                wait = self._last + config.min_interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                type(self)._last = time.monotonic()
            kwargs.setdefault("timeout", config.timeout)
            _logger.info("GET %s", _endpoint_of(url))
            return super().request(method, url, *args, **kwargs)

    session = _Polite()
    adapter = HTTPAdapter(max_retries=_retry(config))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.hooks["response"].append(lambda response, *a, **k: response.raise_for_status())
    return session


class StatsClient:
    """nba_api's endpoints behind :func:`polite_session`; every failure a :class:`FeedError`."""

    def __init__(self, config: FeedConfig | None = None) -> None:
        self.config = config or FeedConfig.from_env()
        self.session = polite_session(self.config)
        self.requests = 0

    @contextlib.contextmanager
    def _installed(self) -> Iterator[None]:
        from nba_api.stats.library.http import NBAStatsHTTP

        saved = NBAStatsHTTP.base_url, NBAStatsHTTP._session
        NBAStatsHTTP.base_url, NBAStatsHTTP._session = self.config.stats_url, self.session
        try:
            yield
        finally:
            NBAStatsHTTP.base_url, NBAStatsHTTP._session = saved

    def get(self, endpoint_class, required: dict[str, tuple[str, ...]], missing_ok: bool = False,
            **params: Any) -> dict[str, pd.DataFrame] | None:
        """Call ``endpoint_class(**params)`` and return its ``required`` data sets as frames, each
        checked to hold the columns listed (a missing one: renamed or dropped by the site), a V3
        answer to hold its container (``V3_PATHS``); ``None`` for an HTTP 404, or an answer without
        its container, if ``missing_ok``."""
        import requests

        name = endpoint_class.endpoint
        where = f"{name} ({', '.join(f'{k}={v}' for k, v in params.items())})"
        self.requests += 1
        with self._installed():
            try:
                endpoint = endpoint_class(**params, timeout=self.config.timeout)
                raw = endpoint.nba_response.get_dict()
            except requests.HTTPError as exc:
                if missing_ok and exc.response is not None and exc.response.status_code == 404:
                    return None
                raise FeedError(f"{where}: {_describe(exc, self.config)}") from exc
            except Exception as exc:  # noqa: BLE001 -- translated here, at the boundary, and re-raised
                raise FeedError(f"{where}: {_describe(exc, self.config)}") from exc
        legacy = "resultSets" in raw or "resultSet" in raw
        path = V3_PATHS.get(name.lower(), ()) if not legacy else ()
        node: Any = raw
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                if missing_ok:  # (tonight's box score before tip-off: not in yet)
                    return None
                has = ", ".join(map(str, node)) if isinstance(node, dict) and node else "nothing"
                raise FeedError(f"{where}: the answer has no {'.'.join(path[:depth + 1])} (renamed or dropped by the "
                                f"site? it has {has[:200]}): nothing was read")
            node = node[key]
        try:
            sets = endpoint.nba_response.get_data_sets(None if legacy else name)
        except Exception as exc:  # noqa: BLE001
            raise FeedError(f"{where}: the answer is not the shape nba_api parses ({type(exc).__name__}: {exc})") from exc
        frames = {}
        for data_set, columns in required.items():
            found = sets.get(data_set)
            if found is None:
                raise FeedError(f"{where}: no {data_set!r} data set in the answer (has: {', '.join(sets) or 'none'})")
            frame = pd.DataFrame(found["data"], columns=list(found["headers"]))
            missing = [c for c in columns if c not in frame.columns or (len(frame) and frame[c].isna().all()
                                                                         and not legacy)]
            if missing:
                raise FeedError(f"{where}: {data_set} lacks {', '.join(missing)} (renamed or dropped by the site? "
                                f"nba_api {_nba_api_version()} reads {', '.join(endpoint_class.expected_data.get(data_set, [])[:8])}...)")
            frames[data_set] = frame
        return frames

    def get_bytes(self, url: str, what: str) -> bytes | None:
        """The body at ``url``; ``None`` if the server says it is not there (403/404). Errors show the
        URL without its query string (where an API key travels)."""
        import requests

        self.requests += 1
        shown = redact_url(url)
        try:
            response = self.session.get(url)
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code in (403, 404):
                return None
            raise FeedError(f"{what} ({shown}): {_describe(exc, self.config)}") from None
        except Exception as exc:  # noqa: BLE001
            raise FeedError(f"{what} ({shown}): {_describe(exc, self.config)}") from None
        return response.content


def _describe(exc: BaseException, config: FeedConfig) -> str:
    """One line for a failed request: gave up after N tries on what, timed out, refused, not JSON."""
    import requests

    if isinstance(exc, requests.exceptions.RetryError):
        reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else exc
        return f"gave up after {config.tries} tries ({reason}); nothing was written for this step"
    if isinstance(exc, requests.exceptions.HTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return f"HTTP {status} ({exc.response.reason if exc.response is not None else exc})"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {config.timeout:g} s, {config.tries} tries"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect after {config.tries} tries ({type(exc).__name__})"
    if isinstance(exc, ValueError):  # json.JSONDecodeError included
        return f"the answer is not JSON nba_api can read ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _nba_api_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nba_api")
    except PackageNotFoundError:
        return "?"
