"""Group commit (storegraph/platform/jobs/group_commit.py): concurrent enqueues share one durable write, each call
returns once its own job is stored, an idle queue writes at once, and a failed write fails only its own calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from storegraph.platform.jobs.group_commit import GroupCommitQueue
from storegraph.platform.jobs.queue import JobQueue
from tests.support.queues import QUEUE_BACKENDS, queue_under_test

LONG = 30.0


class HeldQueue:
    """Records each ``enqueue_many`` and holds it until the test releases it (``gate``), or fails it."""

    def __init__(self) -> None:
        self.writes: list[list[dict[str, Any]]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next = False
        self.started = asyncio.Event()

    async def enqueue_many(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        self.writes.append([payload for _kind, payload in jobs])
        self.started.set()
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the database went away")
        return [str(payload["n"]) for _kind, payload in jobs]


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_an_idle_queue_writes_a_job_at_once_on_its_own():
    inner = HeldQueue()
    queue = GroupCommitQueue(inner)  # type: ignore[arg-type]

    assert await queue.enqueue("test.echo", {"n": 1}) == "1"
    assert inner.writes == [[{"n": 1}]]


async def test_calls_arriving_during_a_write_are_stored_together_by_the_next_one():
    inner = HeldQueue()
    inner.gate.clear()
    queue = GroupCommitQueue(inner)  # type: ignore[arg-type]
    first = asyncio.create_task(queue.enqueue("test.echo", {"n": 0}))
    await inner.started.wait()
    rest = [asyncio.create_task(queue.enqueue("test.echo", {"n": n})) for n in range(1, 6)]
    await _settle()

    inner.gate.set()

    assert await asyncio.gather(first, *rest) == [str(n) for n in range(6)]
    assert inner.writes == [[{"n": 0}], [{"n": n} for n in range(1, 6)]]


async def test_a_call_returns_only_once_the_write_holding_its_job_is_done():
    inner = HeldQueue()
    inner.gate.clear()
    queue = GroupCommitQueue(inner)  # type: ignore[arg-type]
    call = asyncio.create_task(queue.enqueue("test.echo", {"n": 7}))
    await inner.started.wait()
    await _settle()

    assert not call.done()
    inner.gate.set()
    assert await call == "7"


async def test_a_cancelled_call_leaves_the_write_of_its_batch_to_the_others():
    inner = HeldQueue()
    inner.gate.clear()
    queue = GroupCommitQueue(inner)  # type: ignore[arg-type]
    first = asyncio.create_task(queue.enqueue("test.echo", {"n": 0}))
    await inner.started.wait()
    left, stayed = (asyncio.create_task(queue.enqueue("test.echo", {"n": n})) for n in (1, 2))
    await _settle()

    left.cancel()
    await _settle()
    inner.gate.set()

    assert [await first, await stayed] == ["0", "2"]
    assert left.cancelled()
    assert inner.writes == [[{"n": 0}], [{"n": 1}, {"n": 2}]]


async def test_a_failed_write_fails_its_own_calls_and_the_next_batch_is_written():
    inner = HeldQueue()
    inner.gate.clear()
    inner.fail_next = True
    queue = GroupCommitQueue(inner)  # type: ignore[arg-type]
    doomed = asyncio.create_task(queue.enqueue("test.echo", {"n": 0}))
    await inner.started.wait()
    later = asyncio.create_task(queue.enqueue("test.echo", {"n": 1}))
    await _settle()

    inner.gate.set()

    with pytest.raises(ConnectionError):
        await doomed
    assert await later == "1"


async def test_a_write_holds_at_most_max_batch_jobs():
    inner = HeldQueue()
    inner.gate.clear()
    queue = GroupCommitQueue(inner, max_batch=2)  # type: ignore[arg-type]
    first = asyncio.create_task(queue.enqueue("test.echo", {"n": 0}))
    await inner.started.wait()
    rest = [asyncio.create_task(queue.enqueue("test.echo", {"n": n})) for n in range(1, 6)]
    await _settle()

    inner.gate.set()
    await asyncio.gather(first, *rest)

    assert [len(write) for write in inner.writes] == [1, 2, 2, 1]


# --- on the real backends -------------------------------------------------------------------------------------------


@pytest.fixture
async def queue(backend: str, database_url: str) -> AsyncIterator[JobQueue]:
    async with queue_under_test(backend, database_url) as under_test:
        yield under_test.queue


@QUEUE_BACKENDS
async def test_fifty_concurrent_enqueues_are_each_stored_once_in_fewer_writes(queue):
    grouped = GroupCommitQueue(queue)

    ids = await asyncio.gather(*(grouped.enqueue("test.echo", {"n": n}) for n in range(50)))

    jobs = await queue.claim("worker-a", limit=100, lease_seconds=LONG)
    assert sorted(job.id for job in jobs) == sorted(ids)
    assert sorted(job.payload["n"] for job in jobs) == list(range(50))
    assert grouped.jobs_written == 50
    assert grouped.writes < 50
