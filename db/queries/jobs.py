"""The job queue in the database: the embedded default, needing no server beyond the one storegraph already uses.

A job is a row of ``jobs``. Claiming marks due rows as held by one claim (``locked_by``) until ``locked_until``;
on PostgreSQL ``FOR UPDATE SKIP LOCKED`` in the claiming subquery lets any number of workers claim at once
without waiting on each other or taking the same row (a row another claim has locked is skipped, and one it has
already claimed no longer matches when it is re-checked); on SQLite the write lock (BEGIN IMMEDIATE) makes claims
take turns. Completing deletes the row and retrying releases it for later, both only while the claim still holds
it: a worker whose lease ran out (it was too slow, or it died) cannot undo the work of the one that reclaimed the
job. A dead letter stays as a row whose kind starts with ``dead:`` and which is never due.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import Job as JobRow
from db.session import write_transaction
from db.sqlite_writer import SqliteWriter
from storegraph.platform.jobs.queue import DEAD_PREFIX, DeadLetter, Job, check_kind
from storegraph.platform.timestamps import utcnow

MAX_ERROR = 255
# A dead letter's run_at: past every claim's "now", so it is outside the (run_at, id) index range claims scan.
NEVER = datetime(9999, 12, 31)


def job_rows(jobs: Sequence[tuple[str, dict[str, Any]]], delay_seconds: float = 0.0) -> list[dict[str, Any]]:
    """The ``jobs`` rows of (kind, payload) pairs, due after ``delay_seconds``."""
    now = utcnow()
    run_at = now + timedelta(seconds=max(delay_seconds, 0.0))
    return [
        {"kind": check_kind(kind), "payload": payload, "run_at": run_at, "created_at": now} for kind, payload in jobs
    ]


async def enqueue_in_transaction(session: AsyncSession, jobs: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Jobs of the database queue written in the caller's own transaction: they exist iff it commits (the outbox
    dispatcher marks events dispatched in the same transaction). ``DatabaseJobQueue`` claims them like any other."""
    if jobs:
        await session.execute(insert(JobRow), job_rows(jobs))


class DatabaseJobQueue:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # On a SQLite file, enqueuing is one hop to a writer thread of its own (the API's answer waits for it).
        self._writer = SqliteWriter.for_engine(engine)
        self._sqlite_insert = _SqliteInsert(engine) if self._writer is not None else None

    async def enqueue(self, kind: str, payload: dict[str, Any], *, delay_seconds: float = 0.0) -> str:
        ids = await self._insert([(kind, payload)], delay_seconds)
        return ids[0]

    async def enqueue_many(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        if not jobs:
            return []
        return await self._insert(jobs, 0.0)

    async def _insert(self, jobs: list[tuple[str, dict[str, Any]]], delay_seconds: float) -> list[str]:
        rows = job_rows(jobs, delay_seconds)
        if self._writer is not None and self._sqlite_insert is not None:
            return await self._writer.transaction(self._sqlite_insert.runner(rows))
        async with write_transaction(self._engine) as connection:
            # One multi-row INSERT ... RETURNING; ids come back in the order of the rows (sort_by_parameter_order).
            statement = insert(JobRow).returning(JobRow.id, sort_by_parameter_order=True)
            result = await connection.execute(statement, rows)
            return [str(job_id) for job_id in result.scalars().all()]

    async def claim(self, worker: str, *, limit: int, lease_seconds: float) -> list[Job]:
        now = utcnow()
        # Unique per claim, so a worker that reclaims its own expired job still tells the two claims apart.
        token = f"{worker[:40]}:{secrets.token_hex(8)}"
        due = (
            select(JobRow.id)
            .where(JobRow.run_at <= now, or_(JobRow.locked_until.is_(None), JobRow.locked_until <= now))
            .order_by(JobRow.run_at, JobRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(JobRow)
            .where(JobRow.id.in_(due.scalar_subquery()))
            .values(locked_by=token, locked_until=now + timedelta(seconds=lease_seconds), attempts=JobRow.attempts + 1)
            .returning(JobRow.id, JobRow.kind, JobRow.payload, JobRow.attempts)
        )
        async with write_transaction(self._engine) as connection:
            rows = (await connection.execute(claim)).all()
        jobs = [Job(str(row.id), row.kind, row.payload, row.attempts, token) for row in rows]
        # RETURNING comes in no particular order; the oldest job first, as the stream backend hands them out.
        return sorted(jobs, key=lambda job: int(job.id))

    async def complete(self, job: Job) -> None:
        async with write_transaction(self._engine) as connection:
            await connection.execute(delete(JobRow).where(*_held(job)))

    async def retry(self, job: Job, *, delay_seconds: float, error: str) -> None:
        release = (
            update(JobRow)
            .where(*_held(job))
            .values(
                run_at=utcnow() + timedelta(seconds=max(delay_seconds, 0.0)),
                locked_by=None,
                locked_until=None,
                last_error=error[:MAX_ERROR],
            )
        )
        async with write_transaction(self._engine) as connection:
            await connection.execute(release)

    async def dead_letter(self, job: Job, *, error: str) -> None:
        bury = (
            update(JobRow)
            .where(*_held(job))
            .values(
                kind=DEAD_PREFIX + job.kind,
                run_at=NEVER,
                locked_by=None,
                locked_until=None,
                last_error=error[:MAX_ERROR],
            )
        )
        async with write_transaction(self._engine) as connection:
            await connection.execute(bury)

    async def pending(self) -> int:
        waiting = select(func.count()).select_from(JobRow).where(JobRow.kind.not_like(f"{DEAD_PREFIX}%"))
        async with self._engine.connect() as connection:
            return int((await connection.execute(waiting)).scalar_one())

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        dead = (
            select(JobRow.id, JobRow.kind, JobRow.payload, JobRow.attempts, JobRow.last_error)
            .where(JobRow.kind.like(f"{DEAD_PREFIX}%"))
            .order_by(JobRow.id)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(dead)).all()
        return [
            DeadLetter(str(row.id), row.kind.removeprefix(DEAD_PREFIX), row.payload, row.attempts, row.last_error or "")
            for row in rows
        ]

    async def close(self) -> None:
        """Closes the SQLite writer, if any; the engine belongs to the app."""
        if self._writer is not None:
            await self._writer.close()


class _SqliteInsert:
    """The ``jobs`` INSERT as the SQLite writer runs it: the values converted by the engine's own column types
    (the JSON payload, the timestamps' text form), so the rows are exactly what an ORM insert would write."""

    def __init__(self, engine: AsyncEngine) -> None:
        dialect = engine.dialect
        columns = JobRow.__table__.c
        self._names = ("kind", "payload", "run_at", "attempts", "created_at")
        self._convert = [columns[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self._names]
        compiled = insert(JobRow).compile(dialect=dialect, column_keys=list(self._names))
        if compiled.positiontup != list(self._names):
            raise RuntimeError(f"unexpected parameter order of the jobs INSERT: {compiled.positiontup}")
        self._sql = str(compiled)

    def runner(self, rows: list[dict[str, Any]]) -> Callable[[sqlite3.Connection], list[str]]:
        def insert_all(connection: sqlite3.Connection) -> list[str]:
            # Converted here, on the writer's thread: the payloads' JSON costs the event loop nothing.
            values = [
                tuple(
                    value if convert is None else convert(value)
                    for convert, value in zip(self._convert, (row.get(name, 0) for name in self._names), strict=True)
                )
                for row in rows
            ]
            ids: list[str] = []
            for row in values:
                # Within the write transaction lastrowid is exactly this row's id.
                ids.append(str(connection.execute(self._sql, row).lastrowid))
            return ids

        return insert_all


def _held(job: Job) -> tuple[Any, ...]:
    """The row of ``job`` while ``job``'s claim still holds it: a stale claim matches nothing."""
    return (JobRow.id == int(job.id), JobRow.locked_by == job.token)
