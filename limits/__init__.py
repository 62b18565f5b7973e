"""Per-key request limits: the sliding 60-second window, the monthly request quota and the usage counters.

One ``RateLimiter.hit`` per authenticated request decides all three at once: in this process
(``MemoryRateLimiter``, the embedded default) or in Redis (``RedisRateLimiter``, shared by every API process).
"""

from __future__ import annotations

from limits.decision import WINDOW_SECONDS, Decision, RateLimiter, RefusedBy
from limits.memory import MemoryRateLimiter
from limits.redis_backend import RedisRateLimiter

__all__ = ["WINDOW_SECONDS", "Decision", "MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "RefusedBy"]
