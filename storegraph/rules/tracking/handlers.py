"""The worker's handlers of tracked work: ``HANDLERS`` maps each job kind to its handler
(storegraph/platform/jobs/worker.py).

Both are safe to run twice (delivery is at least once), because every write is keyed by an id given in the 202:

- ``tracking.signup`` stores the signup, and only when this run inserted it draws one from the store's monthly
  signups quota; when counted it writes the ``signup.counted`` outbox event in the same transaction (the webhook
  worker delivers it). Over quota the signup is kept with ``counted = false`` and no event.
- ``tracking.events`` stores the events not stored yet and adds exactly those to the daily counts, in the same
  transaction, so a re-run neither stores nor counts anything twice.

The quota lives in the limiter (memory or Redis), outside the database transaction: if the process dies between
taking the quota and committing, the re-run takes it again. That window is a crash, not a retry, and costs the
merchant one signup of quota at worst; it never counts a signup twice in the database or sends two events.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date

from db.queries.store_versions import work_for_store
from db.queries.tracking import add_event_counts, insert_events, insert_signup, mark_signup_uncounted, store_plan
from db.session import begin_write
from storegraph.platform.jobs.handlers import Handler, JobContext
from storegraph.platform.jobs.queue import Job
from storegraph.platform.limits.plans import effective_plan
from storegraph.platform.timestamps import rest_timestamp, utcnow
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.tracking.jobs import EVENTS_JOB, SIGNUP_JOB, EventsJob, SignupJob

logger = logging.getLogger("storegraph.tracking")


async def handle_signup(job: Job, context: JobContext) -> None:
    work = SignupJob.from_payload(job.payload)
    signup = work.signup
    created_at = utcnow()
    async with context.sessionmaker() as session, session.begin():
        work_for_store(session, work.store_id)
        await begin_write(session)
        plan_name = await store_plan(session, work.store_id)
        if plan_name is None:
            logger.info("job %s: store %s no longer exists; its signup is dropped", job.id, work.store_id)
            return
        inserted = await insert_signup(
            session,
            {
                "store_id": work.store_id,
                "public_id": work.public_id,
                "key_id": work.key_id,
                "email": signup.email,
                "phone": signup.phone,
                "name": signup.name,
                "source": signup.source,
                "campaign": signup.campaign,
                "metadata": signup.metadata,
                "counted": True,
                "accepted_at": work.accepted_at,
                "created_at": created_at,
            },
        )
        if not inserted:
            return  # an earlier run stored (and counted) it
        plan = effective_plan(context.settings.plans, plan_name)
        if not await context.limiter.consume(work.store_id, "signups", plan, 1):
            await mark_signup_uncounted(session, work.public_id)
            return
        data = {
            "id": work.public_id,
            "email": signup.email,
            "phone": signup.phone,
            "name": signup.name,
            "source": signup.source,
            "campaign": signup.campaign,
            "created_at": rest_timestamp(created_at),
        }
        await record_event(session, work.store_id, EventName.SIGNUP_COUNTED, data)


async def handle_events(job: Job, context: JobContext) -> None:
    work = EventsJob.from_payload(job.payload)
    async with context.sessionmaker() as session, session.begin():
        work_for_store(session, work.store_id)
        await begin_write(session)
        if await store_plan(session, work.store_id) is None:
            logger.info("job %s: store %s no longer exists; its events are dropped", job.id, work.store_id)
            return
        rows = [
            {
                "store_id": work.store_id,
                "public_id": accepted.public_id,
                "key_id": work.key_id,
                "event": accepted.event.event,
                "properties": accepted.event.properties,
                "occurred_at": accepted.event.occurred_at,
                "accepted_at": work.accepted_at,
            }
            for accepted in work.events
        ]
        inserted = await insert_events(session, rows)
        counts: Counter[tuple[str, date]] = Counter(
            (accepted.event.event, accepted.event.occurred_at.date())
            for accepted in work.events
            if accepted.public_id in inserted
        )
        await add_event_counts(session, work.store_id, counts)


HANDLERS: dict[str, Handler] = {SIGNUP_JOB: handle_signup, EVENTS_JOB: handle_events}
