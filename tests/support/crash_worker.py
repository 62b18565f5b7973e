"""The worker process tests/platform_layer/test_worker_crash.py kills: a real Worker on the queue its environment names
(the usual settings: DATABASE_URL, JOB_QUEUE, REDIS_URL, REDIS_PREFIX, JOB_*), running one job kind, ``crash.record``.

Each job appends "<n> <attempts> start <time>", pauses (CRASH_PAUSE seconds, so several are in flight at any
moment), then appends "<n> <attempts>", each as a line to the file CRASH_OUTPUT names, with O_APPEND (one write per
line, so lines never interleave) and fsync (so a line written before a SIGKILL is still there after it).

With CRASH_START_WHEN set, the process imports everything, then waits for that file to exist before it starts
working: the test starts the replacement worker ahead, so its interpreter start-up does not add to the test's time.
"""

from __future__ import annotations

import asyncio
import os
import time

from storegraph.platform.jobs.handlers import JobContext
from storegraph.platform.jobs.queue import Job
from storegraph.platform.jobs.worker import Worker, run_until_signalled
from storegraph.services import build_job_context
from storegraph.settings import Settings

OUTPUT = os.environ["CRASH_OUTPUT"]
PAUSE = float(os.environ.get("CRASH_PAUSE", "0.3"))


def _append(line: bytes) -> None:
    descriptor = os.open(OUTPUT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


async def record(job: Job, _context: JobContext) -> None:
    # The start line (with the wall-clock time) lets the test kill the worker while a job is surely in flight.
    await asyncio.to_thread(_append, f"{job.payload['n']} {job.attempts} start {time.time()}\n".encode())
    await asyncio.sleep(PAUSE)
    await asyncio.to_thread(_append, f"{job.payload['n']} {job.attempts}\n".encode())


def stand_by() -> None:
    if start_when := os.environ.get("CRASH_START_WHEN"):
        while not os.path.exists(start_when):
            time.sleep(0.02)


async def main() -> None:
    context, cleanup = build_job_context(Settings())
    try:
        await run_until_signalled(Worker.from_settings(context, {"crash.record": record}))
    finally:
        await cleanup()


if __name__ == "__main__":
    stand_by()
    asyncio.run(main())
