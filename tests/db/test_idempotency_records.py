"""The database's idempotency store, beyond the behaviours every store shares (test_idempotency_store.py): its
records outlive the process, two processes never both take a key, and a reservation is one statement."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import IdempotencyRecord
from db.queries.idempotency import SWEEP_INTERVAL_SECONDS, DatabaseIdempotencyStore
from db.session import create_engine
from storegraph.platform.idempotency import Outcome
from tests.conftest import engine_statement_counter
from tests.support.idempotency_support import FakeClock

LEASE = 60.0


@asynccontextmanager
async def process(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of its own, as another API process (or the same one after a restart) would have."""
    engine = create_engine(database_url, pool_size=25)
    try:
        yield engine
    finally:
        await engine.dispose()


def now_clock() -> FakeClock:
    clock = FakeClock()
    clock.now = time.time()
    return clock


@pytest.fixture
def key() -> str:
    return f"1:{uuid4().hex}"


async def test_a_kept_answer_outlives_the_process_that_kept_it(database_url, key):
    async with process(database_url) as engine:
        first = DatabaseIdempotencyStore(engine)
        await first.complete(await first.reserve(key, "fp", LEASE), b"sealed")

    async with process(database_url) as engine:
        again = await DatabaseIdempotencyStore(engine).reserve(key, "fp", LEASE)

    assert (again.outcome, again.sealed) == (Outcome.REPLAY, b"sealed")


async def test_a_reservation_outlives_the_process_until_its_lease_lapses(database_url, key):
    clock = now_clock()
    async with process(database_url) as engine:
        await DatabaseIdempotencyStore(engine, clock=clock).reserve(key, "fp", LEASE)

    async with process(database_url) as engine:
        store = DatabaseIdempotencyStore(engine, clock=clock)
        during = await store.reserve(key, "fp", LEASE)
        clock.now += LEASE
        after = await store.reserve(key, "fp", LEASE)

    assert during.outcome is Outcome.IN_PROGRESS
    assert after.outcome is Outcome.NEW


async def test_two_processes_reserving_one_key_at_once_make_one_holder(database_url, key):
    async with process(database_url) as one, process(database_url) as other:
        stores = [DatabaseIdempotencyStore(one), DatabaseIdempotencyStore(other)]
        reservations = await asyncio.gather(*(stores[n % 2].reserve(key, "fp", LEASE) for n in range(20)))

    outcomes = [reservation.outcome for reservation in reservations]
    assert outcomes.count(Outcome.NEW) == 1
    assert outcomes.count(Outcome.IN_PROGRESS) == 19


async def test_taking_a_free_key_is_one_statement(database_url, key):
    async with process(database_url) as engine:
        store = DatabaseIdempotencyStore(engine)
        await store.reserve(f"{key}-warm-up", "fp", LEASE)  # the first call also sweeps
        with engine_statement_counter(engine)() as counter:
            await store.reserve(key, "fp", LEASE)

    assert [statement.split()[0] for statement in counter.statements] == ["INSERT"]


async def test_expired_records_are_swept_once_per_interval(database_url, key):
    clock = now_clock()
    async with process(database_url) as engine:
        store = DatabaseIdempotencyStore(engine, clock=clock)
        await store.reserve(key, "fp", LEASE)  # a holder that crashed: nobody asks for the key again
        clock.now += LEASE + SWEEP_INTERVAL_SECONDS
        await store.reserve(f"{key}-other", "fp", LEASE)

        async with engine.connect() as connection:
            left = await connection.scalar(
                select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.scope_key == key)
            )

    assert left == 0


async def test_a_keyed_writes_two_statements_run_on_the_driver_on_postgresql(database_url, key):
    async with process(database_url) as engine:
        store = DatabaseIdempotencyStore(engine)
        await store.reserve(f"{key}:first", "fp", LEASE)  # the first reservation sweeps, through the engine
        before = store.direct.statements if store.direct is not None else 0
        await store.complete(await store.reserve(key, "fp", LEASE), b"sealed")
        on_driver = (store.direct.statements if store.direct is not None else 0) - before
        again = await store.reserve(key, "fp", LEASE)

    assert on_driver == (2 if engine.dialect.name == "postgresql" else 0)
    assert (again.outcome, again.sealed) == (Outcome.REPLAY, b"sealed")


async def test_a_key_held_when_taken_on_the_driver_is_answered_by_its_holder(database_url, key):
    async with process(database_url) as engine:
        store = DatabaseIdempotencyStore(engine)
        first = await store.reserve(key, "fp", LEASE)
        during = await store.reserve(key, "fp", LEASE)
        other = await store.reserve(key, "another", LEASE)

    assert (first.outcome, during.outcome, other.outcome) == (Outcome.NEW, Outcome.IN_PROGRESS, Outcome.MISMATCH)
