"""The public-key request signature:

    X-DZ-Signature = hex(hmac_sha256(signing_secret, timestamp + "." + hex(sha256(raw_body))))

``timestamp`` is ``X-DZ-Timestamp`` exactly as sent (unix seconds), the HMAC key is the signing secret's UTF-8
bytes, and the body is the raw bytes as received (before any JSON parsing, so the client signs what it sends).
It is the scheme of webhook deliveries too (storegraph/rules/webhooks/signing.py), so merchants verify and sign with one
piece of code.
"""

from __future__ import annotations

import hmac
import re

from storegraph.platform.signatures import sign

# Unix seconds; 1 to 12 digits is any time from 1970 to far beyond anything the tolerance would accept.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


def is_well_formed(presented: str) -> bool:
    """Whether ``presented`` could be a signature at all (64 hex digits), checked before any key is looked up."""
    return _SIGNATURE.fullmatch(presented) is not None


def signature_matches(signing_secret: str, timestamp: str, body: bytes, presented: str) -> bool:
    """Whether ``presented`` is the signature of ``body`` at ``timestamp``, compared in constant time."""
    if not is_well_formed(presented):
        return False
    return hmac.compare_digest(sign(signing_secret, timestamp, body), presented.lower())


def parse_timestamp(raw: str) -> int | None:
    """``X-DZ-Timestamp`` as unix seconds, or ``None`` when it is not a plain decimal number."""
    return int(raw) if _TIMESTAMP.fullmatch(raw) else None


def is_fresh(timestamp: int, now: float, tolerance_seconds: int) -> bool:
    """Within ``tolerance_seconds`` of the server's clock, either way (clients' clocks run fast or slow)."""
    return abs(now - timestamp) <= tolerance_seconds
