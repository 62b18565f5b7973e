"""``GraphQLEndpoint.operation``'s block: whichever way answers (the fast lane, the standard way, a refusal before
running), the request's transaction is finished once, committed only when the block finished."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import ANY

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.graphql import OperationType

from resolvers.core.context import RequestDatabase
from storegraph.graphql_endpoint import GraphQLEndpoint
from storegraph.platform.auth.scopes import Scope
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.support.factories import create_customer, create_store, principal

READ = "query One($id: ID!) { customer(id: $id) { id firstName } }"
QUERIES = frozenset({OperationType.QUERY})


class BlockFailed(Exception):
    pass


@pytest.fixture
def finished(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``commit`` of every finish of a request's database, in order."""
    calls: list[bool] = []
    real = RequestDatabase.finish

    async def recorded(self: RequestDatabase, *, commit: bool) -> None:
        calls.append(commit)
        await real(self, commit=commit)

    monkeypatch.setattr(RequestDatabase, "finish", recorded)
    return calls


@pytest.fixture
def endpoint(app: FastAPI) -> GraphQLEndpoint:
    graphql = app.state.graphql_endpoint
    assert isinstance(graphql, GraphQLEndpoint)
    return graphql


@pytest.fixture
async def shop(session: AsyncSession) -> tuple[int, int]:
    """A store and its customer's id."""
    store = await create_store(session)
    customer = await create_customer(session, store, first_name="Amina")
    await session.commit()
    return store.id, customer.id


@pytest.fixture
def scope_of(shop: tuple[int, int]) -> Callable[[], dict[str, Any]]:
    def scope() -> dict[str, Any]:
        caller = principal(store_id=shop[0], scopes=frozenset(scope.value for scope in Scope))
        return {"type": "http", "method": "POST", "headers": [], "state": {"principal": caller}}

    return scope


@pytest.fixture
def request_of(shop: tuple[int, int]) -> Callable[..., dict[str, Any]]:
    def request(operation_name: str | None = "One") -> dict[str, Any]:
        return {"query": READ, "variables": {"id": str(shop[1])}, "operationName": operation_name}

    return request


async def test_a_fast_lane_read_commits_once_when_the_block_finishes(app, endpoint, finished, scope_of, request_of):
    fast = compiled_of(app).counts.fast

    async with endpoint.operation(scope_of(), request_of(), QUERIES, charge_cost=True) as (status, payload):
        assert status == 200
        assert payload["data"] == {"customer": {"id": ANY, "firstName": "Amina"}}

    assert compiled_of(app).counts.fast == fast + 1
    assert finished == [True]


async def test_a_fast_lane_read_rolls_back_once_when_the_block_raises(app, endpoint, finished, scope_of, request_of):
    fast = compiled_of(app).counts.fast

    with pytest.raises(BlockFailed):
        async with endpoint.operation(scope_of(), request_of(), QUERIES, charge_cost=True):
            raise BlockFailed

    assert compiled_of(app).counts.fast == fast + 1
    assert finished == [False]


async def test_a_standard_read_commits_once_when_the_block_finishes(app, endpoint, finished, scope_of, request_of):
    with standard_only(app):
        async with endpoint.operation(scope_of(), request_of(), QUERIES, charge_cost=True) as (status, payload):
            assert status == 200
            assert payload["data"] == {"customer": {"id": ANY, "firstName": "Amina"}}

    assert finished == [True]


async def test_a_standard_read_rolls_back_once_when_the_block_raises(app, endpoint, finished, scope_of, request_of):
    with standard_only(app), pytest.raises(BlockFailed):
        async with endpoint.operation(scope_of(), request_of(), QUERIES, charge_cost=True):
            raise BlockFailed

    assert finished == [False]


async def test_a_request_refused_before_running_is_rolled_back_once(endpoint, finished, scope_of, request_of):
    async with endpoint.operation(scope_of(), request_of("Other"), QUERIES, charge_cost=True) as (status, payload):
        assert status == 400
        assert payload["errors"][0]["extensions"]["code"] == "validation_error"

    assert finished == [False]


async def test_the_fast_lane_and_the_standard_way_give_the_block_the_same_answer(app, endpoint, scope_of, request_of):
    async with endpoint.operation(scope_of(), request_of(), QUERIES, charge_cost=False) as fast:
        pass
    with standard_only(app):
        async with endpoint.operation(scope_of(), request_of(), QUERIES, charge_cost=False) as standard:
            pass

    assert fast == standard


@pytest.mark.parametrize(
    ("held", "fast"),
    [
        (frozenset({Scope.CUSTOMERS_READ}), True),
        (frozenset({Scope.CUSTOMERS_WRITE}), True),  # a write scope includes its read scope
        (frozenset({Scope.ORDERS_READ, Scope.CUSTOMERS_READ}), True),
        (frozenset({Scope.ORDERS_READ}), False),
        (frozenset(), False),
    ],
)
async def test_the_fast_lane_answers_a_key_holding_the_plans_scopes_as_the_standard_way(
    app, endpoint, shop, request_of, held, fast
):
    def scope() -> dict[str, Any]:
        caller = principal(store_id=shop[0], scopes=frozenset(str(name) for name in held))
        return {"type": "http", "method": "POST", "headers": [], "state": {"principal": caller}}

    before = compiled_of(app).counts.fast
    async with endpoint.operation(scope(), request_of(), QUERIES, charge_cost=False) as by_fast_lane:
        pass
    assert compiled_of(app).counts.fast == before + fast
    with standard_only(app):
        async with endpoint.operation(scope(), request_of(), QUERIES, charge_cost=False) as standard:
            pass

    assert by_fast_lane == standard
