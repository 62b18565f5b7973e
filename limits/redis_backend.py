"""The limiter in Redis: every API process draws from the same window, quota and counters.

One Lua script per request does the whole decision, so it is exact under any concurrency. The window is a sorted
set of admitted request times per key; the counters are one string per key and period (minute, day, month), the
month one doubling as the quota counter. Every key carries a TTL, so idle keys leave nothing behind. The time
comes from the caller (the API process's clock, kept in sync by NTP) because the periods' names depend on it.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from domain.plans import Plan
from limits.decision import USAGE_PERIODS, WINDOW_SECONDS, Decision, Periods, RefusedBy, decide, periods_at

# KEYS: window, minute counter, day counter, month counter. ARGV: now, now - window (entries at or before it have
# left), window in ms, limit (-1: none), quota (-1: none), this request's member, TTL in seconds of the three
# counters. Returns {outcome, entries in the window afterwards, score of the oldest entry or ''}; scores stay
# strings because Lua numbers would be truncated on the way back.
_HIT = """
local limit = tonumber(ARGV[4])
local quota = tonumber(ARGV[5])
local function oldest()
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return first[2] or ''
end
local count = 0
if limit >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
  count = redis.call('ZCARD', KEYS[1])
  if count >= limit then return {'rate', count, oldest()} end
end
if quota >= 0 and tonumber(redis.call('GET', KEYS[4]) or '0') >= quota then
  return {'quota', count, oldest()}
end
if limit >= 0 then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  count = count + 1
end
for i = 2, 4 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[5 + i]) end
end
return {'ok', count, oldest()}
"""

MINUTE_TTL = 2 * 60
DAY_TTL = 2 * 86_400
# A month counter outlives its month by a day, so a usage read at the turn of the month still finds it.
MONTH_GRACE = 86_400


class RedisRateLimiter:
    def __init__(self, redis: Any, prefix: str = "storegraph:") -> None:
        self._redis = redis
        self._script = redis.register_script(_HIT)
        self._prefix = prefix

    async def hit(self, key_pk: int, plan: Plan, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        periods = periods_at(now)
        limit = plan.requests_per_minute
        quota = plan.requests_per_month
        args = [
            repr(now),
            repr(now - WINDOW_SECONDS),
            WINDOW_SECONDS * 1000,
            -1 if limit is None else limit,
            -1 if quota is None else quota,
            # Unique, so two requests at the same instant are two entries of the window.
            f"{now!r}:{secrets.token_hex(8)}",
            MINUTE_TTL,
            DAY_TTL,
            math.ceil(periods.month_end - now) + MONTH_GRACE,
        ]
        outcome, in_window, oldest = await self._script(keys=self._keys(key_pk, periods), args=args)
        refused_by = _refusal(outcome.decode() if isinstance(outcome, bytes) else outcome)
        return decide(
            plan,
            now=now,
            in_window=int(in_window),
            oldest=float(oldest) if oldest else None,
            refused_by=refused_by,
            month_end=periods.month_end,
        )

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        periods = periods_at(time.time() if now is None else now)
        values = await self._redis.mget(self._keys(key_pk, periods)[1:])
        return {period: int(value or 0) for period, value in zip(USAGE_PERIODS, values, strict=True)}

    def _keys(self, key_pk: int, periods: Periods) -> list[str]:
        base = f"{self._prefix}limits:{key_pk}"
        return [f"{base}:window", *(f"{base}:{period}:{periods.label(period)}" for period in USAGE_PERIODS)]


def _refusal(outcome: str) -> RefusedBy | None:
    if outcome == "rate":
        return "rate"
    if outcome == "quota":
        return "quota"
    return None
