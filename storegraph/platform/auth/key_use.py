"""Records when a key was last used: informative, so cheap and best effort."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from storegraph.platform.auth.directory import KeyDirectory
from storegraph.platform.timestamps import utcnow

logger = logging.getLogger("storegraph.auth")

# last_used_at is informative; writing it on every request would turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)
# Why recording a key's last use may fail without it being our bug: contention (SQLite's "database is locked"),
# a dropped connection. The record is informative, so such a failure costs a log line, never the request.
TOUCH_FAILURES: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


class KeyUseRecorder:
    """Writes a key's ``last_used_at`` at most once a minute per key and process, in a short transaction of its own.

    Best effort: the lookup's transaction stays read-only (on SQLite a read transaction that turns into a write
    fails at once with "database is locked" when another writer got in first), and a failed write is logged and
    forgotten rather than turning a valid request into a 500.
    """

    def __init__(self, directory: KeyDirectory) -> None:
        self._directory = directory
        self._last_touched: dict[int, datetime] = {}

    async def touch(self, key_pk: int) -> None:
        now = utcnow()
        last = self._last_touched.get(key_pk)
        if last is not None and now - last < LAST_USED_GRANULARITY:
            return
        self._last_touched[key_pk] = now
        try:
            await self._directory.record_use(key_pk, now)
        except TOUCH_FAILURES as error:
            # The exception's text may quote SQL; its class is enough to tell contention from an outage.
            logger.warning("could not record the last use of API key %s: %s", key_pk, type(error).__name__)
