"""The limiter in Redis: every API process draws from the same windows, quotas and counters.

One Lua script per request does the whole decision, so it is exact under any concurrency. The window is a sorted
set of admitted request times per key; the usage counters are one string per key and period (minute, day,
month); each monthly request quota (platform keys', public keys') is one string per store and month, shared by
all the store's keys of its kind. The
signups and webhooks quotas are strings per store and month too, taken by a second script. Per-endpoint counters
are one hash per key and period (label → count), written after the response in one pipelined round trip. Every
key carries a TTL, so idle keys leave nothing behind. The time comes from the caller (the API process's clock,
kept in sync by NTP) because the periods' names depend on it.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

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
from storegraph.platform.redis_batch import PipelineBatcher, run_script

# The decision as a Lua function, so that storegraph/platform/admission/redis_backend.py can run it in the same script
# as the idempotency reservation. KEYS (HIT_KEY_COUNT): the key's window, minute, day and month counters, then the
# store's monthly request counter of the request's traffic (the quota: its platform keys' or its public keys').
# ARGV (HIT_ARG_COUNT): now, now - window (entries at or before it have left), window in ms, limit (-1: none),
# quota (-1: none), this request's member, TTL in seconds of the four counters.
# Returns {outcome, entries in the window afterwards, score of the oldest entry or ''}; scores stay strings
# because Lua numbers would be truncated on the way back.
HIT_KEY_COUNT = 5
HIT_ARG_COUNT = 10
HIT_FUNCTION = """
local function hit(KEYS, ARGV)
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
  if quota >= 0 and tonumber(redis.call('GET', KEYS[5]) or '0') >= quota then
    return {'quota', count, oldest()}
  end
  if limit >= 0 then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[6])
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    count = count + 1
  end
  for i = 2, 5 do
    if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[5 + i]) end
  end
  return {'ok', count, oldest()}
end
"""
_HIT = HIT_FUNCTION + "return hit(KEYS, ARGV)\n"

# KEYS: the store's monthly counter of one kind. ARGV: limit (-1: none), amount (at least 1), TTL in seconds.
# Returns 1 if the amount was taken, 0 (and nothing taken) if it would go over the limit.
_CONSUME = """
local limit = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
if limit >= 0 and tonumber(redis.call('GET', KEYS[1]) or '0') + amount > limit then return 0 end
if redis.call('INCRBY', KEYS[1], amount) == amount then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

# KEYS: the key's endpoint tallies of the minute, the day and the month. ARGV: the endpoint, then each tally's TTL.
_COUNT_ENDPOINT = """
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], ARGV[1], 1)
  redis.call('EXPIRE', KEYS[i], ARGV[i + 1])
end
return 1
"""

MINUTE_TTL = 2 * 60
DAY_TTL = 2 * 86_400
# A month counter outlives its month by a day, so a usage read at the turn of the month still finds it.
MONTH_GRACE = 86_400


class RedisRateLimiter:
    def __init__(self, redis: Any, prefix: str = "storegraph:") -> None:
        self.redis = redis
        # Concurrent requests' counting goes to Redis in one pipeline (each script and command atomic on its own).
        self.batcher = PipelineBatcher(redis)
        self._hit = redis.register_script(_HIT)
        self._consume = redis.register_script(_CONSUME)
        self._count_endpoint = redis.register_script(_COUNT_ENDPOINT)
        self._prefix = prefix

    async def hit(
        self, store_id: int, key_pk: int, plan: Plan, now: float | None = None, *, traffic: Traffic = "platform"
    ) -> Decision:
        call = self.hit_call(store_id, key_pk, plan, time.time() if now is None else now, traffic=traffic)
        return call.decision(await run_script(self.batcher, self._hit, call.keys, call.args))

    def hit_call(self, store_id: int, key_pk: int, plan: Plan, now: float, *, traffic: Traffic = "platform") -> HitCall:
        """The keys and arguments of ``HIT_FUNCTION`` for one request, and how to read its reply."""
        periods = periods_at(now)
        limits = request_limits(plan, traffic)
        limit = limits.per_minute
        quota = limits.per_month
        month_ttl = _month_ttl(periods, now)
        args: tuple[str | int, ...] = (
            repr(now),
            repr(now - WINDOW_SECONDS),
            WINDOW_SECONDS * 1000,
            -1 if limit is None else limit,
            -1 if quota is None else quota,
            # Unique, so two requests at the same instant are two entries of the window.
            f"{now!r}:{secrets.token_hex(8)}",
            MINUTE_TTL,
            DAY_TTL,
            month_ttl,
            month_ttl,
        )
        keys = (
            self._window_key(key_pk),
            *self._key_counters(key_pk, periods),
            self._store_key(store_id, limits.counter, periods),
        )
        return HitCall(keys, args, limit, now, periods.month_end)

    async def peek(self, key_pk: int, plan: Plan, now: float | None = None) -> WindowState:
        if plan.requests_per_minute is None:
            return window_state(plan, in_window=0, oldest=None)
        now = time.time() if now is None else now
        # Entries at or before now - window have left it (hit's ZREMRANGEBYSCORE bound); read only the rest.
        live = f"({now - WINDOW_SECONDS!r}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zcount(self._window_key(key_pk), live, "+inf")
            pipe.zrangebyscore(self._window_key(key_pk), live, "+inf", start=0, num=1, withscores=True)
            in_window, first = await pipe.execute()
        return window_state(plan, in_window=int(in_window), oldest=float(first[0][1]) if first else None)

    async def usage(self, key_pk: int, now: float | None = None) -> dict[str, int]:
        periods = periods_at(time.time() if now is None else now)
        values = await self.redis.mget(self._key_counters(key_pk, periods))
        return {period: int(value or 0) for period, value in zip(USAGE_PERIODS, values, strict=True)}

    async def record_endpoint(self, key_pk: int, endpoint: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        periods = periods_at(now)
        ttls = {"minute": MINUTE_TTL, "day": DAY_TTL, "month": _month_ttl(periods, now)}
        keys = self._endpoint_keys(key_pk, periods)
        # One script (atomic on its own), sent with other requests' commands: a command costs this process far more
        # than it costs Redis, and this one runs for every request.
        await run_script(
            self.batcher, self._count_endpoint, keys, [endpoint, *(ttls[period] for period in USAGE_PERIODS)]
        )

    async def endpoint_usage(self, key_pk: int, now: float | None = None) -> dict[str, dict[str, int]]:
        periods = periods_at(time.time() if now is None else now)
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._endpoint_keys(key_pk, periods):
                pipe.hgetall(key)
            tallies = dict(zip(USAGE_PERIODS, await pipe.execute(), strict=True))
        # Every label of the day and minute is also in the month's hash.
        months: dict[bytes | str, Any] = tallies["month"]
        return {
            _text(endpoint): {period: int(tallies[period].get(endpoint, 0)) for period in USAGE_PERIODS}
            for endpoint in months
        }

    async def consume(
        self, store_id: int, kind: StoreQuota, plan: Plan, amount: int = 1, now: float | None = None
    ) -> bool:
        check_amount(amount)
        now = time.time() if now is None else now
        periods = periods_at(now)
        limit = quota_limit(plan, kind)
        args = [-1 if limit is None else limit, amount, _month_ttl(periods, now)]
        taken = await self._consume(keys=[self._store_key(store_id, kind, periods)], args=args)
        return bool(int(taken))

    async def store_usage(self, store_id: int, now: float | None = None) -> dict[str, int]:
        periods = periods_at(time.time() if now is None else now)
        values = await self.redis.mget([self._store_key(store_id, kind, periods) for kind in STORE_COUNTERS])
        return {kind: int(value or 0) for kind, value in zip(STORE_COUNTERS, values, strict=True)}

    def _window_key(self, key_pk: int) -> str:
        return f"{self._prefix}limits:{key_pk}:window"

    def _key_counters(self, key_pk: int, periods: Periods) -> list[str]:
        base = f"{self._prefix}limits:{key_pk}"
        return [f"{base}:{period}:{periods.label(period)}" for period in USAGE_PERIODS]

    def _endpoint_keys(self, key_pk: int, periods: Periods) -> list[str]:
        base = f"{self._prefix}limits:{key_pk}:endpoints"
        return [f"{base}:{period}:{periods.label(period)}" for period in USAGE_PERIODS]

    def _store_key(self, store_id: int, kind: str, periods: Periods) -> str:
        return f"{self._prefix}limits:store:{store_id}:{kind}:{periods.month}"


@dataclass(frozen=True, slots=True)
class HitCall:
    """One request's run of ``HIT_FUNCTION``: what to send, and the decision its reply means."""

    keys: tuple[str, ...]
    args: tuple[str | int, ...]
    # The window's limit per minute (None: no window).
    limit: int | None
    now: float
    month_end: float

    def decision(self, reply: list[Any]) -> Decision:
        outcome, in_window, oldest = reply
        return decide(
            self.limit,
            now=self.now,
            in_window=int(in_window),
            oldest=float(oldest) if oldest else None,
            refused_by=_refusal(_text(outcome)),
            month_end=self.month_end,
        )


def _month_ttl(periods: Periods, now: float) -> int:
    return math.ceil(periods.month_end - now) + MONTH_GRACE


def _text(value: bytes | str) -> str:
    """A reply as text, whether or not the client was made with ``decode_responses``."""
    return value.decode() if isinstance(value, bytes) else value


def _refusal(outcome: str) -> RefusedBy | None:
    if outcome == "rate":
        return "rate"
    if outcome == "quota":
        return "quota"
    return None
