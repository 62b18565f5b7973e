"""The cost bucket a GraphQL request draws its query cost from, and an in-memory leaky bucket that implements it.

The limiter owns the buckets (one per API key, sized by plan, in Redis at scale); the query cost extension only
needs the two calls of ``CostBudget``. This module imports nothing of the project so that the request context can
name the protocol without an import cycle.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """The bucket after the request's charge (and refund): Shopify's ``throttleStatus``."""

    maximum_available: float
    currently_available: float
    restore_rate: float

    def as_dict(self) -> dict[str, float]:
        # Whole points, as Shopify reports them: a fraction restored so far cannot be spent yet anyway.
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": math.floor(self.currently_available),
            "restoreRate": self.restore_rate,
        }


@dataclass(frozen=True, slots=True)
class CostCharge:
    """The answer to a charge: whether the cost was taken, and the bucket afterwards (unchanged if refused)."""

    accepted: bool
    status: ThrottleStatus

    def seconds_until(self, requested: int) -> float:
        """How long until ``requested`` points are available again, at the bucket's restore rate."""
        missing = requested - self.status.currently_available
        if missing <= 0:
            return 0.0
        if self.status.restore_rate <= 0:
            return float("inf")
        return missing / self.status.restore_rate


def unexecuted_cost_extensions() -> dict[str, Any]:
    """``extensions`` of a GraphQL answer given before any operation was costed: a request refused by the
    middleware (no key, a limit, an Idempotency-Key conflict), a body that is not a GraphQL request, a failure
    before anything ran. Nothing was requested or charged, and no bucket was read."""
    return {"cost": {"requestedQueryCost": 0, "actualQueryCost": None, "throttleStatus": None}}


class CostBudget(Protocol):
    """A bucket of query-cost points that refills at a steady rate.

    ``charge`` takes ``requested`` points if the bucket holds that many, atomically, and otherwise takes nothing;
    ``charge(0)`` only reports the bucket. ``refund`` gives points back (never above the maximum): the extension
    refunds what a query was charged beyond its actual cost.
    """

    async def charge(self, requested: int) -> CostCharge: ...

    async def refund(self, amount: int) -> ThrottleStatus: ...


class MemoryCostBudget:
    """A leaky bucket held in this process: the embedded default, and the model a Redis bucket must match.

    The level is stored with the time it was computed; reading it adds what the elapsed time restored, capped at
    the maximum, so no timer is needed. ``clock`` is injectable for tests (seconds, monotonic).
    """

    def __init__(self, maximum: float, restore_rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if maximum <= 0 or restore_rate < 0:
            raise ValueError("a cost bucket needs a positive maximum and a restore rate of at least 0")
        self._maximum = maximum
        self._restore_rate = restore_rate
        self._clock = clock
        self._available = maximum
        self._updated_at = clock()

    async def charge(self, requested: int) -> CostCharge:
        # No await between reading and writing the level: under asyncio the charge is atomic.
        available = self._refill()
        accepted = requested <= available
        if accepted:
            self._available = available - requested
        return CostCharge(accepted=accepted, status=self._status())

    async def refund(self, amount: int) -> ThrottleStatus:
        self._available = min(self._maximum, self._refill() + max(amount, 0))
        return self._status()

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(now - self._updated_at, 0.0)
        self._available = min(self._maximum, self._available + elapsed * self._restore_rate)
        self._updated_at = now
        return self._available

    def _status(self) -> ThrottleStatus:
        return ThrottleStatus(
            maximum_available=self._maximum,
            currently_available=self._available,
            restore_rate=self._restore_rate,
        )


class MemoryCostBudgets:
    """One ``MemoryCostBudget`` per API key, held by the app object: the embedded default (one process)."""

    def __init__(self, maximum: float, restore_rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._maximum = maximum
        self._restore_rate = restore_rate
        self._clock = clock
        self._buckets: dict[int, MemoryCostBudget] = {}

    def for_key(self, key_pk: int) -> CostBudget:
        bucket = self._buckets.get(key_pk)
        if bucket is None:
            bucket = self._buckets[key_pk] = MemoryCostBudget(self._maximum, self._restore_rate, clock=self._clock)
        return bucket


# The leaky bucket of MemoryCostBudget, as one atomic step in Redis. ARGV: maximum, restore rate per second,
# points to take (negative: a refund), 1 if a charge may be refused. The clock is Redis's own, so every API
# process agrees on it. Returns {1 if taken, the level after, as a string (Lua numbers would be truncated)}.
_LEAKY_BUCKET = """
local maximum = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local points = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(state[1]) or maximum
local at = tonumber(state[2]) or now
if now > at then level = math.min(maximum, level + (now - at) * rate) end
local taken = 0
if points <= level or ARGV[4] == '0' then
  level = math.min(maximum, level - points)
  taken = 1
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
if rate > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(maximum / rate * 1000) + 1000) end
return {taken, tostring(level)}
"""


class RedisCostBudget:
    """The cost bucket of one key in Redis: every API process draws from the same points."""

    def __init__(self, script: Any, key: str, maximum: float, restore_rate: float) -> None:
        self._script = script
        self._key = key
        self._maximum = maximum
        self._restore_rate = restore_rate

    async def charge(self, requested: int) -> CostCharge:
        taken, level = await self._script(keys=[self._key], args=[self._maximum, self._restore_rate, requested, 1])
        return CostCharge(accepted=bool(taken), status=self._status(float(level)))

    async def refund(self, amount: int) -> ThrottleStatus:
        _taken, level = await self._script(keys=[self._key], args=[self._maximum, self._restore_rate, -amount, 0])
        return self._status(float(level))

    def _status(self, level: float) -> ThrottleStatus:
        return ThrottleStatus(
            maximum_available=self._maximum, currently_available=level, restore_rate=self._restore_rate
        )


class RedisCostBudgets:
    """Hands out each key's ``RedisCostBudget``; the script is registered once (EVALSHA afterwards)."""

    def __init__(self, redis: Any, maximum: float, restore_rate: float, *, prefix: str = "storegraph:") -> None:
        self._script = redis.register_script(_LEAKY_BUCKET)
        self._maximum = maximum
        self._restore_rate = restore_rate
        self._prefix = prefix

    def for_key(self, key_pk: int) -> CostBudget:
        return RedisCostBudget(self._script, f"{self._prefix}cost:{key_pk}", self._maximum, self._restore_rate)


class CostBudgets(Protocol):
    def for_key(self, key_pk: int) -> CostBudget: ...
