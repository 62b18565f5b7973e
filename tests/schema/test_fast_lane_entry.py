"""The fast lane's one entry per (document, operation name): a warm request looks its operation up by the text
once, and finds its plan and its cost plan in that entry, answering as the standard way does for every value
of the variables its plan and its cost depend on, past the entry's own few."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import parse
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.compiled.run import KEPT_PER_OPERATION, NOT_COVERED
from schema.core.text_cache import TextCache
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.support.compiled_queries import Seeded, answer, seed_compiled

PAGED = (
    "query Paged($first: Int!, $withOrders: Boolean!) { customers(first: $first) { nodes { id firstName "
    "orders(first: 2) @include(if: $withOrders) { totalCount nodes { id } } } } }"
)


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    return await seed_compiled(session)


def headers_of(seeded: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.token}", "X-Request-Id": "req_fast_lane_entry"}


async def post(client: httpx.AsyncClient, seeded: Seeded, variables: dict[str, Any]) -> httpx.Response:
    return await client.post("/graphql", json={"query": PAGED, "variables": variables}, headers=headers_of(seeded))


async def test_a_warm_request_looks_its_operation_up_by_the_text_once(app, client, seeded, monkeypatch):
    variables = {"first": 3, "withOrders": True}
    await post(client, seeded, variables)
    lookups: list[object] = []
    real_get = TextCache.get

    def counted(self: TextCache[Any, Any], key: Any) -> Any:
        lookups.append(key)
        return real_get(self, key)

    monkeypatch.setattr(TextCache, "get", counted)
    fast = compiled_of(app).counts.fast

    response = await post(client, seeded, variables)

    assert response.status_code == 200
    assert compiled_of(app).counts.fast == fast + 1
    assert lookups == [(PAGED, None)]


async def test_every_value_of_the_plan_and_cost_variables_answers_as_the_standard_way(app, client, seeded):
    # More values than an entry keeps: the later ones are answered through the text-keyed caches.
    values = [
        {"first": first, "withOrders": with_orders}
        for first in range(1, KEPT_PER_OPERATION + 3)
        for with_orders in (True, False)
    ]
    fast = compiled_of(app).counts.fast

    for _ in range(2):  # the first round fills the entry, the second reads it
        for variables in values:
            fast_answer = answer(await post(client, seeded, variables))
            with standard_only(app):
                standard_answer = answer(await post(client, seeded, variables))
            assert fast_answer == standard_answer, variables

    assert compiled_of(app).counts.fast == fast + 2 * len(values)


def test_a_kept_plan_is_the_plan_prepare_finds_by_the_text(app):
    compiled = compiled_of(app)
    document = parse(PAGED)
    operation = document.definitions[0]
    kept = compiled.operation_plans(PAGED, document, operation, "Paged")  # type: ignore[arg-type]

    for with_orders in (True, False):
        variables = {"first": 2, "withOrders": with_orders}
        by_text = compiled.prepare(PAGED, document, operation, "Paged", variables)  # type: ignore[arg-type]
        by_entry = compiled.prepare(PAGED, document, operation, "Paged", variables, kept)  # type: ignore[arg-type]
        assert by_text is not None
        assert by_entry is not None
        assert by_entry[0] is by_text[0]
        assert by_entry[1].coerced == by_text[1].coerced
    assert len(kept.plans) == 2


def test_an_operation_without_a_plan_is_kept_as_such(app):
    compiled = compiled_of(app)
    text = 'query Typed { __type(name: "Customer") { name } }'
    document = parse(text)
    operation = document.definitions[0]
    kept = compiled.operation_plans(text, document, operation, "Typed")  # type: ignore[arg-type]

    by_text = compiled.prepare(text, document, operation, "Typed", None)  # type: ignore[arg-type]
    by_entry = compiled.prepare(text, document, operation, "Typed", None, kept)  # type: ignore[arg-type]

    assert by_text is None
    assert by_entry is None
    assert kept.plans == {(): NOT_COVERED}
