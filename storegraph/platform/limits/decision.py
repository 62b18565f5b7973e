"""What a limiter answers, the protocol both backends implement, and the arithmetic they share."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from storegraph.platform.limits.plans import Plan

WINDOW_SECONDS = 60
RefusedBy = Literal["rate", "quota"]
# The usage counters a limiter keeps per key (all requests, and per endpoint label).
USAGE_PERIODS = ("minute", "day", "month")
# Whose request ``hit`` decides: a platform key's (Bearer), or a public key's (the signed tracking endpoints).
# Each has its own window per key and its own monthly quota per store: a public key's signing secret sits in a
# page, so its traffic must never use up the quota the merchant's platform keys run on.
Traffic = Literal["platform", "public"]
# The monthly counters a limiter keeps per store: "requests" and "public_requests" are the two request quotas',
# counted by ``hit``; the others are drawn on by ``consume``.
StoreQuota = Literal["signups", "webhooks"]
STORE_COUNTERS = ("requests", "public_requests", "signups", "webhooks")
# What the per-endpoint counters file a request under when the app gave it no label.
OTHER_ENDPOINT = "other"


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one request. ``limit``, ``remaining`` and ``reset`` describe the 60-second window and are
    ``None`` for a plan without a per-minute limit; ``reset`` is the epoch second at which the window frees a slot."""

    allowed: bool
    limit: int | None
    remaining: int | None
    reset: int | None
    # Whole seconds to wait before retrying: at least 1 when refused, 0 when allowed.
    retry_after: int
    refused_by: RefusedBy | None


# The answer to every allowed request of a plan without a per-minute limit (a decision is never changed).
UNLIMITED = Decision(allowed=True, limit=None, remaining=None, reset=None, retry_after=0, refused_by=None)


@dataclass(frozen=True, slots=True)
class WindowState:
    """A key's 60-second window as it is, read without taking a slot. All ``None`` for a plan without a
    per-minute limit; ``reset`` (epoch second at which the oldest entry leaves) is ``None`` for an empty window."""

    limit: int | None
    remaining: int | None
    reset: int | None


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """The limits ``hit`` applies to one kind of traffic: the window per key, and the monthly quota per store
    kept in the store's ``counter``."""

    per_minute: int | None
    per_month: int | None
    counter: Literal["requests", "public_requests"]


# Every request asks, for one of a few plans: a pure function of a frozen plan, so the cache holds no state of its own.
@functools.lru_cache(maxsize=64)
def request_limits(plan: Plan, traffic: Traffic) -> RequestLimits:
    if traffic == "public":
        return RequestLimits(plan.public_requests_per_minute, plan.public_requests_per_month, "public_requests")
    return RequestLimits(plan.requests_per_minute, plan.requests_per_month, "requests")


class RateLimiter(Protocol):
    async def hit(
        self, store_id: int, key_pk: int, plan: Plan, now: float | None = None, *, traffic: Traffic = "platform"
    ) -> Decision:
        """Decide one request of the key, atomically: the key's window first, then the store's monthly quota of
        its ``traffic`` (shared by all the store's keys of that kind; ``request_limits``). Only an allowed request
        takes a slot of the window, counts toward that quota and is added to the key's usage counters."""
        ...

    async def peek(self, key_pk: int, plan: Plan, now: float | None = None) -> WindowState:
        """The key's window without adding to it."""
        ...

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        """Allowed requests of the key in the current minute, day and month (UTC)."""
        ...

    async def record_endpoint(self, key_pk: int, endpoint: str, now: float | None = None) -> None:
        """Count one answered request of the key under ``endpoint`` (a label the server chose, never client
        text) in the current minute, day and month."""
        ...

    async def endpoint_usage(self, key_pk: int, now: float | None = None) -> dict[str, dict[str, int]]:
        """The key's requests per endpoint label in the current periods: label → minute/day/month → count. A
        label seen this month but not this minute counts 0 for the minute."""
        ...

    async def consume(
        self, store_id: int, kind: StoreQuota, plan: Plan, amount: int = 1, now: float | None = None
    ) -> bool:
        """Take ``amount`` (at least 1) from the store's monthly ``kind`` quota, atomically and all or nothing:
        ``False``, and nothing taken, when that would go over the plan's limit (``None``: unlimited)."""
        ...

    async def store_usage(self, store_id: int, now: float | None = None) -> dict[str, int]:
        """The store's requests (platform and public), signups and webhooks counted this month (UTC), by
        ``STORE_COUNTERS`` name."""
        ...


@dataclass(frozen=True, slots=True)
class Periods:
    """The calendar periods (UTC) ``now`` falls in, as labels for counter keys, and when the month ends."""

    minute: str
    day: str
    month: str
    month_end: float
    # (period, label) in USAGE_PERIODS order: what the counters of every request iterate over.
    labels: tuple[tuple[str, str], ...]

    def label(self, period: str) -> str:
        if period not in ("minute", "day", "month"):
            raise KeyError(period)
        label: str = getattr(self, period)
        return label


def periods_at(now: float) -> Periods:
    return _periods_of_minute(math.floor(now / 60))


# Every request asks (twice), and the answer changes once a minute: formatting the labels each time showed up in
# profiles of the tracking intake. A pure function of the minute, so the cache holds no state of its own.
@functools.lru_cache(maxsize=4)
def _periods_of_minute(minute: int) -> Periods:
    moment = datetime.fromtimestamp(minute * 60, UTC)
    next_month = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
    formats = {"minute": "%Y%m%d%H%M", "day": "%Y%m%d", "month": "%Y%m"}
    labels = {period: moment.strftime(form) for period, form in formats.items()}
    return Periods(
        minute=labels["minute"],
        day=labels["day"],
        month=labels["month"],
        month_end=next_month.timestamp(),
        labels=tuple((period, labels[period]) for period in USAGE_PERIODS),
    )


def quota_limit(plan: Plan, kind: StoreQuota) -> int | None:
    return plan.signups_per_month if kind == "signups" else plan.webhooks_per_month


def check_amount(amount: int) -> None:
    # A zero or negative amount would let ``consume`` hand quota back (or succeed over the limit).
    if amount < 1:
        raise ValueError(f"amount must be at least 1, got {amount}")


def window_state(plan: Plan, *, in_window: int, oldest: float | None) -> WindowState:
    limit = plan.requests_per_minute
    if limit is None:
        return WindowState(None, None, None)
    reset = math.ceil(oldest + WINDOW_SECONDS) if oldest is not None else None
    return WindowState(limit=limit, remaining=max(limit - in_window, 0), reset=reset)


def decide(
    limit: int | None,
    *,
    now: float,
    in_window: int,
    oldest: float | None,
    refused_by: RefusedBy | None,
    month_end: float,
) -> Decision:
    """Build the answer from the window of ``limit`` per minute after the request (``in_window`` entries, the
    oldest at ``oldest``)."""
    # An empty window (only when nothing could be admitted) frees a slot a full window after now.
    frees_at = (oldest if oldest is not None else now) + WINDOW_SECONDS
    retry_after = 0
    if refused_by == "rate":
        retry_after = max(1, math.ceil(frees_at - now))
    elif refused_by == "quota":
        retry_after = max(1, math.ceil(month_end - now))
    if limit is None:
        if refused_by is None:
            return UNLIMITED
        return Decision(False, None, None, None, retry_after, refused_by)
    return Decision(
        allowed=refused_by is None,
        limit=limit,
        remaining=max(limit - in_window, 0),
        reset=math.ceil(frees_at),
        retry_after=retry_after,
        refused_by=refused_by,
    )
