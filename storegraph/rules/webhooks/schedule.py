"""When a failed delivery is tried again: exponential backoff with jitter over about a day (docs/webhooks.md).

Attempt 1 is the first send; after attempt n fails, the next one waits ``RETRY_DELAYS[n - 1]`` ±20 %. The steps
add up to 85,350 s (23.7 h), so a delivery is given up about a day after its first attempt, which is also how long
an endpoint may fail before it is disabled (storegraph/rules/webhooks/health.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from storegraph.platform.jobs.backoff import jittered

RETRY_DELAYS: tuple[float, ...] = (30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 28_800)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
# A receiver's Retry-After is honoured up to the longest step: it may slow us down, not park a delivery for days.
MAX_RETRY_AFTER = max(RETRY_DELAYS)
# The status codes that say "not now" rather than "never": everything else below 500 is the receiver refusing
# this delivery, and sending it again would get the same answer.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """Whether a non-2xx answer is worth another attempt: 5xx, 408, 429, and 3xx (redirects are not followed,
    so a moved endpoint keeps failing until its owner updates the URL, as the log tells them)."""
    return not 400 <= status < 500 or status in RETRYABLE_CLIENT_ERRORS


def is_exhausted(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


def retry_delay(attempts: int, *, jitter: float | None = None, retry_after: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed attempts (1 or more). ``jitter`` in [-1, 1] scales the ±20 %
    spread (random when ``None``) so endpoints that failed together do not all retry in the same second.
    ``retry_after`` (the receiver's own wish) lengthens the wait up to ``MAX_RETRY_AFTER``, never shortens it."""
    delay = jittered(RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1], JITTER, jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP date; ``None`` if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)
