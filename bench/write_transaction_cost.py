"""What one product insert costs the client's CPU, by the way it is run, in process (no HTTP, no GraphQL): the
part of a write that is the transaction around its statement, which bench/writes.py cannot separate.

    .venv/bin/python bench/write_transaction_cost.py \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/storegraph_write_cost [--writes 2000]

The database is migrated and given a store (any empty or migrated database will do). Ways, each timed over
``--writes`` inserts of a product, in rounds that alternate their order; the figure is the median round's CPU
microseconds per write (the process's CPU clock: the client's work, its share of the round trips included, not the
server's), and its ratio to the raw handler's way:

- ``raw autocommit``: asyncpg's INSERT on a held connection, no transaction (bench/baseline_app.py's W4);
- ``raw transaction``: the same between BEGIN and COMMIT (asyncpg's ``transaction()``);
- ``storegraph's insert, held transaction``: storegraph's own statement for it (``INSERT ... ON CONFLICT (store_id,
  slug) DO NOTHING RETURNING`` every column, as built once by db/queries/slugs.py and compiled for the driver) in an
  asyncpg transaction on a held connection: what a write transaction run on the driver alone, without
  SQLAlchemy's session, would cost;
- ``storegraph session``: what a /v1 write's transaction does: a session made and begun as a writing one
  (``begin_write``: the pool's checkout), the product's insert on the driver (``insert_product``), COMMIT (on
  PostgreSQL the store's version raised by the database's trigger), the session closed (the pool's checkin);
- ``session, no statement``: the same session made, begun, committed and closed with no statement (no round trip:
  asyncpg begins at the first statement), which is SQLAlchemy's own part;
- ``pool checkout and checkin``: ``engine.connect()`` and its close, a part of the line above.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import uvloop
from baseline_app import INSERT_PRODUCT_SQL
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.migrate import upgrade_to_head
from db.models import Product, Store
from db.queries.catalog import PRODUCT_COLUMNS, PRODUCT_SLUG_CONSTRAINT, insert_product
from db.queries.slugs import _insert_unless_taken
from db.queries.store_versions import work_for_store
from db.session import begin_write, close_session, create_engine, create_sessionmaker
from storegraph.platform.timestamps import utcnow

Write = Callable[[int], Awaitable[None]]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="postgresql+asyncpg://...")
    parser.add_argument("--writes", type=int, default=2000, help="inserts per way and round")
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args()


async def _store(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        found = (await connection.execute(select(Store.id).where(Store.slug == "write-cost"))).scalar()
        if found is not None:
            return int(found)
        now = utcnow()
        made = await connection.execute(
            insert(Store)
            .values(name="Write cost", slug="write-cost", created_at=now, updated_at=now)
            .returning(Store.id)
        )
        return int(made.scalar_one())


def _ways(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], driver: asyncpg.Connection[Any], store_id: int
) -> dict[str, Write]:
    async def raw_autocommit(n: int) -> None:
        await driver.fetchval(INSERT_PRODUCT_SQL, store_id, f"Raw {n}", f"raw-{n}", 1500, utcnow())

    async def raw_transaction(n: int) -> None:
        async with driver.transaction():
            await driver.fetchval(INSERT_PRODUCT_SQL, store_id, f"Raw tx {n}", f"raw-tx-{n}", 1500, utcnow())

    statement = _insert_unless_taken(
        "postgresql", Product, tuple(column.name for column in PRODUCT_SLUG_CONSTRAINT.columns), PRODUCT_COLUMNS
    )

    async def storegraph_statement_held(n: int) -> None:
        values = {"store_id": store_id, "name": f"Held {n}", "price": 1500, "status": "draft", "slug": f"held-{n}"}
        compiled = statement.compiled_for(engine.dialect, values)
        assert compiled is not None
        async with driver.transaction():
            await driver.fetch(compiled.sql, *compiled.arguments(values))

    async def storegraph_session(n: int) -> None:
        session = sessions()
        work_for_store(session, store_id)
        await begin_write(session)
        values = {"name": f"Session {n}", "price": 1500, "status": "draft"}
        await insert_product(session, store_id, values)
        await session.commit()
        await close_session(session)

    async def session_alone(_n: int) -> None:
        session = sessions()
        await begin_write(session)
        await session.commit()
        await close_session(session)

    async def pool_only(_n: int) -> None:
        connection = await engine.connect()
        await connection.close()

    return {
        "raw autocommit": raw_autocommit,
        "raw transaction": raw_transaction,
        "storegraph's insert, held transaction": storegraph_statement_held,
        "storegraph session": storegraph_session,
        "session, no statement": session_alone,
        "pool checkout and checkin": pool_only,
    }


async def _timed(write: Write, numbers: itertools.count[int], writes: int) -> float:
    started = time.process_time()
    for _ in range(writes):
        await write(next(numbers))
    return (time.process_time() - started) / writes * 1e6


async def main() -> None:
    args = _arguments()
    engine = create_engine(args.database_url, pool_size=4)
    await upgrade_to_head(engine)
    store_id = await _store(engine)
    driver: asyncpg.Connection[Any] = await asyncpg.connect(args.database_url.replace("+asyncpg", "", 1))
    numbers = itertools.count(int(time.time() * 1000))
    try:
        ways = _ways(engine, create_sessionmaker(engine), driver, store_id)
        for write in ways.values():  # warm-up: statements prepared, pool filled
            await _timed(write, numbers, 100)
        rounds: dict[str, list[float]] = {name: [] for name in ways}
        names = list(ways)
        for round_number in range(args.rounds):
            for name in names if round_number % 2 == 0 else reversed(names):
                rounds[name].append(await _timed(ways[name], numbers, args.writes))
        raw = statistics.median(rounds["raw autocommit"])
        print(f"{'way':<40} {'CPU µs per write':>17} {'x raw autocommit':>17}   by round")
        for name, figures in rounds.items():
            median = statistics.median(figures)
            by_round = ", ".join(f"{figure:.0f}" for figure in figures)
            print(f"{name:<40} {median:>17.1f} {median / raw:>17.2f}   {by_round}")
    finally:
        await driver.close()
        await engine.dispose()


if __name__ == "__main__":
    uvloop.run(main())
