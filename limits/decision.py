"""What a limiter answers, the protocol both backends implement, and the arithmetic they share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from domain.plans import Plan

WINDOW_SECONDS = 60
RefusedBy = Literal["rate", "quota"]
# The usage counters a limiter keeps per key; the month one is also the monthly quota's counter.
USAGE_PERIODS = ("minute", "day", "month")


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


class RateLimiter(Protocol):
    async def hit(self, key_pk: int, plan: Plan, now: float | None = None) -> Decision:
        """Decide one request of the key, atomically: the window first, then the monthly quota. Only an allowed
        request takes a slot of the window, counts toward the quota and is added to the usage counters."""
        ...

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        """Allowed requests of the key in the current minute, day and month (UTC)."""
        ...


@dataclass(frozen=True, slots=True)
class Periods:
    """The calendar periods (UTC) ``now`` falls in, as labels for counter keys, and when the month ends."""

    minute: str
    day: str
    month: str
    month_end: float

    def label(self, period: str) -> str:
        labels = {"minute": self.minute, "day": self.day, "month": self.month}
        return labels[period]


def periods_at(now: float) -> Periods:
    moment = datetime.fromtimestamp(now, UTC)
    next_month = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
    return Periods(
        minute=moment.strftime("%Y%m%d%H%M"),
        day=moment.strftime("%Y%m%d"),
        month=moment.strftime("%Y%m"),
        month_end=next_month.timestamp(),
    )


def decide(
    plan: Plan, *, now: float, in_window: int, oldest: float | None, refused_by: RefusedBy | None, month_end: float
) -> Decision:
    """Build the answer from the window after the request (``in_window`` entries, the oldest at ``oldest``)."""
    limit = plan.requests_per_minute
    # An empty window (only when nothing could be admitted) frees a slot a full window after now.
    frees_at = (oldest if oldest is not None else now) + WINDOW_SECONDS
    retry_after = 0
    if refused_by == "rate":
        retry_after = max(1, math.ceil(frees_at - now))
    elif refused_by == "quota":
        retry_after = max(1, math.ceil(month_end - now))
    if limit is None:
        return Decision(refused_by is None, None, None, None, retry_after, refused_by)
    return Decision(
        allowed=refused_by is None,
        limit=limit,
        remaining=max(limit - in_window, 0),
        reset=math.ceil(frees_at),
        retry_after=retry_after,
        refused_by=refused_by,
    )
