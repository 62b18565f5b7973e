"""Metrics read when Prometheus scrapes, not counted per request: the job queue's depth and the database pool's use.

The queue's depth is a query (a count in the database, a few commands in Redis), so the metrics endpoint reads it
once per scrape, under a timeout, before the registry is rendered (``refresh``); a queue that cannot be read leaves
the sample out for that scrape rather than reporting a stale or made-up number. The pool's figures are counters the
pool keeps in memory, read as they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from storegraph.platform.jobs.queue import JobQueue

logger = logging.getLogger("storegraph.metrics")

QUEUE_READ_TIMEOUT_SECONDS = 2.0


class ScrapeCollector(Protocol):
    """A collector whose figures are read asynchronously once per scrape, before ``collect``."""

    async def refresh(self) -> None: ...

    def collect(self) -> Iterator[Metric]: ...


class QueueDepthCollector:
    def __init__(self, queue: JobQueue, backend: str) -> None:
        self._queue = queue
        self._backend = backend
        self._depth: int | None = None

    async def refresh(self) -> None:
        try:
            async with asyncio.timeout(QUEUE_READ_TIMEOUT_SECONDS):
                self._depth = await self._queue.pending()
        except Exception as error:
            self._depth = None
            logger.warning("job queue depth unreadable for this scrape: %s", type(error).__name__)

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "storegraph_job_queue_depth",
            "Jobs waiting, delayed or running (not dead letters), read at scrape time.",
            labels=("backend",),
        )
        if self._depth is not None:
            family.add_metric((self._backend,), self._depth)
        yield family


class PoolCollector:
    """The SQLAlchemy pool of the app's engine (a pool without these counters, SQLite's in memory, shows none)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        pool = self._engine.pool
        if not isinstance(pool, QueuePool):
            return
        figures = (
            ("size", "Connections the pool keeps open (DB_POOL_SIZE).", pool.size()),
            ("max_overflow", "Connections the pool may open beyond its size.", pool._max_overflow),
            (
                "checked_out",
                "Connections lent out now (in use by a request or a job, or kept for the next direct reads).",
                pool.checkedout(),
            ),
            ("idle", "Open connections waiting in the pool.", pool.checkedin()),
        )
        for name, description, value in figures:
            yield GaugeMetricFamily(f"storegraph_db_pool_{name}", description, value)
