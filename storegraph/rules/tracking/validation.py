"""What a tracked signup or event must be , checked the same way whichever API style it came
through: the REST body model only checks JSON types, GraphQL only its own types; every rule is here.

Field names in the problems are the GraphQL input's (``occurredAt``, ``events.3.event``); REST reports them
snake_cased (``events.3.occurred_at``), as pydantic would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from storegraph.platform.validation import MAX_JSON_BYTES, Problems, plainly_valid_json

MAX_EVENTS = 100
EVENT_NAME = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
# Events are logged as they happen; a time far from now is a client's clock or code gone wrong, and would put
# the event in a day's count nobody looks at. A day ahead covers any time zone mistake.
EARLIEST = datetime(2000, 1, 1)
MAX_AHEAD = timedelta(days=1)
MAX_NAME = 200
MAX_LABEL = 100


@dataclass(frozen=True, slots=True)
class SignupInput:
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    source: str | None = None
    campaign: str | None = None
    metadata: object = None


@dataclass(frozen=True, slots=True)
class ValidSignup:
    email: str | None
    # Normalised like a customer's (national digits for the store's region, else E.164).
    phone: str | None
    name: str | None
    source: str | None
    campaign: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventInput:
    event: str | None = None
    properties: object = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EventsInput:
    """One event (``event``, ``properties``, ``occurred_at``) or a batch (``events``), never both."""

    event: str | None = None
    properties: object = None
    occurred_at: datetime | None = None
    events: Sequence[EventInput] | None = None


@dataclass(frozen=True, slots=True)
class ValidEvent:
    event: str
    properties: dict[str, Any]
    # Naive UTC, the database's convention.
    occurred_at: datetime


def valid_signup(raw: SignupInput, *, phone_region: str) -> ValidSignup:
    problems = Problems()
    email = problems.email("email", raw.email)
    phone = problems.phone("phone", raw.phone.strip(), phone_region) if raw.phone and raw.phone.strip() else None
    if not _given(raw.email) and not _given(raw.phone):
        problems.add("email", "blank", "a signup needs an email or a phone (or both)")
    name = problems.text("name", raw.name, max_length=MAX_NAME)
    source = problems.text("source", raw.source, max_length=MAX_LABEL)
    campaign = problems.text("campaign", raw.campaign, max_length=MAX_LABEL)
    metadata = _json_object(problems, "metadata", raw.metadata)
    problems.raise_if_any()
    return ValidSignup(email=email, phone=phone, name=name, source=source, campaign=campaign, metadata=metadata)


def valid_events(raw: EventsInput, *, now: datetime) -> list[ValidEvent]:
    """The events of a request, in order; ``now`` (naive UTC) is the default time and the bound of the future."""
    problems = Problems()
    single_given = raw.event is not None or raw.properties is not None or raw.occurred_at is not None
    if raw.events is None:
        single = EventInput(event=raw.event, properties=raw.properties, occurred_at=raw.occurred_at)
        events = [_event(problems, "", single, now)]
    elif single_given:
        problems.add("events", "invalid", "send one event (event, properties, occurred_at) or events, not both")
        events = []
    elif not raw.events:
        problems.add("events", "blank", "events must hold at least one event")
        events = []
    elif len(raw.events) > MAX_EVENTS:
        problems.add("events", "too_long", f"events may hold at most {MAX_EVENTS} events")
        events = []
    else:
        events = [_event(problems, f"events.{index}.", item, now) for index, item in enumerate(raw.events)]
    problems.raise_if_any()
    return events


_EVENT_FIELDS = frozenset({"event", "properties", "occurred_at"})


def plain_events(body: object, *, now: datetime, moment: Callable[[str], datetime]) -> list[ValidEvent] | None:
    """The events of a parsed JSON body (``POST /v1/events``'s) when it is plainly valid: every field of the
    usual type and every rule of ``valid_events`` met, giving the same events ``valid_events`` gives; ``None``
    for anything else (a null, an unknown field, a problem), and the caller runs the full checks, which say what
    is wrong or accept what is merely unusual. ``moment`` reads an ``occurred_at`` (naive UTC; ``ValueError``).

    One pass and few calls per event: a batch of a hundred events is the hot path of intake."""
    if type(body) is not dict:
        return None
    if "events" in body:
        items = body["events"]
        if len(body) != 1 or type(items) is not list or not 0 < len(items) <= MAX_EVENTS:
            return None
    else:
        items = [body]
    latest = now + MAX_AHEAD
    events: list[ValidEvent] = []
    for item in items:
        if type(item) is not dict or not _EVENT_FIELDS.issuperset(item):
            return None
        # Subscripts rather than get(): a field left out is the rare case, and a subscript costs no call.
        if "event" not in item:
            return None
        name = item["event"]
        if type(name) is not str or not EVENT_NAME.fullmatch(name):
            return None
        if "properties" not in item:
            properties: dict[str, Any] = {}
        else:
            properties = item["properties"]
            if (
                type(properties) is not dict
                or not plainly_valid_json(properties)
                or len(orjson.dumps(properties)) > MAX_JSON_BYTES
            ):
                return None
        if "occurred_at" not in item:
            occurred_at = now
        else:
            raw_moment = item["occurred_at"]
            if type(raw_moment) is not str:
                return None
            try:
                occurred_at = moment(raw_moment)
            except ValueError:
                return None
            if not EARLIEST <= occurred_at <= latest:
                return None
        events.append(ValidEvent(event=name, properties=properties, occurred_at=occurred_at))
    return events


def _event(problems: Problems, prefix: str, raw: EventInput, now: datetime) -> ValidEvent:
    name = (raw.event or "").strip()
    if not name:
        problems.add(f"{prefix}event", "blank", f"{prefix}event is required")
    elif not EVENT_NAME.fullmatch(name):
        problems.add(
            f"{prefix}event",
            "invalid",
            f"{prefix}event must be 1 to 64 of a-z 0-9 _ . : - starting with a letter (e.g. page_view)",
        )
    properties = _json_object(problems, f"{prefix}properties", raw.properties)
    occurred_at = _occurred_at(problems, f"{prefix}occurredAt", raw.occurred_at, now)
    return ValidEvent(event=name, properties=properties, occurred_at=occurred_at)


def _occurred_at(problems: Problems, field: str, value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value < EARLIEST or value > now + MAX_AHEAD:
        problems.add(field, "out_of_range", f"{field} must be after 2000-01-01 and at most a day ahead of now (UTC)")
    return value


def _json_object(problems: Problems, field: str, value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(field, "invalid", f"{field} must be a JSON object")
        return {}
    problems.json_object(field, value)
    return dict(value)


def _given(value: str | None) -> bool:
    return value is not None and bool(value.strip())
