"""Request limits and usage: the per-key sliding 60-second window, the per-store monthly quotas (platform keys'
requests, public keys' requests, signups, webhooks) and the per-key usage counters, overall and per endpoint.

One ``RateLimiter.hit`` per authenticated request decides the window and the request quota of its traffic
(platform or public key) at once: in this process (``MemoryRateLimiter``, the embedded default) or in Redis
(``RedisRateLimiter``, shared by every API process).
"""

from __future__ import annotations

from storegraph.platform.limits.decision import (
    OTHER_ENDPOINT,
    STORE_COUNTERS,
    USAGE_PERIODS,
    WINDOW_SECONDS,
    Decision,
    RateLimiter,
    RefusedBy,
    RequestLimits,
    StoreQuota,
    Traffic,
    WindowState,
    periods_at,
    request_limits,
)
from storegraph.platform.limits.memory import MemoryRateLimiter
from storegraph.platform.limits.redis_backend import RedisRateLimiter

__all__ = [
    "OTHER_ENDPOINT",
    "STORE_COUNTERS",
    "USAGE_PERIODS",
    "WINDOW_SECONDS",
    "Decision",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "RefusedBy",
    "RequestLimits",
    "StoreQuota",
    "Traffic",
    "WindowState",
    "periods_at",
    "request_limits",
]
