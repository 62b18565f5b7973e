"""The latency group commit adds to one job's enqueue, in process, on the database queue (SQLite) and on Redis
Streams: the same jobs enqueued straight to the backend and through ``GroupCommitQueue``, alone (one caller at a
time: nothing is pending, so the write must start at once) and under load (``--concurrency`` callers at once).

    .venv/bin/python bench/group_commit_latency.py [--jobs 2000 --concurrency 32 --redis redis://127.0.0.1:6379/0]

A temporary SQLite file (migrated) and a Redis prefix of its own (deleted afterwards). Figures: p50 and p99 of
each enqueue's wall-clock milliseconds, jobs per second, and for the grouped runs the jobs per write.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from db.queries.jobs import DatabaseJobQueue  # noqa: E402
from db.session import create_engine  # noqa: E402
from storegraph.platform.jobs.group_commit import GroupCommitQueue  # noqa: E402
from storegraph.platform.jobs.queue import JobQueue  # noqa: E402
from storegraph.platform.jobs.redis_streams import RedisStreamJobQueue  # noqa: E402

PAYLOAD: dict[str, Any] = {
    "store_id": 1,
    "key_id": "bench",
    "accepted_at": "2026-12-07T05:00:00",
    "events": [
        {"id": "tev_x", "event": "page_view", "properties": {"path": "/"}, "occurred_at": "2026-12-07T05:00:00"}
    ],
}


async def measure(queue: JobQueue, jobs: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            await queue.enqueue("tracking.events", {**PAYLOAD, "n": n})
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(jobs)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "rate": jobs / elapsed,
    }


async def run(args: argparse.Namespace, url: str) -> None:
    rows = [("backend", "callers", "way", "p50 ms", "p99 ms", "jobs/s", "jobs/write")]
    engine = create_engine(url)
    redis = Redis.from_url(args.redis)
    prefix = f"bench:group-commit:{uuid.uuid4().hex}:"
    backends: list[tuple[str, JobQueue]] = [
        ("sqlite", DatabaseJobQueue(engine)),
        ("redis", RedisStreamJobQueue(redis, prefix=prefix)),
    ]
    try:
        for name, queue in backends:
            for callers in (1, args.concurrency):
                direct = await measure(queue, args.jobs, callers)
                grouped_queue = GroupCommitQueue(queue)
                grouped = await measure(grouped_queue, args.jobs, callers)
                per_write = grouped_queue.jobs_written / max(grouped_queue.writes, 1)
                for way, figures, batch in (("straight", direct, "1"), ("grouped", grouped, f"{per_write:.1f}")):
                    rows.append(
                        (
                            name,
                            str(callers),
                            way,
                            f"{figures['p50']:.2f}",
                            f"{figures['p99']:.2f}",
                            f"{figures['rate']:.0f}",
                            batch,
                        )
                    )
            await queue.close()
    finally:
        keys = [key async for key in redis.scan_iter(f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await engine.dispose()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "storegraph.cli", "migrate"], env=env, check=True, capture_output=True)
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
