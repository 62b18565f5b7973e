"""Which requests are the signed tracking endpoints: authenticated by ``X-DZ-Key`` and a signature, not by a
Bearer key, and exempt from the ``Idempotency-Key`` requirement (the signature's replay protection plays that
role). One definition, read by the auth, public-key and idempotency layers so they can never disagree."""

from __future__ import annotations

SIGNUPS_PATH = "/v1/signups"
EVENTS_PATH = "/v1/events"
SIGNED_PATHS = frozenset({SIGNUPS_PATH, EVENTS_PATH})
# POST is the endpoint; OPTIONS is the browser's CORS preflight for it, which carries no credentials at all.
SIGNED_METHODS = frozenset({"POST", "OPTIONS"})


def is_signed_request(method: str, path: str) -> bool:
    return path in SIGNED_PATHS and method in SIGNED_METHODS
