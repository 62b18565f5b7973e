"""Every SQL statement of tracking: the public key lookup of signed requests, the worker's idempotent writes of
signups, events and daily counts, and the reads of GraphQL's ``signups`` and ``eventCounts``.

The writes are upserts keyed by the ids handed out in the 202 (``ON CONFLICT``, which SQLite and PostgreSQL
both have): a job that runs twice, or two workers running it at once, store each row and count each event once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.models import EventCount, Signup, Store, TrackedEvent
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query

NEWEST_SIGNUPS = Ordering(
    name="signups.created_at:desc", column=Signup.created_at, id_column=Signup.id, descending=True, kind=datetime
)


async def store_plan(db: Executor, store_id: int) -> str | None:
    """The store's plan name, or ``None`` once the store is gone (its tracked work is then dropped)."""
    result = await db.execute(select(Store.plan).where(Store.id == store_id))
    plan: str | None = result.scalar_one_or_none()
    return plan


def _insert(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with the dialect's ``ON CONFLICT`` clauses (the generic insert has none)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def insert_signup(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Stores the signup unless one with its ``public_id`` exists; whether it was inserted now.

    The existence check and the insert are one statement, so it holds when two workers run the job at once (on
    PostgreSQL the second waits for the first's transaction, then inserts nothing)."""
    stmt = (
        _insert(session, Signup)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=[Signup.public_id])
        .returning(Signup.id)
    )
    return (await session.execute(stmt)).first() is not None


async def mark_signup_uncounted(session: AsyncSession, public_id: str) -> None:
    await session.execute(update(Signup).where(Signup.public_id == public_id).values(counted=False))


async def insert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Stores the events whose ``public_id`` is new; the ids inserted now (the others were stored before)."""
    if not rows:
        return set()
    stmt = (
        _insert(session, TrackedEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[TrackedEvent.public_id])
        .returning(TrackedEvent.public_id)
    )
    return set((await session.execute(stmt)).scalars().all())


async def add_event_counts(session: AsyncSession, store_id: int, counts: Mapping[tuple[str, date], int]) -> None:
    """Adds to the store's count per (event, day), creating the rows it lacks, in one statement.

    Rows go in key order so two workers adding to the same days lock them in the same order (no deadlock)."""
    if not counts:
        return
    rows = [
        {"store_id": store_id, "event": event, "day": day, "count": count}
        for (event, day), count in sorted(counts.items())
    ]
    stmt = _insert(session, EventCount).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[EventCount.store_id, EventCount.event, EventCount.day],
        set_={"count": EventCount.count + stmt.excluded["count"]},
    )
    await session.execute(stmt)


async def list_signups(db: Executor, store_id: int, after: list[Any] | None, first: int) -> list[Row[Any]]:
    stmt = select(*Signup.__table__.c).where(Signup.store_id == store_id)
    return list((await db.execute(page_query(stmt, NEWEST_SIGNUPS, after, first))).all())


async def count_signups(db: Executor, store_id: int) -> int:
    stmt = select(func.count()).select_from(Signup).where(Signup.store_id == store_id)
    return int((await db.execute(stmt)).scalar_one())


async def event_counts(
    db: Executor, store_id: int, first_day: date, last_day: date, event: str | None, limit: int
) -> list[tuple[str, date, int]]:
    """The store's (event, day, count) rows from ``first_day`` to ``last_day`` included, by day then event; at
    most ``limit`` rows (the caller asks for one more than it serves, to know there are more)."""
    stmt = select(EventCount.event, EventCount.day, EventCount.count.label("events")).where(
        EventCount.store_id == store_id, EventCount.day >= first_day, EventCount.day <= last_day
    )
    if event is not None:
        stmt = stmt.where(EventCount.event == event)
    rows = (await db.execute(stmt.order_by(EventCount.day, EventCount.event).limit(limit))).all()
    # ``events``, not ``count``: a Row is a tuple, whose ``count`` is a method.
    return [(row.event, row.day, int(row.events)) for row in rows]
