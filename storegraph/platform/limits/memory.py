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


class _PeriodCounts:
    """Counts per (owner, name) that start again when the period's label changes: only the current period of
    each is kept, so nothing grows with time."""

    def __init__(self) -> None:
        self._counts: dict[tuple[int, str], tuple[str, int]] = {}

    def get(self, owner: int, name: str, label: str) -> int:
        kept_label, count = self._counts.get((owner, name), ("", 0))
        return count if kept_label == label else 0

    def add(self, owner: int, name: str, label: str, amount: int = 1) -> None:
        key = (owner, name)
        kept = self._counts.get(key)
        self._counts[key] = (label, kept[1] + amount if kept is not None and kept[0] == label else amount)


class _PeriodTallies:
    """Per (owner, period), a count per endpoint label; the whole tally starts again with a new period."""

    def __init__(self) -> None:
        self._tallies: dict[tuple[int, str], tuple[str, dict[str, int]]] = {}

    def get(self, owner: int, period: str, label: str) -> dict[str, int]:
        kept_label, tally = self._tallies.get((owner, period), ("", {}))
        return tally if kept_label == label else {}

    def add(self, owner: int, period: str, label: str, endpoint: str, amount: int = 1) -> None:
        key = (owner, period)
        kept = self._tallies.get(key)
        if kept is None or kept[0] != label:
            kept = (label, {})
            self._tallies[key] = kept
        tally = kept[1]
        tally[endpoint] = tally.get(endpoint, 0) + amount


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
        # The journal's keys of a request's counts, and of an endpoint's, made once per period (``_request_notes``,
        # ``_endpoint_notes``): per key, as the windows are, and per endpoint label, which the server names.
        self._request_notes: dict[tuple[int, int, str], tuple[Periods, tuple[CountKey, ...]]] = {}
        self._endpoint_notes: dict[tuple[int, str], tuple[Periods, tuple[CountKey, ...]]] = {}

    async def hit(
        self, store_id: int, key_pk: int, plan: Plan, now: float | None = None, *, traffic: Traffic = "platform"
    ) -> Decision:
        return self.take(store_id, key_pk, plan, now, traffic)

    def take(self, store_id: int, key_pk: int, plan: Plan, now: float | None, traffic: Traffic) -> Decision:
        """``hit``, for a caller in this process that need not await it (the database-backed limiter)."""
        now = self._clock() if now is None else now
        periods = periods_at(now)
        window = self._window(key_pk, now)
        limits = request_limits(plan, traffic)
        refused_by: RefusedBy | None = None
        if limits.per_minute is not None and len(window) >= limits.per_minute:
            refused_by = "rate"
        elif limits.per_month is not None and self._store_count(store_id, limits.counter, periods) >= limits.per_month:
            refused_by = "quota"
        else:
            if limits.per_minute is not None:
                window.append(now)
            self._count_request(store_id, key_pk, periods, limits.counter)
        oldest = window[0] if window else None
        return decide(
            limits.per_minute,
            now=now,
            in_window=len(window),
            oldest=oldest,
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
        for period, label in periods.labels:
            self._endpoints.add(key_pk, period, label, endpoint)
        journal = self._journal
        if journal is not None:
            cache_key = (key_pk, endpoint)
            kept = self._endpoint_notes.get(cache_key)
            if kept is None or kept[0] is not periods:
                name = ENDPOINT_PREFIX + endpoint
                notes = tuple(CountKey("key", key_pk, name, period, label) for period, label in _lasting(periods))
                kept = self._endpoint_notes[cache_key] = (periods, notes)
            for counter in kept[1]:
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
        for period, label in periods.labels:
            self._key_counts.add(key_pk, period, label)
        self._store_counts.add(store_id, counter, periods.month)
        journal = self._journal
        if journal is not None:
            cache_key = (store_id, key_pk, counter)
            kept = self._request_notes.get(cache_key)
            if kept is None or kept[0] is not periods:
                notes = (
                    *(CountKey("key", key_pk, "requests", period, label) for period, label in _lasting(periods)),
                    CountKey("store", store_id, counter, "month", periods.month),
                )
                kept = self._request_notes[cache_key] = (periods, notes)
            for count_key in kept[1]:
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


def _lasting(periods: Periods) -> tuple[tuple[str, str], ...]:
    return tuple((period, label) for period, label in periods.labels if period in LASTING_PERIODS)
