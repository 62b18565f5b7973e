"""What a job handler is: an async function of the claimed job and the worker's context; and what a periodic
task is.

A handler that returns has done its work (the job is completed). One that raises ``RetryLater`` asks to run
again after the delay it names; any other exception is retried with the worker's own backoff. Every handler
must be safe to run twice for one job: delivery is at least once (storegraph/platform/jobs/queue.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storegraph.platform.jobs.queue import Job, JobQueue
from storegraph.platform.limits import RateLimiter
from storegraph.platform.observability.metrics import AppMetrics
from storegraph.settings import Settings


class RetryLater(Exception):
    """Run the job again after ``delay_seconds``; ``reason`` is kept on the job for the operator."""

    def __init__(self, delay_seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JobContext:
    """What handlers share, owned by the worker (one per process)."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    queue: JobQueue
    # Counts the plan's signups and webhooks quotas, shared with the API processes.
    limiter: RateLimiter
    http: httpx.AsyncClient
    # The process's metrics, when it exposes them (the API process's, for its embedded worker).
    metrics: AppMetrics | None = None


Handler = Callable[[Job, JobContext], Awaitable[None]]
# A task every worker runs every poll interval (storegraph/platform/jobs/worker.py), not a job: for example the outbox
# dispatcher that
# turns committed events into delivery jobs. It returns how much it did (0: nothing to do); the worker runs it
# again at once while it does something. Every worker process runs it, so it must be safe to run concurrently
# with itself (claim its rows with FOR UPDATE SKIP LOCKED, or make the work idempotent).
Periodic = Callable[[JobContext], Awaitable[int]]
