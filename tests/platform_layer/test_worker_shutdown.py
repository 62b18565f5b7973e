"""A stopping worker loses no job: what it was running either finishes within the stop timeout or goes back to the
queue, due at once; and the jobs metric says which (storegraph/platform/jobs/worker.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from storegraph.platform.jobs.handlers import JobContext
from storegraph.platform.jobs.queue import Job
from storegraph.platform.jobs.worker import Worker
from storegraph.platform.observability.metrics import AppMetrics
from tests.support.queues import QUEUE_BACKENDS, job_context, queue_under_test

FAST: dict[str, Any] = {"poll_interval": 0.02, "lease_seconds": 30.0, "retry_base_seconds": 0.02}


@pytest.fixture
async def context(backend: str, database_url: str) -> AsyncIterator[JobContext]:
    async with queue_under_test(backend, database_url) as under_test, job_context(under_test, database_url) as ctx:
        yield dataclasses.replace(ctx, metrics=AppMetrics())


class Gate:
    """A handler whose ``quick`` jobs finish at once and whose others wait for ``release`` (never, in these tests)."""

    def __init__(self) -> None:
        self.started: set[int] = set()
        self.finished: set[int] = set()
        self.release = asyncio.Event()

    async def __call__(self, job: Job, _context: JobContext) -> None:
        number = job.payload["n"]
        self.started.add(number)
        if not job.payload["quick"]:
            await self.release.wait()
        self.finished.add(number)


def jobs_counted(context: JobContext, outcome: str) -> float:
    assert context.metrics is not None
    labels = {"kind": "test.gate", "outcome": outcome}
    return context.metrics.registry.get_sample_value("storegraph_jobs_total", labels) or 0.0


async def wait_for(condition: Any) -> None:
    """Polls: the handler's progress is plain state, with no event to wait on."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@QUEUE_BACKENDS
async def test_a_stopped_worker_completes_or_hands_back_every_job_it_held_and_none_is_lost(context):
    gate = Gate()
    await context.queue.enqueue_many([("test.gate", {"n": n, "quick": n % 2 == 0}) for n in range(6)])
    worker = Worker(context, {"test.gate": gate}, concurrency=6, stop_timeout=0.2, **FAST)
    task = asyncio.create_task(worker.run())
    await wait_for(lambda: len(gate.started) == 6)

    worker.stop()
    await asyncio.wait_for(task, 5)

    assert gate.finished == {0, 2, 4}
    handed_back = await context.queue.claim("next-worker", limit=10, lease_seconds=30)
    assert sorted(job.payload["n"] for job in handed_back) == [1, 3, 5]
    assert await context.queue.pending() == 3  # the three completed ones are gone, nothing else is


@QUEUE_BACKENDS
async def test_the_jobs_metric_counts_the_completed_and_the_handed_back_jobs(context):
    gate = Gate()
    await context.queue.enqueue_many([("test.gate", {"n": n, "quick": n == 0}) for n in range(2)])
    worker = Worker(context, {"test.gate": gate}, concurrency=2, stop_timeout=0.2, **FAST)
    task = asyncio.create_task(worker.run())
    await wait_for(lambda: len(gate.started) == 2 and gate.finished)

    worker.stop()
    await asyncio.wait_for(task, 5)

    assert jobs_counted(context, "completed") == 1
    assert jobs_counted(context, "released") == 1


@QUEUE_BACKENDS
async def test_a_job_that_finishes_within_the_stop_timeout_is_completed_not_handed_back(context):
    gate = Gate()
    await context.queue.enqueue("test.gate", {"n": 0, "quick": False})
    worker = Worker(context, {"test.gate": gate}, stop_timeout=5, **FAST)
    task = asyncio.create_task(worker.run())
    await wait_for(lambda: gate.started)

    worker.stop()
    gate.release.set()
    await asyncio.wait_for(task, 5)

    assert gate.finished == {0}
    assert await context.queue.pending() == 0
