"""The DZBuild API's webhook signature scheme and the delivery id: pure functions, shared by the sender and the tests.

``X-DZ-Signature = hex(hmac_sha256(secret, timestamp + "." + hex(sha256(raw_body))))``, exactly what the DZBuild
API v1 post's Express handler recomputes, so a receiver written from that page verifies our deliveries unchanged.
"""

from __future__ import annotations

import hashlib

from storegraph.platform.signatures import sign

DELIVERY_PREFIX = "dlv_"
# 96 bits of the hash: no two (event, endpoint) pairs of a deployment meet by chance.
_DELIVERY_HEX = 24


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-DZ-Signature`` of ``body`` sent at ``timestamp`` (unix seconds, as the header carries them)."""
    return sign(secret, timestamp, body)


def delivery_id(event_public_id: str, subscription_id: int) -> str:
    """The ``X-DZ-Delivery`` of one event to one endpoint: derived, not drawn, so that an event dispatched twice
    (a crash between enqueueing and marking it dispatched) carries the same id both times and the receiver can
    drop the duplicate. Nothing secret goes in, so it needs no key."""
    digest = hashlib.sha256(f"{event_public_id}:{subscription_id}".encode()).hexdigest()
    return DELIVERY_PREFIX + digest[:_DELIVERY_HEX]
