"""The limiter of the embedded default (no REDIS_URL), whose monthly and daily counts survive a restart, in the
table ``usage_counters``. It implements storegraph/platform/limits/decision.py's ``RateLimiter``.

Deciding a request stays in memory (``MemoryRateLimiter``): the per-minute window and counts are short-lived, and
a database write per request would make every read a write. Instead the memory keeps a journal of the day and
month counts it adds, and ``flush`` writes the increments out in one transaction (``count = count + n``, so
increments from several processes add up), every ``flush_seconds`` while the app runs and once more when it
stops; the counts of the current periods are read back before the first request. A process that dies without
stopping loses the counts of its last ``flush_seconds``, never more (docs/decisions.md).

The signups and webhooks quotas are counted the same way, not taken in the database at once: ``consume`` is called
inside a job's write transaction, and a statement of its own on another connection would wait on SQLite for that
transaction's lock until the busy timeout gave up. The embedded worker shares the API process's limiter, so its
quota checks are exact; a standalone worker without Redis checks against the counts read at its start plus its
own, and its takings add up in the database with the API's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import UsageCounter
from db.session import single_statements, write_transaction
from storegraph.platform.limits.decision import Decision, StoreQuota, Traffic, WindowState, periods_at
from storegraph.platform.limits.memory import LASTING_PERIODS, CountKey, MemoryRateLimiter
from storegraph.platform.limits.plans import Plan
from storegraph.platform.timestamps import utcnow

logger = logging.getLogger("storegraph.rate_limit")

FLUSH_SECONDS = 1.0
# Counters of periods long gone are deleted once per this many seconds (a month's a day after it ends).
SWEEP_INTERVAL_SECONDS = 3600.0
# SQLite binds at most 32,766 parameters per statement: 6 a row.
_ROWS_PER_STATEMENT = 1000
_KEY_COLUMNS = (UsageCounter.owner, UsageCounter.owner_id, UsageCounter.counter, UsageCounter.period)


class DatabaseRateLimiter:
    def __init__(
        self, engine: AsyncEngine, *, clock: Callable[[], float] = time.time, flush_seconds: float = FLUSH_SECONDS
    ) -> None:
        self._engine = engine
        self._statements = single_statements(engine)
        self._postgresql = engine.dialect.name == "postgresql"
        self._clock = clock
        self._flush_seconds = flush_seconds
        self._memory = MemoryRateLimiter(clock, journal=True)
        self._loaded = False
        self._loading = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._next_sweep = 0.0

    async def start(self) -> None:
        """Read the counts back and flush periodically until ``stop`` (the app's lifespan and the worker command call
        both)."""
        await self._ready()
        if self._flusher is None:
            self._stopping.clear()
            self._flusher = asyncio.create_task(self._flush_periodically())

    async def stop(self) -> None:
        """Flush what is left. The periodic flush is let finish, not cancelled: a flush cancelled after its commit
        would put its counts back and write them twice."""
        if self._flusher is not None:
            self._stopping.set()
            await self._flusher
            self._flusher = None
        await self.flush()

    async def flush(self) -> None:
        """Write the counts added since the last flush, in one transaction; on failure they wait for the next."""
        counts = self._memory.take_journal()
        now = self._clock()
        if not counts and now < self._next_sweep:
            return
        try:
            async with write_transaction(self._engine) as connection:
                rows = [_row(key, amount) for key, amount in sorted(counts.items())]
                # In key order, so that two processes flushing at once lock rows in the same order.
                for start in range(0, len(rows), _ROWS_PER_STATEMENT):
                    await connection.execute(self._adding(rows[start : start + _ROWS_PER_STATEMENT]))
                if now >= self._next_sweep:
                    await connection.execute(delete(UsageCounter).where(UsageCounter.expires_at <= utcnow()))
                    self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        except BaseException:
            self._memory.return_journal(counts)
            raise

    async def hit(
        self, store_id: int, key_pk: int, plan: Plan, now: float | None = None, *, traffic: Traffic = "platform"
    ) -> Decision:
        if not self._loaded:
            await self._ready()
        return self._memory.take(store_id, key_pk, plan, now, traffic)

    async def peek(self, key_pk: int, plan: Plan, now: float | None = None) -> WindowState:
        return await self._memory.peek(key_pk, plan, now)

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        await self._ready()
        return await self._memory.usage(key_pk, now)

    async def record_endpoint(self, key_pk: int, endpoint: str, now: float | None = None) -> None:
        if not self._loaded:
            await self._ready()
        self._memory.tally(key_pk, endpoint, now)

    async def endpoint_usage(self, key_pk: int, now: float | None = None) -> dict[str, dict[str, int]]:
        await self._ready()
        return await self._memory.endpoint_usage(key_pk, now)

    async def consume(
        self, store_id: int, kind: StoreQuota, plan: Plan, amount: int = 1, now: float | None = None
    ) -> bool:
        await self._ready()
        return await self._memory.consume(store_id, kind, plan, amount, now)

    async def store_usage(self, store_id: int, now: float | None = None) -> dict[str, int]:
        await self._ready()
        return await self._memory.store_usage(store_id, now)

    async def _ready(self) -> None:
        """Seed the memory with the counts of the current periods, once, before it counts anything."""
        if self._loaded:
            return
        async with self._loading:
            if self._loaded:
                return
            periods = periods_at(self._clock())
            current = {
                _period(period, periods.label(period)): (period, periods.label(period)) for period in LASTING_PERIODS
            }
            # ``amount``, not ``count``: a Row is a tuple, whose ``count`` is a method.
            counts = select(*_KEY_COLUMNS, UsageCounter.count.label("amount")).where(UsageCounter.period.in_(current))
            async with self._statements.connect() as connection:
                rows = (await connection.execute(counts)).all()
            seeds: Mapping[CountKey, int] = {
                CountKey(row.owner, row.owner_id, row.counter, *current[row.period]): int(row.amount) for row in rows
            }
            self._memory.seed(seeds)
            self._loaded = True

    async def _flush_periodically(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._flush_seconds)
            try:
                await self.flush()
            except Exception:
                # The counts wait in the journal for the next flush; only a crash before then loses them.
                logger.exception("could not write the usage counters")

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        return (postgresql.insert if self._postgresql else sqlite.insert)(UsageCounter)

    def _adding(self, rows: list[dict[str, Any]]) -> Any:
        insert = self._insert().values(rows)
        return insert.on_conflict_do_update(
            index_elements=list(_KEY_COLUMNS),
            set_={"count": UsageCounter.count + insert.excluded["count"], "expires_at": insert.excluded["expires_at"]},
        )


def _period(period: str, label: str) -> str:
    return f"{period}:{label}"


def _row(key: CountKey, amount: int) -> dict[str, Any]:
    return {
        "owner": key.owner,
        "owner_id": key.owner_id,
        "counter": key.name,
        "period": _period(key.period, key.label),
        "count": amount,
        "expires_at": _expiry(key.period, key.label),
    }


def _expiry(period: str, label: str) -> datetime:
    """A day after the period ends (a month's, like Redis's month counters; a day's, the day after next)."""
    if period == "month":
        start = datetime.strptime(label, "%Y%m")
        end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    else:
        end = datetime.strptime(label, "%Y%m%d") + timedelta(days=1)
    return end + timedelta(days=1)
