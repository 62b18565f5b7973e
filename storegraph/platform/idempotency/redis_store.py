"""The idempotency store in Redis: one record per key, shared by every API process.

A record is one string value: a JSON header (orjson; it never contains a raw newline) with the request's
fingerprint and, once the request finished, a newline and the sealed response as raw bytes (binary-safe, no
base64). A reservation carries a lease TTL (``PX``) and a random owner; a stored response carries the 24-hour TTL.
Each step is one Lua script, so checking and writing a record is atomic across processes.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from storegraph.platform.idempotency.store import DAY_SECONDS, Outcome, Reservation, held, outcome_for

# As a Lua function, so that storegraph/platform/admission/redis_backend.py can run it in the same script as the rate
# limit. KEYS[1]
# the record; ARGV the reservation and its lease in ms. Returns the record that holds the key, or false after
# writing the reservation.
RESERVE_KEY_COUNT = 1
RESERVE_ARG_COUNT = 2
RESERVE_FUNCTION = """
local function reserve(KEYS, ARGV)
  local current = redis.call('GET', KEYS[1])
  if current then return current end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return false
end
"""
_RESERVE = RESERVE_FUNCTION + "return reserve(KEYS, ARGV)\n"

# ARGV: the caller's reservation, the stored response, its TTL in ms. Stored over the caller's own reservation, or
# when its lease ran out and nobody took the key since (the request did run); never over another holder's record.
_COMPLETE = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or not current then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""

# ARGV: the caller's reservation. Deleted only while it is still the caller's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIdempotencyStore:
    """Needs a client that returns bytes (``decode_responses=False``, redis-py's default): bodies are binary."""

    def __init__(self, redis: Any, *, prefix: str = "storegraph:") -> None:
        self.redis = redis
        self._reserve = redis.register_script(_RESERVE)
        self._complete = redis.register_script(_COMPLETE)
        self._release = redis.register_script(_RELEASE)
        self._prefix = f"{prefix}idempotency:"

    def redis_key(self, scope_key: str) -> str:
        return f"{self._prefix}{scope_key}"

    async def reserve(self, scope_key: str, fingerprint: str, lease_seconds: float) -> Reservation:
        call = self.reserve_call(scope_key, fingerprint, lease_seconds)
        return call.reservation(await self._reserve(keys=call.keys, args=call.args))

    def reserve_call(self, scope_key: str, fingerprint: str, lease_seconds: float) -> ReserveCall:
        """The keys and arguments of ``RESERVE_FUNCTION`` for one claim, and how to read its reply."""
        owner = secrets.token_hex(8)
        marker = encode_reservation(fingerprint, owner)
        args = (marker, _milliseconds(lease_seconds))
        return ReserveCall((self.redis_key(scope_key),), args, scope_key, fingerprint, owner)

    async def complete(self, reservation: Reservation, sealed: bytes, ttl_seconds: float = DAY_SECONDS) -> None:
        marker = encode_reservation(reservation.fingerprint, reservation.owner)
        record = encode_response(reservation.fingerprint, sealed)
        await self._complete(
            keys=[self.redis_key(reservation.scope_key)], args=[marker, record, _milliseconds(ttl_seconds)]
        )

    async def release(self, reservation: Reservation) -> None:
        marker = encode_reservation(reservation.fingerprint, reservation.owner)
        await self._release(keys=[self.redis_key(reservation.scope_key)], args=[marker])


@dataclass(frozen=True, slots=True)
class ReserveCall:
    """One claim's run of ``RESERVE_FUNCTION``: what to send, and the reservation its reply means."""

    keys: tuple[str, ...]
    args: tuple[bytes | int, ...]
    scope_key: str
    fingerprint: str
    owner: str

    def reservation(self, holder: bytes | None) -> Reservation:
        if holder is None:
            return Reservation(Outcome.NEW, self.scope_key, self.fingerprint, self.owner)
        held_fingerprint, sealed = decode_record(holder)
        outcome = outcome_for(self.fingerprint, held_fingerprint, sealed)
        return held(outcome, self.scope_key, self.fingerprint, sealed)


def encode_reservation(fingerprint: str, owner: str) -> bytes:
    # Deterministic (orjson keeps the dict's order), so the holder can rebuild it to compare-and-set.
    return orjson.dumps({"fingerprint": fingerprint, "owner": owner})


def encode_response(fingerprint: str, sealed: bytes) -> bytes:
    return orjson.dumps({"fingerprint": fingerprint}) + b"\n" + sealed


def decode_record(record: bytes) -> tuple[str, bytes | None]:
    """The fingerprint a record was made for, and its sealed response (None while a request holds it)."""
    header_bytes, newline, sealed = record.partition(b"\n")
    fingerprint: str = orjson.loads(header_bytes)["fingerprint"]
    return fingerprint, sealed if newline else None


def _milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
