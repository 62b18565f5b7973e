"""Admission: the rate limit and the Idempotency-Key reservation decided in one step, in this process and in the
real Redis (which must be up: no skips), and what that step costs in Redis round trips."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis
from starlette.types import Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.app import create_app
from storegraph.platform.admission import Admission, Admitted, Claim, RedisAdmission, SequentialAdmission
from storegraph.platform.admission.middleware import AdmissionMiddleware
from storegraph.platform.idempotency import MemoryIdempotencyStore, Outcome, RedisIdempotencyStore
from storegraph.platform.idempotency.redis_store import RESERVE_ARG_COUNT, RESERVE_FUNCTION, RESERVE_KEY_COUNT
from storegraph.platform.limits import MemoryRateLimiter, RedisRateLimiter, Traffic
from storegraph.platform.limits.plans import Plan
from storegraph.platform.limits.redis_backend import HIT_ARG_COUNT, HIT_FUNCTION, HIT_KEY_COUNT
from storegraph.settings import Settings
from tests.conftest import services_of
from tests.support.factories import principal
from tests.support.idempotency_support import REDIS_URL, SEALER, redis_prefix

STORE_ID = 3
KEY_PK = 11
LEASE = 60.0
CREATED = b"\x01sealed 201 answer"


def plan(per_minute: int | None = 30, per_month: int | None = 10_000) -> Plan:
    return Plan(
        requests_per_minute=per_minute, requests_per_month=per_month, signups_per_month=None, webhooks_per_month=None
    )


def claim(idempotency_key: str = "k1", fingerprint: str = "fp") -> Claim:
    return Claim(f"{KEY_PK}:{idempotency_key}", fingerprint, LEASE)


def redis_admission(redis: Redis, prefix: str) -> RedisAdmission:
    return RedisAdmission(RedisRateLimiter(redis, prefix=prefix), RedisIdempotencyStore(redis, prefix=prefix))


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
    assert repeat.reservation.sealed == CREATED


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


async def test_the_combined_script_is_given_as_many_keys_and_arguments_as_its_functions_read():
    redis = Redis.from_url("redis://127.0.0.1:1/0")  # never connected: building the calls does no I/O
    hit = RedisRateLimiter(redis).hit_call(STORE_ID, KEY_PK, plan(), now=1_000.0)
    reserve = RedisIdempotencyStore(redis).reserve_call("11:k1", "fp", LEASE)
    await redis.aclose()

    assert (len(hit.keys), len(hit.args)) == (HIT_KEY_COUNT, HIT_ARG_COUNT) == highest_indexes(HIT_FUNCTION)
    assert (len(reserve.keys), len(reserve.args)) == (RESERVE_KEY_COUNT, RESERVE_ARG_COUNT)
    assert highest_indexes(RESERVE_FUNCTION) == (RESERVE_KEY_COUNT, RESERVE_ARG_COUNT)


def highest_indexes(lua: str) -> tuple[int, int]:
    """The highest KEYS[n] and ARGV[n] a Lua function reads, ``KEYS[i]`` and ``ARGV[c + i]`` in its loops
    included."""
    loop_ends = [int(last) for last in re.findall(r"for i = \d+, (\d+) do", lua)]
    keys = [int(n) for n in re.findall(r"KEYS\[(\d+)\]", lua)]
    if "KEYS[i]" in lua:
        keys += loop_ends
    args = [int(n) for n in re.findall(r"ARGV\[(\d+)\]", lua)]
    args += [int(offset) + last for offset in re.findall(r"ARGV\[(\d+) \+ i\]", lua) for last in loop_ends]
    return max(keys), max(args)


async def test_the_combined_script_is_loaded_again_when_redis_has_forgotten_it():
    async with redis_prefix() as (client, prefix):
        admission = redis_admission(client, prefix)
        admission._admit.sha = "0" * 40  # what a SCRIPT FLUSH or a restarted Redis leaves: an unknown sha

        admitted = await admission.admit(STORE_ID, KEY_PK, plan(), claim())

    assert admitted.reservation is not None
    assert admitted.reservation.outcome is Outcome.NEW


async def test_the_app_admits_in_one_redis_script_with_redis_and_in_process_without(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    with_redis = services_of(create_app(Settings(database_url=database_url, redis_url=REDIS_URL)))
    embedded = services_of(create_app(Settings(database_url=database_url, redis_url=None)))

    assert isinstance(with_redis.admission, RedisAdmission)
    assert isinstance(embedded.admission, SequentialAdmission)
    await with_redis.engine.dispose()
    await embedded.engine.dispose()
    assert with_redis.redis is not None
    await with_redis.redis.aclose()


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


PRINCIPAL = principal(KEY_PK, store_id=STORE_ID, plan="pro")


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

        middleware = AdmissionMiddleware(app, admission, {"pro": plan()}, sealer=SEALER)
        await middleware(keyed_post(b"warm-up"), receive, send)  # loads the scripts
        counter = CountingRedis(client)

        await middleware(keyed_post(b"measured"), receive, send)
        counted = await admission.limiter.endpoint_usage(KEY_PK)

    assert before_last_byte == ["EVALSHA", "EVALSHA"]
    assert counted_while_sending == [{"other": {"minute": 1, "day": 1, "month": 1}}]
    assert counted["other"]["minute"] == 2


class Answer:
    """What the middleware sent for one request."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.body = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = dict(message.get("headers", []))
        else:
            self.body += message.get("body", b"")

    def code(self) -> str:
        return str(orjson.loads(self.body)["error"]["code"])


class RunCounter:
    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self, _scope: AsgiScope, _receive: Receive, send: Send) -> None:
        self.runs += 1
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b'{"data":{}}'})


async def a_body() -> Message:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def answer_of(middleware: AdmissionMiddleware, scope: AsgiScope) -> Answer:
    answer = Answer()
    await middleware(scope, a_body, answer.send)
    return answer


def post(headers: list[tuple[bytes, bytes]]) -> AsgiScope:
    scope = keyed_post(b"unused")
    scope["headers"] = headers
    return scope


@pytest.mark.parametrize(
    ("limits", "code"), [({"per_minute": 1}, "rate_limited"), ({"per_month": 1}, "quota_exceeded")]
)
async def test_a_refused_keyed_write_is_429_runs_nothing_and_leaves_its_key_free(admission, limits, code):
    app = RunCounter()
    middleware = AdmissionMiddleware(app, admission, {"pro": plan(**limits)}, sealer=SEALER)
    await answer_of(middleware, keyed_post(b"first"))

    refused = await answer_of(middleware, keyed_post(b"second"))

    assert (refused.status, refused.code()) == (429, code)
    assert int(refused.headers[b"retry-after"]) >= 1
    assert app.runs == 1
    assert (await admission.store.reserve(f"{KEY_PK}:second", "any", LEASE)).outcome is Outcome.NEW


@pytest.mark.parametrize(
    "headers", [[], [(b"idempotency-key", b"")], [(b"idempotency-key", b"a"), (b"idempotency-key", b"b")]]
)
async def test_a_rate_limited_write_is_429_whatever_its_idempotency_key(admission, headers):
    middleware = AdmissionMiddleware(RunCounter(), admission, {"pro": plan(per_minute=1)}, sealer=SEALER)
    await answer_of(middleware, keyed_post(b"first"))

    refused = await answer_of(middleware, post(headers))

    assert (refused.status, refused.code()) == (429, "rate_limited")


async def test_an_admitted_write_without_its_key_is_400_with_the_rate_limit_headers(admission):
    middleware = AdmissionMiddleware(RunCounter(), admission, {"pro": plan(per_minute=5)}, sealer=SEALER)

    refused = await answer_of(middleware, post([]))

    assert (refused.status, refused.code()) == (400, "idempotency_key_required")
    assert refused.headers[b"x-ratelimit-remaining"] == b"4"


class FailingStore(MemoryIdempotencyStore):
    async def reserve(self, scope_key: str, fingerprint: str, lease_seconds: float) -> Any:
        raise ConnectionError("the store went away")


async def test_an_unreachable_idempotency_store_is_a_json_500_and_runs_nothing(caplog):
    app = RunCounter()
    middleware = AdmissionMiddleware(
        app, SequentialAdmission(MemoryRateLimiter(), FailingStore()), {"pro": plan()}, sealer=SEALER
    )

    with caplog.at_level(logging.ERROR, logger="storegraph.admission"):
        failed = await answer_of(middleware, keyed_post(b"k"))

    assert (failed.status, failed.code()) == (500, "internal_error")
    assert app.runs == 0
    assert "admission failed (request req_1)" in caplog.text


class ForgetfulAdmission(SequentialAdmission):
    """A broken backend: it admits claims without reserving them."""

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
        return Admitted((await super().admit(store_id, key_pk, plan, None, now, traffic=traffic)).decision)


async def test_a_claim_admitted_without_a_reservation_is_a_json_500_and_never_runs(caplog):
    app = RunCounter()
    admission = ForgetfulAdmission(MemoryRateLimiter(), MemoryIdempotencyStore())
    middleware = AdmissionMiddleware(app, admission, {"pro": plan()}, sealer=SEALER)

    with caplog.at_level(logging.ERROR, logger="storegraph.admission"):
        failed = await answer_of(middleware, keyed_post(b"k"))

    assert (failed.status, failed.code()) == (500, "internal_error")
    assert app.runs == 0
    assert "without reserving it (request req_1)" in caplog.text
