"""URLs as a log may show them: without userinfo or query string.

A merchant's webhook URL often carries its receiver's credentials (``https://user:pass@host/hook``) or a token
(``?token=...``). Logs are read by more people, and kept longer, than the merchant's own delivery log, so every
log line that carries a URL shows it through ``redact_url``: ``https://***@host/hook?***``. The scheme, host,
port and path stay, which is what an operator needs to tell endpoints apart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
# A URL inside free text (an exception's message, a third-party library's log line): up to whitespace or a quote,
# and not the punctuation of the sentence around it.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]*[^\s'\"<>.,;:!?)]")
_PLAIN = (int, float, bool, bytes, type(None))


def redact_url(url: str) -> str:
    """``url`` without its userinfo, query string and fragment (each replaced by ``***`` when present)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        scheme = url.partition("://")[0]
        return f"{scheme}://{REDACTED}"
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = REDACTED if parts.query or parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_urls(text: str) -> str:
    """``text`` with every URL in it redacted (see ``redact_url``)."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def _redacted_argument(argument: object) -> object:
    if isinstance(argument, _PLAIN):
        return argument
    text = argument if isinstance(argument, str) else str(argument)
    return redact_urls(text) if "://" in text else argument


class UrlRedactingFilter(logging.Filter):
    """Redacts the URLs of a record: its message, its arguments (an ``httpx.URL`` as much as a string) and the
    text of its exception, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_urls(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {name: _redacted_argument(value) for name, value in record.args.items()}
        elif record.args:
            record.args = tuple(_redacted_argument(argument) for argument in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_urls(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = UrlRedactingFilter()


def redact_urls_in_logs(*loggers: logging.Logger) -> None:
    """Every record logged through ``loggers`` has its URLs redacted (a logger's filter sees only the records
    logged to that very logger, not those of its children)."""
    for logger in loggers:
        logger.addFilter(_FILTER)
