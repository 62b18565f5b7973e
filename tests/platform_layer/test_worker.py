"""The worker (storegraph/platform/jobs/worker.py) on each queue backend: success, RetryLater, failures with backoff and
then the dead
letters, periodic tasks, bounded concurrency, graceful stop; then the handler registry, the job context, the API
process's embedded worker and the CLI switch for it."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import uvicorn
from typer.testing import CliRunner

from db.migrate import upgrade_to_head
from db.queries.jobs import DatabaseJobQueue
from db.queries.usage import DatabaseRateLimiter
from db.session import create_engine
from storegraph import cli
from storegraph.app import create_app
from storegraph.job_registry import RegistryError, all_handlers, all_periodic
from storegraph.platform.jobs.backoff import exponential
from storegraph.platform.jobs.handlers import JobContext, RetryLater
from storegraph.platform.jobs.queue import Job
from storegraph.platform.jobs.redis_streams import RedisStreamJobQueue
from storegraph.platform.jobs.worker import BackgroundWorker, Worker
from storegraph.platform.limits import RedisRateLimiter
from storegraph.services import build_job_context
from storegraph.settings import Settings
from tests.conftest import app_settings
from tests.support.queues import QUEUE_BACKENDS, REDIS_URL, job_context, queue_under_test

# Quick polls and backoffs so a test takes tenths of a second; a lease no test outlives.
FAST: dict[str, Any] = {"poll_interval": 0.02, "lease_seconds": 10.0, "retry_base_seconds": 0.02}
PHONE = "+213555123456"  # a customer's phone in a payload: it must never reach the logs


@dataclass
class Recorder:
    """A handler that records each run (after an optional pause), then raises what ``fail`` returns, if anything."""

    pause: float = 0.0
    fail: Callable[[Job], BaseException | None] = lambda _job: None
    runs: list[tuple[str, int, float]] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0

    async def __call__(self, job: Job, _context: JobContext) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.pause)
            self.runs.append((job.id, job.attempts, time.monotonic()))
        finally:
            self.running -= 1
        if (error := self.fail(job)) is not None:
            raise error

    @property
    def attempts(self) -> list[int]:
        return [attempts for _id, attempts, _at in self.runs]


@pytest.fixture
async def context(backend: str, database_url: str) -> AsyncIterator[JobContext]:
    async with queue_under_test(backend, database_url) as under_test, job_context(under_test, database_url) as ctx:
        yield ctx


Condition = Callable[[], Awaitable[Any] | Any]


async def run_until(worker: Worker, done: Condition) -> None:
    """Runs ``worker`` until ``done()`` holds, then stops it and waits for it (its running jobs settle)."""
    task = asyncio.create_task(worker.run())
    try:
        await eventually(done, unless=task.done)
    finally:
        worker.stop()
        await task


async def eventually(condition: Condition, *, unless: Callable[[], bool] = lambda: False) -> None:
    """Waits (up to 5 s) until ``condition()`` is truthy; fails at once if ``unless()`` becomes true."""
    deadline = time.monotonic() + 5
    while True:
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return
        assert not unless(), "the worker stopped by itself"
        assert time.monotonic() < deadline, "not there in time"
        await asyncio.sleep(0.01)


@QUEUE_BACKENDS
async def test_jobs_that_succeed_run_once_and_are_completed(context):
    handler = Recorder()
    await context.queue.enqueue_many([("test.ok", {"n": n}) for n in range(5)])

    await run_until(Worker(context, {"test.ok": handler}, **FAST), lambda: len(handler.runs) == 5)

    assert handler.attempts == [1] * 5
    assert await context.queue.pending() == 0
    assert await context.queue.dead_letters() == []


@QUEUE_BACKENDS
async def test_retry_later_runs_the_job_again_after_the_delay_it_names(context):
    handler = Recorder(fail=lambda job: RetryLater(0.3, "the endpoint answered 429") if job.attempts == 1 else None)
    await context.queue.enqueue("test.later", {})

    await run_until(Worker(context, {"test.later": handler}, **FAST), lambda: len(handler.runs) == 2)

    (_, first, first_at), (_, second, second_at) = handler.runs
    assert (first, second) == (1, 2)
    assert second_at - first_at >= 0.28  # the delay, less the clocks' millisecond rounding
    assert await context.queue.pending() == 0


@QUEUE_BACKENDS
async def test_a_failing_job_is_retried_with_backoff_then_dead_lettered_loudly_without_its_payload(context, caplog):
    caplog.set_level(logging.INFO, logger="storegraph.jobs")
    handler = Recorder(fail=lambda _job: ValueError("the store is gone"))
    job_id = await context.queue.enqueue("test.fail", {"phone": PHONE, "email": "nadia@example.dz"})
    worker = Worker(context, {"test.fail": handler}, max_attempts=3, **FAST)

    await run_until(worker, context.queue.dead_letters)

    assert handler.attempts == [1, 2, 3]
    gaps = [later - earlier for (_, _, earlier), (_, _, later) in itertools.pairwise(handler.runs)]
    assert gaps[0] >= 0.01  # at least half of base * 2^(n - 1): the backoff grows
    assert gaps[1] >= 0.02
    [letter] = await context.queue.dead_letters()
    assert (letter.id, letter.kind, letter.attempts) == (job_id, "test.fail", 3)
    assert letter.error == "ValueError: the store is gone"
    assert await context.queue.pending() == 0
    failures = [r for r in caplog.records if r.levelno == logging.WARNING and r.exc_info]
    assert len(failures) == 3  # each failure, with its stack
    [gave_up] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"job {job_id} (test.fail) GAVE UP after 3 attempts" in gave_up.getMessage()
    assert PHONE not in caplog.text
    assert "nadia@example.dz" not in caplog.text


@QUEUE_BACKENDS
async def test_a_job_of_unknown_kind_is_retried_then_dead_lettered(context):
    await context.queue.enqueue("test.nobody", {})

    await run_until(Worker(context, {}, max_attempts=2, **FAST), context.queue.dead_letters)

    [letter] = await context.queue.dead_letters()
    assert letter.attempts == 2
    assert "no handler for job kind 'test.nobody'" in letter.error


@QUEUE_BACKENDS
async def test_a_handler_that_outlives_its_timeout_is_cancelled_and_retried(context):
    started: list[int] = []

    async def slow_once(job: Job, _context: JobContext) -> None:
        started.append(job.attempts)
        if job.attempts == 1:
            await asyncio.sleep(5)

    await context.queue.enqueue("test.slow", {})
    worker = Worker(context, {"test.slow": slow_once}, handler_timeout=0.1, **FAST)

    await run_until(worker, lambda: len(started) == 2)

    assert started == [1, 2]
    assert await context.queue.pending() == 0


@QUEUE_BACKENDS
async def test_a_job_whose_worker_died_on_its_last_attempt_is_dead_lettered_without_running(context):
    handler = Recorder()
    await context.queue.enqueue("test.poison", {})
    # A worker claims it and dies (never settles it); the lease runs out.
    await context.queue.claim("died", limit=1, lease_seconds=0.1)
    await asyncio.sleep(0.2)

    await run_until(Worker(context, {"test.poison": handler}, max_attempts=1, **FAST), context.queue.dead_letters)

    assert handler.runs == []
    [letter] = await context.queue.dead_letters()
    assert letter.attempts == 2
    assert "lease ran out" in letter.error


@QUEUE_BACKENDS
async def test_periodic_tasks_run_every_poll_interval_and_again_at_once_while_they_find_work(context):
    calls: list[float] = []
    backlog = [3]

    async def dispatcher(_context: JobContext) -> int:
        calls.append(time.monotonic())
        if backlog[0]:
            backlog[0] -= 1
            return 1
        return 0

    async def broken(_context: JobContext) -> int:
        raise RuntimeError("a periodic task's failure stops neither the worker nor the other tasks")

    poll = 0.3
    worker = Worker(context, {}, [broken, dispatcher], poll_interval=poll, lease_seconds=10.0)
    await run_until(worker, lambda: len(calls) >= 6)

    busy, idle = calls[:4], calls[3:]
    assert busy[-1] - busy[0] < poll  # the three that found work and the first that did not: no sleep between
    assert all(later - earlier >= poll * 0.95 for earlier, later in itertools.pairwise(idle))


@QUEUE_BACKENDS
async def test_no_more_jobs_run_at_once_than_the_concurrency(context):
    handler = Recorder(pause=0.05)
    await context.queue.enqueue_many([("test.ok", {"n": n}) for n in range(12)])
    worker = Worker(context, {"test.ok": handler}, concurrency=3, batch_size=50, **FAST)

    await run_until(worker, lambda: len(handler.runs) == 12)

    assert handler.most_at_once == 3
    assert await context.queue.pending() == 0


@QUEUE_BACKENDS
async def test_stopping_lets_running_jobs_finish_and_claims_nothing_more(context):
    handler = Recorder(pause=0.3)
    await context.queue.enqueue_many([("test.ok", {"n": n}) for n in range(2)])
    worker = Worker(context, {"test.ok": handler}, concurrency=2, **FAST)
    task = asyncio.create_task(worker.run())
    await eventually(lambda: handler.running == 2)

    worker.stop()
    await context.queue.enqueue("test.ok", {"n": 2})
    await asyncio.wait_for(task, 2)

    assert len(handler.runs) == 2  # both finished before run() returned
    assert await context.queue.pending() == 1  # the one enqueued after the stop waits for the next worker


@QUEUE_BACKENDS
async def test_stopping_waits_only_so_long_for_running_jobs_then_hands_them_back_to_the_queue(context):
    handler = Recorder(pause=5)
    job_id = await context.queue.enqueue("test.stuck", {})
    worker = Worker(context, {"test.stuck": handler}, stop_timeout=0.2, **FAST)
    task = asyncio.create_task(worker.run())
    await eventually(lambda: handler.running == 1)

    started = time.monotonic()
    worker.stop()
    await asyncio.wait_for(task, 2)

    assert time.monotonic() - started < 1
    assert handler.runs == []  # cancelled
    # Due again at once, not after its 10-second lease.
    again = await context.queue.claim("next-worker", limit=5, lease_seconds=10)
    assert [job.id for job in again] == [job_id]


@QUEUE_BACKENDS
async def test_a_worker_that_cannot_claim_keeps_trying_instead_of_dying(context):
    handler = Recorder()
    real_claim = context.queue.claim
    failures = [2]

    async def flaky_claim(worker: str, *, limit: int, lease_seconds: float) -> list[Job]:
        if failures[0]:
            failures[0] -= 1
            raise ConnectionError("the queue is unreachable")
        return await real_claim(worker, limit=limit, lease_seconds=lease_seconds)

    context.queue.claim = flaky_claim
    await context.queue.enqueue("test.ok", {})

    await run_until(Worker(context, {"test.ok": handler}, **FAST), lambda: len(handler.runs) == 1)

    assert failures == [0]


def test_the_backoff_doubles_from_its_base_up_to_its_cap_with_jitter():
    for attempts, full in [(1, 2.0), (2, 4.0), (3, 8.0), (6, 64.0), (7, 100.0), (500, 100.0)]:
        delays = [exponential(attempts, base=2.0, cap=100.0) for _ in range(200)]
        assert all(full / 2 <= delay <= full for delay in delays)
        assert len(set(delays)) > 1  # jittered
        assert exponential(attempts, base=2.0, cap=100.0, jitter=-1) == pytest.approx(full / 2)
        assert exponential(attempts, base=2.0, cap=100.0, jitter=1) == pytest.approx(full)


async def test_a_handler_timeout_must_be_shorter_than_the_lease(tmp_path):
    context, cleanup = build_job_context(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    try:
        with pytest.raises(ValueError, match="shorter than lease_seconds"):
            Worker(context, {}, lease_seconds=5, handler_timeout=5)
        assert Worker(context, {}, lease_seconds=5).handler_timeout == 4.0
    finally:
        await cleanup()


async def test_a_worker_from_settings_takes_the_job_settings_and_the_overrides(tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db",
        job_concurrency=4,
        job_batch_size=7,
        job_lease_seconds=30,
        job_poll_interval_seconds=0.25,
        job_max_attempts=9,
    )
    context, cleanup = build_job_context(settings)
    try:
        worker = Worker.from_settings(context, {}, concurrency=2, batch_size=None)
        assert (worker.concurrency, worker.batch_size, worker.lease_seconds) == (2, 7, 30)
        assert (worker.poll_interval, worker.max_attempts, worker.handler_timeout) == (0.25, 9, 24)
    finally:
        await cleanup()


async def test_the_job_context_uses_the_apps_backends_and_a_client_that_never_follows_redirects(tmp_path):
    embedded = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", webhook_timeout_seconds=7)
    context, cleanup = build_job_context(embedded)
    assert isinstance(context.queue, DatabaseJobQueue)
    assert isinstance(context.limiter, DatabaseRateLimiter)
    assert context.http.follow_redirects is False
    assert context.http.timeout.read == 7
    await cleanup()
    assert context.http.is_closed

    shared = embedded.model_copy(update={"redis_url": REDIS_URL})
    context, cleanup = build_job_context(shared)
    assert isinstance(context.queue, RedisStreamJobQueue)
    assert isinstance(context.limiter, RedisRateLimiter)
    await cleanup()


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> str:
    """A throwaway package with a ``handlers`` module holding ``source``; returns the module's name."""
    name = f"registry_test_{uuid4().hex}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "handlers.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{name}.handlers"


def _load_everything(module: str) -> None:
    all_handlers([module])
    all_periodic([module])


def test_the_registry_loads_the_feature_packages_that_exist():
    handlers, periodic = all_handlers(), all_periodic()
    assert all(isinstance(kind, str) and callable(handler) for kind, handler in handlers.items())
    assert all(callable(task) for task in periodic)


def test_a_handler_module_that_is_not_there_yet_contributes_nothing():
    assert all_handlers([f"absent_{uuid4().hex}.handlers"]) == {}
    assert all_periodic([f"absent_{uuid4().hex}.handlers"]) == []


def test_the_registry_merges_the_handlers_and_periodic_tasks_of_every_module(tmp_path, monkeypatch):
    source = "async def a(job, context): pass\nasync def tick(context): return 0\n"
    first = _package(tmp_path, monkeypatch, source + "HANDLERS = {'a.x': a}\nPERIODIC = [tick]\n")
    second = _package(tmp_path, monkeypatch, "async def b(job, context): pass\nHANDLERS = {'b.y': b}\n")

    assert set(all_handlers([first, second])) == {"a.x", "b.y"}
    assert [task.__name__ for task in all_periodic([first, second])] == ["tick"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import storegraph_no_such_dependency\n", "No module named 'storegraph_no_such_dependency'"),
        ("raise RuntimeError('misconfigured')\n", "RuntimeError: misconfigured"),
        ("HANDLERS = ['not', 'a', 'dict']\n", "must be a dict"),
        ("PERIODIC = {'not': 'a list'}\n", "must be a list"),
    ],
)
def test_a_handler_module_that_exists_but_is_broken_stops_the_worker_with_the_reason(
    tmp_path, monkeypatch, source, reason
):
    module = _package(tmp_path, monkeypatch, source)
    with pytest.raises(RegistryError, match=re.escape(reason)):
        _load_everything(module)


def test_one_job_kind_with_handlers_in_two_modules_is_refused(tmp_path, monkeypatch):
    source = "async def a(job, context): pass\nHANDLERS = {'same.kind': a}\n"
    modules = [_package(tmp_path, monkeypatch, source), _package(tmp_path, monkeypatch, source)]
    with pytest.raises(RegistryError, match=re.escape("'same.kind' has a handler in two modules")):
        all_handlers(modules)


@pytest.fixture
async def own_database(tmp_path: Path) -> str:
    """A database of the test's own: an embedded worker runs the real periodic tasks (the webhook outbox
    dispatcher), which must not dispatch what other tests left in the shared one."""
    url = f"sqlite+aiosqlite:///{tmp_path}/embedded.db"
    engine = create_engine(url, pool_size=2)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return url


async def test_an_app_runs_no_worker_unless_embedded_worker_is_set(own_database):
    application = create_app(app_settings(own_database))
    async with application.router.lifespan_context(application):
        assert application.state.embedded_worker is None


async def test_an_api_process_with_embedded_worker_runs_jobs_in_its_lifespan_and_stops_it_after(own_database):
    application = create_app(app_settings(own_database, embedded_worker=True, job_poll_interval_seconds=0.02))
    services = application.state.services
    handler = Recorder()
    async with application.router.lifespan_context(application):
        embedded: BackgroundWorker = application.state.embedded_worker
        assert embedded.worker.queue is services.job_queue  # the app's own queue, engine and limiter
        assert embedded.worker.context.engine is services.engine
        assert embedded.worker.context.limiter is services.rate_limiter
        assert set(embedded.worker.handlers) == set(all_handlers())  # what the feature packages registered
        embedded.worker.handlers["test.embedded"] = handler
        await services.job_queue.enqueue("test.embedded", {})
        await eventually(lambda: handler.runs)
        assert handler.attempts == [1]
    assert embedded.task.done()
    assert embedded.worker.context.http.is_closed


def test_serve_runs_a_worker_in_each_api_process_unless_told_not_to(monkeypatch):
    seen: list[str | None] = []
    monkeypatch.setattr(cli, "migrate", lambda: None)
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **_kwargs: seen.append(os.environ.get("EMBEDDED_WORKER")))
    monkeypatch.setenv("EMBEDDED_WORKER", "unset by the test")
    runner = CliRunner()

    assert runner.invoke(cli.app, ["serve"]).exit_code == 0
    assert runner.invoke(cli.app, ["serve", "--no-worker"]).exit_code == 0

    assert seen == ["true", "false"]
