"""What an idempotency store keeps, and the protocol its backends (memory, Redis, the database) implement.

One record per (API key, Idempotency-Key): first a *reservation* held by the request that runs, with a short
lease so that a crashed process cannot block the key for a day, then the *stored response* that every later
identical request replays for ``ttl_seconds``. A request refused before it ran *releases* its reservation, so a
corrected retry with the same key runs normally.

A store never sees a response in the clear: it keeps the request's fingerprint and the response *sealed*
(encrypted, storegraph/platform/idempotency/sealing.py) as opaque bytes, which the caller seals and opens.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

DAY_SECONDS = 24 * 60 * 60


class Outcome(enum.Enum):
    NEW = "new"  # the caller holds the key now: run the request, then complete or release the reservation
    IN_PROGRESS = "in_progress"  # an identical request holds it and has not finished
    REPLAY = "replay"  # an identical request finished: answer with its stored response
    MISMATCH = "mismatch"  # the key was first used for a different request


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    # An answer too large to keep: the size of the body that is not kept (``body`` is empty), else 0.
    omitted_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Reservation:
    """The answer to ``reserve``. ``owner`` identifies one holder: completing or releasing only acts while the
    record is still that holder's, so a request whose lease ran out cannot undo the work of the one after it.
    ``sealed`` is the kept response of a ``REPLAY``, as ``complete`` was given it."""

    outcome: Outcome
    scope_key: str
    fingerprint: str
    owner: str = ""
    sealed: bytes | None = None


class IdempotencyStore(Protocol):
    async def reserve(self, scope_key: str, fingerprint: str, lease_seconds: float) -> Reservation:
        """Atomically: hold ``scope_key`` for ``lease_seconds`` if nothing holds it (``NEW``), else say what
        holds it (``IN_PROGRESS``, ``REPLAY`` with the sealed response, ``MISMATCH``)."""
        ...

    async def complete(self, reservation: Reservation, sealed: bytes, ttl_seconds: float = DAY_SECONDS) -> None:
        """Keep the sealed response for ``ttl_seconds`` in place of the reservation. Also stored when the lease
        ran out and nobody took the key since (the request did run); never over another holder's record."""
        ...

    async def release(self, reservation: Reservation) -> None:
        """Forget the reservation of a request that did not run, if it is still this holder's."""
        ...


def outcome_for(fingerprint: str, held_fingerprint: str, sealed: bytes | None) -> Outcome:
    """What a request finds when the key is already held; the same rule for every backend."""
    if held_fingerprint != fingerprint:
        return Outcome.MISMATCH
    return Outcome.IN_PROGRESS if sealed is None else Outcome.REPLAY


def held(outcome: Outcome, scope_key: str, fingerprint: str, sealed: bytes | None) -> Reservation:
    """The reservation that reports what holds a key; a mismatch never hands out another request's response."""
    return Reservation(outcome, scope_key, fingerprint, sealed=sealed if outcome is Outcome.REPLAY else None)
