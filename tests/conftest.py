"""Every database test runs on SQLite and on PostgreSQL: the ``database_url`` fixture is parametrised.

PostgreSQL gets a fresh database per run (created and dropped here), so runs never share state. If the
server is not reachable the tests error: a suite that silently skipped PostgreSQL would not be a pass.
Tests isolate themselves by creating their own stores; every query is store-scoped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.migrate import upgrade_to_head
from db.session import create_engine
from storegraph.app import Services, create_app
from storegraph.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get("STOREGRAPH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
# The query-cost bucket of the apps under test: more than any ordinary test spends.
TEST_COST_BUCKET = 10_000_000


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "storegraph.db"
        url = f"sqlite+aiosqlite:///{path}"
        await _migrate(url)
        yield url
        return
    async with postgres_database("storegraph_test") as url:
        await _migrate(url)
        yield url


@asynccontextmanager
async def postgres_database(prefix: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for as long as the context lasts (dropped even if connections remain)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url, pool_size=2)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url))
    yield application
    await services_of(application).engine.dispose()


def app_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test: in-process backends, and a query-cost bucket no ordinary test drains
    (the tests of throttling size their own)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret",
        "redis_url": None,
        "cost_bucket_size": TEST_COST_BUCKET,
        # Every request looks its key up, so statement counts do not depend on what ran before; the cache has
        # its own tests (tests/platform_layer/test_key_cache.py).
        "key_cache_seconds": 0,
        # Several apps (and the two-process tests' servers) share PostgreSQL's 100 connections during a run; the
        # production default of 40 per app (plus as many in overflow) would exhaust them.
        "db_pool_size": 10,
        **overrides,
    }
    return Settings(**values)


def services_of(application: FastAPI) -> Services:
    services: Services = application.state.services
    return services


@pytest.fixture
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return services_of(app).sessionmaker


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging data; tests commit what the app must see."""
    async with sessionmaker() as arranging:
        yield arranging


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        yield http


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, *, headers: dict[str, str]
    ) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": document, "variables": variables}, headers=headers)
        payload: dict[str, Any] = response.json()
        payload["_status"] = response.status_code
        return payload


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app: FastAPI) -> Any:
    """``with count_statements() as counter:`` records every SQL statement the app's engine runs."""
    return statement_counter(app)


def statement_counter(app: FastAPI) -> Any:
    """For an app other than the ``app`` fixture: ``with statement_counter(app)() as counter: ...``."""
    return engine_statement_counter(services_of(app).engine)


def engine_statement_counter(async_engine: AsyncEngine) -> Any:
    """For an engine of a test's own: ``with engine_statement_counter(engine)() as counter: ...``."""
    engine = async_engine.sync_engine

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
