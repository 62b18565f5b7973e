"""The two job kinds of tracking and their payloads: one job per accepted request, written by the API before it
answers 202 and read by the worker's handlers (storegraph/rules/tracking/handlers.py).

The payload carries everything the handler stores, ids included: the ids were given in the 202, so running a job
twice stores each thing once. Times travel as ISO 8601 (naive UTC). Payloads hold emails and phones: the
worker never logs them (storegraph/platform/jobs/worker.py logs a job's id and kind only).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storegraph.rules.tracking.validation import ValidEvent, ValidSignup

SIGNUP_JOB = "tracking.signup"
EVENTS_JOB = "tracking.events"


class MalformedJob(ValueError):
    """A payload this code cannot read (another release wrote it?): the worker retries it and, in the end, keeps it
    as a dead letter for the operator. The message names what is wrong, never a value (it may be PII)."""


def new_signup_id() -> str:
    return f"sgn_{secrets.token_hex(12)}"


def new_tracked_event_ids(count: int) -> list[str]:
    """``count`` event ids (``tev_`` and 12 random bytes in hex each), from one read of the system's randomness."""
    digits = secrets.token_hex(12 * count)
    return [f"tev_{digits[start : start + 24]}" for start in range(0, 24 * count, 24)]


@dataclass(frozen=True, slots=True)
class SignupJob:
    store_id: int
    key_id: str
    public_id: str
    accepted_at: datetime
    signup: ValidSignup

    def payload(self) -> dict[str, Any]:
        signup = self.signup
        return {
            "store_id": self.store_id,
            "key_id": self.key_id,
            "id": self.public_id,
            "accepted_at": self.accepted_at.isoformat(),
            "email": signup.email,
            "phone": signup.phone,
            "name": signup.name,
            "source": signup.source,
            "campaign": signup.campaign,
            "metadata": signup.metadata,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SignupJob:
        signup = ValidSignup(
            email=_optional_text(payload, "email"),
            phone=_optional_text(payload, "phone"),
            name=_optional_text(payload, "name"),
            source=_optional_text(payload, "source"),
            campaign=_optional_text(payload, "campaign"),
            metadata=_object(payload, "metadata"),
        )
        return cls(
            store_id=_integer(payload, "store_id"),
            key_id=_text(payload, "key_id"),
            public_id=_text(payload, "id"),
            accepted_at=_moment(payload, "accepted_at"),
            signup=signup,
        )


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    public_id: str
    event: ValidEvent


@dataclass(frozen=True, slots=True)
class EventsJob:
    store_id: int
    key_id: str
    accepted_at: datetime
    events: list[AcceptedEvent]

    def payload(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "key_id": self.key_id,
            "accepted_at": self.accepted_at.isoformat(),
            "events": [
                {
                    "id": accepted.public_id,
                    "event": accepted.event.event,
                    "properties": accepted.event.properties,
                    "occurred_at": accepted.event.occurred_at.isoformat(),
                }
                for accepted in self.events
            ],
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> EventsJob:
        raw_events = payload.get("events")
        if not isinstance(raw_events, list) or not all(isinstance(item, dict) for item in raw_events):
            raise MalformedJob("events must be a list of objects")
        events = [
            AcceptedEvent(
                public_id=_text(item, "id"),
                event=ValidEvent(
                    event=_text(item, "event"),
                    properties=_object(item, "properties"),
                    occurred_at=_moment(item, "occurred_at"),
                ),
            )
            for item in raw_events
        ]
        return cls(
            store_id=_integer(payload, "store_id"),
            key_id=_text(payload, "key_id"),
            accepted_at=_moment(payload, "accepted_at"),
            events=events,
        )


def _integer(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedJob(f"{name} must be an integer")
    return value


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedJob(f"{name} must be a non-empty string")
    return value


def _optional_text(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise MalformedJob(f"{name} must be a string or null")
    return value


def _object(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name)
    if not isinstance(value, dict):
        raise MalformedJob(f"{name} must be an object")
    return value


def _moment(payload: dict[str, Any], name: str) -> datetime:
    try:
        return datetime.fromisoformat(_text(payload, name))
    except ValueError:
        raise MalformedJob(f"{name} must be an ISO 8601 time") from None
