"""The reads of a write's transaction built once (``db.queries.executor.core_rows``: checkout's store, products,
ban, zone fees, tallies and shared devices, the status change's locked order and its items), and the payloads'
reads built once that the request database runs in a write's transaction, run on asyncpg itself on PostgreSQL, in
the transaction, and answer what SQLAlchemy's execution of the same statements answers; on SQLite,
and while something listens to the engine's statements, SQLAlchemy runs them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order
from db.queries.orders import lock_order_row
from db.session import create_engine, create_sessionmaker
from resolvers.core.context import RequestDatabase
from tests.conftest import services_of
from tests.schema.test_compiled_mutations import PLACE_ORDER, Shop, headers_of, seed_shop, without_written


@pytest.fixture
async def shops(session: AsyncSession) -> tuple[Shop, Shop]:
    return await seed_shop(session), await seed_shop(session)


@contextmanager
def through_sqlalchemy(app: FastAPI) -> Iterator[None]:
    """A listener on the engine's statements: SQLAlchemy must then run every one."""
    engine = services_of(app).engine.sync_engine

    def listening(*_args: Any) -> None:
        return None

    event.listen(engine, "before_cursor_execute", listening)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listening)


async def write(client: httpx.AsyncClient, shop: Shop, order_id: int) -> list[Any]:
    """A checkout (with a line of the shop's product) and a status change of the shop's order."""
    line = {"productId": str(shop.product.id), "quantity": 1}
    buyer = {"phone": "0555000002", "firstName": "Amine", "wilayaId": 16}
    placed = await client.post(
        "/graphql",
        json={"query": PLACE_ORDER, "variables": {"input": {"customer": buyer, "lines": [line]}}},
        headers=headers_of(shop),
    )
    confirmed = await client.patch(f"/v1/orders/{order_id}", json={"status": "confirmed"}, headers=headers_of(shop))
    answers = [orjson.loads(placed.content), orjson.loads(confirmed.content)]
    answers[0]["extensions"]["cost"]["throttleStatus"] = None  # what the key's budget has left
    return [placed.status_code, confirmed.status_code, *answers]


async def test_a_write_s_reads_answer_alike_on_the_driver_and_through_sqlalchemy(
    app, client, shops, session, database_url, on_driver
):
    direct_shop, standard_shop = shops

    direct = await write(client, direct_shop, direct_shop.order.id)
    ran = len(on_driver)
    with through_sqlalchemy(app):
        standard = await write(client, standard_shop, standard_shop.order.id)

    assert direct[:2] == [200, 200], direct
    assert without_written(direct) == without_written(standard)
    assert len(on_driver) == ran  # none while something listened
    if database_url.startswith("postgresql"):
        # Checkout's store, products, ban, zone, tallies and shared devices; the change's lock and items.
        assert ran >= 8, on_driver
        # The payloads' reads too, by the request database in its write transaction: the status history.
        assert any("FROM order_status_changes" in sql for sql in on_driver), on_driver
    else:
        assert ran == 0
    statuses = (await session.execute(select(Order.status).where(Order.id.in_([s.order.id for s in shops])))).all()
    assert [status for (status,) in statuses] == ["confirmed", "confirmed"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_locked_order_read_on_the_driver_holds_its_lock_in_the_write_s_transaction(
    database_url, shops, on_driver
):
    """The FOR UPDATE read runs in the session's transaction (begun on the driver as SQLAlchemy's cursor begins
    it), so its lock is held until that transaction ends: another connection cannot take it meanwhile."""
    engine = create_engine(database_url, pool_size=4)
    try:
        database = RequestDatabase(create_sessionmaker(engine))
        shop = shops[0]
        async with database.mutating() as writing:
            locked = await lock_order_row(writing, shop.store.id, shop.order.id)
            assert locked is not None
            assert locked.id == shop.order.id
            assert len(on_driver) == 1
            async with engine.connect() as other:
                with pytest.raises(DBAPIError, match="could not obtain lock"):
                    await other.execute(
                        text("SELECT id FROM orders WHERE id = :id FOR UPDATE NOWAIT"), {"id": shop.order.id}
                    )
        await database.finish(commit=False)
        async with engine.connect() as other:  # released with the transaction
            await other.execute(text("SELECT id FROM orders WHERE id = :id FOR UPDATE NOWAIT"), {"id": shop.order.id})
    finally:
        await engine.dispose()
