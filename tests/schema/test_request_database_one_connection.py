"""A read-only request's statements on PostgreSQL run on one connection of the pool, whichever way they run (on the
driver, through SQLAlchemy), each in autocommit: each sees what was committed when it ran."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.direct_reads import DirectReads
from db.models import Store, StoreVersion
from db.queries.store_versions import Rows, data_version, work_for_store
from db.session import single_statement_reads
from resolvers.core.context import RequestDatabase
from tests.conftest import services_of
from tests.support.factories import create_customer, create_store

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class Lent:
    def __init__(self) -> None:
        self.checkouts = 0
        self.returned_in_transaction: list[bool] = []


@pytest.fixture
def lent(app: FastAPI) -> Iterator[Lent]:
    """The app's pool during the test: checkouts, and whether a connection came back with a transaction open."""
    engine = services_of(app).engine.sync_engine
    pool = Lent()

    def checkout(*_args: Any) -> None:
        pool.checkouts += 1

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        pool.returned_in_transaction.append(dbapi_connection.driver_connection.is_in_transaction())

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    yield pool
    event.remove(engine, "checkout", checkout)
    event.remove(engine, "checkin", checkin)


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    created = await create_store(session)
    await session.commit()
    return created


def reads(app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], *, direct: bool) -> RequestDatabase:
    autocommit = single_statement_reads(services_of(app).engine)
    database = RequestDatabase(sessionmaker, autocommit, DirectReads(autocommit) if direct else None)
    database.reads_only()
    return database


async def write_to(sessionmaker: async_sessionmaker[AsyncSession], store: Store) -> None:
    """A write to the store, committed on a connection of its own: it raises the store's version."""
    async with sessionmaker() as writer, writer.begin():
        work_for_store(writer, store.id)
        await create_customer(writer, store)


async def version(rows: Rows, store: Store) -> int:
    found = await data_version(rows, store.id)
    assert found is not None
    return found


async def version_through_sqlalchemy(database: RequestDatabase, store: Store) -> int:
    total = select(func.coalesce(func.sum(StoreVersion.version), 0)).where(StoreVersion.store_id == store.id)
    return int((await database.execute(total)).scalar_one())


@ON_POSTGRESQL
async def test_the_driver_and_sqlalchemy_share_one_connection(app, sessionmaker, store, lent):
    database = reads(app, sessionmaker, direct=True)

    first = await version(database.rows, store)
    lent.checkouts = 0
    through_sqlalchemy = await version_through_sqlalchemy(database, store)
    on_the_driver = await version(database.rows, store)
    lent.returned_in_transaction.clear()
    await database.finish(commit=True)

    assert through_sqlalchemy == on_the_driver == first
    assert lent.checkouts == 0  # the SQLAlchemy statement ran on the connection the first read took
    assert lent.returned_in_transaction == [False]


@ON_POSTGRESQL
@pytest.mark.parametrize("direct", [True, False], ids=["driver", "sqlalchemy"])
async def test_each_read_sees_what_is_committed_when_it_runs(app, sessionmaker, store, lent, direct):
    database = reads(app, sessionmaker, direct=direct)

    first = await version(database.rows, store)
    await write_to(sessionmaker, store)
    through_sqlalchemy = await version_through_sqlalchemy(database, store)
    on_the_driver = await version(database.rows, store)
    lent.returned_in_transaction.clear()
    await database.finish(commit=True)

    assert through_sqlalchemy == on_the_driver == first + 1
    assert lent.returned_in_transaction == [False]
