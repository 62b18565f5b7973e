"""Acceptance (issue 6): a worker process killed with SIGKILL in the middle of its jobs loses none of them. The
next worker runs the ones that were in flight once their lease runs out: every job is processed at least once,
on the database queue (SQLite and PostgreSQL) and on Redis. And the real `storegraph worker` command migrates,
runs jobs and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from db.queries.jobs import DatabaseJobQueue
from db.session import create_engine
from tests.support.paths import REPO, SUPPORT
from tests.support.queues import QUEUE_BACKENDS, QueueUnderTest, queue_under_test

JOBS = 40
LEASE_SECONDS = 2
# How long each job takes (the crash worker pauses this long).
PAUSE = 0.3
ROOT = REPO


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)


def _worker_env(under_test: QueueUnderTest, database_url: str, output: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "REDIS_PREFIX", "JOB_QUEUE")}
    return {
        **env,
        **under_test.env(),
        "DATABASE_URL": database_url,
        "DB_POOL_SIZE": "5",
        "CRASH_OUTPUT": str(output),
        "CRASH_PAUSE": str(PAUSE),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "JOB_CONCURRENCY": "8",
        "JOB_BATCH_SIZE": "8",
        "JOB_POLL_INTERVAL_SECONDS": "0.05",
    }


def _lines(output: Path) -> list[list[str]]:
    return [line.split() for line in output.read_text().splitlines()] if output.exists() else []


def _records(output: Path) -> list[tuple[int, int]]:
    """(job number, attempt) for every run the handlers recorded."""
    return [(int(fields[0]), int(fields[1])) for fields in _lines(output) if len(fields) == 2]


def _freshly_started(output: Path, within: float) -> bool:
    """Whether a run started less than ``within`` seconds ago and has not finished: killed now, it is in flight."""
    lines = _lines(output)
    finished = {(fields[0], fields[1]) for fields in lines if len(fields) == 2}
    now = time.time()
    return any(
        len(fields) == 4 and (fields[0], fields[1]) not in finished and now - float(fields[3]) < within
        for fields in lines
    )


def _text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def _until(condition: Callable[[], Awaitable[bool]], process: subprocess.Popen[bytes], log: Path) -> None:
    """Waits until ``condition()`` holds; fails, with the worker's log, if the worker exits or 30 s pass."""
    deadline = time.monotonic() + 30
    while not await condition():
        assert process.poll() is None, f"the worker exited: {_text(log)}"
        assert time.monotonic() < deadline, f"the worker did not get there in time: {_text(log)}"
        await asyncio.sleep(0.05)


@contextmanager
def reaped(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    """However the test ends, no process it started outlives it."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@QUEUE_BACKENDS
async def test_jobs_in_flight_when_a_worker_is_killed_run_again_after_their_lease_and_none_is_lost(
    backend, database_url, tmp_path
):
    output, log, go = tmp_path / "runs.txt", tmp_path / "worker.log", tmp_path / "go"
    command = [sys.executable, str(SUPPORT / "crash_worker.py")]
    async with queue_under_test(backend, database_url) as under_test:
        queue = under_test.queue
        await queue.enqueue_many([("crash.record", {"n": n}) for n in range(JOBS)])
        env = {**_worker_env(under_test, database_url, output), "PYTHONPATH": str(ROOT)}
        first = _start(command, env, log)
        second = _start(command, {**env, "CRASH_START_WHEN": str(go)}, log)  # stands by until told to start
        with reaped(first, second):

            async def some_done() -> bool:
                # ... and one job surely still in flight (half its pause left), which the next worker must run again.
                return len(_records(output)) >= 8 and _freshly_started(output, within=PAUSE / 2)

            await _until(some_done, first, log)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            assert len({n for n, _ in _records(output)}) < JOBS  # killed part way through
            assert await queue.pending() > 0

            go.touch()  # the restart

            async def all_done() -> bool:
                return {n for n, _ in _records(output)} == set(range(JOBS)) and await queue.pending() == 0

            await _until(all_done, second, log)
            second.send_signal(signal.SIGTERM)
            assert second.wait(10) == 0  # a graceful stop
        assert await queue.dead_letters() == []

    runs = _records(output)
    assert {n for n, _ in runs} == set(range(JOBS))  # none lost
    # The jobs the killed worker held ran again, from the next worker, once their lease had run out.
    assert any(attempts >= 2 for _, attempts in runs)


async def test_the_storegraph_worker_command_migrates_runs_jobs_and_stops_on_sigterm(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"  # never migrated: the command does it
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "JOB_QUEUE")}
    env |= {"DATABASE_URL": database_url, "JOB_MAX_ATTEMPTS": "1", "JOB_POLL_INTERVAL_SECONDS": "0.05"}
    log = tmp_path / "worker.log"
    command = [sys.executable, "-c", "from storegraph.cli import app; app()", "worker", "--concurrency", "2"]
    process = _start(command, env, log)
    engine = create_engine(database_url, pool_size=2)
    queue = DatabaseJobQueue(engine)
    with reaped(process):

        async def started() -> bool:
            return "started (concurrency 2" in _text(log)

        await _until(started, process, log)
        # No handler knows this kind; with JOB_MAX_ATTEMPTS=1 the worker dead-letters it on its first claim.
        job_id = await queue.enqueue("test.no-handler", {})

        async def buried() -> bool:
            return [letter.id for letter in await queue.dead_letters()] == [job_id]

        await _until(buried, process, log)
        await engine.dispose()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    assert "stopped" in _text(log)
