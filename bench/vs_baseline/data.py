"""The benchmark database: loaded with ``storegraph demo``, or reused from bench/results/state.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from harness.common import ROOT, STATE_FILE, BenchError, executable, say, step
from harness.machine import recreate_database

from vs_baseline.workloads import ORDERS_PER_CUSTOMER, PAGE, State


async def _after_load(dsn: str, store_id: int) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            swapped = await _fill_first_page(connection, store_id)
        say(f"first page: {swapped} customers with fewer than {ORDERS_PER_CUSTOMER} orders swapped out")
        # Stable plans and visibility maps, so that round 1 does not measure autovacuum.
        await connection.execute("VACUUM ANALYZE")
        return await _counts(connection, store_id)
    finally:
        await connection.close()


# The listed customers (not archived) in the default order (newest first: schema/customers/inputs.py,
# db/queries/customers.py), each with its number of orders.
_RANKED = """
SELECT c.id, c.created_at, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS orders
FROM customers c WHERE c.store_id = $1 AND c.archived_at IS NULL
"""


async def _fill_first_page(connection: asyncpg.Connection, store_id: int) -> int:
    """Makes every customer of the first page (PAGE newest) one with at least ORDERS_PER_CUSTOMER orders, as in the
    peers' data; returns how many customers changed places.

    ``storegraph demo`` draws orders with loyalty, so its newest customers have few (56 orders on the first page of
    the default data). Each such customer swaps ``created_at`` with the newest customer outside the page who has
    enough orders: the set of signup times stays the same and no order moves, but the customers who take the page
    now signed up after some of their orders (nothing measured reads that). ``updated_at`` is raised to the new
    ``created_at`` where it would fall before it.
    """
    page = await connection.fetch(f"{_RANKED} ORDER BY c.created_at DESC, c.id DESC LIMIT $2", store_id, PAGE)
    light = [row for row in page if row["orders"] < ORDERS_PER_CUSTOMER]
    heavy = await connection.fetch(
        f"SELECT * FROM ({_RANKED}) ranked WHERE orders >= $2 AND NOT (id = ANY($3::bigint[]))"
        " ORDER BY created_at DESC, id DESC LIMIT $4",
        store_id,
        ORDERS_PER_CUSTOMER,
        [row["id"] for row in page],
        len(light),
    )
    if len(page) < PAGE or len(heavy) < len(light):
        raise BenchError(
            f"the data has {len(page) - len(light) + len(heavy)} customers with at least {ORDERS_PER_CUSTOMER} orders;"
            f" the nested workload needs {PAGE}: load more orders per customer (--orders)"
        )
    for out, into in zip(light, heavy, strict=True):
        for customer, created_at in ((out["id"], into["created_at"]), (into["id"], out["created_at"])):
            await connection.execute(
                "UPDATE customers SET created_at = $2, updated_at = greatest(updated_at, $2) WHERE id = $1",
                customer,
                created_at,
            )
    return len(light)


async def _counts(connection: asyncpg.Connection, store_id: int) -> dict[str, int]:
    customers = await connection.fetchval("SELECT count(*) FROM customers WHERE store_id = $1", store_id)
    orders = await connection.fetchval("SELECT count(*) FROM orders WHERE store_id = $1", store_id)
    return {"customers": customers, "orders": orders}


async def _inspect(dsn: str, store_id: int, *, vacuum: bool) -> tuple[dict[str, int], int]:
    """Row counts, and a customer from the middle of the list for the one-customer-by-id workload; ``vacuum``: a
    reused database is vacuumed first."""
    try:
        connection = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        raise BenchError(f"database in {dsn} does not exist: run without --skip-load") from None
    try:
        if vacuum:
            # An earlier run's writes left dead row versions: each POST /v1/products raises the store row's data
            # version, and until autovacuum comes every conditional GET walks those versions to read it (the REST
            # rows then measured PostgreSQL's chain walk on the load CPU, at a third of their speed).
            await connection.execute("VACUUM ANALYZE")
        counts = await _counts(connection, store_id)
        customer_id = await connection.fetchval(
            "SELECT id FROM customers WHERE store_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
            store_id,
            counts["customers"] // 2,
        )
    finally:
        await connection.close()
    if customer_id is None:
        raise BenchError(f"store {store_id} has no customers: run without --skip-load")
    return counts, customer_id


def _demo_json(stdout: str) -> dict[str, Any]:
    """The JSON object ``storegraph demo`` prints; progress output may surround it on the same stream."""
    decoder = json.JSONDecoder()
    starts = [match.start() for match in re.finditer(r"^\{", stdout, re.MULTILINE)]
    for start in reversed(starts):
        try:
            created, _ = decoder.raw_decode(stdout, start)
        except json.JSONDecodeError:
            continue
        if isinstance(created, dict) and "store_id" in created and "key" in created:
            return created
    raise BenchError(f"storegraph demo printed no JSON object with store_id and key on stdout:\n{stdout}")


def load_data(args: argparse.Namespace, database_url: str, dsn: str) -> dict[str, Any]:
    step(f"loading data: database {args.database}, {args.customers} customers, {args.orders} orders")
    asyncio.run(recreate_database(f"{args.pg}/postgres", args.database))
    command = [
        executable("storegraph"),
        "demo",
        "--customers",
        str(args.customers),
        "--orders",
        str(args.orders),
        "--products",
        str(args.products),
    ]
    say(f"$ DATABASE_URL={database_url} {' '.join(command)}")
    started = time.monotonic()
    # stdout carries the JSON answer (and maybe progress bars): pass it through while keeping a copy.
    # stderr (progress, errors) goes straight to the terminal.
    demo = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            output.append(line)
            print(line, end="", flush=True)
        demo.wait()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=15)
    if demo.returncode != 0:
        raise BenchError(f"storegraph demo failed with exit status {demo.returncode} (its output is above)")
    created = _demo_json("".join(output))
    counts = asyncio.run(_after_load(dsn, int(created["store_id"])))
    say(f"loaded in {time.monotonic() - started:.0f} s: store {created['store_id']}, {counts}")
    state = {
        "database": args.database,
        "database_url": database_url,
        "store_id": int(created["store_id"]),
        "key": created["key"],
        "requested": {"customers": args.customers, "orders": args.orders, "products": args.products},
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    STATE_FILE.write_text(json.dumps(state, indent=2) + "\n")
    return state


def prepare_state(args: argparse.Namespace) -> tuple[State, dict[str, int]]:
    database_url = f"{args.pg.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{args.database}"
    dsn = f"{args.pg}/{args.database}"
    if args.skip_load:
        if not STATE_FILE.exists():
            raise BenchError(f"--skip-load needs {STATE_FILE.relative_to(ROOT)}: run once without --skip-load")
        saved = json.loads(STATE_FILE.read_text())
        if saved.get("database") != args.database:
            raise BenchError(
                f"{STATE_FILE.relative_to(ROOT)} is for database {saved.get('database')!r}, "
                f"not {args.database!r}: run without --skip-load"
            )
        step(f"reusing database {args.database} (store {saved['store_id']}, loaded {saved.get('loaded_at')})")
    else:
        saved = load_data(args, database_url, dsn)
    counts, customer_id = asyncio.run(_inspect(dsn, int(saved["store_id"]), vacuum=args.skip_load))
    say(f"store {saved['store_id']}: {counts['customers']} customers, {counts['orders']} orders")
    state = State(
        database=args.database,
        database_url=database_url,
        dsn=dsn,
        store_id=int(saved["store_id"]),
        key=saved["key"],
        customer_id=int(customer_id),
    )
    return state, counts
