"""Log records as one line each: JSON for machines (``LOG_FORMAT=json``) or text for people (``text``), both
carrying the request id of the request being served, and both scrubbed of personal data (scrub.py).

A JSON line holds ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` when a request is being
served, ``trace_id`` and ``span_id`` when a trace is being recorded, ``exc`` for an exception's stack, and the
record's structured fields (the access log's ``method``, ``route``, ``status``...). ``logging_config`` is the one
configuration of the process's loggers, storegraph's and uvicorn's alike, handed to uvicorn or ``dictConfig``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Mapping
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
# Bounds the formatter's memory of record shapes: the code's few call sites with ``extra=`` make a handful.
MAX_RECORD_SHAPES = 64


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
    def __init__(self) -> None:
        super().__init__()
        # The second a line was last written in, and its text: every access line formats a time, and one format of
        # a date and time cost more than the rest of the timestamp. One tuple, replaced whole, so that two threads
        # formatting at once never pair one second with another's text.
        self._second: tuple[int, str] = (-1, "")
        # The record fields (``extra=``) by the attribute names a record has: the access lines all have the same.
        self._fields: dict[tuple[str, ...], list[str]] = {}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = request_id_of_record(record)
        if request_id is not None:
            line["request_id"] = request_id
        line.update(_trace_fields())
        fields = record.__dict__
        for name in self._field_names(fields):
            value = fields[name]
            if isinstance(value, str) and name not in SERVER_MADE:
                value = scrub(value)
            line[name] = value
        if record.exc_info:
            line["exc"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = scrub(record.exc_text)
        return orjson.dumps(line, default=str).decode()

    def _timestamp(self, created: float) -> str:
        """UTC, ISO 8601, to the millisecond: ``datetime.fromtimestamp(created, UTC).isoformat(timespec=
        "milliseconds")``, which rounds to the microsecond (half to even) and then drops the microseconds."""
        whole = int(created)
        microseconds = round((created - whole) * 1e6)
        if microseconds >= 1_000_000:
            whole, microseconds = whole + 1, microseconds - 1_000_000
        second, text = self._second
        if second != whole:
            text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = (whole, text)
        return f"{text}.{microseconds // 1000:03d}+00:00"

    def _field_names(self, attributes: dict[str, Any]) -> list[str]:
        shape = tuple(attributes)
        names = self._fields.get(shape)
        if names is None:
            if len(self._fields) >= MAX_RECORD_SHAPES:
                self._fields.clear()
            names = sorted(name for name in attributes.keys() - _STANDARD if not name.startswith("_"))
            self._fields[shape] = names
        return names


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


class RecordMaker:
    """Makes the records of one call site that runs for every request (the access line) without the work
    ``Logger.log`` repeats for each: looking for the caller's frame, and working out every attribute of the record
    afresh. What stays the same for a level in one process and thread (the logger's and the level's names, the
    source, the process and the thread) is copied from a record made once, with the record factory as ``Logger.log``
    would; the time, the message and the fields are set per record. Handlers, filters and formatters get an
    ordinary record, through ``Logger.handle`` as from ``Logger.log``."""

    def __init__(self, logger: logging.Logger, *, source: str, function: str) -> None:
        self._logger = logger
        self._source = source
        self._function = function
        self._templates: dict[tuple[int, int, int], logging.LogRecord] = {}

    def make(
        self, level: int, message: str, args: tuple[object, ...], fields: Mapping[str, object]
    ) -> logging.LogRecord:
        key = (level, os.getpid(), threading.get_ident())
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= MAX_RECORD_SHAPES:
                self._templates.clear()
            factory = logging.getLogRecordFactory()
            template = factory(self._logger.name, level, self._source, 0, "", (), None, self._function)
            self._templates[key] = template
        record: logging.LogRecord = type(template).__new__(type(template))
        attributes = record.__dict__
        attributes.update(template.__dict__)
        created = time.time()
        attributes["created"] = created
        attributes["msecs"] = int((created - int(created)) * 1000) + 0.0
        attributes["relativeCreated"] = template.relativeCreated + (created - template.created) * 1000
        attributes["msg"] = message
        attributes["args"] = args
        if "taskName" in attributes and getattr(logging, "logAsyncioTasks", False):  # Python 3.12 and later
            attributes["taskName"] = _task_name()
        attributes.update(fields)
        return record


def _task_name() -> str | None:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    return task.get_name() if task is not None else None
