"""The outbox dispatcher: committed events become one ``webhooks.deliver`` job per subscribed active endpoint, in
event order, exactly once with the database queue (one transaction), at least once with any other queue (enqueue
first, mark dispatched after, the same delivery ids when a crash makes it run again), and safely concurrent."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Job as JobRow
from db.models import OutboxEvent, Store
from db.queries import webhooks as queries
from storegraph.platform.jobs.queue import DeadLetter, Job
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.webhooks.delivery_job import DELIVER
from storegraph.rules.webhooks.dispatch import BATCH_SIZE, dispatch_outbox
from storegraph.rules.webhooks.signing import delivery_id
from tests.conftest import services_of
from tests.support.factories import create_store, create_webhook_subscription
from tests.webhooks.test_webhook_delivery_support import draining_worker


class MemoryQueue:
    """A queue outside the database (as Redis is), recording what is enqueued; ``crash`` makes enqueue_many
    fail after storing the jobs, as a worker dying right after Redis answered would."""

    def __init__(self, *, crash: bool = False, on_enqueue: Any = None) -> None:
        self.jobs: list[tuple[str, dict[str, Any]]] = []
        self.crash = crash
        self.on_enqueue = on_enqueue

    async def enqueue(self, kind: str, payload: dict[str, Any], *, delay_seconds: float = 0.0) -> str:
        return (await self.enqueue_many([(kind, payload)]))[0]

    async def enqueue_many(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        if self.on_enqueue is not None:
            await self.on_enqueue()
        first = len(self.jobs)
        self.jobs.extend(jobs)
        if self.crash:
            raise RuntimeError("the worker died after the queue stored the jobs")
        return [str(number) for number in range(first, len(self.jobs))]

    async def claim(self, worker: str, *, limit: int, lease_seconds: float) -> list[Job]:
        return []

    async def complete(self, job: Job) -> None:
        return None

    async def retry(self, job: Job, *, delay_seconds: float, error: str) -> None:
        return None

    async def dead_letter(self, job: Job, *, error: str) -> None:
        return None

    async def pending(self) -> int:
        return len(self.jobs)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return []

    async def close(self) -> None:
        return None


async def events(session, store: Store, *names: EventName) -> list[OutboxEvent]:
    for name in names:
        await record_event(session, store.id, name, {"id": 1})
    await session.commit()
    stmt = select(OutboxEvent).where(OutboxEvent.store_id == store.id).order_by(OutboxEvent.id)
    return list((await session.execute(stmt)).scalars())


async def queued(app) -> list[dict[str, Any]]:
    async with services_of(app).sessionmaker() as session:
        stmt = select(JobRow.payload).where(JobRow.kind == DELIVER).order_by(JobRow.id)
        return list((await session.execute(stmt)).scalars())


async def undispatched(app, ids: list[int]) -> set[int]:
    async with services_of(app).engine.connect() as connection:
        stmt = select(OutboxEvent.id).where(OutboxEvent.id.in_(ids), OutboxEvent.dispatched_at.is_(None))
        return set((await connection.execute(stmt)).scalars())


def job(event: OutboxEvent, subscription_id: int) -> dict[str, Any]:
    return {
        "outbox_event_id": event.id,
        "subscription_id": subscription_id,
        "delivery_id": delivery_id(event.public_id, subscription_id),
    }


@pytest.fixture
async def stores(session):
    first, second = await create_store(session), await create_store(session)
    await session.commit()
    return first, second


async def test_each_event_becomes_one_job_per_active_subscription_that_wants_it(app, session, stores):
    first, second = stores
    async with draining_worker(app) as worker:
        created_only = await create_webhook_subscription(session, first, events=["order.created"])
        both = await create_webhook_subscription(session, first, events=["order.created", "order.confirmed"])
        inactive = await create_webhook_subscription(session, first, events=["order.created"])
        inactive.is_active = False
        await create_webhook_subscription(session, first, events=["product.stock_low"])
        other_store = await create_webhook_subscription(session, second, events=["order.created"])
        created, confirmed = await events(session, first, EventName.ORDER_CREATED, EventName.ORDER_CONFIRMED)
        [elsewhere] = await events(session, second, EventName.ORDER_CREATED)

        assert await dispatch_outbox(worker.context) == 3

    assert await queued(app) == [
        job(created, created_only.id),
        job(created, both.id),
        job(confirmed, both.id),
        job(elsewhere, other_store.id),
    ]
    assert await undispatched(app, [created.id, confirmed.id, elsewhere.id]) == set()


async def test_a_second_run_finds_nothing_and_an_unwanted_event_is_just_marked(app, session, stores):
    store, _ = stores
    async with draining_worker(app) as worker:
        [event] = await events(session, store, EventName.ORDER_SHIPPED)  # no subscription at all

        assert await dispatch_outbox(worker.context) == 1
        assert await dispatch_outbox(worker.context) == 0

    assert await queued(app) == []
    assert await undispatched(app, [event.id]) == set()


async def test_batches_are_the_oldest_events_first(app, session, stores):
    store, _ = stores
    async with draining_worker(app) as worker:
        subscription = await create_webhook_subscription(session, store, events=["order.created"])
        recorded = await events(session, store, *[EventName.ORDER_CREATED] * (BATCH_SIZE + 50))

        assert await dispatch_outbox(worker.context) == BATCH_SIZE
        assert await undispatched(app, [event.id for event in recorded]) == {
            event.id for event in recorded[BATCH_SIZE:]
        }
        assert await dispatch_outbox(worker.context) == 50

    assert await queued(app) == [job(event, subscription.id) for event in recorded]


async def test_with_the_database_queue_jobs_and_marks_commit_together(app, session, stores, monkeypatch):
    store, _ = stores
    async with draining_worker(app) as worker:
        await create_webhook_subscription(session, store, events=["order.created"])
        [event] = await events(session, store, EventName.ORDER_CREATED)

        async def crash(*_args: Any) -> None:
            raise RuntimeError("the worker died before marking the events")

        monkeypatch.setattr(queries, "mark_dispatched", crash)
        with pytest.raises(RuntimeError):
            await dispatch_outbox(worker.context)

        assert await queued(app) == []  # rolled back with the marks: nothing half done
        assert await undispatched(app, [event.id]) == {event.id}
        monkeypatch.undo()
        assert await dispatch_outbox(worker.context) == 1
        assert len(await queued(app)) == 1


async def test_with_another_queue_jobs_are_stored_before_the_events_are_marked(app, session, stores):
    store, _ = stores
    async with draining_worker(app) as worker:
        subscription = await create_webhook_subscription(session, store, events=["order.created"])
        recorded = await events(session, store, EventName.ORDER_CREATED, EventName.ORDER_CREATED)
        ids = [event.id for event in recorded]
        seen_while_enqueueing: list[set[int]] = []

        async def look() -> None:
            seen_while_enqueueing.append(await undispatched(app, ids))

        queue = MemoryQueue(on_enqueue=look)
        assert await dispatch_outbox(dataclasses.replace(worker.context, queue=queue)) == 2

    assert seen_while_enqueueing == [set(ids)]
    assert queue.jobs == [(DELIVER, job(event, subscription.id)) for event in recorded]
    assert await undispatched(app, ids) == set()
    assert await queued(app) == []


async def test_a_crash_after_enqueueing_dispatches_again_with_the_same_delivery_ids(app, session, stores):
    store, _ = stores
    async with draining_worker(app) as worker:
        await create_webhook_subscription(session, store, events=["order.created"])
        await create_webhook_subscription(session, store, events=["order.created"])
        [event] = await events(session, store, EventName.ORDER_CREATED)
        crashing, healthy = MemoryQueue(crash=True), MemoryQueue()

        with pytest.raises(RuntimeError):
            await dispatch_outbox(dataclasses.replace(worker.context, queue=crashing))
        assert await undispatched(app, [event.id]) == {event.id}
        assert await dispatch_outbox(dataclasses.replace(worker.context, queue=healthy)) == 1

    # At least once: the jobs exist twice, but carry the same X-DZ-Delivery, so the receiver sees one event.
    assert crashing.jobs == healthy.jobs
    assert len(healthy.jobs) == 2


async def test_concurrent_dispatchers_dispatch_every_event_exactly_once(app, session, stores):
    store, _ = stores
    async with draining_worker(app) as worker:
        subscriptions = [await create_webhook_subscription(session, store, events=["order.created"]) for _ in range(2)]
        recorded = await events(session, store, *[EventName.ORDER_CREATED] * (2 * BATCH_SIZE + 30))

        while sum(await asyncio.gather(*(dispatch_outbox(worker.context) for _ in range(4)))):
            pass

    jobs = await queued(app)
    pairs = {(payload["outbox_event_id"], payload["subscription_id"]) for payload in jobs}
    assert len(jobs) == len(pairs) == len(recorded) * len(subscriptions)
    async with services_of(app).sessionmaker() as reading:
        left = select(func.count()).where(OutboxEvent.store_id == store.id, OutboxEvent.dispatched_at.is_(None))
        assert (await reading.execute(left)).scalar_one() == 0
