"""Backoff: how long a failed job waits before its next attempt. One jitter for every schedule, so attempts that
failed together (an outage, a receiver down) do not all come back in the same second."""

from __future__ import annotations

import secrets

_random = secrets.SystemRandom()


def jittered(delay: float, spread: float, jitter: float | None = None) -> float:
    """``delay`` moved by up to ``spread`` of itself either way: ``jitter`` in [-1, 1] says how far (random when
    ``None``, fixed in tests)."""
    amount = _random.uniform(-1.0, 1.0) if jitter is None else max(-1.0, min(jitter, 1.0))
    return delay * (1 + spread * amount)


def exponential(attempts: int, *, base: float, cap: float, jitter: float | None = None) -> float:
    """The wait after ``attempts`` failed attempts: base * 2^(attempts - 1), capped, then "equal jitter" (between
    half of it and all of it): the worker's schedule for any job that does not name its own delay."""
    full = min(cap, base * 2.0 ** min(max(attempts - 1, 0), 62))
    return jittered(full * 0.75, 1 / 3, jitter)
