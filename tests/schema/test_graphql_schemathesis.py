"""Schemathesis against the GraphQL schema: every root query and mutation field, with operations it generates from
the schema (arguments of every shape the types allow), answered by the real app in-process.

What must hold for every answer: never a 5xx, a JSON body with ``data`` or ``errors``, and every error carrying a
stable ``extensions.code`` that is not ``internal_error``. Schemathesis's own ``not_a_server_error`` is not used:
it counts any error with a ``path`` as a server failure, while an expected refusal of a read (``not_found`` for an
unknown id, ``insufficient_scope``) is reported exactly that way here, with its code (docs/errors.md).

Requests go through ``httpx.ASGITransport`` on the test's event loop (where the app's engine lives); Hypothesis,
which is synchronous, runs in a worker thread (as in tests/rest_compat/test_rest_schemathesis.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import schemathesis
from graphql import IntValueNode, ObjectValueNode, StringValueNode, introspection_from_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.build import build_schema
from tests.support.factories import create_customer, create_key, create_order, create_product, create_store

BASE_URL = "http://storegraph.test"
MAX_EXAMPLES = 8
# Revoking a random id could revoke the key the run calls with, turning every later case into a 401; revocation
# has its own tests (tests/keys/test_mutations_api_keys.py, the REST schemathesis run).
LEFT_OUT = frozenset({"Mutation.revokeApiKey"})

schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes().map(lambda moment: StringValueNode(value=moment.isoformat(timespec="seconds") + "Z")),
)
schemathesis.graphql.scalar("Date", st.dates().map(lambda day: StringValueNode(value=day.isoformat())))
schemathesis.graphql.scalar(
    "Money", st.integers(min_value=-10, max_value=10**16).map(lambda n: IntValueNode(value=str(n)))
)
schemathesis.graphql.scalar("JSON", st.just(ObjectValueNode(fields=())))

SCHEMA = schemathesis.graphql.from_dict({"data": introspection_from_schema(build_schema()._schema)})


def operations() -> list[APIOperation]:
    found: list[APIOperation] = []
    for result in SCHEMA.get_all_operations():
        # A schema that fails to load is a failure of this test module, not something to leave out quietly.
        assert isinstance(result, Ok), result
        found.append(result.ok())
    return [operation for operation in found if operation.label not in LEFT_OUT]


async def seed(session: AsyncSession) -> str:
    """A store with a little of everything, and a key with every scope; returns the key's token."""
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    customer = await create_customer(session, store)
    await create_order(session, store, customer, [(product, 1)])
    await session.commit()
    return key.token


def assert_answered_with_codes(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    payload = response.json()
    assert "data" in payload or "errors" in payload, response.text
    for error in payload.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str), response.text
        assert code != "internal_error", response.text


def for_each_generated_case(operation: APIOperation, check: Callable[[Case], None]) -> None:
    """Runs ``check`` on the cases generated for ``operation`` (synchronous: call it in a worker thread)."""

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=operation.as_strategy())
    def run(case: Case) -> None:
        check(case)

    run()


Send = Callable[[dict[str, Any]], httpx.Response]


@contextlib.asynccontextmanager
async def sender(app: Any) -> AsyncIterator[Send]:
    """A synchronous ``send`` for Hypothesis's worker thread, handing each request to the app on this loop."""
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:

        async def request(kwargs: dict[str, Any]) -> httpx.Response:
            return await http.request(
                kwargs.get("method", "POST"), kwargs["url"], headers=dict(kwargs["headers"]), json=kwargs.get("json")
            )

        def send(kwargs: dict[str, Any]) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(request(kwargs), loop).result(timeout=30)

        yield send


@pytest.mark.parametrize("operation", operations(), ids=lambda operation: operation.label)
async def test_the_field_answers_every_generated_operation_with_a_code(
    operation: APIOperation, app: Any, session: AsyncSession
) -> None:
    token = await seed(session)
    async with sender(app) as send:

        def check(case: Case) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            assert_answered_with_codes(send(case.as_transport_kwargs(base_url=f"{BASE_URL}/graphql", headers=headers)))

        await asyncio.to_thread(for_each_generated_case, operation, check)
