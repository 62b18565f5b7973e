"""Fixtures of the database layer's tests: an engine of the test's own, its sessions, and the statements run on
the driver inside a transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import db.queries.executor as executor
from db.session import create_engine, create_sessionmaker


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own: its pool lends only the test's connections, which take the store versions'
    shards from the first."""
    own = create_engine(database_url, pool_size=4)
    yield own
    await own.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def on_driver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements run on the driver in a transaction (``core_rows``, ``core_write``, the version's upsert), the
    session's or a ``DriverTransaction``."""
    ran: list[str] = []
    fetch = executor._driver_fetch
    transaction_fetch = executor.DriverTransaction._fetch

    async def counted(adapted: Any, sql: str, arguments: list[Any]) -> Any:
        ran.append(sql)
        return await fetch(adapted, sql, arguments)

    async def counted_in_transaction(transaction: executor.DriverTransaction, sql: str, arguments: list[Any]) -> Any:
        ran.append(sql)
        return await transaction_fetch(transaction, sql, arguments)

    monkeypatch.setattr(executor, "_driver_fetch", counted)
    monkeypatch.setattr(executor.DriverTransaction, "_fetch", counted_in_transaction)
    return ran
