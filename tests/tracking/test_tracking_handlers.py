"""The worker's side, end to end: a signed request's job claimed from the database queue and run by its handler
(storegraph/rules/tracking/handlers.py), the signups quota, re-runs that store and count nothing twice, and what GraphQL
and
REST read back.

These tests claim every due job, so they run on a database of their own (per backend), emptied of jobs before
each test: the ``app`` fixture's database is shared with tests that queue jobs of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select

from db.migrate import upgrade_to_head
from db.models import EventCount, Job, OutboxEvent, Signup, Store, TrackedEvent
from db.queries.jobs import DatabaseJobQueue
from db.session import create_engine
from storegraph.app import create_app
from storegraph.job_registry import all_handlers
from storegraph.platform.jobs.handlers import JobContext
from storegraph.platform.jobs.queue import Job as ClaimedJob
from storegraph.platform.limits import MemoryRateLimiter
from storegraph.platform.limits.plans import Plan
from storegraph.platform.timestamps import utcnow
from storegraph.rules.tracking.handlers import HANDLERS, handle_events, handle_signup
from storegraph.rules.tracking.jobs import EVENTS_JOB, SIGNUP_JOB, MalformedJob
from tests.conftest import BACKENDS, GraphQLClient, app_settings, postgres_database, services_of
from tests.support.factories import Key, create_key, create_store
from tests.support.tracking_support import PublicKey, create_public_key, post_signed

# A plan whose monthly signups quota is reached in a test.
TWO_SIGNUPS = Plan(requests_per_minute=None, requests_per_month=None, signups_per_month=2, webhooks_per_month=None)


@pytest.fixture(scope="module", params=BACKENDS)
async def worker_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async with _database(request.param, tmp_path_factory) as url:
        engine = create_engine(url, pool_size=2)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()
        application = create_app(app_settings(url, plans={"two_signups": TWO_SIGNUPS}))
        yield application
        await services_of(application).engine.dispose()


@asynccontextmanager
async def _database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('tracking') / 'worker.db'}"
        return
    async with postgres_database("storegraph_tracking") as url:
        yield url


@dataclass
class World:
    app: FastAPI
    http: httpx.AsyncClient
    gql: GraphQLClient
    context: JobContext
    queue: DatabaseJobQueue


@pytest.fixture
async def world(worker_app: FastAPI) -> AsyncIterator[World]:
    services = services_of(worker_app)
    async with services.sessionmaker() as session:
        await session.execute(delete(Job))
        await session.commit()
    queue = DatabaseJobQueue(services.engine)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_app), base_url="http://storegraph.test") as http,
        httpx.AsyncClient() as outbound,
    ):
        context = JobContext(
            settings=services.settings,
            engine=services.engine,
            sessionmaker=services.sessionmaker,
            queue=queue,
            limiter=MemoryRateLimiter(),
            http=outbound,
        )
        yield World(worker_app, http, GraphQLClient(http), context, queue)


async def _shop(world: World, *, plan: str = "enterprise") -> tuple[Store, PublicKey, Key]:
    async with services_of(world.app).sessionmaker() as session:
        store = await create_store(session, plan=plan)
        public = await create_public_key(session, store)
        reader = await create_key(session, store)
        await session.commit()
    return store, public, reader


async def _claim(world: World) -> list[ClaimedJob]:
    return await world.queue.claim("test-worker", limit=100, lease_seconds=60)


async def _run(world: World, job: ClaimedJob) -> None:
    await HANDLERS[job.kind](job, world.context)
    await world.queue.complete(job)


async def _count(world: World, model: Any, store_id: int) -> int:
    async with world.context.sessionmaker() as session:
        stmt = select(func.count()).select_from(model).where(model.store_id == store_id)
        return int((await session.execute(stmt)).scalar_one())


async def _rows(world: World, model: Any, store_id: int) -> list[Any]:
    async with world.context.sessionmaker() as session:
        return list((await session.execute(select(model).where(model.store_id == store_id))).scalars().all())


def test_the_worker_runs_the_tracking_handlers():
    handlers = all_handlers()

    assert handlers[SIGNUP_JOB] is handle_signup
    assert handlers[EVENTS_JOB] is handle_events


# --- signups ----------------------------------------------------------------------------------------------------


async def test_a_signup_is_stored_counted_and_announced_by_its_job(world):
    store, key, _ = await _shop(world)
    response = await post_signed(
        world.http, "/v1/signups", key, {"email": "amina@example.dz", "phone": "0555123456", "name": "Amina"}
    )
    signup_id = response.json()["data"]["id"]
    [job] = await _claim(world)

    await _run(world, job)

    [signup] = await _rows(world, Signup, store.id)
    assert (signup.public_id, signup.key_id, signup.email, signup.phone) == (
        signup_id,
        key.key_id,
        "amina@example.dz",
        "0555123456",
    )
    assert signup.counted is True
    [event] = await _rows(world, OutboxEvent, store.id)
    assert event.event == "signup.counted"
    assert event.payload == {
        "id": signup_id,
        "email": "amina@example.dz",
        "phone": "0555123456",
        "name": "Amina",
        "source": None,
        "campaign": None,
        "created_at": signup.created_at.strftime("%Y-%m-%d %H:%M:%S"),
    }
    assert (await world.context.limiter.store_usage(store.id))["signups"] == 1
    assert await world.queue.pending() == 0


async def test_a_signup_the_worker_stores_changes_the_etag_of_the_stores_gets(world):
    _, key, reader = await _shop(world)
    await post_signed(world.http, "/v1/signups", key, {"email": "etag@example.dz"})
    etag = (await world.http.get("/v1/store", headers=reader.headers)).headers["etag"]
    [job] = await _claim(world)

    await _run(world, job)

    response = await world.http.get("/v1/store", headers={**reader.headers, "If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["etag"] != etag


async def test_a_signup_the_worker_stores_keeps_the_etag_of_another_store(world):
    _, key, _ = await _shop(world)
    _, _, other = await _shop(world)
    await post_signed(world.http, "/v1/signups", key, {"email": "other@example.dz"})
    etag = (await world.http.get("/v1/store", headers=other.headers)).headers["etag"]
    [job] = await _claim(world)

    await _run(world, job)

    response = await world.http.get("/v1/store", headers={**other.headers, "If-None-Match": etag})
    assert response.status_code == 304


async def test_a_signup_job_run_twice_stores_counts_and_announces_once(world):
    store, key, _ = await _shop(world)
    await post_signed(world.http, "/v1/signups", key, {"email": "twice@example.dz"})
    [job] = await _claim(world)

    await handle_signup(job, world.context)
    await handle_signup(job, world.context)

    assert await _count(world, Signup, store.id) == 1
    assert await _count(world, OutboxEvent, store.id) == 1
    assert (await world.context.limiter.store_usage(store.id))["signups"] == 1


async def test_signups_past_the_monthly_quota_are_kept_uncounted_without_an_event(world):
    store, key, _ = await _shop(world, plan="two_signups")
    for number in range(3):
        await post_signed(world.http, "/v1/signups", key, {"email": f"s{number}@example.dz"})
    jobs = await _claim(world)
    assert len(jobs) == 3

    for job in jobs:
        await _run(world, job)

    signups = sorted(await _rows(world, Signup, store.id), key=lambda row: row.id)
    assert [signup.counted for signup in signups] == [True, True, False]
    events = await _rows(world, OutboxEvent, store.id)
    assert sorted(event.payload["email"] for event in events) == ["s0@example.dz", "s1@example.dz"]
    assert (await world.context.limiter.store_usage(store.id))["signups"] == 2


async def test_an_uncounted_signup_run_again_stays_uncounted(world):
    store, key, _ = await _shop(world, plan="two_signups")
    for number in range(3):
        await post_signed(world.http, "/v1/signups", key, {"email": f"r{number}@example.dz"})
    jobs = await _claim(world)
    for job in jobs:
        await handle_signup(job, world.context)

    await handle_signup(jobs[2], world.context)

    assert [row.counted for row in sorted(await _rows(world, Signup, store.id), key=lambda row: row.id)] == [
        True,
        True,
        False,
    ]
    assert await _count(world, OutboxEvent, store.id) == 2


async def test_the_signups_of_a_deleted_store_are_dropped(world):
    store, key, _ = await _shop(world)
    await post_signed(world.http, "/v1/signups", key, {"email": "gone@example.dz"})
    [job] = await _claim(world)
    async with world.context.sessionmaker() as session:
        await session.execute(delete(Store).where(Store.id == store.id))
        await session.commit()

    await handle_signup(job, world.context)

    assert await _count(world, Signup, store.id) == 0


async def test_a_malformed_job_fails_without_quoting_its_payload():
    job = ClaimedJob(id="1", kind=SIGNUP_JOB, payload={"store_id": "7", "email": "secret@example.dz"}, attempts=1)

    with pytest.raises(MalformedJob) as raised:
        await handle_signup(job, None)  # type: ignore[arg-type]

    assert "secret@example.dz" not in str(raised.value)


# --- events -----------------------------------------------------------------------------------------------------


async def _counts(world: World, store_id: int) -> dict[tuple[str, date], int]:
    return {(row.event, row.day): row.count for row in await _rows(world, EventCount, store_id)}


async def test_events_are_stored_and_counted_per_name_and_day(world):
    store, key, _ = await _shop(world)
    today = utcnow().date()
    events = [
        {"event": "page_view"},
        {"event": "page_view", "properties": {"path": "/promo"}},
        {"event": "add_to_cart", "occurred_at": "2026-04-30 23:59:59"},
        {"event": "add_to_cart", "occurred_at": "2026-05-01T00:30:00+01:00"},  # 2026-04-30 23:30 UTC
    ]
    response = await post_signed(world.http, "/v1/events", key, {"events": events})
    [job] = await _claim(world)

    await _run(world, job)

    stored = await _rows(world, TrackedEvent, store.id)
    assert sorted(row.public_id for row in stored) == sorted(response.json()["data"]["ids"])
    assert {row.public_id: row.properties for row in stored}[response.json()["data"]["ids"][1]] == {"path": "/promo"}
    assert await _counts(world, store.id) == {("page_view", today): 2, ("add_to_cart", date(2026, 4, 30)): 2}


async def test_an_events_job_run_twice_stores_and_counts_once_and_later_jobs_add_up(world):
    store, key, _ = await _shop(world)
    today = utcnow().date()
    await post_signed(world.http, "/v1/events", key, {"events": [{"event": "page_view"}, {"event": "signup"}]})
    [first] = await _claim(world)
    await handle_events(first, world.context)

    await handle_events(first, world.context)
    await post_signed(world.http, "/v1/events", key, {"event": "page_view"})
    [second] = [job for job in await _claim(world) if job.id != first.id]
    await handle_events(second, world.context)

    assert await _count(world, TrackedEvent, store.id) == 3
    assert await _counts(world, store.id) == {("page_view", today): 2, ("signup", today): 1}


async def test_two_workers_running_one_events_job_at_once_count_it_once(world):
    store, key, _ = await _shop(world)
    await post_signed(world.http, "/v1/events", key, {"events": [{"event": "page_view"}] * 5})
    [job] = await _claim(world)

    await asyncio.gather(handle_events(job, world.context), handle_events(job, world.context))

    assert await _count(world, TrackedEvent, store.id) == 5
    assert await _counts(world, store.id) == {("page_view", utcnow().date()): 5}


# --- reading it back --------------------------------------------------------------------------------------------

EVENT_COUNTS = """
query($from: Date, $to: Date, $event: String) {
  eventCounts(from: $from, to: $to, event: $event) { from to total counts { event day count } }
}
"""


async def _processed_events(world: World, key: PublicKey) -> None:
    events = [
        {"event": "page_view", "occurred_at": "2026-04-29 10:00:00"},
        {"event": "page_view", "occurred_at": "2026-04-30 10:00:00"},
        {"event": "page_view", "occurred_at": "2026-04-30 11:00:00"},
        {"event": "add_to_cart", "occurred_at": "2026-04-30 12:00:00"},
    ]
    await post_signed(world.http, "/v1/events", key, {"events": events})
    for job in await _claim(world):
        await _run(world, job)


async def test_event_counts_are_read_in_graphql(world):
    _, key, reader = await _shop(world)
    await _processed_events(world, key)

    payload = await world.gql.query(EVENT_COUNTS, {"from": "2026-04-29", "to": "2026-04-30"}, headers=reader.headers)

    assert "errors" not in payload, payload
    assert payload["data"]["eventCounts"] == {
        "from": "2026-04-29",
        "to": "2026-04-30",
        "total": 4,
        "counts": [
            {"event": "page_view", "day": "2026-04-29", "count": 1},
            {"event": "add_to_cart", "day": "2026-04-30", "count": 1},
            {"event": "page_view", "day": "2026-04-30", "count": 2},
        ],
    }


async def test_event_counts_filter_by_name_and_default_to_the_last_30_days(world):
    _, key, reader = await _shop(world)
    await _processed_events(world, key)

    one_name = await world.gql.query(
        EVENT_COUNTS, {"from": "2026-04-01", "event": "add_to_cart"}, headers=reader.headers
    )
    recent = await world.gql.query(EVENT_COUNTS, {}, headers=reader.headers)

    assert one_name["data"]["eventCounts"]["counts"] == [{"event": "add_to_cart", "day": "2026-04-30", "count": 1}]
    today = utcnow().date()
    assert recent["data"]["eventCounts"]["to"] == today.isoformat()
    assert recent["data"]["eventCounts"]["from"] == (today - timedelta(days=29)).isoformat()


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"from": "2026-05-01", "to": "2026-04-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-04-01"}, "to"),
        ({"event": "Not A Name"}, "event"),
    ],
)
async def test_an_event_counts_range_that_makes_no_sense_is_refused(world, variables, field):
    _, _, reader = await _shop(world)

    payload = await world.gql.query(EVENT_COUNTS, variables, headers=reader.headers)

    assert payload["data"] == {"eventCounts": None}
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert error["extensions"]["details"][0]["field"] == field


async def test_event_counts_are_read_in_rest(world):
    _, key, reader = await _shop(world)
    await _processed_events(world, key)

    response = await world.http.get(
        "/v1/events/counts",
        params={"from": "2026-04-30", "to": "2026-04-30", "event": "page_view"},
        headers=reader.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "from": "2026-04-30",
        "to": "2026-04-30",
        "total": 2,
        "counts": [{"event": "page_view", "day": "2026-04-30", "count": 2}],
    }


async def test_another_stores_event_counts_are_never_read(world):
    _, key, _ = await _shop(world)
    await _processed_events(world, key)
    _, _, stranger = await _shop(world)

    payload = await world.gql.query(EVENT_COUNTS, {"from": "2026-04-01"}, headers=stranger.headers)

    assert payload["data"]["eventCounts"]["counts"] == []


SIGNUPS = """
query($first: Int!, $after: String) {
  signups(first: $first, after: $after) {
    totalCount
    edges { cursor node { id email phone name source campaign metadata counted acceptedAt createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_signups_are_listed_newest_first_in_pages(world):
    _, key, reader = await _shop(world)
    ids = []
    for number in range(3):
        response = await post_signed(
            world.http, "/v1/signups", key, {"email": f"p{number}@example.dz", "metadata": {"n": number}}
        )
        ids.append(response.json()["data"]["id"])
        for job in await _claim(world):
            await _run(world, job)

    first = await world.gql.query(SIGNUPS, {"first": 2}, headers=reader.headers)
    page = first["data"]["signups"]
    second = await world.gql.query(
        SIGNUPS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, headers=reader.headers
    )

    assert "errors" not in first, first
    assert page["totalCount"] == 3
    nodes = [edge["node"] for edge in page["edges"] + second["data"]["signups"]["edges"]]
    assert [node["id"] for node in nodes] == list(reversed(ids))
    assert nodes[0]["email"] == "p2@example.dz"
    assert nodes[0]["metadata"] == {"n": 2}
    assert nodes[0]["counted"] is True
    assert page["pageInfo"]["hasNextPage"] is True
    assert second["data"]["signups"]["pageInfo"]["hasNextPage"] is False
