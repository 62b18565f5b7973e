"""Compiled execution of the store-level reads (schema/<domain>/reads.py for stores, keys, webhooks, usage and
tracking): every root field of ``Query`` has a plan; the reports every request changes (usage, quotas) are answered
as the standard way answers them; and what a plan cannot answer exactly (a store on a plan the settings lack) is
left to graphql-core."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from schema.core.build import build_schema
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.schema.test_compiled_execution import both_ways, headers_of
from tests.support.compiled_queries import Seeded, answer, seed_compiled
from tests.support.factories import create_key, create_store


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    return await seed_compiled(session)


def test_every_root_field_of_the_query_type_is_compiled():
    """No root read is left to graphql-core for want of a batched load: a root field added without one fails here."""
    schema = build_schema()
    assert schema.compiled is not None
    query_type = schema._schema.query_type
    assert query_type is not None
    missing = [name for name in query_type.fields if f"Query.{name}" not in schema.compiled.tables.batched]

    assert missing == []


USAGE = (
    "query Usage { usage { requestsThisMinute requestsToday requestsThisMonth endpoints { label minute day month } "
    "rateLimit { limit remaining resetAt windowSeconds } } quotas { plan requestsPerMonth { limit used remaining } "
    "signupsPerMonth { limit used remaining } webhooksPerMonth { limit used remaining } requestsPerMinute "
    "publicRequestsPerMonth { limit used remaining } publicRequestsPerMinute periodEnd } }"
)
# What every request changes, whatever way answers it: the counts of requests and the window's state.
COUNTED = frozenset({"requestsThisMinute", "requestsToday", "requestsThisMonth", "minute", "day", "month", "used"})
WINDOW = frozenset({"remaining", "resetAt", "throttleStatus"})


def _steady(value: Any) -> Any:
    """The answer with the counts every request changes blanked out."""
    if isinstance(value, dict):
        return {key: None if key in COUNTED | WINDOW else _steady(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_steady(item) for item in value]
    return value


async def test_usage_and_quotas_run_compiled_and_count_the_request_as_the_standard_way(app, client, seeded):
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)
    headers = headers_of(seeded.token)
    # A request is counted under its endpoint once answered: the first puts this query's label in the list.
    await client.post("/graphql", json={"query": USAGE}, headers=headers)

    compiled = (await client.post("/graphql", json={"query": USAGE}, headers=headers)).json()
    with standard_only(app):
        standard = (await client.post("/graphql", json={"query": USAGE}, headers=headers)).json()

    assert "errors" not in compiled, compiled
    assert _steady(compiled) == _steady(standard)
    # Each answer counts its own request: the next one has one more this month (the window is the month's).
    assert standard["data"]["usage"]["requestsThisMonth"] == compiled["data"]["usage"]["requestsThisMonth"] + 1
    assert [row["label"] for row in compiled["data"]["usage"]["endpoints"]] == ["graphql query quotas,usage"]
    assert counts.compiled - before.compiled == 2
    assert counts.fell_back == before.fell_back


async def test_a_store_on_a_plan_the_settings_lack_gets_its_limits_error_from_graphql_core(app, client, session):
    store = await create_store(session, plan="retired-plan")
    key = await create_key(session, store)
    await session.commit()
    counts = compiled_of(app).counts
    fell_back = counts.fell_back
    body = {"query": "{ store { name limits { requestsPerMinute } } viewer { plan } }"}

    answer = await both_ways(app, client, "POST", "/graphql", json=body, headers=headers_of(key.token))

    assert b'"code":"not_found"' in answer
    assert counts.fell_back == fell_back + 1


async def test_the_store_selected_twice_runs_its_statement_twice_as_in_graphql_core(
    app, client, seeded, count_statements
):
    body = {"query": "{ a: store { id } b: store { name limits { requestsPerMinute } } viewer { keyId } }"}
    headers = headers_of(seeded.token)
    await client.post("/graphql", json=body, headers=headers)  # the key's last use is fresh: one lookup from here
    counts = compiled_of(app).counts
    before = counts.compiled

    with count_statements() as compiled:
        compiled_answer = answer(await client.post("/graphql", json=body, headers=headers))
    with standard_only(app), count_statements() as standard:
        standard_answer = answer(await client.post("/graphql", json=body, headers=headers))

    assert compiled_answer == standard_answer
    assert b'"errors"' not in compiled_answer
    assert counts.compiled == before + 1
    assert compiled.count == standard.count
