"""The ``webhooks.deliver`` job handler: one attempt to deliver one event to one endpoint, logged whatever happens.

An attempt reads the subscription and the event (a short read), sends with no transaction open (a slow receiver
holds no database lock), then logs the attempt and updates the endpoint's health in one write. A delivery that
should be tried again raises ``RetryLater`` with the schedule's delay (storegraph/rules/webhooks/schedule.py); one that
is done,
refused or given up returns, and the worker completes the job.

Logs name the delivery, the event name and the subscription id: never the body (customers' phones and emails),
the secret or the signature, and a URL only as ``storegraph/platform/redaction.py`` shows it (no credentials or
token), whatever carries it into a line (an attempt's error, an exception).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.queries import webhooks as queries
from db.queries.store_versions import work_for_store
from db.queries.webhooks import Attempt, Event, Target
from db.session import begin_write
from storegraph.platform.jobs.handlers import JobContext, RetryLater
from storegraph.platform.jobs.queue import Job
from storegraph.platform.limits.plans import effective_plan
from storegraph.platform.redaction import redact_urls_in_logs
from storegraph.platform.timestamps import utcnow
from storegraph.rules.webhooks.delivery_job import DeliveryJob
from storegraph.rules.webhooks.health import Health, after_failure
from storegraph.rules.webhooks.message import delivery_headers, event_body
from storegraph.rules.webhooks.schedule import is_exhausted, retry_delay
from storegraph.rules.webhooks.send import post

logger = logging.getLogger("storegraph.webhooks")
redact_urls_in_logs(logger)

QUOTA_EXCEEDED = "webhooks quota exceeded"
# The outcomes of an attempt, as the webhook deliveries metric counts them (docs/operations.md).
DELIVERED, RETRYING, FAILED, OVER_QUOTA, SKIPPED = "delivered", "retrying", "failed", "over_quota", "skipped"


async def deliver(job: Job, context: JobContext) -> None:
    try:
        work = DeliveryJob.from_payload(job.payload)
    except ValueError:
        logger.error("job %s is not a webhook delivery this release understands; dropped", job.id)
        return
    async with context.sessionmaker() as session:
        target = await queries.delivery_target(session, work.subscription_id, work.outbox_event_id)
    if target is None or not target.is_active or target.event is None:
        _log_skip(work, target)
        _count(context, SKIPPED)
        return
    attempt_number = work.previous_attempts + job.attempts
    # Only a job's first run draws on the quota: its retries are the same delivery, and a run after a crash that
    # happened past this point must not draw twice.
    if job.attempts == 1 and not await _within_quota(context, target):
        refused = Attempt(None, None, error=QUOTA_EXCEEDED)
        await _record(context, work, target.store_id, target.event, attempt_number, refused, job_attempts=None)
        logger.warning("webhook delivery %s not sent: store %s is over its quota", work.delivery_id, target.store_id)
        _count(context, OVER_QUOTA)
        return
    outcome = await _send(context, work, target, target.event)
    still_active = await _record(
        context, work, target.store_id, target.event, attempt_number, outcome, job_attempts=job.attempts
    )
    _log_outcome(work, target.event, attempt_number, outcome)
    if outcome.succeeded:
        _count(context, DELIVERED)
        return
    if not outcome.retryable or not still_active:
        _count(context, FAILED)
        return
    if is_exhausted(job.attempts):
        logger.warning("webhook delivery %s given up after %d attempts", work.delivery_id, job.attempts)
        _count(context, FAILED)
        return
    _count(context, RETRYING)
    reason = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error or "no answer"
    raise RetryLater(retry_delay(job.attempts, retry_after=outcome.retry_after), reason)


def _count(context: JobContext, outcome: str) -> None:
    if context.metrics is not None:
        context.metrics.webhook_delivery(outcome)


async def _within_quota(context: JobContext, target: Target) -> bool:
    plan = effective_plan(context.settings.plans, target.plan)
    return await context.limiter.consume(target.store_id, "webhooks", plan, 1)


async def _send(context: JobContext, work: DeliveryJob, target: Target, event: Event) -> Attempt:
    body = event_body(event)
    headers = delivery_headers(secret=target.secret, body=body, event=event.name, delivery_id=work.delivery_id)
    settings = context.settings
    return await post(
        context.http,
        target.url,
        body,
        headers,
        timeout_seconds=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private_targets,
    )


async def _record(
    context: JobContext,
    work: DeliveryJob,
    store_id: int,
    event: Event,
    attempt_number: int,
    outcome: Attempt,
    *,
    job_attempts: int | None,
) -> bool:
    """Logs the attempt and, for an attempt that reached for the endpoint (``job_attempts`` given: the job's run
    count), moves the endpoint's health, in one write transaction. Whether the subscription is active after it."""
    async with context.sessionmaker() as session, session.begin():
        work_for_store(session, store_id)
        await begin_write(session)
        state = await queries.lock_subscription(session, work.subscription_id)
        if state is None:  # deleted while the request was in flight: its log went with it
            return False
        now = utcnow()
        active: bool = state.is_active
        if job_attempts is not None:
            health = await _health(session, work, job_attempts, state.failing_since, outcome, now)
            disabling = active and health.disabled_reason is not None
            if health.failing_since != state.failing_since or disabling:
                await queries.set_health(
                    session,
                    work.subscription_id,
                    failing_since=health.failing_since,
                    disabled_reason=health.disabled_reason if disabling else None,
                )
            if disabling:
                active = False
                logger.warning("webhook subscription %s disabled: %s", work.subscription_id, health.disabled_reason)
        queries.log_attempt(
            session,
            store_id=store_id,
            subscription_id=work.subscription_id,
            delivery_id=work.delivery_id,
            event=event,
            attempt=attempt_number,
            outcome=outcome,
            at=now,
        )
    return active


async def _health(
    session: AsyncSession,
    work: DeliveryJob,
    job_attempts: int,
    failing_since: datetime | None,
    outcome: Attempt,
    now: datetime,
) -> Health:
    if outcome.succeeded:
        return Health(None)
    given_up_since = None
    if outcome.retryable and is_exhausted(job_attempts):
        # This job's first attempt: the endpoint has failed throughout the schedule if it failed since then.
        first = work.previous_attempts + 1
        given_up_since = await queries.first_attempt_at(session, work.subscription_id, work.delivery_id, first)
    return after_failure(failing_since, now, given_up_since=given_up_since)


def _log_skip(work: DeliveryJob, target: Target | None) -> None:
    if target is None:
        reason = "the subscription was deleted"
    elif not target.is_active:
        reason = "the subscription is disabled"
    else:
        reason = "the event no longer exists"
    logger.info("webhook delivery %s to subscription %s skipped: %s", work.delivery_id, work.subscription_id, reason)


def _log_outcome(work: DeliveryJob, event: Event, attempt_number: int, outcome: Attempt) -> None:
    result = "delivered" if outcome.succeeded else "failed"
    answer = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error
    logger.info(
        "webhook delivery %s (%s) attempt %d %s: %s", work.delivery_id, event.name, attempt_number, result, answer
    )
