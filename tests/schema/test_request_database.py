"""The per-request database handle and the auth path under failure: statements and the commit never overlap on
one connection, a broken connection never goes back to the pool, unexpected failures answer a JSON 500 quoting
the request id, SQL parameters (phones, emails) never reach an exception's text, and recording a key's last use
never fails a request."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Executable, event, literal, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from db.queries.keys import KeyDirectory
from resolvers.core.context import RequestDatabase
from storegraph.app import create_app
from storegraph.settings import Settings
from tests.conftest import services_of
from tests.support.factories import create_key, create_store

WELL_FORMED_KEY = f"dzpk_live_{'0' * 16}.{'A' * 43}"
REQUEST_ID = "req-test-robustness"
STORE_QUERY = "{ store { id } }"
VIEWER_QUERY = "{ viewer { keyId } }"
RENAME_STORE = 'mutation { updateStore(input: {name: "Renamed"}) { userErrors { code } } }'
# Not a timing assertion: only keeps a broken lock from hanging the suite.
STUCK = 60


def _lock_failure() -> OperationalError:
    return OperationalError("UPDATE api_keys ...", {}, Exception("database is locked"))


def _graphql_internal_error() -> dict[str, Any]:
    return {
        "errors": [
            {"message": f"Internal server error (request {REQUEST_ID})", "extensions": {"code": "internal_error"}}
        ],
        "data": None,
        "extensions": {"cost": {"requestedQueryCost": 0, "actualQueryCost": None, "throttleStatus": None}},
    }


class ExecuteSpy:
    """Replaces ``AsyncSession.execute`` and ``AsyncConnection.execute`` (RequestDatabase runs its reads on the
    session's connection): records each statement as it is issued, optionally holding it at a gate (a statement
    "still running") until the test opens it."""

    def __init__(self, *, gated: bool = False) -> None:
        self.issued: list[Executable] = []
        self.completed: list[str] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()

    async def execute(self, original: Callable[..., Any], statement: Executable, *args: Any, **kwargs: Any) -> Any:
        self.issued.append(statement)
        self.started.set()
        await self.gate.wait()
        result = await original(statement, *args, **kwargs)
        self.completed.append("statement")
        return result


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ExecuteSpy]:
    def install(*, gated: bool = False) -> ExecuteSpy:
        installed = ExecuteSpy(gated=gated)
        for owner in (AsyncSession, AsyncConnection):
            monkeypatch.setattr(owner, "execute", _spied(installed, owner.execute))
        return installed

    return install


def _spied(installed: ExecuteSpy, original: Callable[..., Any]) -> Callable[..., Any]:
    async def execute(self: Any, statement: Executable, *args: Any, **kwargs: Any) -> Any:
        return await installed.execute(functools.partial(original, self), statement, *args, **kwargs)

    return execute


@pytest.fixture
def invalidations(app: FastAPI) -> Iterator[list[object]]:
    """Connections the app's pool threw away as broken during the test."""
    engine = services_of(app).engine.sync_engine
    seen: list[object] = []

    def record(dbapi_connection: Any, _record: Any, _exception: BaseException | None) -> None:
        seen.append(dbapi_connection)

    event.listen(engine, "invalidate", record)
    yield seen
    event.remove(engine, "invalidate", record)


async def _post(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers={**headers, "X-Request-Id": REQUEST_ID})


# --- RequestDatabase --------------------------------------------------------------------------------------------


async def test_finish_waits_for_a_statement_still_running(
    sessionmaker: async_sessionmaker[AsyncSession], spy: Callable[..., ExecuteSpy], monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = spy(gated=True)
    original_commit = AsyncSession.commit

    async def recording_commit(session: AsyncSession) -> None:
        statements.completed.append("commit")
        await original_commit(session)

    monkeypatch.setattr(AsyncSession, "commit", recording_commit)
    database = RequestDatabase(sessionmaker)
    # A DataLoader batch left running by a resolver that execution gave up on.
    running = asyncio.create_task(database.execute(select(literal(1))))
    await asyncio.wait_for(statements.started.wait(), STUCK)

    finishing = asyncio.create_task(database.finish(commit=True))
    await asyncio.sleep(0)
    statements.gate.set()
    await asyncio.wait_for(asyncio.gather(running, finishing), STUCK)

    assert statements.completed == ["statement", "commit"]


async def test_execute_after_finish_fails_without_reaching_the_database(
    sessionmaker: async_sessionmaker[AsyncSession], count_statements: Any
) -> None:
    database = RequestDatabase(sessionmaker)
    await database.execute(select(literal(1)))
    await database.finish(commit=True)

    with count_statements() as counter, pytest.raises(RuntimeError, match="after the request finished"):
        await database.execute(select(literal(1)))

    assert counter.count == 0


async def test_writing_after_finish_fails_without_reaching_the_database(
    sessionmaker: async_sessionmaker[AsyncSession], count_statements: Any
) -> None:
    database = RequestDatabase(sessionmaker)
    await database.finish(commit=False)

    with count_statements() as counter, pytest.raises(RuntimeError, match="after the request finished"):
        async with database.writing():
            pass

    assert counter.count == 0


async def test_a_statement_waits_for_the_mutation_work_holding_the_session(
    sessionmaker: async_sessionmaker[AsyncSession], spy: Callable[..., ExecuteSpy]
) -> None:
    statements = spy()
    database = RequestDatabase(sessionmaker)
    loader_statement = select(literal(1))
    work_statement = select(literal(2))

    async with database.writing() as session:
        loader = asyncio.create_task(database.execute(loader_statement))
        await asyncio.sleep(0)  # the loader's task runs up to its first wait
        await session.execute(work_statement)
    await asyncio.wait_for(loader, STUCK)
    await database.finish(commit=False)

    assert statements.issued == [work_statement, loader_statement]


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "rollback"])
async def test_a_failed_end_of_transaction_invalidates_the_connection(
    sessionmaker: async_sessionmaker[AsyncSession],
    invalidations: list[object],
    monkeypatch: pytest.MonkeyPatch,
    commit: bool,
) -> None:
    database = RequestDatabase(sessionmaker)
    await database.execute(select(literal(1)))

    async def failing(_session: AsyncSession) -> None:
        raise OperationalError("COMMIT" if commit else "ROLLBACK", {}, Exception("connection lost"))

    monkeypatch.setattr(AsyncSession, "commit" if commit else "rollback", failing)
    with pytest.raises(OperationalError):
        await database.finish(commit=commit)

    assert len(invalidations) == 1


# --- /graphql and the auth middleware under unexpected failures -------------------------------------------------


async def test_a_failed_commit_answers_a_json_500_with_the_request_id(
    session: AsyncSession, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    async def failing_commit(_session: AsyncSession) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    # A mutation: on PostgreSQL a query runs in autocommit and has no commit to fail.
    response = await _post(client, RENAME_STORE, key.headers)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"] == _graphql_internal_error()["errors"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def app_without_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """An app whose database cannot be reached: a file in a missing folder, a port nothing listens on."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'storegraph.db'}"
    else:
        url = "postgresql+asyncpg://postgres@127.0.0.1:1/storegraph"
    application = create_app(Settings(database_url=url, secret_key="test-secret", redis_url=None))
    yield application
    await services_of(application).engine.dispose()


def _client_of(application: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://storegraph.test")


async def test_graphql_answers_a_json_500_when_the_database_is_down(app_without_database: FastAPI) -> None:
    async with _client_of(app_without_database) as http:
        response = await _post(http, VIEWER_QUERY, {"Authorization": f"Bearer {WELL_FORMED_KEY}"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == REQUEST_ID
    assert response.json() == _graphql_internal_error()


async def test_rest_answers_a_json_500_envelope_when_the_database_is_down(app_without_database: FastAPI) -> None:
    async with _client_of(app_without_database) as http:
        response = await http.get(
            "/v1/whoami", headers={"Authorization": f"Bearer {WELL_FORMED_KEY}", "X-Request-Id": REQUEST_ID}
        )

    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": f"Internal server error (request {REQUEST_ID})"},
        "meta": {"request_id": REQUEST_ID, "api_version": "v1"},
    }


# --- PII ----------------------------------------------------------------------------------------------------------


async def test_a_failing_statement_does_not_quote_its_parameters(app: FastAPI) -> None:
    phone = "+213555987654"
    async with services_of(app).engine.connect() as connection:
        with pytest.raises(DBAPIError) as caught:
            await connection.execute(text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": phone})

    assert "no_such_table" in str(caught.value)
    assert phone not in str(caught.value)


# --- recording a key's last use -----------------------------------------------------------------------------------


async def _failing_touch(*_args: Any) -> None:
    raise _lock_failure()


async def test_a_failing_last_used_touch_does_not_fail_the_request(
    session: AsyncSession, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    monkeypatch.setattr(KeyDirectory, "record_use", _failing_touch)

    response = await _post(client, VIEWER_QUERY, key.headers)

    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": {"keyId": key.key_id}}


async def test_a_failing_last_used_touch_is_logged_as_a_warning(
    session: AsyncSession, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    monkeypatch.setattr(KeyDirectory, "record_use", _failing_touch)

    with caplog.at_level(logging.WARNING, logger="storegraph.auth"):
        await _post(client, VIEWER_QUERY, key.headers)

    warnings = [record for record in caplog.records if record.name == "storegraph.auth"]
    assert [record.levelno for record in warnings] == [logging.WARNING]
    assert warnings[0].getMessage() == f"could not record the last use of API key {key.id}: OperationalError"


async def test_a_recently_used_key_costs_one_statement_to_authenticate(
    session: AsyncSession, client: httpx.AsyncClient, count_statements: Any
) -> None:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    assert (await _post(client, VIEWER_QUERY, key.headers)).status_code == 200

    with count_statements() as counter:
        response = await _post(client, VIEWER_QUERY, key.headers)

    assert response.status_code == 200
    assert counter.count == 1
    assert counter.statements[0].lstrip().upper().startswith("SELECT")
