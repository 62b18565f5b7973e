"""The limiter held in this process: the embedded default (one API process), and the model for the Redis one."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from domain.plans import Plan
from limits.decision import USAGE_PERIODS, WINDOW_SECONDS, Decision, Periods, RefusedBy, decide, periods_at


class MemoryRateLimiter:
    """A deque of admitted request times per key (at most the plan's limit of them) and, per key, the counters of
    the current minute, day and month only, so nothing grows with time. ``hit`` never awaits, so under asyncio it
    is atomic. ``clock`` gives epoch seconds (injectable for tests)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[int, deque[float]] = {}
        # key_pk -> period -> (label of the period, count); a new label starts the count again.
        self._counters: dict[int, dict[str, tuple[str, int]]] = {}

    async def hit(self, key_pk: int, plan: Plan, now: float | None = None) -> Decision:
        now = self._clock() if now is None else now
        periods = periods_at(now)
        window = self._window(key_pk, now)
        refused_by: RefusedBy | None = None
        if plan.requests_per_minute is not None and len(window) >= plan.requests_per_minute:
            refused_by = "rate"
        elif plan.requests_per_month is not None and self._count(key_pk, periods, "month") >= plan.requests_per_month:
            refused_by = "quota"
        else:
            if plan.requests_per_minute is not None:
                window.append(now)
            self._count_request(key_pk, periods)
        oldest = window[0] if window else None
        return decide(
            plan, now=now, in_window=len(window), oldest=oldest, refused_by=refused_by, month_end=periods.month_end
        )

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        periods = periods_at(self._clock() if now is None else now)
        return {period: self._count(key_pk, periods, period) for period in USAGE_PERIODS}

    def _window(self, key_pk: int, now: float) -> deque[float]:
        window = self._windows.setdefault(key_pk, deque())
        # An entry exactly a window old has left it (Redis's ZREMRANGEBYSCORE bound is inclusive too).
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        return window

    def _count(self, key_pk: int, periods: Periods, period: str) -> int:
        label, count = self._counters.get(key_pk, {}).get(period, ("", 0))
        return count if label == periods.label(period) else 0

    def _count_request(self, key_pk: int, periods: Periods) -> None:
        counters = self._counters.setdefault(key_pk, {})
        for period in USAGE_PERIODS:
            counters[period] = (periods.label(period), self._count(key_pk, periods, period) + 1)
