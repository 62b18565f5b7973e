"""The signature scheme (seed 004), timestamps, and the replay stores: in memory, and the real Redis."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from storegraph.platform.auth.replay import MemoryReplayStore, RedisReplayStore, replay_store
from storegraph.platform.auth.request_signature import is_fresh, parse_timestamp, signature_matches
from storegraph.platform.signatures import body_digest, sign
from tests.support.idempotency_support import FakeClock, redis_prefix
from tests.support.tracking_support import seed_signature

SECRET = "dzsig_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
BODIES = [b"", b"{}", b'{"email": "amina@example.dz"}', '{"name": "Amina Benali Ă"}'.encode(), bytes(range(256))]


@pytest.mark.parametrize("body", BODIES)
def test_the_signature_is_seed_004s_hmac_of_the_timestamp_and_the_bodys_sha256(body):
    timestamp = "1714480000"
    # Written out from seed 004's Express handler, step by step, without any of our code.
    body_hash = hashlib.sha256(body).hexdigest()
    expected = hmac.new(SECRET.encode(), f"{timestamp}.{body_hash}".encode(), hashlib.sha256).hexdigest()

    assert sign(SECRET, timestamp, body) == expected
    assert seed_signature(SECRET, timestamp, body) == expected
    assert body_digest(body) == body_hash
    assert signature_matches(SECRET, timestamp, body, expected)


def test_a_signature_matches_in_either_hex_case():
    signature = sign(SECRET, "1714480000", b"{}")

    assert signature_matches(SECRET, "1714480000", b"{}", signature.upper())


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "presented"),
    [
        ("dzsig_another", "1714480000", b"{}", None),  # signed with another secret
        (SECRET, "1714480001", b"{}", None),  # another timestamp
        (SECRET, "1714480000", b"{} ", None),  # another body (one byte more)
        (SECRET, "1714480000", b"{}", ""),
        (SECRET, "1714480000", b"{}", "zz" * 32),  # not hex
        (SECRET, "1714480000", b"{}", "ab" * 31),  # too short
        (SECRET, "1714480000", b"{}", "ab" * 33),  # too long
    ],
)
def test_a_signature_of_anything_else_does_not_match(secret, timestamp, body, presented):
    signed = presented if presented is not None else sign(secret, timestamp, body)

    assert not signature_matches(SECRET, "1714480000", b"{}", signed)


@pytest.mark.parametrize(("raw", "parsed"), [("1714480000", 1714480000), ("0", 0), ("000017", 17)])
def test_a_timestamp_is_plain_unix_seconds(raw, parsed):
    assert parse_timestamp(raw) == parsed


@pytest.mark.parametrize("raw", ["", "-1", "1.5", "1e9", " 17", "17 ", "0x10", "abc", "1" * 13, "١٧١٤٤٨٠٠٠٠"])
def test_anything_else_is_no_timestamp(raw):
    assert parse_timestamp(raw) is None


@pytest.mark.parametrize(("offset", "fresh"), [(0, True), (-300, True), (300, True), (-301, False), (301, False)])
def test_a_timestamp_is_fresh_within_the_tolerance_either_way(offset, fresh):
    now = 1_714_480_000.0

    assert is_fresh(int(now) + offset, now, 300) is fresh


# --- replay stores ------------------------------------------------------------------------------------------------


async def test_memory_store_accepts_a_signature_once_per_key():
    store = MemoryReplayStore(600)

    assert await store.first_use("key1", "ab" * 32) is True
    assert await store.first_use("key1", "ab" * 32) is False
    assert await store.first_use("key1", "AB" * 32) is False  # the same signature in capitals
    assert await store.first_use("key2", "ab" * 32) is True


async def test_memory_store_forgets_a_signature_after_its_ttl_and_prunes_it():
    clock = FakeClock()
    store = MemoryReplayStore(600, clock=clock)
    await store.first_use("key1", "old")
    clock.now += 599
    assert await store.first_use("key1", "old") is False

    clock.now += 1
    assert await store.first_use("key1", "new") is True

    assert len(store) == 1  # "old" was pruned on the way
    assert await store.first_use("key1", "old") is True


async def test_a_full_memory_store_refuses_new_signatures_rather_than_forget_any():
    store = MemoryReplayStore(600, max_entries=2)
    await store.first_use("key1", "a")
    await store.first_use("key1", "b")

    assert await store.first_use("key1", "c") is False
    assert await store.first_use("key1", "a") is False


async def test_redis_store_accepts_a_signature_once_across_processes():
    async with redis_prefix() as (redis, prefix):
        first_process = RedisReplayStore(redis, 600, prefix=prefix)
        second_process = RedisReplayStore(redis, 600, prefix=prefix)

        assert await first_process.first_use("key1", "cd" * 32) is True
        assert await second_process.first_use("key1", "cd" * 32) is False
        assert await second_process.first_use("key1", "CD" * 32) is False
        assert await second_process.first_use("key2", "cd" * 32) is True
        # Kept twice the tolerance, then Redis drops it.
        ttl = await redis.pttl(f"{prefix}signatures:key1:{'cd' * 32}")
        assert 590_000 < ttl <= 600_000


async def test_the_app_keeps_signatures_in_redis_only_when_it_has_redis():
    async with redis_prefix() as (redis, prefix):
        assert isinstance(replay_store(redis, tolerance_seconds=300, prefix=prefix), RedisReplayStore)
    assert isinstance(replay_store(None, tolerance_seconds=300, prefix="x:"), MemoryReplayStore)
