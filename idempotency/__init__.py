"""Idempotency-Key with Stripe's semantics: the store (memory or Redis), the header and fingerprint rules, and
which responses are kept. The ASGI middleware that applies them is middleware/idempotency.py; the guide is
docs/idempotency.md."""

from idempotency.keys import (
    MAX_KEY_LENGTH,
    InvalidIdempotencyKey,
    idempotency_key_of,
    parse_idempotency_key,
    request_fingerprint,
    scope_key,
)
from idempotency.memory import MemoryIdempotencyStore
from idempotency.policy import Requirement, is_kept, requirement
from idempotency.redis_store import RedisIdempotencyStore
from idempotency.store import DAY_SECONDS, IdempotencyStore, Outcome, Reservation, StoredResponse

__all__ = [
    "DAY_SECONDS",
    "MAX_KEY_LENGTH",
    "IdempotencyStore",
    "InvalidIdempotencyKey",
    "MemoryIdempotencyStore",
    "Outcome",
    "RedisIdempotencyStore",
    "Requirement",
    "Reservation",
    "StoredResponse",
    "idempotency_key_of",
    "is_kept",
    "parse_idempotency_key",
    "request_fingerprint",
    "requirement",
    "scope_key",
]
