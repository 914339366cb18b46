"""Keeping credentials out of tags, params and logs (standard library only).

``redact_url`` removes what could authenticate from a URL — https userinfo
(``https://user:token@…``, ``https://ghp_…@…``), query strings and fragments (where tokens
travel: ``?token=…``, ``?X-Amz-Signature=…``) and passwords in any form (``ssh://u:p@…``,
``u:p@host:path``); a plain ssh user (``git@github.com:org/repo``) stays. ``redact_text``
does that to every URL inside a text and masks ``key=value`` secrets and known token shapes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_SSH_SCHEMES = {"ssh", "git+ssh", "ssh+git"}
_SCP_LIKE = re.compile(r"^(?P<user>[^@/:\s]+)(?::[^@/\s]*)?@(?P<host>[^:/\s]+):(?P<path>.*)$")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b([A-Z0-9_]*(?:token|secret|password|passwd|api[_-]?key|access[_-]?key|credential)[A-Z0-9_]*)"
    r"(\s*[=:]\s*)([^\s'\",;&]+)")
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9]{20,})\b")


def redact_url(url: str) -> str:
    """``url`` without credentials, query string or fragment."""
    url = url.strip()
    if "://" not in url:
        match = _SCP_LIKE.match(url)
        return f"{match['user']}@{match['host']}:{match['path']}" if match else _TOKEN_SHAPES.sub(MASK, url)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # unparseable: keep only what cannot be a secret
        return url.split("://", 1)[0] + "://" + MASK
    if not parts.netloc:  # sqlite:///path, file:///path: nothing to hide, keep the "///"
        return f"{parts.scheme}://{parts.path}"
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    if parts.scheme in _SSH_SCHEMES and parts.username and parts.password is None \
            and not _TOKEN_SHAPES.search(parts.username):
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact_text(text: str) -> str:
    """``text`` with every URL redacted, ``token=…``-style assignments and token shapes masked."""
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _TOKEN_SHAPES.sub(MASK, text)
