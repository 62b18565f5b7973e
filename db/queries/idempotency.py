"""The idempotency store in the database: the embedded default's (no REDIS_URL), so that an ``Idempotency-Key``
outlives a restart of the API process. It implements storegraph/platform/idempotency/store.py's protocol over one
row per key (``idempotency_records``).

Each step is one statement, atomic by itself on SQLite and PostgreSQL alike, run outside any request's
transaction: reserving is an ``INSERT ... ON CONFLICT DO UPDATE`` that takes the key only if it is free or its
record expired, so two identical requests can never both take it (PostgreSQL makes the second wait for the
first's row; SQLite runs one writer at a time). Only when the key is held does a second statement read what holds
it. Keeping the answer and releasing the key both check, in their one statement, that the caller's reservation
still holds the key. Times are the process's clock (naive UTC, the database's convention), injectable for tests.

On PostgreSQL's asyncpg the two statements of every keyed write (taking the key, keeping the answer) run on the
driver directly (db/direct_reads.py), each in autocommit as through the engine: SQLAlchemy's execution of one
(a connection with its options and events, the compiled cache's lookup, a result) cost more Python than the rest
of its handling. Whatever observes the engine's statements (a test counting them, tracing) still sees them run by
SQLAlchemy.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.direct_reads import DirectReads, PreparedRead
from db.models import IdempotencyRecord as Record
from db.session import single_statements
from storegraph.platform.idempotency.store import DAY_SECONDS, Outcome, Reservation, held, outcome_for

# Expired records are replaced when their key is used again, and all of them deleted once per this many seconds,
# so keys that are never used again do not pile up.
SWEEP_INTERVAL_SECONDS = 600.0
# The key can only change hands between the upsert and the read of its holder if the holder released it or its
# lease lapsed in between: trying again settles it.
_ATTEMPTS = 5


class DatabaseIdempotencyStore:
    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = single_statements(engine)
        self._postgresql = engine.dialect.name == "postgresql"
        self._clock = clock
        self._next_sweep = 0.0
        self.direct = DirectReads(engine) if self._postgresql and engine.dialect.driver == "asyncpg" else None
        # Built once: building an upsert (its values, its EXCLUDED columns) and its cache key costs more of a
        # keyed write's time than running it; each call only binds its parameters.
        self._take = PreparedRead(self._upsert(only_if=Record.expires_at <= bindparam("lapsed_by")))
        self._keep = PreparedRead(
            self._upsert(
                only_if=or_(
                    and_(Record.owner == bindparam("held_by"), Record.sealed.is_(None)),
                    Record.expires_at <= bindparam("lapsed_by"),
                )
            )
        )

    async def reserve(self, scope_key: str, fingerprint: str, lease_seconds: float) -> Reservation:
        owner = secrets.token_hex(8)
        for _ in range(_ATTEMPTS):
            now = self._clock()
            take = {
                "scope_key": scope_key,
                "fingerprint": fingerprint,
                "owner": owner,
                "sealed": None,
                "expires_at": _moment(now + lease_seconds),
                "lapsed_by": _moment(now),
            }
            # The sweep's statement runs through the engine, and the upsert after it on the same connection.
            taken = await self._direct_rows(self._take, take) if now < self._next_sweep else None
            if taken:
                return Reservation(Outcome.NEW, scope_key, fingerprint, owner)
            async with self._engine.connect() as connection:
                if taken is None:
                    if now >= self._next_sweep:
                        await self._sweep(connection, now)
                    if (await connection.execute(self._take.statement, take)).first() is not None:
                        await connection.commit()
                        return Reservation(Outcome.NEW, scope_key, fingerprint, owner)
                holder = (
                    await connection.execute(
                        select(Record.fingerprint, Record.sealed, Record.expires_at).where(
                            Record.scope_key == scope_key
                        )
                    )
                ).first()
                await connection.commit()
            if holder is not None and holder.expires_at > _moment(now):
                outcome = outcome_for(fingerprint, holder.fingerprint, holder.sealed)
                return held(outcome, scope_key, fingerprint, holder.sealed)
        raise RuntimeError(f"the idempotency key changed hands {_ATTEMPTS} times while it was being reserved")

    async def complete(self, reservation: Reservation, sealed: bytes, ttl_seconds: float = DAY_SECONDS) -> None:
        now = self._clock()
        # Over the caller's own reservation, or a record that lapsed (nobody took the key since the request ran).
        keep = {
            "scope_key": reservation.scope_key,
            "fingerprint": reservation.fingerprint,
            "owner": "",
            "sealed": sealed,
            "expires_at": _moment(now + ttl_seconds),
            "held_by": reservation.owner,
            "lapsed_by": _moment(now),
        }
        if await self._direct_rows(self._keep, keep) is not None:
            return
        async with self._engine.connect() as connection:
            await connection.execute(self._keep.statement, keep)
            await connection.commit()

    async def release(self, reservation: Reservation) -> None:
        forget = delete(Record).where(Record.scope_key == reservation.scope_key, _held_by(reservation))
        async with self._engine.connect() as connection:
            await connection.execute(forget)
            await connection.commit()

    async def _direct_rows(self, upsert: PreparedRead, parameters: dict[str, Any]) -> list[Any] | None:
        """The rows ``upsert`` answered, run on the driver; ``None`` when it must run through the engine (another
        database or driver, or something observing the engine's statements): it did not run."""
        direct = self.direct
        if direct is None or direct.observed():
            return None
        connection = await direct.connect()
        try:
            return await connection.rows(upsert, parameters)
        finally:
            await connection.close()

    def _upsert(self, *, only_if: Any) -> Any:
        """Writes the record (every column a parameter of the same name), over an existing one only where
        ``only_if`` holds; returns its key if it wrote."""
        columns = ("scope_key", "fingerprint", "owner", "sealed", "expires_at")
        insert = (postgresql.insert if self._postgresql else sqlite.insert)(Record).values(
            {name: bindparam(name, type_=Record.__table__.c[name].type) for name in columns}
        )
        replacing = {name: insert.excluded[name] for name in columns if name != "scope_key"}
        return insert.on_conflict_do_update(index_elements=[Record.scope_key], set_=replacing, where=only_if).returning(
            Record.scope_key
        )

    async def _sweep(self, connection: AsyncConnection, now: float) -> None:
        self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        await connection.execute(delete(Record).where(Record.expires_at <= _moment(now)))


def _held_by(reservation: Reservation) -> Any:
    """The record is still ``reservation`` (not an answer, not another holder's reservation)."""
    return and_(Record.owner == reservation.owner, Record.sealed.is_(None))


def _moment(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC).replace(tzinfo=None)
