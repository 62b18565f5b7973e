"""Admission: the rate limit and the Idempotency-Key reservation decided in one step, in this process and in the
real Redis (which must be up: no skips), and what that step costs in Redis round trips."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.types import Message, Receive, Send
from starlette.types import Scope as AsgiScope

from admission import Admission, Claim, RedisAdmission, SequentialAdmission
from domain.plans import Plan
from idempotency import MemoryIdempotencyStore, Outcome, RedisIdempotencyStore, StoredResponse
from idempotency.redis_store import RESERVE_ARG_COUNT, RESERVE_KEY_COUNT
from limits import MemoryRateLimiter, RedisRateLimiter
from limits.redis_backend import HIT_ARG_COUNT, HIT_KEY_COUNT
from middleware.admission import AdmissionMiddleware
from middleware.principal import Principal
from tests.idempotency_support import redis_prefix

STORE_ID = 3
KEY_PK = 11
LEASE = 60.0
CREATED = StoredResponse(201, ((b"content-type", b"application/json"),), b'{"data":{"id":1}}')


def plan(per_minute: int | None = 30, per_month: int | None = 10_000) -> Plan:
    return Plan(
        requests_per_minute=per_minute, requests_per_month=per_month, signups_per_month=None, webhooks_per_month=None
    )


def claim(idempotency_key: str = "k1", fingerprint: str = "fp") -> Claim:
    return Claim(f"{KEY_PK}:{idempotency_key}", fingerprint, LEASE)


def redis_admission(redis: Redis, prefix: str) -> RedisAdmission:
    return RedisAdmission(redis, RedisRateLimiter(redis, prefix=prefix), RedisIdempotencyStore(redis, prefix=prefix))


@pytest.fixture(params=["memory", "redis"])
async def admission(request: pytest.FixtureRequest) -> AsyncIterator[Admission]:
    if request.param == "memory":
        yield SequentialAdmission(MemoryRateLimiter(), MemoryIdempotencyStore())
        return
    async with redis_prefix() as (client, prefix):
        yield redis_admission(client, prefix)


async def test_an_allowed_claim_holds_its_key(admission):
    admitted = await admission.admit(STORE_ID, KEY_PK, plan(), claim())

    assert admitted.decision.allowed
    assert admitted.reservation is not None
    assert admitted.reservation.outcome is Outcome.NEW
    assert (await admission.store.reserve(claim().scope_key, "fp", LEASE)).outcome is Outcome.IN_PROGRESS


async def test_a_request_without_a_claim_reserves_nothing(admission):
    admitted = await admission.admit(STORE_ID, KEY_PK, plan(), None)

    assert admitted.decision.allowed
    assert admitted.reservation is None


async def test_a_claimed_request_takes_a_slot_of_the_window_like_any(admission):
    await admission.admit(STORE_ID, KEY_PK, plan(per_minute=5), None)

    admitted = await admission.admit(STORE_ID, KEY_PK, plan(per_minute=5), claim())

    assert admitted.decision.remaining == 3
    assert (await admission.limiter.usage(KEY_PK))["minute"] == 2


async def test_a_rate_limited_claim_leaves_its_key_free(admission):
    await admission.admit(STORE_ID, KEY_PK, plan(per_minute=1), None)

    refused = await admission.admit(STORE_ID, KEY_PK, plan(per_minute=1), claim())

    assert refused.decision.refused_by == "rate"
    assert refused.reservation is None
    assert (await admission.store.reserve(claim().scope_key, "fp", LEASE)).outcome is Outcome.NEW


async def test_a_claim_over_the_quota_leaves_its_key_free(admission):
    refused = await admission.admit(STORE_ID, KEY_PK, plan(per_month=0), claim())

    assert refused.decision.refused_by == "quota"
    assert refused.reservation is None
    assert (await admission.store.reserve(claim().scope_key, "fp", LEASE)).outcome is Outcome.NEW


async def test_a_claim_on_a_finished_request_gets_its_response(admission):
    first = await admission.admit(STORE_ID, KEY_PK, plan(), claim())
    assert first.reservation is not None
    await admission.store.complete(first.reservation, CREATED)

    repeat = await admission.admit(STORE_ID, KEY_PK, plan(), claim())

    assert repeat.reservation is not None
    assert repeat.reservation.outcome is Outcome.REPLAY
    assert repeat.reservation.response == CREATED


async def test_a_claim_for_a_different_request_on_a_held_key_is_a_mismatch(admission):
    await admission.admit(STORE_ID, KEY_PK, plan(), claim(fingerprint="first"))

    other = await admission.admit(STORE_ID, KEY_PK, plan(), claim(fingerprint="second"))

    assert other.reservation is not None
    assert other.reservation.outcome is Outcome.MISMATCH


async def test_concurrent_claims_admit_exactly_the_limit_and_reserve_only_those(admission):
    claims = [claim(f"key-{number}") for number in range(40)]

    results = await asyncio.gather(*(admission.admit(STORE_ID, KEY_PK, plan(per_minute=30), c) for c in claims))

    admitted = [c for c, result in zip(claims, results, strict=True) if result.decision.allowed]
    assert len(admitted) == 30
    reserved = [result.reservation for result in results if result.decision.allowed]
    assert all(reservation is not None and reservation.outcome is Outcome.NEW for reservation in reserved)
    free = [await admission.store.reserve(c.scope_key, "fp", LEASE) for c in claims if c not in admitted]
    assert [reservation.outcome for reservation in free] == [Outcome.NEW] * 10


def test_the_combined_script_is_given_as_many_keys_and_arguments_as_it_slices():
    redis = Redis.from_url("redis://127.0.0.1:1/0")
    hit = RedisRateLimiter(redis).hit_call(STORE_ID, KEY_PK, plan(), now=1_000.0)
    reserve = RedisIdempotencyStore(redis).reserve_call("11:k1", "fp", LEASE)

    assert (len(hit.keys), len(hit.args)) == (HIT_KEY_COUNT, HIT_ARG_COUNT)
    assert (len(reserve.keys), len(reserve.args)) == (RESERVE_KEY_COUNT, RESERVE_ARG_COUNT)


class CountingRedis:
    """Counts the commands sent through a client (each is one round trip: none of these is pipelined)."""

    def __init__(self, client: Redis) -> None:
        self.commands: list[str] = []
        original = client.execute_command

        async def counted(*args: Any, **options: Any) -> Any:
            self.commands.append(str(args[0]))
            return await original(*args, **options)

        client.execute_command = counted  # type: ignore[method-assign]


async def test_a_claimed_request_costs_one_redis_command_in_redis():
    async with redis_prefix() as (client, prefix):
        admission = redis_admission(client, prefix)
        await admission.admit(STORE_ID, KEY_PK, plan(), claim("warm-up"))  # loads the script
        counter = CountingRedis(client)

        await admission.admit(STORE_ID, KEY_PK, plan(), claim())
        commands = list(counter.commands)

    assert commands == ["EVALSHA"]


PRINCIPAL = Principal(
    key_pk=KEY_PK,
    key_id="key_11",
    key_type="platform",
    env="live",
    scopes=frozenset(),
    store_id=STORE_ID,
    store_name="Store",
    plan="pro",
    phone_region="DZ",
)


def keyed_post(idempotency_key: bytes) -> AsgiScope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/products",
        "query_string": b"",
        "headers": [(b"idempotency-key", idempotency_key), (b"content-type", b"application/json")],
        "state": {"principal": PRINCIPAL, "request_id": "req_1"},
    }


async def test_a_keyed_write_waits_on_two_redis_commands_and_is_counted_after_its_answer():
    """The round trips a client waits for: admission, then keeping the response before its last byte leaves; the
    per-endpoint count (a pipeline, which bypasses the counted method) comes after."""
    async with redis_prefix() as (client, prefix):
        admission = redis_admission(client, prefix)
        counter: CountingRedis | None = None
        before_last_byte: list[str] = []

        async def app(_scope: AsgiScope, _receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b'{"data":{}}'})

        async def receive() -> Message:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        counted_while_sending: list[dict[str, dict[str, int]]] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body" and counter is not None:
                before_last_byte.extend(counter.commands)
                counted_while_sending.append(await admission.limiter.endpoint_usage(KEY_PK))

        middleware = AdmissionMiddleware(app, admission, {"pro": plan()})
        await middleware(keyed_post(b"warm-up"), receive, send)  # loads the scripts
        counter = CountingRedis(client)

        await middleware(keyed_post(b"measured"), receive, send)
        counted = await admission.limiter.endpoint_usage(KEY_PK)

    assert before_last_byte == ["EVALSHA", "EVALSHA"]
    assert counted_while_sending == [{"other": {"minute": 1, "day": 1, "month": 1}}]
    assert counted["other"]["minute"] == 2
