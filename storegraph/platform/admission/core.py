"""What admission answers, the protocol its backends implement, and the backend for the in-process limiter and
idempotency store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storegraph.platform.idempotency.store import IdempotencyStore, Reservation
from storegraph.platform.limits.decision import Decision, RateLimiter, Traffic
from storegraph.platform.limits.plans import Plan


@dataclass(frozen=True, slots=True)
class Claim:
    """What a request with an Idempotency-Key asks to hold: its scope key (which API key sent which
    Idempotency-Key), the fingerprint of what it asks for, and how long to hold the key while it runs."""

    scope_key: str
    fingerprint: str
    lease_seconds: float


@dataclass(frozen=True, slots=True)
class Admitted:
    """The rate limiter's decision and, for an allowed request that made a claim, its reservation. A refused
    request reserves nothing, so a retry with the same key after the refusal runs normally."""

    decision: Decision
    reservation: Reservation | None = None


class Admission(Protocol):
    # What the request's later steps use: the limiter counts the answered request under its endpoint, the store
    # keeps or forgets the reservation once the response is known.
    @property
    def limiter(self) -> RateLimiter: ...

    @property
    def store(self) -> IdempotencyStore: ...

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
        """Decide one request (``RateLimiter.hit`` of its ``traffic``, at ``now`` or the limiter's clock) and, if it
        is allowed and made a claim, reserve its key (``IdempotencyStore.reserve``, on the store's own clock)."""
        ...


class SequentialAdmission:
    """The limiter's decision, then the reservation, as two calls: for the backends in this process (the embedded
    default), where neither call does I/O. Each call is atomic on its own, and only an allowed request reserves,
    so nothing depends on the two being one step."""

    def __init__(self, limiter: RateLimiter, store: IdempotencyStore) -> None:
        self.limiter = limiter
        self.store = store

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
        decision = await self.limiter.hit(store_id, key_pk, plan, now, traffic=traffic)
        if claim is None or not decision.allowed:
            return Admitted(decision)
        reservation = await self.store.reserve(claim.scope_key, claim.fingerprint, claim.lease_seconds)
        return Admitted(decision, reservation)
