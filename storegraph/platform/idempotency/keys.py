"""The ``Idempotency-Key`` header, and the two strings a record is found and checked by: the scope key (which API
key used which Idempotency-Key) and the request's fingerprint (what it asked for)."""

from __future__ import annotations

import hashlib
import re

import orjson
from starlette.types import Scope as AsgiScope

HEADER = "idempotency-key"
_HEADER_NAME = HEADER.encode("latin-1")
MAX_KEY_LENGTH = 255
# Stripe's rule: up to 255 characters. Printable ASCII only, so a key is safe in logs and Redis key names.
_VALID_KEY = re.compile(rb"[\x20-\x7e]{1,%d}" % MAX_KEY_LENGTH)
# orjson reads every number as an int of at most 64 bits or a double. A literal of 15 significant digits or fewer
# without an exponent converts exactly (and two different ones never meet), so the canonical form is faithful.
# Longer digit runs (an integer past 2**64 becomes a rounded double) or an exponent (1e-400 underflows to 0.0)
# could make two different bodies canonically equal: such a body is compared byte for byte. An exponent counts
# only in a token that starts like a number (after a JSON delimiter), not in a string's \u escape such as \ud8e0.
# Either pattern may also match text inside a string, which costs only the whitespace-insensitive comparison,
# never a false replay.
_IMPRECISE_NUMBER = re.compile(rb"[0-9.]{16,}|(?:^|[\s:,\[])-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]")


class InvalidIdempotencyKey(ValueError):
    """The header is present but empty, too long, not printable ASCII, or sent more than once."""


def idempotency_key_of(scope: AsgiScope) -> str | None:
    """The request's Idempotency-Key, None without the header; ``InvalidIdempotencyKey`` if it is not usable."""
    # The raw headers, as Starlette's ``Headers.getlist`` reads them (ASGI names are lower case), without decoding.
    values = [value for name, value in scope["headers"] if name == _HEADER_NAME]
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
    """sha256 over the method, path, query string and the body's digest, each part length-prefixed so that no
    two different requests can run together into the same bytes."""
    # The same bytes hashed in one piece (one ``update`` per part cost as many calls): kept fingerprints still match.
    method_bytes, path_bytes = method.encode("ascii"), path.encode("utf-8", "surrogatepass")
    return hashlib.sha256(
        b"".join(
            (
                len(method_bytes).to_bytes(8, "big"),
                method_bytes,
                len(path_bytes).to_bytes(8, "big"),
                path_bytes,
                len(query_string).to_bytes(8, "big"),
                query_string,
                body_digest(body),
            )
        )
    ).hexdigest()


def body_digest(body: bytes) -> bytes:
    """What a body asks for, compared as Stripe compares parameters rather than bytes: a JSON body by its canonical
    form (keys sorted, no whitespace, strings and numbers re-encoded), so a retry whose serialiser ordered or
    spaced the keys differently still gets its replay; any other body by its exact bytes. The two are tagged
    apart, so a JSON body never digests like a raw one."""
    if not _IMPRECISE_NUMBER.search(body):
        try:
            canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            pass  # not JSON (or nested past orjson's limit): compared byte for byte
        else:
            return b"json:" + hashlib.sha256(canonical).digest()
    return b"raw:" + hashlib.sha256(body).digest()
