"""The limiter held in this process: the model for the Redis one, and the memory of the database-backed one
(db/queries/usage.py), which keeps a journal of what it counted to write it out in batches."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import NamedTuple

from storegraph.platform.limits.decision import (
    STORE_COUNTERS,
    USAGE_PERIODS,
    WINDOW_SECONDS,
    Decision,
    Periods,
    RefusedBy,
    StoreQuota,
    Traffic,
    WindowState,
    check_amount,
    decide,
    periods_at,
    quota_limit,
    request_limits,
    window_state,
)
from storegraph.platform.limits.plans import Plan

# The periods whose counts outlive a process when a limiter keeps a journal; the minute's, like the window, do not.
LASTING_PERIODS = ("day", "month")


class CountKey(NamedTuple):
    """One count a limiter keeps, as a journal or a store of counts names it: whose (``owner`` "key" or "store",
    ``owner_id``), what (``name``: "requests", "signups", "webhooks", or "endpoint <label>"), and in which period
    (``period`` "day" or "month", ``label`` as ``Periods.label`` gives it)."""

    owner: str
    owner_id: int
    name: str
    period: str
    label: str


ENDPOINT_PREFIX = "endpoint "


class _Count:
    """One count of the current period (``label``): it starts again when a count of another period is added."""

    __slots__ = ("count", "label")

    def __init__(self) -> None:
        self.label = ""
        self.count = 0

    def add(self, label: str, amount: int) -> None:
        if self.label == label:
            self.count += amount
        else:
            self.label, self.count = label, amount


class _Tally:
    """A count per endpoint label in the current period (``label``); the whole tally starts again with another."""

    __slots__ = ("counts", "label")

    def __init__(self) -> None:
        self.label = ""
        self.counts: dict[str, int] = {}

    def add(self, label: str, endpoint: str, amount: int) -> None:
        if self.label != label:
            self.label, self.counts = label, {}
        self.counts[endpoint] = self.counts.get(endpoint, 0) + amount


class _PeriodCounts:
    """Counts per (owner, name) that start again when the period's label changes: only the current period of
    each is kept, so nothing grows with time. A count, once made, stays the same object, so that a request's counts
    can be found once per period and added to directly (``MemoryRateLimiter._count_request``)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[int, str], _Count] = {}

    def get(self, owner: int, name: str, label: str) -> int:
        kept = self._counts.get((owner, name))
        return kept.count if kept is not None and kept.label == label else 0

    def count(self, owner: int, name: str) -> _Count:
        kept = self._counts.get((owner, name))
        if kept is None:
            kept = self._counts[(owner, name)] = _Count()
        return kept

    def add(self, owner: int, name: str, label: str, amount: int = 1) -> None:
        self.count(owner, name).add(label, amount)


class _PeriodTallies:
    """Per (owner, period), a count per endpoint label; the whole tally starts again with a new period. A tally,
    once made, stays the same object, as a count does in ``_PeriodCounts``."""

    def __init__(self) -> None:
        self._tallies: dict[tuple[int, str], _Tally] = {}

    def get(self, owner: int, period: str, label: str) -> dict[str, int]:
        kept = self._tallies.get((owner, period))
        return kept.counts if kept is not None and kept.label == label else {}

    def tally(self, owner: int, period: str) -> _Tally:
        kept = self._tallies.get((owner, period))
        if kept is None:
            kept = self._tallies[(owner, period)] = _Tally()
        return kept

    def add(self, owner: int, period: str, label: str, endpoint: str, amount: int = 1) -> None:
        self.tally(owner, period).add(label, endpoint, amount)


class MemoryRateLimiter:
    """A deque of admitted request times per key (at most the plan's limit of them), the key's counters and
    endpoint tallies of the current minute, day and month, and the store's counters of the current month. No
    method awaits, so under asyncio each is atomic. ``clock`` gives epoch seconds (injectable for tests).

    With ``journal`` it also notes every day and month count it adds, until ``take_journal`` hands them over, and
    ``seed`` adds counts kept elsewhere (a previous process's)."""

    def __init__(self, clock: Callable[[], float] = time.time, *, journal: bool = False) -> None:
        self._clock = clock
        self._windows: dict[int, deque[float]] = {}
        self._key_counts = _PeriodCounts()
        self._store_counts = _PeriodCounts()
        self._endpoints = _PeriodTallies()
        self._journal: dict[CountKey, int] | None = {} if journal else None
        # What a request adds to, found once per period (``_request_counts``, ``_endpoint_counts``): its counts, each
        # with the label of the period it counts, and the journal's keys of the lasting ones. Per key, as the windows
        # are, and per endpoint label, which the server names.
        self._request_counts: dict[tuple[int, int, str], _RequestCounts] = {}
        self._endpoint_counts: dict[tuple[int, str], _EndpointCounts] = {}

    async def hit(
        self, store_id: int, key_pk: int, plan: Plan, now: float | None = None, *, traffic: Traffic = "platform"
    ) -> Decision:
        return self.take(store_id, key_pk, plan, now, traffic)

    def take(self, store_id: int, key_pk: int, plan: Plan, now: float | None, traffic: Traffic) -> Decision:
        """``hit``, for a caller in this process that need not await it (the database-backed limiter)."""
        now = self._clock() if now is None else now
        periods = periods_at(now)
        limits = request_limits(plan, traffic)
        per_minute = limits.per_minute
        # Without a per-minute limit nothing is ever kept in the key's window, so it is not looked at.
        window = self._window(key_pk, now) if per_minute is not None else None
        refused_by: RefusedBy | None = None
        if window is not None and per_minute is not None and len(window) >= per_minute:
            refused_by = "rate"
        elif limits.per_month is not None and self._store_count(store_id, limits.counter, periods) >= limits.per_month:
            refused_by = "quota"
        else:
            if window is not None:
                window.append(now)
            self._count_request(store_id, key_pk, periods, limits.counter)
        return decide(
            per_minute,
            now=now,
            in_window=len(window) if window else 0,
            oldest=window[0] if window else None,
            refused_by=refused_by,
            month_end=periods.month_end,
        )

    async def peek(self, key_pk: int, plan: Plan, now: float | None = None) -> WindowState:
        window = self._window(key_pk, self._now(now)) if key_pk in self._windows else deque[float]()
        return window_state(plan, in_window=len(window), oldest=window[0] if window else None)

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        periods = periods_at(self._now(now))
        return {period: self._key_counts.get(key_pk, period, periods.label(period)) for period in USAGE_PERIODS}

    async def record_endpoint(self, key_pk: int, endpoint: str, now: float | None = None) -> None:
        self.tally(key_pk, endpoint, now)

    def tally(self, key_pk: int, endpoint: str, now: float | None) -> None:
        """``record_endpoint``, for a caller in this process that need not await it."""
        periods = periods_at(self._clock() if now is None else now)
        kept = self._endpoint_counts.get((key_pk, endpoint))
        if kept is None or kept.periods is not periods:
            tallies = tuple((self._endpoints.tally(key_pk, period), label) for period, label in periods.labels)
            notes: tuple[CountKey, ...] = ()
            if self._journal is not None:
                name = ENDPOINT_PREFIX + endpoint
                notes = tuple(CountKey("key", key_pk, name, period, label) for period, label in _lasting(periods))
            kept = self._endpoint_counts[(key_pk, endpoint)] = _EndpointCounts(periods, tallies, notes)
        for tally, label in kept.tallies:  # ``_Tally.add`` inline: every request passes here
            if tally.label != label:
                tally.label, tally.counts = label, {}
            counts = tally.counts
            counts[endpoint] = counts.get(endpoint, 0) + 1
        journal = self._journal
        if journal is not None:
            for counter in kept.notes:
                journal[counter] = journal.get(counter, 0) + 1

    async def endpoint_usage(self, key_pk: int, now: float | None = None) -> dict[str, dict[str, int]]:
        periods = periods_at(self._now(now))
        tallies = {period: self._endpoints.get(key_pk, period, periods.label(period)) for period in USAGE_PERIODS}
        # Every label of the day and minute is also in the month's tally.
        return {
            endpoint: {period: tallies[period].get(endpoint, 0) for period in USAGE_PERIODS}
            for endpoint in tallies["month"]
        }

    async def consume(
        self, store_id: int, kind: StoreQuota, plan: Plan, amount: int = 1, now: float | None = None
    ) -> bool:
        check_amount(amount)
        periods = periods_at(self._now(now))
        limit = quota_limit(plan, kind)
        if limit is not None and self._store_count(store_id, kind, periods) + amount > limit:
            return False
        self._store_counts.add(store_id, kind, periods.month, amount)
        self._note(CountKey("store", store_id, kind, "month", periods.month), amount)
        return True

    async def store_usage(self, store_id: int, now: float | None = None) -> dict[str, int]:
        periods = periods_at(self._now(now))
        return {kind: self._store_count(store_id, kind, periods) for kind in STORE_COUNTERS}

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _window(self, key_pk: int, now: float) -> deque[float]:
        window = self._windows.setdefault(key_pk, deque())
        # An entry exactly a window old has left it (Redis's ZREMRANGEBYSCORE bound is inclusive too).
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        return window

    def _store_count(self, store_id: int, kind: str, periods: Periods) -> int:
        return self._store_counts.get(store_id, kind, periods.month)

    def _count_request(self, store_id: int, key_pk: int, periods: Periods, counter: str) -> None:
        kept = self._request_counts.get((store_id, key_pk, counter))
        if kept is None or kept.periods is not periods:
            counts = (
                *((self._key_counts.count(key_pk, period), label) for period, label in periods.labels),
                (self._store_counts.count(store_id, counter), periods.month),
            )
            notes: tuple[CountKey, ...] = ()
            if self._journal is not None:
                notes = (
                    *(CountKey("key", key_pk, "requests", period, label) for period, label in _lasting(periods)),
                    CountKey("store", store_id, counter, "month", periods.month),
                )
            kept = self._request_counts[(store_id, key_pk, counter)] = _RequestCounts(periods, counts, notes)
        for count, label in kept.counts:  # ``_Count.add`` inline: every request passes here
            if count.label == label:
                count.count += 1
            else:
                count.label, count.count = label, 1
        journal = self._journal
        if journal is not None:
            for count_key in kept.notes:
                journal[count_key] = journal.get(count_key, 0) + 1

    def seed(self, counts: Mapping[CountKey, int]) -> None:
        """Add counts kept elsewhere, not to the journal. A count of a period that is not the current one starts
        that counter's period anew, so seed the current periods only."""
        for counter, amount in counts.items():
            if counter.owner == "store":
                self._store_counts.add(counter.owner_id, counter.name, counter.label, amount)
            elif counter.name.startswith(ENDPOINT_PREFIX):
                endpoint = counter.name.removeprefix(ENDPOINT_PREFIX)
                self._endpoints.add(counter.owner_id, counter.period, counter.label, endpoint, amount)
            else:
                self._key_counts.add(counter.owner_id, counter.period, counter.label, amount)

    def take_journal(self) -> dict[CountKey, int]:
        """The day and month counts added since the last call (empty without ``journal``); they leave the journal."""
        taken = self._journal or {}
        if self._journal is not None:
            self._journal = {}
        return taken

    def return_journal(self, counts: Mapping[CountKey, int]) -> None:
        """Put back what ``take_journal`` gave (it could not be written out), to be taken again."""
        for counter, amount in counts.items():
            self._note(counter, amount)

    def _note(self, counter: CountKey, amount: int) -> None:
        if self._journal is not None:
            self._journal[counter] = self._journal.get(counter, 0) + amount


class _RequestCounts(NamedTuple):
    periods: Periods
    counts: tuple[tuple[_Count, str], ...]
    notes: tuple[CountKey, ...]


class _EndpointCounts(NamedTuple):
    periods: Periods
    tallies: tuple[tuple[_Tally, str], ...]
    notes: tuple[CountKey, ...]


def _lasting(periods: Periods) -> tuple[tuple[str, str], ...]:
    return tuple((period, label) for period, label in periods.labels if period in LASTING_PERIODS)
