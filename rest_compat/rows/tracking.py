"""The signed tracking endpoints and the tracked event counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from resolvers.tracking import DEFAULT_DAYS, MAX_COUNT_ROWS, MAX_DAYS
from rest_compat import inputs
from rest_compat.direct import DirectCall, user_errors
from rest_compat.endpoint import Endpoint
from rest_compat.input_types import starts_with_day
from rest_compat.rows.common import USER_ERRORS
from schema.core.scalars import parse_datetime
from storegraph.platform.auth.scopes import Scope
from storegraph.platform.errors import ValidationFailed
from storegraph.platform.timestamps import utcnow
from storegraph.rules.tracking import accept
from storegraph.rules.tracking.validation import MAX_EVENTS, EventInput, EventsInput, SignupInput, plain_events


async def track_signup(call: DirectCall) -> dict[str, Any]:
    """``trackSignup``'s answer, without GraphQL: the body as its input, the resolver's rule."""
    body, principal = call.body(), call.principal
    raw = SignupInput(
        email=body.get("email"),
        phone=body.get("phone"),
        name=body.get("name"),
        source=body.get("source"),
        campaign=body.get("campaign"),
        metadata=body.get("metadata"),
    )
    try:
        signup_id = await accept.track_signup(
            call.queue,
            store_id=principal.store_id,
            key_id=principal.key_id,
            phone_region=principal.phone_region,
            raw=raw,
        )
    except ValidationFailed as error:
        return {"trackSignup": {"id": None, "userErrors": user_errors(error)}}
    return {"trackSignup": {"id": signup_id, "userErrors": []}}


async def track_events(call: DirectCall) -> dict[str, Any]:
    """``trackEvents``'s answer, without GraphQL. A plainly valid body (nearly every one) is read once, here, and
    checked in one pass (``plain_events``); any other goes through the body model and the rule's full checks,
    which answer exactly what they answer for every request."""
    principal = call.principal
    now = utcnow()
    try:
        events = plain_events(orjson.loads(call.raw), now=now, moment=_plain_moment)
    except orjson.JSONDecodeError:
        events = None
    if events is not None:
        ids = await accept.accept_events(
            call.queue, store_id=principal.store_id, key_id=principal.key_id, events=events, accepted_at=now
        )
        return {"trackEvents": {"accepted": len(ids), "ids": ids, "userErrors": []}}
    body = call.body()
    batch = body.get("events")
    raw = EventsInput(
        event=body.get("event"),
        properties=body.get("properties"),
        occurred_at=_moment(body.get("occurred_at")),
        events=None if batch is None else [_event(item) for item in batch],
    )
    try:
        ids = await accept.track_events(call.queue, store_id=principal.store_id, key_id=principal.key_id, raw=raw)
    except ValidationFailed as error:
        return {"trackEvents": {"accepted": 0, "ids": [], "userErrors": user_errors(error)}}
    return {"trackEvents": {"accepted": len(ids), "ids": ids, "userErrors": []}}


def _event(item: dict[str, Any]) -> EventInput:
    return EventInput(
        event=item.get("event"), properties=item.get("properties"), occurred_at=_moment(item.get("occurred_at"))
    )


def _moment(value: str | None) -> datetime | None:
    # The body model checked it with the DateTime scalar's parser; this is the scalar's conversion.
    return None if value is None else parse_datetime(value)


def _plain_moment(value: str) -> datetime:
    """What the body model's ``Moment`` accepts (``ValueError`` otherwise), converted as ``_moment`` converts it."""
    if not starts_with_day(value):
        raise ValueError("not a time")
    return parse_datetime(value)


ROWS: tuple[Endpoint, ...] = (
    # The signed tracking endpoints (docs/tracking.md): authenticated by a public key's X-DZ-Key, X-DZ-Timestamp
    # and X-DZ-Signature (storegraph/platform/auth/public_key.py) instead of a Bearer key, and needing no
    # Idempotency-Key.
    Endpoint(
        name="TrackSignup",
        method="POST",
        path="/v1/signups",
        scope=Scope.TRACKING_WRITE,
        summary="Track a signup with a public key; 202 at once, stored and counted by the worker",
        description="Signed with a public key (`X-DZ-Key`, `X-DZ-Timestamp`, `X-DZ-Signature`), not a Bearer key; "
        "no `Idempotency-Key` needed. An `email` or a `phone` (or both) is required, and a phone must be a valid "
        "number for the store's region; a counted signup fires `signup.counted`.",
        operation=(
            "mutation TrackSignup($input: TrackSignupInput!) "
            f"{{ trackSignup(input: $input) {{ ...TrackedSignup {USER_ERRORS} }} }}"
        ),
        result="trackSignup",
        user_errors="trackSignup.userErrors",
        fragment="TrackedSignup",
        resource="Tracking",
        status=202,
        body=inputs.TrackSignupBody,
        body_var="input",
        direct=track_signup,
    ),
    Endpoint(
        name="TrackEvents",
        method="POST",
        path="/v1/events",
        scope=Scope.TRACKING_WRITE,
        summary="Log one event or up to 100 with a public key; 202 at once, stored and counted by the worker",
        description="Signed with a public key (`X-DZ-Key`, `X-DZ-Timestamp`, `X-DZ-Signature`), not a Bearer key; "
        "no `Idempotency-Key` needed. Send one event (`event`, with optional `properties` and `occurred_at`) or "
        f"a batch of 1 to {MAX_EVENTS} in `events`, not both. The ids answered are the events' in the order sent.",
        operation=(
            "mutation TrackEvents($input: TrackEventsInput!) "
            f"{{ trackEvents(input: $input) {{ ...TrackedEvents {USER_ERRORS} }} }}"
        ),
        result="trackEvents",
        user_errors="trackEvents.userErrors",
        fragment="TrackedEvents",
        resource="Tracking",
        status=202,
        body=inputs.TrackEventsBody,
        body_var="input",
        direct=track_events,
    ),
    Endpoint(
        name="GetEventCounts",
        method="GET",
        path="/v1/events/counts",
        conditional="content",
        scope=Scope.USAGE_READ,
        summary="The store's tracked events counted per name and UTC day",
        description=f"The last {DEFAULT_DAYS} days unless `from` and `to` say otherwise: `from` on or before `to`, "
        f"at most {MAX_DAYS} days apart (both included). Only days and events with at least one event; more than "
        f"{MAX_COUNT_ROWS} counts is a `validation_error` (narrow the range or name an event).",
        operation=(
            "query GetEventCounts($from: Date, $to: Date, $event: String) "
            "{ eventCounts(from: $from, to: $to, event: $event) { ...EventCounts } }"
        ),
        result="eventCounts",
        fragment="EventCounts",
        resource="Tracking",
        query=inputs.EventCountsQuery,
        query_vars={"from_": "from", "to": "to", "event": "event"},
    ),
)
