"""The worker: claims jobs, runs their handlers, and settles each one (complete, retry or dead letter).

One loop per process. Each turn it runs the periodic tasks that are due, then claims as many jobs as it has free
slots (never more, so a claimed job starts at once and its lease is spent running, not waiting), and starts one
task per job. It sleeps ``poll_interval`` only when a turn found nothing to do, and waits for a slot when all are
busy: never a busy loop. Nothing is renewed: every handler runs under a timeout shorter than the lease, so a job
can only be handed out twice when its worker died or stalled (delivery is at least once).

Failures: ``RetryLater`` retries after the delay it names; any other exception (including the handler timeout
and an unknown kind) is logged with its stack and retried after an exponential backoff with jitter, capped. A job
that reaches ``max_attempts`` deliveries becomes a dead letter (logged as an error): a job that kills its worker
every time, too, since a delivery whose lease ran out counts. Logs name the job's id, kind and attempt, never its
payload (it may hold customers' phones and emails).

Stopping (``stop()``, which ``StopSignals`` wires to SIGTERM and SIGINT): no more claims or periodic
tasks; running jobs get ``stop_timeout`` seconds to finish, then are cancelled and handed back to the queue, due at
once (if even that fails, their lease brings them back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from storegraph.platform.jobs.backoff import exponential
from storegraph.platform.jobs.handlers import Handler, JobContext, Periodic, RetryLater
from storegraph.platform.jobs.queue import Job
from storegraph.platform.redaction import redact_urls, redact_urls_in_logs

logger = logging.getLogger("storegraph.jobs")
# A job's failure is logged with its exception, whose message may quote a URL with credentials (a webhook's).
redact_urls_in_logs(logger)

# The share of the lease a handler may run: the rest is the margin for settling the job before the lease ends.
HANDLER_SHARE_OF_LEASE = 0.8
# How a job was settled, as the jobs metric counts it.
COMPLETED, RETRIED, DEAD_LETTERED, RELEASED = "completed", "retried", "dead_lettered", "released"
# After a failed claim (the database or Redis is down) the worker waits this much longer each time, up to the cap.
CLAIM_FAILURE_CAP_SECONDS = 10.0


STOPPED = "released: the worker stopped before the job finished"


class UnknownJobKind(Exception):
    """No handler for the job's kind (e.g. a newer release enqueued it): retried, so a newer worker may run it."""


def default_worker_name() -> str:
    """Unique per process (and per worker in it): the Redis consumer name and the database claims' owner."""
    return f"{socket.gethostname()[:24]}-{os.getpid()}-{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        context: JobContext,
        handlers: Mapping[str, Handler],
        periodic: Sequence[Periodic] = (),
        *,
        name: str | None = None,
        batch_size: int = 50,
        lease_seconds: float = 60.0,
        poll_interval: float = 0.5,
        concurrency: int = 10,
        max_attempts: int = 25,
        retry_base_seconds: float = 2.0,
        retry_max_seconds: float = 3600.0,
        handler_timeout: float | None = None,
        stop_timeout: float = 30.0,
    ) -> None:
        if handler_timeout is not None and handler_timeout >= lease_seconds:
            raise ValueError("handler_timeout must be shorter than lease_seconds, or a running job is handed out again")
        self.context = context
        self.queue = context.queue
        self.handlers = dict(handlers)
        self.periodic = list(periodic)
        self.name = name or default_worker_name()
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.handler_timeout = lease_seconds * HANDLER_SHARE_OF_LEASE if handler_timeout is None else handler_timeout
        self.stop_timeout = stop_timeout
        self._stopping = asyncio.Event()
        # Each running job's task, and the job it runs (released to the queue if the task is cancelled).
        self._running: dict[asyncio.Task[None], Job] = {}
        self._periodic_due = 0.0
        self._claim_failures = 0

    @classmethod
    def from_settings(
        cls,
        context: JobContext,
        handlers: Mapping[str, Handler],
        periodic: Sequence[Periodic] = (),
        **overrides: Any,
    ) -> Worker:
        """A worker configured by the ``JOB_*`` settings; keyword arguments (``concurrency``, ...) override them."""
        settings = context.settings
        options: dict[str, Any] = {
            "batch_size": settings.job_batch_size,
            "lease_seconds": settings.job_lease_seconds,
            "poll_interval": settings.job_poll_interval_seconds,
            "concurrency": settings.job_concurrency,
            "max_attempts": settings.job_max_attempts,
            "retry_base_seconds": settings.job_retry_base_seconds,
            "retry_max_seconds": settings.job_retry_max_seconds,
            "stop_timeout": settings.job_stop_timeout_seconds,
        }
        options.update({key: value for key, value in overrides.items() if value is not None})
        return cls(context, handlers, periodic, **options)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)

    @property
    def running(self) -> int:
        """How many jobs are running now."""
        return len(self._running)

    def stop(self) -> None:
        """Stop claiming; ``run`` returns once the running jobs are done (or ``stop_timeout`` passed)."""
        self._stopping.set()

    async def run(self) -> None:
        logger.info("worker %s started (concurrency %d, lease %.0f s)", self.name, self.concurrency, self.lease_seconds)
        try:
            while not self._stopping.is_set():
                if not await self._turn():
                    await self._sleep(self._idle_seconds())
        finally:
            await self._drain()
            logger.info("worker %s stopped", self.name)

    async def _turn(self) -> bool:
        """One turn of the loop; whether it did something (then the next turn follows at once)."""
        did_periodic = await self._run_periodic()
        if self._stopping.is_set():
            return True
        free = self.concurrency - len(self._running)
        if free <= 0:
            await self._wait_for_a_slot()
            return True
        wanted = min(self.batch_size, free)
        jobs = await self._claim(wanted)
        for job in jobs:
            task = asyncio.create_task(self._run_job(job), name=f"job {job.id}")
            self._running[task] = job
            task.add_done_callback(self._forget)
        # A full claim means more may be waiting; a short one means the queue is drained for now.
        return did_periodic or len(jobs) == wanted

    async def _claim(self, limit: int) -> list[Job]:
        try:
            jobs = await self.queue.claim(self.name, limit=limit, lease_seconds=self.lease_seconds)
        except Exception:
            self._claim_failures += 1
            logger.exception("worker %s could not claim jobs (failure %d in a row)", self.name, self._claim_failures)
            return []
        self._claim_failures = 0
        return jobs

    def _idle_seconds(self) -> float:
        if self._claim_failures:
            return min(CLAIM_FAILURE_CAP_SECONDS, self.poll_interval * 2.0 ** min(self._claim_failures, 20))
        return self.poll_interval

    async def _sleep(self, seconds: float) -> None:
        """Sleeps ``seconds``, or less if the worker is told to stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    async def _wait_for_a_slot(self) -> None:
        """Until a running job ends or the worker is told to stop; at most a poll interval, so the periodic tasks
        keep their pace while every slot is busy."""
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait(
                {*self._running, stopping}, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()

    async def _run_periodic(self) -> bool:
        """Runs the periodic tasks when due (every poll interval, or at once while they find work)."""
        if not self.periodic or time.monotonic() < self._periodic_due:
            return False
        done = 0
        for task in self.periodic:
            if self._stopping.is_set():
                break
            done += await self._periodic_once(task)
        self._periodic_due = 0.0 if done else time.monotonic() + self.poll_interval
        return done > 0

    async def _periodic_once(self, task: Periodic) -> int:
        try:
            async with asyncio.timeout(self.handler_timeout):
                done: int = await task(self.context)
                return max(done, 0)
        except Exception:
            logger.exception("periodic task %s failed", _name_of(task))
            return 0

    async def _run_job(self, job: Job) -> None:
        if job.attempts > self.max_attempts:
            # Delivered again after its last allowed attempt: its worker died or stalled every time.
            await self._bury(job, f"lease ran out on attempt {job.attempts - 1} (the worker died or stalled)")
            return
        try:
            handler = self.handlers.get(job.kind)
            if handler is None:
                raise UnknownJobKind(f"no handler for job kind {job.kind!r}")
            async with asyncio.timeout(self.handler_timeout):
                await handler(job, self.context)
        except RetryLater as later:
            await self._retry(job, later.delay_seconds, f"RetryLater: {later.reason}")
        except Exception as error:
            logger.warning(
                "job %s (%s) failed on attempt %d of %d",
                *(job.id, job.kind, job.attempts, self.max_attempts),
                exc_info=True,
            )
            delay = exponential(job.attempts, base=self.retry_base_seconds, cap=self.retry_max_seconds)
            await self._retry(job, delay, _describe(error))
        else:
            await self._settle(job, self.queue.complete(job), COMPLETED)

    async def _retry(self, job: Job, delay_seconds: float, error: str) -> None:
        if job.attempts >= self.max_attempts:
            await self._bury(job, error)
            return
        logger.info("job %s (%s) will run again in %.1f s", job.id, job.kind, delay_seconds)
        await self._settle(job, self.queue.retry(job, delay_seconds=delay_seconds, error=error), RETRIED)

    async def _bury(self, job: Job, error: str) -> None:
        logger.error(
            "job %s (%s) GAVE UP after %d attempts and is now a dead letter: %s", job.id, job.kind, job.attempts, error
        )
        await self._settle(job, self.queue.dead_letter(job, error=error), DEAD_LETTERED)

    async def _settle(self, job: Job, operation: Awaitable[None], outcome: str) -> None:
        """Completing, retrying or burying failed (the queue is unreachable): the lease brings the job back."""
        try:
            await operation
        except Exception:
            logger.exception("job %s (%s) could not be settled; it runs again after its lease", job.id, job.kind)
            return
        if self.context.metrics is not None:
            self.context.metrics.job_settled(job.kind, outcome)

    async def _drain(self) -> None:
        if not self._running:
            return
        logger.info("worker %s waits up to %.0f s for %d running jobs", self.name, self.stop_timeout, self.running)
        running = dict(self._running)
        _done, late = await asyncio.wait(set(running), timeout=self.stop_timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
            await self._release([running[task] for task in late])

    async def _release(self, jobs: list[Job]) -> None:
        """Hands the jobs whose run was cancelled back to the queue, due at once, so another worker takes them now
        rather than after their lease (a job whose release fails still comes back then). The run counts as one
        attempt: its handler may have done part of its work, which is why handlers are safe to run twice."""
        logger.warning("worker %s stopped %d running jobs and hands them back to the queue", self.name, len(jobs))
        for job in jobs:
            await self._settle(job, self.queue.retry(job, delay_seconds=0.0, error=STOPPED), RELEASED)


class StopSignals:
    """SIGTERM and SIGINT for a standalone worker (``storegraph worker``; uvicorn owns the signals of an API
    process, whose lifespan stops its embedded worker instead), caught from before the worker exists: a signal that
    comes while the process starts up (opening its metrics port, reading its counts) stops the worker as soon as it
    runs, and the process exits cleanly instead of dying of the signal."""

    def __init__(self) -> None:
        self.received = False
        self._worker: Worker | None = None

    def __enter__(self) -> StopSignals:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self._receive)
        return self

    def __exit__(self, *_exception: object) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)

    def _receive(self) -> None:
        self.received = True
        if self._worker is not None:
            self._worker.stop()

    async def run(self, worker: Worker) -> None:
        """Runs ``worker`` until a signal; at once to its end (``stop``) if one came already."""
        self._worker = worker
        if self.received:
            worker.stop()
        await worker.run()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def run_until_signalled(worker: Worker) -> None:
    """Runs ``worker`` until SIGTERM or SIGINT."""
    with StopSignals() as signals:
        await signals.run(worker)


class BackgroundWorker:
    """A worker running as a task of the current event loop (the API process's embedded worker)."""

    def __init__(self, worker: Worker, *, cleanup: Callable[[], Awaitable[None]] | None = None) -> None:
        self.worker = worker
        self._cleanup = cleanup
        self.task = asyncio.create_task(worker.run(), name=f"worker {worker.name}")
        self.task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stops the worker gracefully (see ``Worker.stop``), then releases what ``cleanup`` names."""
        self.worker.stop()
        # Waits without re-raising: a crash of the loop was logged when it happened (_report_crash).
        await asyncio.wait({self.task})
        if self._cleanup is not None:
            await self._cleanup()


def _report_crash(task: asyncio.Task[None]) -> None:
    # The loop catches every job's and claim's failure, so this is a bug; say so at once, not at shutdown.
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.critical("the embedded worker stopped: no more jobs run in this process", exc_info=error)


def _describe(error: BaseException) -> str:
    """What is kept on the job about a failure: the exception's type and message (never the payload), any URL in
    it redacted (the job's error is logged when it becomes a dead letter)."""
    message = redact_urls(str(error))
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _name_of(task: Periodic) -> str:
    return getattr(task, "__qualname__", None) or repr(task)
