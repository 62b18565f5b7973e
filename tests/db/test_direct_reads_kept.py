"""Connections kept by ``DirectReads`` (db/direct_reads.py): one given back healthy is lent again without the pool's
checkout; no more are kept than the pool can spare; a connection that broke, was left in a transaction, ran
SQLAlchemy's statements or was closed by the server is never lent again; the engine's dispose closes the kept ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, QueuePool
from sqlalchemy.util import greenlet_spawn

from db.direct_reads import DirectConnection, DirectReads, PreparedRead
from db.session import create_engine, single_statement_reads

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
pytestmark = ON_POSTGRESQL

# Twice the four a pool must have to keep any: two kept at most.
POOL_SIZE = 8
BACKEND_PID = PreparedRead(select(func.pg_backend_pid().label("pid")))
ASLEEP = PreparedRead(select(func.pg_sleep(600).label("slept")))
# Bounds the waits for something another process does (the server); none is reached unless the test fails.
POLLS = 1000


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=POOL_SIZE)
    yield engine
    await engine.dispose()


@pytest.fixture
def opened(engine: AsyncEngine) -> list[asyncpg.Connection[Any]]:
    """The driver's connections the engine's pool opens during the test."""
    drivers: list[asyncpg.Connection[Any]] = []

    def connect(dbapi_connection: Any, _record: Any) -> None:
        drivers.append(dbapi_connection.driver_connection)

    event.listen(engine.sync_engine, "connect", connect)
    return drivers


async def backend_of(connection: DirectConnection) -> int:
    rows = await connection.rows(BACKEND_PID, {})
    return int(rows[0].pid)


async def used_once(reads: DirectReads) -> int:
    """Connects, reads and gives the connection back; the server process it read on."""
    connection = await reads.connect()
    try:
        return await backend_of(connection)
    finally:
        await connection.close()


async def wait_until_running(engine: AsyncEngine, pid: int) -> None:
    async with single_statement_reads(engine).connect() as connection:
        for _ in range(POLLS):
            found = await connection.execute(
                text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid AND state = 'active'"), {"pid": pid}
            )
            if found.first() is not None:
                return
            await asyncio.sleep(0.01)
    pytest.fail("the statement never started")


async def terminate(engine: AsyncEngine, pid: int) -> None:
    """Ends the server process ``pid`` and waits until it is gone."""
    async with single_statement_reads(engine).connect() as connection:
        ended = await connection.execute(text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": pid})
        assert ended.scalar_one() is True


async def until_closed(driver: asyncpg.Connection[Any]) -> None:
    """The driver learns that the server closed its socket when the loop reads the socket's end."""
    for _ in range(POLLS):
        if driver.is_closed():
            return
        await asyncio.sleep(0)
    pytest.fail("the driver never saw its connection closed")


async def test_a_connection_given_back_is_lent_again_without_the_pools_checkout(engine):
    reads = DirectReads(engine)
    first = await used_once(reads)
    checked_out = engine.pool.checkedout()

    connection = await reads.connect()

    assert engine.pool.checkedout() == checked_out  # the kept one, not one of the pool's
    assert await backend_of(connection) == first
    await connection.close()
    assert reads.kept == 1


async def test_no_more_connections_are_kept_than_a_quarter_of_the_pools_size(engine):
    reads = DirectReads(engine)
    connections = [await reads.connect() for _ in range(4)]

    for connection in connections:
        await backend_of(connection)
        await connection.close()

    assert reads.kept == POOL_SIZE // 4
    assert engine.pool.checkedout() == POOL_SIZE // 4  # the others went back to the pool


async def test_a_share_of_two_keeps_half_of_the_pools_size(engine):
    reads = DirectReads(engine, share=2)
    connections = [await reads.connect() for _ in range(POOL_SIZE // 2 + 1)]

    for connection in connections:
        await backend_of(connection)
        await connection.close()

    assert reads.kept == POOL_SIZE // 2


async def test_the_endpoints_reads_keep_half_of_the_apps_pool(app):
    """Every query reads on the endpoint's; the idempotency store's, one or two statements per write, keep a
    quarter."""
    reads = app.state.graphql_endpoint.direct_reads
    pool = reads._pool
    connections = [await reads.connect() for _ in range(pool.size())]

    for connection in connections:
        await backend_of(connection)
        await connection.close()

    assert reads.kept == pool.size() // 2


async def test_a_pool_smaller_than_four_keeps_no_connection(database_url):
    small = create_engine(database_url, pool_size=3)
    try:
        reads = DirectReads(small)
        await used_once(reads)

        assert reads.kept == 0
        assert isinstance(small.pool, QueuePool)
        assert small.pool.checkedout() == 0
    finally:
        await small.dispose()


async def test_a_pool_that_closes_every_connection_given_back_keeps_none(database_url):
    unpooled = create_async_engine(database_url, poolclass=NullPool)
    try:
        reads = DirectReads(unpooled)
        await used_once(reads)

        assert reads.kept == 0
    finally:
        await unpooled.dispose()


async def test_the_engines_dispose_closes_the_kept_connections(engine, opened):
    reads = DirectReads(engine)
    await used_once(reads)
    assert reads.kept == 1

    await engine.dispose()

    assert reads.kept == 0
    assert opened
    assert all(driver.is_closed() for driver in opened)


async def test_after_the_engines_dispose_reads_keep_connections_of_its_new_pool(engine):
    reads = DirectReads(engine)
    await used_once(reads)
    await engine.dispose()

    await used_once(reads)

    assert reads.kept == 1
    assert engine.pool.checkedout() == 1


async def test_a_connection_lent_before_the_engines_dispose_is_closed_when_given_back(engine, opened):
    reads = DirectReads(engine)
    connection = await reads.connect()
    await engine.dispose()

    await connection.close()

    assert reads.kept == 0
    assert opened[0].is_closed()


async def test_the_kept_connections_of_an_option_engine_close_with_its_parent(engine, opened):
    reads = DirectReads(single_statement_reads(engine))
    await used_once(reads)

    await engine.dispose()

    assert reads.kept == 0
    assert all(driver.is_closed() for driver in opened)


async def test_release_gives_the_kept_connections_back_to_the_pool(engine):
    reads = DirectReads(engine)
    await used_once(reads)

    await reads.release()

    assert reads.kept == 0
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 1


async def test_a_connection_cancelled_mid_statement_is_never_lent_again(engine, opened):
    reads = DirectReads(engine)
    connection = await reads.connect()
    pid = await backend_of(connection)
    sleeping = asyncio.create_task(connection.rows(ASLEEP, {}))
    await wait_until_running(engine, pid)

    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    await connection.close()

    assert reads.kept == 0
    assert engine.pool.checkedout() == 0
    assert opened[0].is_closed()
    assert await used_once(reads) != pid


async def test_a_connection_left_in_a_transaction_is_never_lent_again(engine, opened):
    reads = DirectReads(engine)
    connection = await reads.connect()
    await opened[0].execute("BEGIN")

    await connection.close()

    assert reads.kept == 0
    assert engine.pool.checkedout() == 0
    assert opened[0].is_closed()  # closed, not given to the pool, whose reset would not end the transaction


async def test_a_connection_sqlalchemy_ran_statements_on_goes_back_to_the_pool(engine):
    autocommit = single_statement_reads(engine)
    reads = DirectReads(autocommit)
    connection = await reads.connect()
    await (await connection.sqlalchemy(autocommit)).execute(select(1))

    await connection.close()

    assert reads.kept == 0
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 1


async def test_a_kept_connection_the_server_closed_is_not_lent_again(engine, opened):
    reads = DirectReads(engine)
    pid = await used_once(reads)
    await terminate(engine, pid)
    await until_closed(opened[0])

    connection = await reads.connect()

    assert await backend_of(connection) != pid  # a working connection, not an error
    await connection.close()
    assert reads.kept == 1


async def test_while_something_counts_the_pools_checkouts_every_connection_goes_through_the_pool(engine):
    reads = DirectReads(engine)
    await used_once(reads)
    checkouts: list[object] = []

    def checkout(*_args: Any) -> None:
        checkouts.append(None)

    event.listen(engine.sync_engine, "checkout", checkout)
    try:
        await used_once(reads)
        await used_once(reads)
    finally:
        event.remove(engine.sync_engine, "checkout", checkout)

    assert len(checkouts) == 2


async def test_a_kept_connection_opened_before_the_pool_gave_up_on_its_connections_is_not_lent_again(engine):
    reads = DirectReads(engine)
    pid = await used_once(reads)
    # A disconnect seen on any connection of the pool (a failover) marks every connection opened before as stale.
    other = await greenlet_spawn(engine.sync_engine.pool.connect)
    await greenlet_spawn(engine.sync_engine.pool._invalidate, other)
    await greenlet_spawn(other.close)

    connection = await reads.connect()

    assert await backend_of(connection) != pid
    await connection.close()
    assert reads.kept == 1


async def test_while_the_pool_lends_beyond_its_size_a_connection_given_back_goes_to_the_pool(engine):
    reads = DirectReads(engine)
    connections = [await reads.connect() for _ in range(POOL_SIZE + 1)]  # one of the pool's overflow

    await connections.pop().close()

    assert reads.kept == 0
    for connection in connections:
        await connection.close()
    assert reads.kept == POOL_SIZE // 4
