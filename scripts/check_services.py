"""Fails (exit 1) with a clear message when a server the test suite needs is not reachable.

The suite runs every database test on PostgreSQL as well as SQLite; without the server those tests cannot
run, and a run whose tests did not run must not pass.
"""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg

POSTGRES_URL = os.environ.get("STOREGRAPH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


async def check_postgres() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}"
    await connection.close()
    return None


def main() -> int:
    problem = asyncio.run(check_postgres())
    if problem:
        sys.stderr.write(
            f"{problem}\nThe tests need a PostgreSQL server (set STOREGRAPH_TEST_POSTGRES to point elsewhere).\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
