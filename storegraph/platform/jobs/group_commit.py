"""Group commit for the job queue: concurrent ``enqueue`` calls share one durable write.

Every accepted tracking request must be stored before its 202, and one write per request (a transaction, a Redis
round trip) is what limits intake. So the calls that arrive while a write is in flight wait for the next one,
which stores all of them together (one transaction on the database queue, one script of XADDs on Redis
Streams, through ``enqueue_many``), and each caller returns only once the write holding its own job succeeded.

The window adapts to the load by itself, with no timer: when nothing is being written a call writes at once, so
an idle API adds no latency; under load a call waits at most for the write in flight and then its own, while
the batch grows with the rate of arrivals (up to ``max_batch`` jobs a write). A failed write fails exactly the
calls whose jobs it held; the next batch is tried afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from storegraph.platform.jobs.queue import DeadLetter, Job, JobQueue

# Jobs of one write at most: a tracking job holds up to 100 events, so 500 jobs bound a write's size and time.
MAX_BATCH = 500


@dataclass(slots=True)
class _Waiting:
    kind: str
    payload: dict[str, Any]
    done: asyncio.Future[str]


class GroupCommitQueue:
    """A ``JobQueue`` whose immediate ``enqueue`` calls are grouped into ``enqueue_many`` writes of ``queue``;
    everything else (delayed jobs, claims, the worker's side) goes straight to ``queue``."""

    def __init__(self, queue: JobQueue, *, max_batch: int = MAX_BATCH) -> None:
        self.queue = queue
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        # Figures for the benchmark and the tests: writes made and jobs they held.
        self.writes = 0
        self.jobs_written = 0

    async def enqueue(self, kind: str, payload: dict[str, Any], *, delay_seconds: float = 0.0) -> str:
        if delay_seconds > 0:
            return await self.queue.enqueue(kind, payload, delay_seconds=delay_seconds)
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(kind, payload, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        # The write is a task of its own: a caller cancelled while waiting (its client left) cancels only its own
        # future, and the write goes on for the others of its batch (no shield needed, nor its extra future).
        return await done

    async def _write_all(self) -> None:
        """Writes batches until nobody is waiting: the calls that came during a write make the next batch."""
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            try:
                ids = await self.queue.enqueue_many([(item.kind, item.payload) for item in batch])
            except BaseException as error:
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    self._fail_waiting(error)
                    raise
                continue
            self.writes += 1
            self.jobs_written += len(batch)
            for item, job_id in zip(batch, ids, strict=True):
                if not item.done.done():
                    item.done.set_result(job_id)

    def _fail_waiting(self, error: BaseException) -> None:
        waiting, self._waiting = self._waiting, []
        for item in waiting:
            if not item.done.done():
                item.done.set_exception(error)

    async def enqueue_many(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        return await self.queue.enqueue_many(jobs)

    async def claim(self, worker: str, *, limit: int, lease_seconds: float) -> list[Job]:
        return await self.queue.claim(worker, limit=limit, lease_seconds=lease_seconds)

    async def complete(self, job: Job) -> None:
        await self.queue.complete(job)

    async def retry(self, job: Job, *, delay_seconds: float, error: str) -> None:
        await self.queue.retry(job, delay_seconds=delay_seconds, error=error)

    async def dead_letter(self, job: Job, *, error: str) -> None:
        await self.queue.dead_letter(job, error=error)

    async def pending(self) -> int:
        return await self.queue.pending()

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return await self.queue.dead_letters(limit)

    async def close(self) -> None:
        """Waits for the write in flight (its callers are owed an answer), then closes nothing of ``queue``'s."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer
