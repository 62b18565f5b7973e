"""Python function calls per request of the hot reads, through the whole app in process: a figure of the work done
per request that, unlike a time, does not move with what else the machine is running.

    .venv/bin/python bench/calls_per_request.py [--requests 300 --customers 300 --orders 4000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/storegraph_bench_calls]

Without ``--database-url`` a temporary SQLite database is made and filled with the demo data; with one, the database
must exist and be empty. Each workload is warmed up, then ``--requests`` requests run under ``cProfile`` (with the
process's CPU clock) and the count of calls (Python functions and built-ins) is divided by the requests. CPU
microseconds per request are printed beside, from the same requests, profiled: they are several times the real
figure and only say where the calls cost more than others. On PostgreSQL, the statements sent per request are
counted off the same profile (where the driver sends one, transaction control included).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from compiled_inprocess import ORDERS, W1, W2, W3, call, demo_app, graphql

WARMUP = 50
# Where asyncpg sends a statement, as the profile names the function: each of these lambdas hands one statement
# (or one batch of them) to the protocol, and each BEGIN, COMMIT or ROLLBACK checks the transaction's state once.
# The protocol's own methods are compiled and do not appear; the coroutines around them count each resumption.
SENDS_STATEMENTS = frozenset(
    {("connection.py", "<lambda>"), ("prepared_stmt.py", "<lambda>"), ("transaction.py", "__check_state_base")}
)
# Filtered and sorted lists: a search of the customers, the orders by status and by total.
F1 = (
    "query BenchSearch($first: Int!, $search: String!) { customers(first: $first, filter: {search: $search}) { "
    "edges { node { id firstName lastName phone email totalOrders totalSpent createdAt } } } }"
)
F3 = (
    "query BenchPending($first: Int!) { orders(first: $first, filter: {status: PENDING}, sort: {field: TOTAL}) { "
    "totalCount nodes { id orderNumber status paymentStatus total customerName createdAt } "
    "pageInfo { hasNextPage endCursor } } }"
)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        loaded = await demo_app(url, args.customers, args.orders)
        app, customer_id = loaded.app, loaded.customer_id
        workloads = {
            "W1 /graphql list 50": graphql(W1, {"first": 50}),
            "W2 /graphql 50 x 5 orders": graphql(W2, {"first": 50}),
            "W3 /graphql one by id": graphql(W3, {"id": str(customer_id)}),
            "W1 /v1/customers?limit=50": ("GET", "/v1/customers?limit=50", b""),
            "W3 /v1/customers/{id}": ("GET", f"/v1/customers/{customer_id}", b""),
            "O1 /graphql 50 orders + items": graphql(ORDERS, {"first": 50}),
            "F1 /graphql search 50": graphql(F1, {"first": 50, "search": "a"}),
            "F2 /v1/orders?status=&limit=50": ("GET", "/v1/orders?status=delivered&limit=50", b""),
            "F3 /graphql pending by total": graphql(F3, {"first": 50}),
        }
        print(f"{'workload':32} {'calls/request':>13} {'profiled CPU µs':>15} {'statements/request':>18}")
        for name, request in workloads.items():
            for _ in range(WARMUP):
                await call(app, loaded.key, request)
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.requests):
                await call(app, loaded.key, request)
            profile.disable()
            stats = pstats.Stats(profile)
            print(
                f"{name:32} {stats.total_calls / args.requests:13.0f} "  # type: ignore[attr-defined]
                f"{stats.total_tt * 1e6 / args.requests:15.0f} "  # type: ignore[attr-defined]
                f"{statements(stats) / args.requests:18.2f}"
            )
        await app.state.services.engine.dispose()


def statements(stats: pstats.Stats) -> int:
    """The statements the profiled requests sent to PostgreSQL (none on SQLite, whose driver is not asyncpg)."""
    counted: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    return sum(
        calls
        for (path, _, name), (calls, *_) in counted.items()
        if "asyncpg" in path and (Path(path).name, name) in SENDS_STATEMENTS
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))
