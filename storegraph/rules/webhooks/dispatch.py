"""The outbox dispatcher: committed events become delivery jobs, one per (event, subscribed active endpoint).

A periodic task (storegraph/platform/jobs/handlers.py's ``Periodic``): every worker runs it, so it must be safe
concurrently. It
claims the oldest undispatched events in id order, in one transaction that also marks them dispatched:

- PostgreSQL: ``FOR UPDATE SKIP LOCKED`` gives each dispatcher a batch no other one holds; SQLite: the write
  transaction (BEGIN IMMEDIATE) makes dispatchers take turns.
- With the database queue the delivery jobs are inserted in that same transaction: an event is marked
  dispatched if and only if its jobs exist, so nothing is lost and nothing is dispatched twice.
- With another queue (Redis) the jobs are enqueued, durably, *before* the events are marked, while the events
  are still locked: a crash in between leaves them undispatched and they are dispatched again, at least once.
  The delivery id is derived from (event, subscription), so the repeat carries the same ``X-DZ-Delivery`` and
  the receiver can tell it is one.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.queries import webhooks as queries
from db.queries.jobs import DatabaseJobQueue, enqueue_in_transaction
from db.queries.webhooks import EventRow, SubscriberRow
from db.session import begin_write
from storegraph.platform.jobs.handlers import JobContext
from storegraph.rules.webhooks.delivery_job import DELIVER, DeliveryJob

# Events per transaction: large enough to keep up with bursts, small enough to keep the lock short.
BATCH_SIZE = 200


async def dispatch_outbox(context: JobContext) -> int:
    """Dispatches one batch; returns how many events it dispatched (0: none waiting)."""
    if not await queries.any_undispatched(context.engine):
        return 0
    async with context.sessionmaker() as session, session.begin():
        await begin_write(session)
        events = await queries.claim_undispatched(session, BATCH_SIZE)
        if not events:
            return 0  # another dispatcher took them meanwhile
        subscribers = await queries.active_subscribers(session, (event.store_id for event in events))
        payloads = [job.payload() for job in delivery_jobs(events, subscribers)]
        if isinstance(context.queue, DatabaseJobQueue):
            # The database queue lives in the app's database (storegraph/services.py create_queue): one transaction for
            # both.
            await enqueue_in_transaction(session, [(DELIVER, payload) for payload in payloads])
        elif payloads:
            await context.queue.enqueue_many([(DELIVER, payload) for payload in payloads])
        await queries.mark_dispatched(session, [event.id for event in events])
    return len(events)


def delivery_jobs(events: Sequence[EventRow], subscribers: Sequence[SubscriberRow]) -> list[DeliveryJob]:
    """One job per event and subscription of its store that wants it, in event order, then subscription order."""
    by_store: dict[int, list[SubscriberRow]] = {}
    for subscription in subscribers:
        by_store.setdefault(subscription.store_id, []).append(subscription)
    return [
        DeliveryJob.of(event.id, event.public_id, subscription.id)
        for event in events
        for subscription in by_store.get(event.store_id, [])
        if event.event in subscription.events
    ]
