"""Idempotency-Key with Stripe's semantics: the store (memory or Redis), the header and fingerprint rules, which
responses are kept, and the sealing of what is kept. The ASGI middleware that applies them is
storegraph/platform/idempotency/runs.py; the guide is docs/idempotency.md."""

from storegraph.platform.idempotency.keys import (
    MAX_KEY_LENGTH,
    InvalidIdempotencyKey,
    idempotency_key_of,
    parse_idempotency_key,
    request_fingerprint,
    scope_key,
)
from storegraph.platform.idempotency.memory import MemoryIdempotencyStore
from storegraph.platform.idempotency.policy import Requirement, is_kept, requirement
from storegraph.platform.idempotency.redis_store import RedisIdempotencyStore
from storegraph.platform.idempotency.sealing import AnswerSealer, UnreadableAnswer
from storegraph.platform.idempotency.store import DAY_SECONDS, IdempotencyStore, Outcome, Reservation, StoredResponse

__all__ = [
    "DAY_SECONDS",
    "MAX_KEY_LENGTH",
    "AnswerSealer",
    "IdempotencyStore",
    "InvalidIdempotencyKey",
    "MemoryIdempotencyStore",
    "Outcome",
    "RedisIdempotencyStore",
    "Requirement",
    "Reservation",
    "StoredResponse",
    "UnreadableAnswer",
    "idempotency_key_of",
    "is_kept",
    "parse_idempotency_key",
    "request_fingerprint",
    "requirement",
    "scope_key",
]
