"""The in-process idempotency store: the embedded default (one API process), owned by the app object."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from storegraph.platform.idempotency.store import DAY_SECONDS, Outcome, Reservation, held, outcome_for

# Expired records are dropped lazily when read, and all of them once per this many seconds of the store's clock,
# so keys that are never used again do not pile up.
SWEEP_INTERVAL_SECONDS = 60.0


@dataclass(slots=True)
class _Record:
    fingerprint: str
    owner: str  # "" once the response is stored
    sealed: bytes | None
    expires_at: float


class MemoryIdempotencyStore:
    """Records in a dict with expiry times. ``clock`` (seconds, monotonic) is injectable for tests.

    No method awaits between reading and writing a record, so under asyncio every step is atomic.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._next_sweep = clock() + SWEEP_INTERVAL_SECONDS

    async def reserve(self, scope_key: str, fingerprint: str, lease_seconds: float) -> Reservation:
        now = self._clock()
        self._sweep(now)
        record = self._live(scope_key, now)
        if record is not None:
            return held(
                outcome_for(fingerprint, record.fingerprint, record.sealed), scope_key, fingerprint, record.sealed
            )
        owner = secrets.token_hex(8)
        self._records[scope_key] = _Record(fingerprint, owner, None, now + lease_seconds)
        return Reservation(Outcome.NEW, scope_key, fingerprint, owner)

    async def complete(self, reservation: Reservation, sealed: bytes, ttl_seconds: float = DAY_SECONDS) -> None:
        now = self._clock()
        record = self._live(reservation.scope_key, now)
        if record is None or _held_by(record, reservation):
            self._records[reservation.scope_key] = _Record(reservation.fingerprint, "", sealed, now + ttl_seconds)

    async def release(self, reservation: Reservation) -> None:
        record = self._live(reservation.scope_key, self._clock())
        if record is not None and _held_by(record, reservation):
            del self._records[reservation.scope_key]

    def __len__(self) -> int:
        """How many records are held, expired ones not yet swept included."""
        return len(self._records)

    def _live(self, scope_key: str, now: float) -> _Record | None:
        record = self._records.get(scope_key)
        if record is not None and record.expires_at <= now:
            del self._records[scope_key]
            return None
        return record

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        for scope_key in [key for key, record in self._records.items() if record.expires_at <= now]:
            del self._records[scope_key]


def _held_by(record: _Record, reservation: Reservation) -> bool:
    """Whether ``record`` is still the reservation ``reservation`` made (not a stored response, not another's)."""
    return record.sealed is None and record.owner == reservation.owner
