"""Fails (exit 1) with a clear message when a server the test suite needs is not reachable.

The suite runs every database test on PostgreSQL as well as SQLite; without the server those tests cannot
run, and a run whose tests did not run must not pass.
"""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

POSTGRES_URL = os.environ.get("STOREGRAPH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
# The rate-limit, quota, idempotency, queue and key-cache tests run on the real Redis as well as in memory, at the
# address the tests read (tests/support/): REDIS_URL configures the app, not the tests.
REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def check_postgres() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}"
    await connection.close()
    return None


async def check_redis() -> str | None:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        await client.ping()
    except (OSError, RedisError) as error:
        return (
            f"Redis is not reachable at {REDIS_URL}: {error}\n"
            "The tests need a Redis server (set STOREGRAPH_TEST_REDIS to point elsewhere)."
        )
    finally:
        await client.aclose()
    return None


def main() -> int:
    problem = asyncio.run(check_postgres())
    if problem:
        sys.stderr.write(
            f"{problem}\nThe tests need a PostgreSQL server (set STOREGRAPH_TEST_POSTGRES to point elsewhere).\n"
        )
        return 1
    redis_problem = asyncio.run(check_redis())
    if redis_problem:
        sys.stderr.write(f"{redis_problem}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
