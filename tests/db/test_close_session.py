"""``db.session.close_session`` closes a session as ``AsyncSession.close`` does, skipping the close only when it
would do nothing: a session that still holds a transaction or objects is closed (its connection back to the
pool, its objects detached); one whose commit ended its transaction and that holds nothing is left as closing
would leave it, usable again."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.models import Store
from db.session import begin_write, close_session
from tests.support.factories import create_store


@pytest.fixture
async def store_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as arranging:
        made = await create_store(arranging)
        await arranging.commit()
        return made.id


def checked_out(engine: AsyncEngine) -> int:
    return int(engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]


async def test_a_session_still_in_its_transaction_is_closed_and_its_connection_given_back(engine, sessions):
    session = sessions()
    await begin_write(session)
    assert checked_out(engine) == 1

    await close_session(session)

    assert not session.in_transaction()
    assert checked_out(engine) == 0


async def test_a_session_holding_objects_is_closed_and_they_are_detached(engine, sessions, store_id):
    session = sessions()
    store = (await session.execute(select(Store).where(Store.id == store_id))).scalar_one()
    await session.commit()

    await close_session(session)

    assert inspect(store).detached
    assert store not in session
    assert checked_out(engine) == 0


async def test_a_committed_session_holding_nothing_is_usable_again_as_after_a_close(engine, sessions, store_id):
    session = sessions()
    await begin_write(session)
    await session.commit()
    assert checked_out(engine) == 0  # the commit gave the connection back

    await close_session(session)

    assert not session.in_transaction()
    found = (await session.execute(select(Store.id).where(Store.id == store_id))).scalar_one()
    assert found == store_id
    await session.close()
    assert checked_out(engine) == 0


async def test_a_committed_session_holding_nothing_is_not_closed_again(sessions, monkeypatch):
    session = sessions()
    await begin_write(session)
    await session.commit()
    closes: list[AsyncSession] = []

    async def counted_close(self: AsyncSession) -> None:
        closes.append(self)

    monkeypatch.setattr(AsyncSession, "close", counted_close)
    await close_session(session)

    assert closes == []
