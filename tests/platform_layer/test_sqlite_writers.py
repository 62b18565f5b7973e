"""Fifty writers at once, of three kinds (checkouts, product creations, signed tracking requests), all succeed:
on SQLite the writers queue for the write lock (BEGIN IMMEDIATE, the busy timeout, the intake's writer
connection) instead of failing with "database is locked"; on PostgreSQL they run side by side."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Order, Product
from tests.orders.test_concurrency import PLACE, order_input, require_free_connections
from tests.support.factories import create_key, create_product, create_store
from tests.support.tracking_support import PublicKey, create_public_key, jobs_of_store, post_signed

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } userErrors { field code message } }
}
"""
WRITERS = 50


@pytest.fixture
async def shop(session) -> tuple[Any, Any, PublicKey, Product]:
    store = await create_store(session)
    store.settings = {"delivery_fees": {"home": 450}}
    key = await create_key(session, store)
    public = await create_public_key(session, store)
    product = await create_product(session, store, price=1200)
    product.track_stock = False
    await session.commit()
    return store, key, public, product


async def test_fifty_concurrent_checkouts_product_writes_and_tracked_events_all_succeed(
    app, client, gql, sessionmaker, shop
):
    store, key, public, product = shop
    await require_free_connections(app, WRITERS)

    async def checkout(n: int) -> None:
        payload = await gql.query(PLACE, order_input(product, 1, f"0555 00 00 {n:02d}"), headers=key.headers)
        assert payload["_status"] == 200, payload
        assert "errors" not in payload, payload
        assert payload["data"]["placeOrder"]["userErrors"] == [], payload

    async def create(n: int) -> None:
        variables = {"input": {"name": f"Writer {n}", "price": 1000 + n}}
        payload = await gql.query(CREATE, variables, headers=key.headers)
        assert payload["_status"] == 200, payload
        assert "errors" not in payload, payload
        assert payload["data"]["createProduct"]["userErrors"] == [], payload

    async def track(n: int) -> None:
        response = await post_signed(client, "/v1/events", public, {"event": "page_view", "properties": {"n": n}})
        assert response.status_code == 202, response.text

    kinds = (checkout, create, track)
    await asyncio.gather(*(kinds[n % 3](n) for n in range(WRITERS)))

    async with sessionmaker() as check:
        orders = await check.scalar(select(func.count()).select_from(Order).where(Order.store_id == store.id))
        products = await check.scalar(select(func.count()).select_from(Product).where(Product.store_id == store.id))
    assert orders == len(range(0, WRITERS, 3))
    assert products == 1 + len(range(1, WRITERS, 3))
    assert len(await jobs_of_store(sessionmaker, store.id)) == len(range(2, WRITERS, 3))
