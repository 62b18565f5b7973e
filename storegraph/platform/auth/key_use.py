"""Records when a key was last used: informative, so cheap and best effort."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

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

    def __init__(self, directory: KeyDirectory, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._directory = directory
        # Every authenticated request asks whether its key is due: one reading of a monotonic clock answers,
        # where a wall-clock datetime cost three calls; the wall clock is read only for the write.
        self._clock = clock
        self._granularity = LAST_USED_GRANULARITY.total_seconds()
        # When each key may be written again, on ``clock``.
        self._next_write: dict[int, float] = {}

    async def touch(self, key_pk: int) -> None:
        now = self._clock()
        due = self._next_write.get(key_pk)
        if due is not None and now < due:
            return
        self._next_write[key_pk] = now + self._granularity
        try:
            await self._directory.record_use(key_pk, utcnow())
        except TOUCH_FAILURES as error:
            # The exception's text may quote SQL; its class is enough to tell contention from an outage.
            logger.warning("could not record the last use of API key %s: %s", key_pk, type(error).__name__)
