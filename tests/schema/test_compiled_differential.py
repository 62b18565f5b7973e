"""Compiled execution against graphql-core's on generated queries (tests/support/compiled_queries.py): for every
query, on both databases, the two answers are the same bytes, errors, nulls and ``extensions.cost`` included."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.compiled.run import CompiledExecution
from tests.conftest import services_of
from tests.schema.test_graphql_schemathesis import BASE_URL, sender
from tests.support.compiled_queries import answer, generated_request, seed_compiled
from tests.support.compiled_store_queries import cursor_selections

# Per database; scripts/test.sh (what CI runs) sets 2,000.
EXAMPLES = int(os.environ.get("STOREGRAPH_COMPILED_EXAMPLES", "150"))
CURSORS = (
    "query { customers(first: 2) { edges { cursor } } "
    "sortedCustomers: customers(first: 1, sort: {field: TOTAL_SPENT}) { edges { cursor } } "
    "orders(first: 2) { edges { cursor } } sortedOrders: orders(first: 1, sort: {field: TOTAL}) { edges { cursor } } "
    "products(first: 2) { edges { cursor } } landingPages(first: 1) { edges { cursor } } }"
)


def compiled_of(app: FastAPI) -> CompiledExecution:
    compiled = services_of(app).schema.compiled
    assert compiled is not None
    return compiled


@contextlib.contextmanager
def standard_only(app: FastAPI) -> Iterator[None]:
    compiled = compiled_of(app)
    compiled.enabled = False
    try:
        yield
    finally:
        compiled.enabled = True


async def test_generated_queries_get_the_same_bytes_compiled_and_standard(
    app: FastAPI, session: AsyncSession, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="storegraph.graphql")
    seeded = await seed_compiled(session)
    headers = {"Authorization": f"Bearer {seeded.token}", "X-Request-Id": "req_differential"}
    query = CURSORS.removesuffix(" }") + f" {cursor_selections(seeded.store_rows)} }}"
    listed = (await client.post("/graphql", json={"query": query}, headers=headers)).json()["data"]
    cursors: dict[str, tuple[str, ...]] = {}
    for key, page in listed.items():
        name = key.removeprefix("sorted")
        name = name[0].lower() + name[1:]
        cursors[name] = (*cursors.get(name, ()), *(edge["cursor"] for edge in page["edges"]))
    counts = compiled_of(app).counts
    before = counts.compiled
    # Now and then a key without customers:read: its refusals come from graphql-core.
    tokens = st.sampled_from([*[seeded.token] * 7, seeded.orders_only_token])
    examples = 0

    async with sender(app) as send:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(body=generated_request(seeded, cursors), token=tokens)
        def check(body: dict[str, Any], token: str) -> None:
            nonlocal examples
            examples += 1
            request = {
                "url": f"{BASE_URL}/graphql",
                "headers": {"Authorization": f"Bearer {token}", "X-Request-Id": "req_differential"},
                "json": body,
            }
            compiled = answer(send(request))
            with standard_only(app):
                standard = answer(send(request))
            assert compiled == standard, body

        await asyncio.to_thread(check)

    # Most generated queries are covered and answered without falling back: the comparison compared plans.
    assert counts.compiled - before > examples // 2
    # A plan loads rows with only the columns it reads: one that read another would give way on a missing
    # attribute (right answer, wasted work), which the comparison alone would not see.
    gave_way = [record.getMessage() for record in caplog.records if record.name == "storegraph.graphql"]
    assert not [message for message in gave_way if message.endswith(("AttributeError", "KeyError", "IndexError"))]
