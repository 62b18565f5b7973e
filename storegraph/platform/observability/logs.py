"""Log records as one line each: JSON for machines (``LOG_FORMAT=json``) or text for people (``text``), both
carrying the request id of the request being served, and both scrubbed of personal data (scrub.py).

A JSON line holds ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` when a request is being
served, ``trace_id`` and ``span_id`` when a trace is being recorded, ``exc`` for an exception's stack, and the
record's structured fields (the access log's ``method``, ``route``, ``status``...). ``logging_config`` is the one
configuration of the process's loggers, storegraph's and uvicorn's alike, handed to uvicorn or ``dictConfig``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from opentelemetry import trace

from storegraph.platform.http.request_id import CURRENT_REQUEST_ID
from storegraph.platform.observability.scrub import scrub

LogFormat = Literal["json", "text"]
# The attributes every LogRecord has; anything else on a record came from ``extra=`` and is written as a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}
# Loggers that write bound values (SQL result rows at DEBUG, every aiosqlite call) or each raw request line: never
# below WARNING, whatever LOG_LEVEL says (DB_ECHO still shows the statements, without their values).
# Fields whose values are of the server's making (the access line's), which need no scrubbing.
SERVER_MADE = frozenset({"request_id", "method", "route", "operation", "error_code"})
QUIET_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "httpcore", "uvicorn.access")


def _trace_fields() -> dict[str, str]:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}


def request_id_of_record(record: logging.LogRecord) -> str | None:
    """The id the record was logged with (the access line names it), else that of the request being served."""
    named = getattr(record, "request_id", None)
    return named if isinstance(named, str) else CURRENT_REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = request_id_of_record(record)
        if request_id is not None:
            line["request_id"] = request_id
        line.update(_trace_fields())
        fields = record.__dict__
        for name in sorted(fields.keys() - _STANDARD):
            value = fields[name]
            if isinstance(value, str) and name not in SERVER_MADE:
                value = scrub(value)
            if not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exc"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = scrub(record.exc_text)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = scrub(super().format(record))
        request_id = request_id_of_record(record)
        return f"{text} [{request_id}]" if request_id is not None else text


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def logging_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` configuration: one handler on stderr for every logger, uvicorn's included
    (they propagate to the root instead of keeping their own handlers and formats)."""
    shown = level.upper()
    quiet = "WARNING" if logging.getLevelName(shown) in (logging.DEBUG, logging.INFO) else shown
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "storegraph": {"()": f"{__name__}.{'JsonFormatter' if log_format == 'json' else 'TextFormatter'}"}
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "storegraph", "stream": "ext://sys.stderr"}
        },
        "root": {"level": shown, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": shown, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": shown, "handlers": [], "propagate": True},
            **{name: {"level": quiet, "handlers": [], "propagate": True} for name in QUIET_LOGGERS},
        },
    }
