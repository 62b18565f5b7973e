"""Admission in Redis: the rate-limit decision and the idempotency reservation in one script, so a write with an
Idempotency-Key costs one round trip before it runs instead of two, and a refused request never holds its key,
not even for a moment. The script is the two backends' own Lua functions (storegraph/platform/limits/redis_backend.py,
storegraph/platform/idempotency/redis_store.py) run one after the other; its keys span both, so it needs one Redis
server, not a
cluster (as every Redis backend of storegraph does).
"""

from __future__ import annotations

import time

from storegraph.platform.admission.core import Admitted, Claim
from storegraph.platform.idempotency.redis_store import (
    RESERVE_ARG_COUNT,
    RESERVE_FUNCTION,
    RESERVE_KEY_COUNT,
    RedisIdempotencyStore,
)
from storegraph.platform.limits.decision import Traffic
from storegraph.platform.limits.plans import Plan
from storegraph.platform.limits.redis_backend import HIT_ARG_COUNT, HIT_FUNCTION, HIT_KEY_COUNT, RedisRateLimiter

# KEYS and ARGV: the hit's, then the reservation's. Returns {decision} for a refused request (nothing reserved),
# else {decision, the record that holds the key or nil after reserving it}.
_ADMIT = (
    HIT_FUNCTION
    + RESERVE_FUNCTION
    + f"""
local function slice(list, first, last)
  local part = {{}}
  for i = first, last do part[#part + 1] = list[i] end
  return part
end
local decision = hit(slice(KEYS, 1, {HIT_KEY_COUNT}), slice(ARGV, 1, {HIT_ARG_COUNT}))
if decision[1] ~= 'ok' then return {{decision}} end
local held = reserve(
  slice(KEYS, {HIT_KEY_COUNT + 1}, {HIT_KEY_COUNT + RESERVE_KEY_COUNT}),
  slice(ARGV, {HIT_ARG_COUNT + 1}, {HIT_ARG_COUNT + RESERVE_ARG_COUNT}))
return {{decision, held}}
"""
)


class RedisAdmission:
    """Over a limiter and a store on one Redis client: the script writes the reservation where the store will
    later complete or release it."""

    def __init__(self, limiter: RedisRateLimiter, store: RedisIdempotencyStore) -> None:
        if limiter.redis is not store.redis:
            raise ValueError("the limiter and the idempotency store must share one Redis client")
        self.limiter = limiter
        self.store = store
        self._admit = limiter.redis.register_script(_ADMIT)

    async def admit(
        self,
        store_id: int,
        key_pk: int,
        plan: Plan,
        claim: Claim | None,
        now: float | None = None,
        *,
        traffic: Traffic = "platform",
    ) -> Admitted:
        if claim is None:
            return Admitted(await self.limiter.hit(store_id, key_pk, plan, now, traffic=traffic))
        hit = self.limiter.hit_call(store_id, key_pk, plan, time.time() if now is None else now, traffic=traffic)
        reserve = self.store.reserve_call(claim.scope_key, claim.fingerprint, claim.lease_seconds)
        reply = await self._admit(keys=[*hit.keys, *reserve.keys], args=[*hit.args, *reserve.args])
        decision = hit.decision(reply[0])
        if not decision.allowed:
            return Admitted(decision)
        # The reservation's reply is nil (Lua false) when it took the key; a table cut short reads the same.
        held = reply[1] if len(reply) > 1 else None
        return Admitted(decision, reserve.reservation(held))
