"""A /v1 GET whose ETag is its store's version reads the version, then its data, on one connection of the pool; a
write committed between the two reads costs one more full answer, never a wrong 304 (rest_compat/conditional.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.direct_reads import DirectReads
from db.models import Store
from db.queries.store_versions import data_version, work_for_store
from resolvers.core import context as request_context
from rest_compat import conditional
from tests.conftest import services_of
from tests.support.factories import Key, create_customer, create_key, create_store

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
# The key's lookup by the authentication middleware (tests look keys up at every request) takes one of its own.
AUTHENTICATION = 1


class Pool:
    """What the app's pool lent during the test: a checkout count, and for each connection given back whether a
    transaction was still open on it (PostgreSQL's driver says)."""

    def __init__(self) -> None:
        self.checkouts = 0
        self.returned_in_transaction: list[bool] = []


@pytest.fixture
def pool(app: FastAPI) -> Iterator[Pool]:
    engine = services_of(app).engine.sync_engine
    lent = Pool()

    def checkout(*_args: Any) -> None:
        lent.checkouts += 1

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        in_transaction = getattr(driver, "is_in_transaction", None)
        lent.returned_in_transaction.append(bool(in_transaction()) if in_transaction is not None else False)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    yield lent
    event.remove(engine, "checkout", checkout)
    event.remove(engine, "checkin", checkin)


@contextmanager
def through_sqlalchemy(app: FastAPI) -> Iterator[None]:
    """A listener on the engine's statements (a statement counter, tracing): SQLAlchemy then runs every read."""

    def listen(*_args: Any) -> None:
        pass

    engine = services_of(app).engine.sync_engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
async def shop(session: AsyncSession, client: httpx.AsyncClient) -> tuple[Store, Key, int]:
    """A store with two customers, and a key that made a request already (its last use is written: not measured)."""
    store = await create_store(session)
    key = await create_key(session, store)
    customers = [await create_customer(session, store) for _ in range(2)]
    await session.commit()
    warm_up = await client.get("/v1/whoami", headers=key.headers)
    assert warm_up.status_code == 200, warm_up.text
    return store, key, customers[0].id


def paths(customer_id: int) -> list[str]:
    return ["/v1/customers?limit=50", f"/v1/customers/{customer_id}"]


async def get(client: httpx.AsyncClient, key: Key, path: str, if_none_match: str | None = None) -> httpx.Response:
    headers = dict(key.headers)
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return await client.get(path, headers=headers)


@pytest.mark.parametrize("which", [0, 1], ids=["list", "one"])
async def test_a_get_takes_one_connection_for_its_version_and_its_data(client, shop, pool, which):
    _, key, customer_id = shop
    path = paths(customer_id)[which]

    pool.checkouts = 0
    response = await get(client, key, path)

    assert response.status_code == 200, response.text
    assert "etag" in response.headers
    assert pool.checkouts == AUTHENTICATION + 1


@ON_POSTGRESQL
@pytest.mark.parametrize("which", [0, 1], ids=["list", "one"])
async def test_a_get_through_sqlalchemy_takes_one_connection_too(app, client, shop, pool, which):
    _, key, customer_id = shop
    path = paths(customer_id)[which]

    with through_sqlalchemy(app):
        pool.checkouts = 0
        response = await get(client, key, path)

    assert response.status_code == 200, response.text
    assert pool.checkouts == AUTHENTICATION + 1


async def test_a_304_takes_one_connection(client, shop, pool):
    _, key, _ = shop
    etag = (await get(client, key, "/v1/customers?limit=50")).headers["etag"]

    pool.checkouts = 0
    response = await get(client, key, "/v1/customers?limit=50", etag)

    assert response.status_code == 304
    assert pool.checkouts == AUTHENTICATION + 1


@ON_POSTGRESQL
async def test_a_stale_etag_reads_the_version_once_on_one_connection(client, session, shop, pool, count_statements):
    store, key, _ = shop
    stale = (await get(client, key, "/v1/customers?limit=50")).headers["etag"]
    await create_customer(session, store)
    await session.commit()

    pool.checkouts = 0
    with count_statements() as counter:
        response = await get(client, key, "/v1/customers?limit=50", stale)

    assert response.status_code == 200
    assert response.headers["etag"] != stale
    assert len(response.json()["data"]["items"]) == 3
    assert pool.checkouts == AUTHENTICATION + 1
    # the key, the version (a 304 had it matched), the page
    assert len(counter.statements) == 3, counter.statements


@ON_POSTGRESQL
@pytest.mark.parametrize(
    "request_path", ["/v1/customers?limit=50", "/v1/customers/999999999", "/v1/customers?limit=oops"]
)
async def test_every_connection_goes_back_to_the_pool_with_no_transaction_open(client, shop, pool, request_path):
    _, key, _ = shop
    etag = (await get(client, key, "/v1/customers?limit=50")).headers["etag"]

    for if_none_match in (None, etag, '"stale"'):
        await get(client, key, request_path, if_none_match)

    assert pool.returned_in_transaction
    assert not any(pool.returned_in_transaction)


class RacingWrite:
    """Once armed, the next GET's version read commits a new customer to the store just after it read the version,
    before the operation reads its data; ``written`` then holds the customer's id. A version read with the data, in
    the same statement, leaves no moment between the two: the GETs that race run through SQLAlchemy
    (``through_sqlalchemy``), where the version is read first."""

    def __init__(self, store: Store, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: Any) -> None:
        self._store = store
        self._sessionmaker = sessionmaker
        self._monkeypatch = monkeypatch
        self.written: list[int] = []

    def arm(self) -> None:
        self._monkeypatch.setattr(conditional, "data_version", self._write_after_reading)
        self._monkeypatch.setattr(request_context, "data_version", self._write_after_reading)

    async def _write_after_reading(self, rows: Any, store_id: int) -> int | None:
        version = await data_version(rows, store_id)
        if not self.written:
            async with self._sessionmaker() as writer, writer.begin():
                work_for_store(writer, self._store.id)
                self.written.append((await create_customer(writer, self._store)).id)
        return version


@pytest.fixture
def race(shop, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch) -> RacingWrite:
    return RacingWrite(shop[0], sessionmaker, monkeypatch)


def ids(response: httpx.Response) -> list[int]:
    return [int(item["id"]) for item in response.json()["data"]["items"]]


@ON_POSTGRESQL
async def test_a_write_committed_after_the_version_was_read_is_in_the_answer_under_the_older_etag(
    app, client, shop, race
):
    """Each read in autocommit, the data after the version: the data is never older than the version its ETag
    names, but may be newer."""
    _, key, _ = shop
    before = await get(client, key, "/v1/customers?limit=50")

    race.arm()
    with through_sqlalchemy(app):
        racing = await get(client, key, "/v1/customers?limit=50")

    assert race.written
    assert race.written[0] in ids(racing)
    assert racing.headers["etag"] == before.headers["etag"]


async def test_the_etag_of_an_answer_a_write_raced_is_answered_200_with_the_new_etag(app, client, shop, race):
    """The version the raced answer's ETag names is no longer current: its conditional GET is a full answer, never a
    304 that would keep the client on an older answer."""
    _, key, _ = shop
    race.arm()
    with through_sqlalchemy(app):
        racing = await get(client, key, "/v1/customers?limit=50")

    again = await get(client, key, "/v1/customers?limit=50", racing.headers["etag"])

    assert race.written
    assert again.status_code == 200
    assert race.written[0] in ids(again)
    assert again.headers["etag"] != racing.headers["etag"]


def direct_statements(app: FastAPI) -> Callable[[], int]:
    """The count of statements the app's direct reads ran so far."""
    reads = app.state.graphql_endpoint.direct_reads
    assert isinstance(reads, DirectReads)
    return lambda: reads.statements


@ON_POSTGRESQL
@pytest.mark.parametrize("which", [0, 1], ids=["list", "one"])
async def test_a_get_naming_no_etag_reads_its_version_in_its_first_statement(app, client, shop, which):
    _, key, customer_id = shop
    path = paths(customer_id)[which]
    ran = direct_statements(app)

    before = ran()
    response = await get(client, key, path)

    assert response.status_code == 200, response.text
    assert ran() - before == 1  # the data (a customer's tags with it) and the version: one statement, one snapshot


@ON_POSTGRESQL
@pytest.mark.parametrize("which", [0, 1], ids=["list", "one"])
async def test_the_etag_read_with_the_data_is_the_one_read_before_it(app, client, shop, which):
    _, key, customer_id = shop
    path = paths(customer_id)[which]

    with_the_data = await get(client, key, path)
    with through_sqlalchemy(app):
        before_the_data = await get(client, key, path)

    assert with_the_data.headers["etag"] == before_the_data.headers["etag"]
    assert with_the_data.headers["cache-control"] == before_the_data.headers["cache-control"]


@ON_POSTGRESQL
async def test_a_first_statement_finding_nothing_reads_the_version_then_the_data_again(app, client, shop):
    _, key, _ = shop
    ran = direct_statements(app)

    before = ran()
    response = await get(client, key, "/v1/customers?email=nobody@example.com")

    assert response.status_code == 200, response.text
    assert response.json()["data"]["items"] == []
    assert ran() - before == 3  # no row brought the version: the version, then the page again
    assert response.headers["cache-control"] == "private, max-age=30"
    assert (
        await get(client, key, "/v1/customers?email=nobody@example.com", response.headers["etag"])
    ).status_code == 304
