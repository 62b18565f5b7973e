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
from typing import Protocol


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
