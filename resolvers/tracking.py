"""Tracking in GraphQL: accepting signups and events (for public keys, through POST /v1/signups and /v1/events),
and reading what the worker stored (``signups``, ``eventCounts``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from db.queries.tracking import NEWEST_SIGNUPS, count_signups, event_counts, list_signups
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page
from storegraph.platform.errors import ValidationFailed
from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.timestamps import utcnow
from storegraph.rules.tracking import accept
from storegraph.rules.tracking.validation import EVENT_NAME, EventsInput, SignupInput

SIGNUPS_LIST = "signups"
# Without ``from``, the counts of the last 30 days (today included); a range is at most a year and a day.
DEFAULT_DAYS = 30
MAX_DAYS = 366
# Rows of one answer at most: (event types) x (days). Past it the client is asked to narrow the range.
MAX_COUNT_ROWS = 5000


@dataclass(frozen=True, slots=True)
class EventCountSource:
    event: str
    day: str
    count: int


@dataclass(frozen=True, slots=True)
class EventCountsSource:
    from_: str
    to: str
    total: int
    counts: list[EventCountSource]


async def track_signup(context: Context, raw: SignupInput) -> str:
    """The accepted signup's id; ``ValidationFailed`` for a body that breaks a rule (nothing is queued)."""
    principal = context.principal
    return await accept.track_signup(
        _queue(context),
        store_id=principal.store_id,
        key_id=principal.key_id,
        phone_region=principal.phone_region,
        raw=raw,
    )


async def track_events(context: Context, raw: EventsInput) -> list[str]:
    principal = context.principal
    return await accept.track_events(_queue(context), store_id=principal.store_id, key_id=principal.key_id, raw=raw)


async def signups_page(context: Context, first: int, after: str | None) -> PageSource:
    check_first(first)
    position = decode_after(context, SIGNUPS_LIST, NEWEST_SIGNUPS, after)
    rows = await list_signups(context.db, context.store_id, position, first)
    return make_page(
        context,
        SIGNUPS_LIST,
        NEWEST_SIGNUPS,
        rows,
        first,
        position,
        lambda: count_signups(context.db, context.store_id),
    )


async def event_counts_report(
    context: Context, first_day: date | None, last_day: date | None, event: str | None
) -> EventCountsSource:
    last = last_day or utcnow().date()
    # Near date.min the default start would not exist: the range then starts at the first day there is.
    first = first_day or last - timedelta(days=min(DEFAULT_DAYS - 1, (last - date.min).days))
    if first > last:
        raise ValidationFailed.single("from", "out_of_range", "from must be on or before to")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed.single("to", "out_of_range", f"from and to may span at most {MAX_DAYS} days")
    if event is not None and not EVENT_NAME.fullmatch(event):
        raise ValidationFailed.single("event", "invalid", "event must be an event name such as page_view")
    rows = await event_counts(context.db, context.store_id, first, last, event, MAX_COUNT_ROWS + 1)
    if len(rows) > MAX_COUNT_ROWS:
        raise ValidationFailed.single(
            "from", "too_many", f"more than {MAX_COUNT_ROWS} counts: narrow the range or name an event"
        )
    counts = [EventCountSource(event=name, day=day.isoformat(), count=count) for name, day, count in rows]
    return EventCountsSource(
        from_=first.isoformat(), to=last.isoformat(), total=sum(item.count for item in counts), counts=counts
    )


def _queue(context: Context) -> JobQueue:
    if context.job_queue is None:
        # A wiring mistake, not the client's: answered as internal_error (and logged).
        raise RuntimeError("the GraphQL context has no job queue: pass job_queue to GraphQLEndpoint")
    return context.job_queue
