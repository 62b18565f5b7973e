"""A compiled plan loads a list's rows, and rows by id, with only the columns its fields read (``Plan.columns``,
handed to the resolvers as ``Context.wanted``); the standard way, and whatever runs after a plan gave way, loads them
whole."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.compiled.plan import Run
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.schema.test_compiled_execution import compiled, headers_of
from tests.support.compiled_queries import Seeded, seed_compiled

LIST = "query { customers(first: 3) { nodes { id firstName createdAt } } }"
NESTED = "query { customers(first: 3) { nodes { firstName orders(first: 2) { nodes { orderNumber } } } } }"


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    return await seed_compiled(session)


def selects(statements: list[str], table: str) -> list[str]:
    """The SELECTs of ``statements`` that read ``table``'s rows."""
    return [statement for statement in statements if statement.lstrip().startswith("SELECT") and table in statement]


def test_a_plan_reads_of_each_type_what_its_fields_read_wherever_the_type_is_selected():
    plan = compiled(
        "{ customers(first: 2) { nodes { firstName dialCode orders(first: 2) { nodes { orderNumber "
        "customer { email } } } } } }"
    )

    assert plan is not None
    # The list's leaves, dialCode's phone, the orders' parent id; and the email of the orders' customers.
    assert plan.columns["Customer"] == frozenset({"first_name", "phone", "id", "email"})
    # customer reads the order's customer_id.
    assert plan.columns["Order"] == frozenset({"order_number", "customer_id"})


def test_a_type_some_field_of_which_reads_what_the_plan_cannot_tell_is_loaded_whole():
    # A store's limits are loaded by a batched field that declares nothing of what it reads of the store.
    plan = compiled("{ store { name limits { requestsPerMinute } } }")

    assert plan is not None
    assert "Store" not in plan.columns
    assert compiled("{ store { name } }").columns["Store"] == frozenset({"name"})  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "tables"), [(LIST, ("customers",)), (NESTED, ("customers", "orders"))], ids=["list", "nested"]
)
async def test_the_compiled_way_selects_only_the_columns_read_and_the_standard_way_all(
    app: FastAPI, client: httpx.AsyncClient, seeded: Seeded, count_statements: Any, query: str, tables: tuple[str, ...]
) -> None:
    headers = headers_of(seeded.token)
    with count_statements() as compiled_way:
        compiled_answer = (await client.post("/graphql", json={"query": query}, headers=headers)).json()["data"]
    with standard_only(app), count_statements() as standard_way:
        standard_answer = (await client.post("/graphql", json={"query": query}, headers=headers)).json()["data"]

    assert compiled_answer == standard_answer
    for table in tables:
        compiled_selects = selects(compiled_way.statements, f"FROM {table}")
        assert compiled_selects
        assert all("updated_at" not in statement for statement in compiled_selects)
        assert any("updated_at" in statement for statement in selects(standard_way.statements, f"FROM {table}"))


@pytest.mark.parametrize(
    "query",
    [
        "query($id: ID!) { customer(id: $id) { id firstName createdAt } }",
        "query($id: ID!) { customer(id: $id) { firstName orders(first: 2) { nodes { customer { email } } } } }",
    ],
    ids=["by id", "by id and its orders' customer"],
)
async def test_a_customer_by_id_is_read_with_only_the_columns_read(
    app: FastAPI, client: httpx.AsyncClient, seeded: Seeded, count_statements: Any, query: str
) -> None:
    body = {"query": query, "variables": {"id": str(seeded.customer_ids[0])}}
    headers = headers_of(seeded.token)
    with count_statements() as compiled_way:
        compiled_answer = (await client.post("/graphql", json=body, headers=headers)).json()["data"]
    with standard_only(app), count_statements() as standard_way:
        standard_answer = (await client.post("/graphql", json=body, headers=headers)).json()["data"]

    assert compiled_answer == standard_answer
    compiled_selects = selects(compiled_way.statements, "FROM customers")
    # The orders' customer is the one read by id already: the request's loader holds it.
    assert len(compiled_selects) == 1
    assert "updated_at" not in compiled_selects[0]
    assert all("updated_at" in statement for statement in selects(standard_way.statements, "FROM customers"))


async def test_a_plan_that_gives_way_leaves_the_standard_way_whole_rows(
    app: FastAPI, client: httpx.AsyncClient, seeded: Seeded, count_statements: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted_during: list[dict[str, frozenset[str]]] = []
    objects = Run.objects

    async def objects_then_give_way(run: Run, shape: Any, sources: Any) -> Any:
        built = await objects(run, shape, sources)
        if shape.type_name == "Query":
            wanted_during.append(dict(run.context.wanted))
            raise RuntimeError("gave way after loading")
        return built

    monkeypatch.setattr(Run, "objects", objects_then_give_way)
    counts = compiled_of(app).counts
    fell_back = counts.fell_back
    with count_statements() as counter:
        response = await client.post("/graphql", json={"query": LIST}, headers=headers_of(seeded.token))

    assert response.status_code == 200
    assert "errors" not in response.json()
    assert counts.fell_back > fell_back
    assert wanted_during
    assert wanted_during[0]["Customer"] == frozenset({"id", "first_name", "created_at"})
    # The plan's list read its columns; graphql-core's, after it, read whole rows.
    customer_selects = selects(counter.statements, "FROM customers")
    assert "updated_at" not in customer_selects[0]
    assert "updated_at" in customer_selects[-1]
