"""The idempotency stores: every behaviour holds in memory, in the real Redis (which must be up: no skips), and in
the database, SQLite and PostgreSQL (databases of this module's own, so that its fixed keys meet nothing else)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlalchemy import delete

from db.models import IdempotencyRecord
from db.queries.idempotency import DatabaseIdempotencyStore
from db.session import create_engine, write_transaction
from storegraph.platform.idempotency import (
    DAY_SECONDS,
    IdempotencyStore,
    InvalidIdempotencyKey,
    MemoryIdempotencyStore,
    Outcome,
    RedisIdempotencyStore,
    is_kept,
    parse_idempotency_key,
    request_fingerprint,
)
from storegraph.platform.idempotency.redis_store import decode_record, encode_response
from tests.support.idempotency_support import FakeClock, migrated_database, redis_prefix

LEASE = 60.0
# Stores keep what they are given as opaque bytes: the sealed response (tested in test_idempotency_sealing.py).
CREATED = b"\x01sealed 201 answer"


@dataclass
class Backend:
    store: IdempotencyStore
    clock: FakeClock | None = None
    redis: Redis | None = None

    async def lapse(self, scope_key: str) -> None:
        """What a lapsed lease leaves: no live record (memory and the database: the clock moves past it; Redis: the
        key expired)."""
        if self.clock is not None:
            self.clock.now += LEASE
        else:
            assert isinstance(self.store, RedisIdempotencyStore)
            assert self.redis is not None
            await self.redis.delete(self.store.redis_key(scope_key))


@pytest.fixture
async def redis_and_prefix() -> AsyncIterator[tuple[Redis, str]]:
    async with redis_prefix() as pair:
        yield pair


@pytest.fixture(scope="module")
async def own_databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    """This module's SQLite and PostgreSQL databases, by kind."""
    directory = tmp_path_factory.mktemp("idempotency")
    async with migrated_database("sqlite", directory) as sqlite, migrated_database("postgresql", directory) as pg:
        yield {"sqlite": sqlite, "postgresql": pg}


@pytest.fixture(params=["memory", "redis", "sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, own_databases: dict[str, str]) -> AsyncIterator[Backend]:
    clock = FakeClock()
    if request.param == "memory":
        yield Backend(MemoryIdempotencyStore(clock=clock), clock=clock)
        return
    if request.param == "redis":
        async with redis_prefix() as (client, prefix):
            yield Backend(RedisIdempotencyStore(client, prefix=prefix), redis=client)
        return
    engine = create_engine(own_databases[request.param], pool_size=25)
    try:
        async with write_transaction(engine) as connection:
            await connection.execute(delete(IdempotencyRecord))
        yield Backend(DatabaseIdempotencyStore(engine, clock=clock), clock=clock)
    finally:
        await engine.dispose()


async def test_the_first_reservation_of_a_key_is_new(backend):
    reservation = await backend.store.reserve("1:a", "fp", LEASE)

    assert reservation.outcome is Outcome.NEW
    assert reservation.sealed is None


async def test_an_identical_request_while_the_first_runs_is_in_progress(backend):
    await backend.store.reserve("1:a", "fp", LEASE)

    assert (await backend.store.reserve("1:a", "fp", LEASE)).outcome is Outcome.IN_PROGRESS


async def test_a_different_request_while_the_first_runs_is_a_mismatch(backend):
    await backend.store.reserve("1:a", "fp", LEASE)

    assert (await backend.store.reserve("1:a", "other", LEASE)).outcome is Outcome.MISMATCH


async def test_a_completed_request_is_replayed_with_its_response(backend):
    first = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.store.complete(first, CREATED)

    again = await backend.store.reserve("1:a", "fp", LEASE)

    assert again.outcome is Outcome.REPLAY
    assert again.sealed == CREATED


async def test_a_different_request_after_completion_is_a_mismatch(backend):
    first = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.store.complete(first, CREATED)

    again = await backend.store.reserve("1:a", "other", LEASE)

    assert again.outcome is Outcome.MISMATCH
    assert again.sealed is None  # another request's answer is never handed out


async def test_a_released_key_is_new_again_even_for_a_different_request(backend):
    first = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.store.release(first)

    assert (await backend.store.reserve("1:a", "corrected", LEASE)).outcome is Outcome.NEW


async def test_scope_keys_are_independent(backend):
    await backend.store.reserve("1:a", "fp", LEASE)

    assert (await backend.store.reserve("2:a", "fp", LEASE)).outcome is Outcome.NEW


async def test_a_lapsed_reservation_frees_the_key(backend):
    await backend.store.reserve("1:a", "fp", LEASE)
    await backend.lapse("1:a")

    assert (await backend.store.reserve("1:a", "fp", LEASE)).outcome is Outcome.NEW


async def test_a_holder_whose_lease_lapsed_cannot_release_the_next_holders_reservation(backend):
    stale = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.lapse("1:a")
    await backend.store.reserve("1:a", "fp", LEASE)

    await backend.store.release(stale)

    assert (await backend.store.reserve("1:a", "fp", LEASE)).outcome is Outcome.IN_PROGRESS


async def test_a_holder_whose_lease_lapsed_cannot_overwrite_the_next_holders_response(backend):
    stale = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.lapse("1:a")
    current = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.store.complete(current, CREATED)

    await backend.store.complete(stale, b"stale")

    assert (await backend.store.reserve("1:a", "fp", LEASE)).sealed == CREATED


async def test_a_request_that_ran_past_its_lease_is_still_kept_when_nobody_took_the_key(backend):
    reservation = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.lapse("1:a")

    await backend.store.complete(reservation, CREATED)

    assert (await backend.store.reserve("1:a", "fp", LEASE)).sealed == CREATED


async def test_releasing_a_stored_response_keeps_it(backend):
    first = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.store.complete(first, CREATED)

    await backend.store.release(first)

    assert (await backend.store.reserve("1:a", "fp", LEASE)).outcome is Outcome.REPLAY


async def test_binary_bytes_with_newlines_round_trip(backend):
    sealed = b"\x01\n\x00\xff{\n}\r\n"
    first = await backend.store.reserve("1:a", "fp", LEASE)
    await backend.store.complete(first, sealed)

    assert (await backend.store.reserve("1:a", "fp", LEASE)).sealed == sealed


async def test_twenty_concurrent_reservations_make_exactly_one_holder(backend):
    reservations = await asyncio.gather(*(backend.store.reserve("1:a", "fp", LEASE) for _ in range(20)))

    outcomes = [reservation.outcome for reservation in reservations]
    assert outcomes.count(Outcome.NEW) == 1
    assert outcomes.count(Outcome.IN_PROGRESS) == 19


async def test_a_memory_response_is_replayed_until_24_hours_have_passed():
    clock = FakeClock()
    store = MemoryIdempotencyStore(clock=clock)
    await store.complete(await store.reserve("1:a", "fp", LEASE), CREATED)

    clock.now += DAY_SECONDS - 1
    assert (await store.reserve("1:a", "fp", LEASE)).outcome is Outcome.REPLAY
    clock.now += 1
    assert (await store.reserve("1:a", "fp", LEASE)).outcome is Outcome.NEW


async def test_a_memory_reservation_lapses_after_its_lease():
    clock = FakeClock()
    store = MemoryIdempotencyStore(clock=clock)
    await store.reserve("1:a", "fp", LEASE)

    clock.now += LEASE - 1
    assert (await store.reserve("1:a", "fp", LEASE)).outcome is Outcome.IN_PROGRESS
    clock.now += 1
    assert (await store.reserve("1:a", "fp", LEASE)).outcome is Outcome.NEW


async def test_the_memory_store_sweeps_expired_keys_nobody_asks_for_again():
    clock = FakeClock()
    store = MemoryIdempotencyStore(clock=clock)
    for n in range(10):
        await store.complete(await store.reserve(f"1:{n}", "fp", LEASE), CREATED)

    clock.now += DAY_SECONDS
    await store.reserve("1:other", "fp", LEASE)

    assert len(store) == 1


async def test_a_redis_reservation_expires_with_its_lease(redis_and_prefix):
    redis, prefix = redis_and_prefix
    store = RedisIdempotencyStore(redis, prefix=prefix)
    await store.reserve("1:a", "fp", LEASE)

    ttl = await redis.pttl(store.redis_key("1:a"))

    assert 0 < ttl <= LEASE * 1000


async def test_a_redis_response_expires_after_24_hours(redis_and_prefix):
    redis, prefix = redis_and_prefix
    store = RedisIdempotencyStore(redis, prefix=prefix)
    await store.complete(await store.reserve("1:a", "fp", LEASE), CREATED)

    ttl = await redis.pttl(store.redis_key("1:a"))

    assert LEASE * 1000 < ttl <= DAY_SECONDS * 1000


async def test_redis_records_live_under_the_deployments_prefix(redis_and_prefix):
    redis, prefix = redis_and_prefix
    store = RedisIdempotencyStore(redis, prefix=prefix)
    await store.reserve("1:a", "fp", LEASE)

    assert await redis.exists(f"{prefix}idempotency:1:a") == 1


def test_a_stored_record_decodes_to_its_fingerprint_and_response():
    assert decode_record(encode_response("fp", CREATED)) == ("fp", CREATED)


PRINTABLE_ASCII = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=255)


@settings(max_examples=200, deadline=None, database=None)
@given(PRINTABLE_ASCII)
def test_every_printable_ascii_key_up_to_255_characters_is_accepted(key):
    assert parse_idempotency_key(key.encode("ascii")) == key


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        # Near the edges: the characters either side of printable ASCII, and lengths around 255.
        st.text(alphabet=st.characters(min_codepoint=0x1F, max_codepoint=0x80), max_size=260).map(
            lambda text: text.encode("latin-1")
        ),
    )
)
def test_a_key_is_accepted_exactly_when_it_is_1_to_255_printable_ascii_bytes(raw):
    expected = 1 <= len(raw) <= 255 and all(0x20 <= byte <= 0x7E for byte in raw)
    try:
        parse_idempotency_key(raw)
        accepted = True
    except InvalidIdempotencyKey:
        accepted = False
    assert accepted == expected


def test_a_256_character_key_is_refused():
    with pytest.raises(InvalidIdempotencyKey):
        parse_idempotency_key(b"k" * 256)


@pytest.mark.parametrize(
    "other",
    [
        ("PATCH", "/v1/products", b"", b"{}"),
        ("POST", "/v1/orders", b"", b"{}"),
        ("POST", "/v1/products", b"a=1", b"{}"),
        ("POST", "/v1/products", b"", b'{"a":1}'),
    ],
)
def test_the_fingerprint_changes_with_method_path_query_and_body(other):
    assert request_fingerprint("POST", "/v1/products", b"", b"{}") != request_fingerprint(*other)


def test_the_fingerprint_parts_cannot_run_together():
    assert request_fingerprint("POST", "/v1/a", b"b", b"") != request_fingerprint("POST", "/v1/ab", b"", b"")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b'{"data":{"placeOrder":{"userErrors":[{"code":"insufficient_stock"}]}}}'),
        (201, b'{"data":{"id":1}}'),
        (200, b'{"data":{"product":{"name":"internal_error"}}}'),
        (200, b'{"errors":[{"extensions":{"code":"insufficient_scope"}}],"data":{"customers":null}}'),
        (200, b'{"errors":[{"extensions":{"code":"not_found"}}],"data":null}'),
        (404, b'{"error":{"code":"not_found"}}'),
        (409, b'{"error":{"code":"conflict"}}'),
        (422, b'{"error":{"code":"invalid_status_transition"}}'),
        (422, b'{"error":{"code":"customer_banned"}}'),
    ],
)
def test_the_answer_of_a_request_that_ran_is_kept(status, body):
    assert is_kept(status, body)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b'{"errors":[{"extensions":{"code":"validation_error"}}]}'),
        (400, b'{"errors":[{"extensions":{"code":"query_too_costly"}}]}'),
        (401, b'{"error":{"code":"unauthorized"}}'),
        (403, b'{"error":{"code":"insufficient_scope"}}'),
        (413, b'{"error":{"code":"payload_too_large"}}'),
        (422, b'{"error":{"code":"validation_error","details":[]}}'),
        (429, b'{"error":{"code":"rate_limited"}}'),
        (429, b'{"errors":[{"extensions":{"code":"throttled"}}]}'),
        (500, b'{"error":{"code":"internal_error"}}'),
        (503, b"unavailable"),
        (200, b'{"errors":[{"extensions":{"code":"internal_error"}}],"data":{"placeOrder":null}}'),
        (200, b'{"errors":[{"extensions":{"code":"validation_error"}}],"extensions":{}}'),
        (200, b'{"errors":[{"extensions":{"code":"query_too_large"}}]}'),
        (415, b'{"errors":[{"extensions":{"code":"unsupported_media_type"}}]}'),
    ],
)
def test_a_refusal_before_running_or_a_rolled_back_failure_is_not_kept(status, body):
    assert not is_kept(status, body)
