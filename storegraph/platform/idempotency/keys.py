"""The ``Idempotency-Key`` header, and the two strings a record is found and checked by: the scope key (which API
key used which Idempotency-Key) and the request's fingerprint (what it asked for)."""

from __future__ import annotations

import hashlib
import re

from starlette.datastructures import Headers
from starlette.types import Scope as AsgiScope

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
# Stripe's rule: up to 255 characters. Printable ASCII only, so a key is safe in logs and Redis key names.
_VALID_KEY = re.compile(rb"[\x20-\x7e]{1,%d}" % MAX_KEY_LENGTH)


class InvalidIdempotencyKey(ValueError):
    """The header is present but empty, too long, not printable ASCII, or sent more than once."""


def idempotency_key_of(scope: AsgiScope) -> str | None:
    """The request's Idempotency-Key, None without the header; ``InvalidIdempotencyKey`` if it is not usable."""
    values = [value.encode("latin-1") for value in Headers(scope=scope).getlist(HEADER)]
    if not values:
        return None
    if len(values) > 1:  # which one the client meant is a guess: refuse rather than pick
        raise InvalidIdempotencyKey("sent more than once")
    return parse_idempotency_key(values[0])


def parse_idempotency_key(raw: bytes) -> str:
    if not _VALID_KEY.fullmatch(raw):
        raise InvalidIdempotencyKey("must be 1 to 255 printable ASCII characters")
    return raw.decode("ascii")


def scope_key(key_pk: int, idempotency_key: str) -> str:
    """Keys are scoped per API key: two keys may use the same Idempotency-Key independently."""
    return f"{key_pk}:{idempotency_key}"


def request_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """sha256 over the method, path, query string and the body's sha256, each part length-prefixed so that no
    two different requests can run together into the same bytes."""
    digest = hashlib.sha256()
    for part in (method.encode("ascii"), path.encode("utf-8", "surrogatepass"), query_string):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    digest.update(hashlib.sha256(body).digest())
    return digest.hexdigest()
