"""Running the demo again adds another store; ``reset`` (``storegraph demo --reset``) first drops the demo stores of
earlier runs, with everything they own, and never a merchant's store of the same name."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from db.models import ApiKey, Customer, Order, Product, Store
from db.queries.stores import create_store
from storegraph.cli import app
from storegraph.demo import build_demo
from storegraph.demo.load import STORE_NAME
from tests.app.test_demo import database  # noqa: F401 (a fresh, migrated database per backend)

SMALL = {"customers": 6, "orders": 12, "products": 4}


async def demo_store_ids(sessionmaker: async_sessionmaker[AsyncSession]) -> set[int]:
    async with sessionmaker() as session:
        return set((await session.execute(select(Store.id).where(Store.name == STORE_NAME))).scalars())


async def owned_rows(sessionmaker: async_sessionmaker[AsyncSession], store_ids: set[int]) -> int:
    async with sessionmaker() as session:
        total = 0
        for model in (Product, Customer, Order, ApiKey):
            stmt = select(func.count()).select_from(model).where(model.store_id.in_(store_ids))
            total += int((await session.execute(stmt)).scalar_one())
        return total


async def test_running_the_demo_again_adds_a_store(database):  # noqa: F811
    before = await demo_store_ids(database)

    first = await build_demo(database, **SMALL, progress=False, reset=False)
    second = await build_demo(database, **SMALL, progress=False, reset=False)

    assert await demo_store_ids(database) == before | {first.store_id, second.store_id}
    assert second.dropped == ()


async def test_reset_drops_every_earlier_demo_store_with_its_data_and_keeps_other_stores(database):  # noqa: F811
    earlier = {(await build_demo(database, **SMALL, progress=False, reset=False)).store_id for _ in range(2)}
    async with database() as session, session.begin():
        merchant = await create_store(session, name=STORE_NAME, plan="free")
    assert await owned_rows(database, earlier) > 0

    fresh = await build_demo(database, **SMALL, progress=False, reset=True)

    assert earlier <= set(fresh.dropped)
    assert await demo_store_ids(database) == {merchant.id, fresh.store_id}
    assert await owned_rows(database, earlier) == 0
    assert await owned_rows(database, {fresh.store_id}) > 0


def test_the_cli_says_it_dropped_the_earlier_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    runner = CliRunner()
    size = ["--customers", "3", "--orders", "5", "--products", "2"]

    first = runner.invoke(app, ["demo", *size])
    again = runner.invoke(app, ["demo", "--reset", *size])

    assert (first.exit_code, again.exit_code) == (0, 0), (first.output, again.output)
    earlier: dict[str, Any] = json.loads(first.stdout)
    assert f"dropped the earlier demo stores {earlier['store_id']}" in again.stderr
    assert json.loads(again.stdout)["key"] != earlier["key"]


def test_the_demo_help_says_a_run_adds_a_store_and_offers_reset():
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "Every run adds another demo store" in result.stdout
    assert "--reset" in result.stdout
