"""Accepting tracked work: give it ids and put it in the job queue, durably, before the API answers 202.

Nothing is written to the database here: the job is the durable record (the database queue commits it in a
transaction of its own, Redis Streams before answering), and the worker stores and counts it. So a burst of
tracking traffic costs one write per request, and the quota and counting rules run in one place.
"""

from __future__ import annotations

from datetime import datetime

from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.timestamps import utcnow
from storegraph.rules.tracking.jobs import (
    EVENTS_JOB,
    SIGNUP_JOB,
    AcceptedEvent,
    EventsJob,
    SignupJob,
    new_signup_id,
    new_tracked_event_ids,
)
from storegraph.rules.tracking.validation import (
    EventsInput,
    SignupInput,
    ValidEvent,
    ValidSignup,
    valid_events,
    valid_signup,
)


async def track_signup(queue: JobQueue, *, store_id: int, key_id: str, phone_region: str, raw: SignupInput) -> str:
    """Validates a signup and accepts it: its id, or ``ValidationFailed`` (nothing is queued). What GraphQL's
    ``trackSignup`` and ``POST /v1/signups`` both run."""
    signup = valid_signup(raw, phone_region=phone_region)
    return await accept_signup(queue, store_id=store_id, key_id=key_id, signup=signup, accepted_at=utcnow())


async def track_events(queue: JobQueue, *, store_id: int, key_id: str, raw: EventsInput) -> list[str]:
    """Validates events and accepts them: their ids in order, or ``ValidationFailed`` (nothing is queued). What
    GraphQL's ``trackEvents`` and ``POST /v1/events`` both run."""
    now = utcnow()
    events = valid_events(raw, now=now)
    return await accept_events(queue, store_id=store_id, key_id=key_id, events=events, accepted_at=now)


async def accept_signup(
    queue: JobQueue, *, store_id: int, key_id: str, signup: ValidSignup, accepted_at: datetime
) -> str:
    """The signup's id (``sgn_...``), once its job is stored."""
    job = SignupJob(store_id=store_id, key_id=key_id, public_id=new_signup_id(), accepted_at=accepted_at, signup=signup)
    await queue.enqueue(SIGNUP_JOB, job.payload())
    return job.public_id


async def accept_events(
    queue: JobQueue, *, store_id: int, key_id: str, events: list[ValidEvent], accepted_at: datetime
) -> list[str]:
    """The events' ids (``tev_...``, in the request's order), once their one job is stored."""
    ids = new_tracked_event_ids(len(events))
    accepted = [AcceptedEvent(public_id=public_id, event=event) for public_id, event in zip(ids, events, strict=True)]
    job = EventsJob(store_id=store_id, key_id=key_id, accepted_at=accepted_at, events=accepted)
    await queue.enqueue(EVENTS_JOB, job.payload())
    return ids
