"""The short way for plain attribute leaves (schema/core/fast_leaves.py) against graphql-core's own executor: the
same responses for generated queries over every root field, on both databases, and only the fields that may
take it are planned."""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
import strawberry
from fastapi import FastAPI
from graphql import GraphQLObjectType, Undefined
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import FieldExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.core.build import build_schema
from schema.core.fast_leaves import PLAN_KEY, StoregraphExecutionContext, install_fast_leaves
from tests.conftest import services_of
from tests.schema.test_graphql_schemathesis import BASE_URL, for_each_generated_case, operations, seed, sender

REQUEST_ID = "req_differential"
# Their answer counts the requests made so far, so two runs of one query differ by design;
# tests/usage/test_usage_graphql.py
# checks their values (through the short way).
REQUEST_DEPENDENT = frozenset({"Query.usage", "Query.quotas"})
QUERIES = [
    operation
    for operation in operations()
    if operation.label.startswith("Query.") and operation.label not in REQUEST_DEPENDENT
]


def planned(schema: strawberry.Schema, type_name: str) -> set[str]:
    gql_type = schema._schema.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    return {name for name, field in gql_type.fields.items() if PLAN_KEY in (field.extensions or {})}


def test_plain_leaves_are_planned_and_fields_that_resolve_or_cross_scopes_are_not():
    schema = build_schema()

    customer = planned(schema, "Customer")

    assert {"firstName", "phone", "totalSpent", "createdAt"} <= customer
    # Customer.orders takes arguments, needs orders:read (a scope guard) and is an object: the standard way.
    assert "orders" not in customer
    assert planned(schema, "PageInfo") >= {"hasNextPage", "endCursor"}
    assert planned(schema, "Query") == set()


def test_the_schema_executes_with_the_short_way():
    assert build_schema().execution_context_class is StoregraphExecutionContext


@contextlib.contextmanager
def reference_executor(app: FastAPI) -> Iterator[None]:
    """graphql-core's executor as strawberry runs it, without the short way (nor compiled execution)."""
    schema = services_of(app).schema
    assert schema.compiled is not None
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    schema.compiled.enabled = False
    try:
        yield
    finally:
        schema.execution_context_class = StoregraphExecutionContext
        schema.compiled.enabled = True


def answer(response: httpx.Response) -> tuple[int, bytes]:
    """What execution decides: the status, and the data and errors as serialised, in order (``extensions.cost``
    reports the key's bucket, which each request changes)."""
    payload = response.json()
    return response.status_code, orjson.dumps({"data": payload.get("data"), "errors": payload.get("errors")})


class ShortWays:
    """Counts the fields that took the short way, so a test can tell it was exercised at all."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.taken = 0
        original = StoregraphExecutionContext._fast_leaf

        def counted(context: StoregraphExecutionContext, *args: Any) -> Any:
            value = original(context, *args)
            if value is not Undefined:
                self.taken += 1
            return value

        monkeypatch.setattr(StoregraphExecutionContext, "_fast_leaf", counted)


@pytest.fixture
def short_ways(monkeypatch: pytest.MonkeyPatch) -> ShortWays:
    return ShortWays(monkeypatch)


@pytest.mark.parametrize("operation", QUERIES, ids=lambda operation: operation.label)
async def test_generated_queries_get_the_same_response_both_ways(
    operation: APIOperation, app: FastAPI, session: AsyncSession
) -> None:
    token = await seed(session)
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": REQUEST_ID}
    async with sender(app) as send:

        def check(case: Case) -> None:
            request = case.as_transport_kwargs(base_url=f"{BASE_URL}/graphql", headers=headers)
            fast = answer(send(request))
            with reference_executor(app):
                reference = answer(send(request))
            assert fast == reference, request.get("json")

        await asyncio.to_thread(for_each_generated_case, operation, check)


NULLS_AND_ERRORS = """
query Differential {
  store { id name slug currency phoneRegion plan createdAt updatedAt limits { requestsPerMinute requestsPerMonth } }
  customers(first: 5) {
    totalCount
    again: totalCount
    pageInfo { hasNextPage }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id firstName lastName phone email wilayaId commune address notes totalOrders totalSpent
      lastOrderAt fraudScore isBanned createdAt updatedAt __typename first: firstName
      skipped: phone @skip(if: true) included: phone @include(if: true) ...Names
      orders(first: 3) { nodes { id orderNumber status total createdAt } } } }
  }
  orders(first: 5) { nodes { id orderNumber status total createdAt } }
  products(first: 5) { nodes { id name price } }
}
fragment Names on Customer { firstName lastName }
"""


async def test_a_query_with_nulls_typenames_and_nested_connections_is_the_same_both_ways(
    app: FastAPI, session: AsyncSession, client: httpx.AsyncClient, short_ways: ShortWays
) -> None:
    token = await seed(session)
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": REQUEST_ID}
    body = {"query": NULLS_AND_ERRORS}

    fast = answer(await client.post("/graphql", json=body, headers=headers))
    taken = short_ways.taken
    with reference_executor(app):
        reference = answer(await client.post("/graphql", json=body, headers=headers))

    assert fast[0] == 200
    assert b'"errors":null' in fast[1], fast
    assert b'"firstName"' in fast[1], "the seeded store has a customer"
    assert taken > 20
    assert short_ways.taken == taken  # the reference run took none
    assert fast == reference


class Shout(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


class Boom(Exception):
    """Not a builtin: graphql-core's String would render it with ``str()`` if it were coerced, not raised."""


@strawberry.enum
class Mood(enum.Enum):
    CALM = "calm"


@strawberry.type
class Odd:
    """Values real rows never hold, to check that the short way leaves their errors to graphql-core."""

    name: str
    count: int
    note: str | None
    failure: str | None
    mood: Mood
    stale_mood: Mood | None
    shout: str = strawberry.field(extensions=[Shout()])


@strawberry.type
class OddQuery:
    @strawberry.field
    def odd(self) -> Odd:
        return Odd(
            name=None,  # type: ignore[arg-type]
            count=2**40,
            note=None,
            failure=Boom("an exception as a value"),  # type: ignore[arg-type]
            mood=Mood.CALM,
            stale_mood="gone",  # type: ignore[arg-type]
            shout="quiet",
        )


def odd_schema(context_class: type[Any]) -> strawberry.Schema:
    schema = strawberry.Schema(query=OddQuery, execution_context_class=context_class)
    install_fast_leaves(schema._schema)
    return schema


@pytest.mark.parametrize(
    ("field", "answers"),
    [
        ("name", False),
        ("count", False),
        ("note", True),
        ("failure", False),
        ("mood", True),
        ("staleMood", False),
        ("shout", True),
    ],
)
async def test_an_odd_value_gets_graphql_cores_answer(field, answers):
    query = f"{{ odd {{ {field} }} }}"

    fast = await odd_schema(StoregraphExecutionContext).execute(query)
    reference = await odd_schema(StrawberryGraphQLCoreExecutionContext).execute(query)

    assert (fast.data, [error.formatted for error in fast.errors or ()]) == (
        reference.data,
        [error.formatted for error in reference.errors or ()],
    )
    assert (fast.errors is None) == answers


def test_a_field_with_an_extension_is_not_planned():
    schema = odd_schema(StoregraphExecutionContext)

    assert "shout" not in planned(schema, "Odd")
    assert {"name", "count", "mood"} <= planned(schema, "Odd")


async def test_a_resolver_replaced_after_planning_runs_instead_of_the_short_way():
    schema = odd_schema(StoregraphExecutionContext)
    odd = schema._schema.type_map["Odd"]
    assert isinstance(odd, GraphQLObjectType)
    field = odd.fields["mood"]

    def guarded(_source: Any, _info: Any) -> Any:
        raise PermissionError("a guard installed after the plan")

    field.resolve = guarded
    result = await schema.execute("{ odd { mood } }")

    assert result.errors is not None
    assert result.errors[0].path == ["odd", "mood"]
