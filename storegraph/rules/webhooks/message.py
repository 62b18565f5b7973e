"""What one delivery sends: the body (serialised once, so the signed bytes are the sent bytes) and its headers."""

from __future__ import annotations

import time

import orjson

from db.queries.webhooks import Event
from storegraph.platform.timestamps import rest_timestamp
from storegraph.rules.webhooks.signing import signature

USER_AGENT = "storegraph-webhooks/1"


def event_body(event: Event) -> bytes:
    """``{"id": "evt_...", "event": "...", "created_at": "YYYY-MM-DD HH:MM:SS", "data": {...}}``: the event's own
    time, in UTC as REST writes timestamps; the same bytes on every attempt, only the signature's timestamp moves."""
    return orjson.dumps(
        {"id": event.public_id, "event": event.name, "created_at": rest_timestamp(event.created_at), "data": event.data}
    )


def delivery_headers(
    *, secret: str, body: bytes, event: str, delivery_id: str, now: float | None = None
) -> dict[str, str]:
    """The headers of one attempt, signed at ``now`` (unix seconds): receivers refuse a timestamp over 300 s old,
    so each attempt is signed afresh."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-DZ-Timestamp": timestamp,
        "X-DZ-Signature": signature(secret, timestamp, body),
        "X-DZ-Event": event,
        "X-DZ-Delivery": delivery_id,
    }
