"""The Idempotency-Key middleware on REST-style ``/v1`` writes. The REST routes come with a later issue: a small
ASGI app stands in for them here, behind the real request-id and idempotency middleware (tests of the whole app
over GraphQL are in test_idempotency_graphql.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.admission import Admission, RedisAdmission, SequentialAdmission
from storegraph.platform.admission.middleware import AdmissionMiddleware
from storegraph.platform.http.request_id import RequestIdMiddleware, request_id_of
from storegraph.platform.idempotency import DAY_SECONDS, AnswerSealer, MemoryIdempotencyStore, RedisIdempotencyStore
from storegraph.platform.idempotency.policy import mark_mutation
from storegraph.platform.limits import MemoryRateLimiter, RedisRateLimiter
from storegraph.platform.limits.plans import DEFAULT_PLANS
from tests.support.factories import principal
from tests.support.idempotency_support import SEALER, FakeClock, kept_bytes, redis_prefix

LEASE = 60.0
KEY = {"Idempotency-Key": "3f1c8e2a-6b1d-4f7e-9a55-0c2d9e1b7a40"}
PRODUCT = {"name": "Cotton T-Shirt", "price": 1500}


@dataclass
class StandIn:
    """Stands in for the REST routes: records every run and answers as the test set it up. The body quotes the
    run's number, so a replay of run 1 cannot be mistaken for a run 2 that happened to answer the same."""

    status: int = 201
    error_code: str | None = None
    raises: bool = False
    # What the GraphQL endpoint says of a request that ran a mutation.
    marks_mutation: bool = False
    gate: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    runs: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        body = await _read(receive)
        self.runs.append(body)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.raises:
            raise RuntimeError("the handler broke")
        if self.marks_mutation:
            mark_mutation(scope)
        payload: dict[str, Any] = {
            "data": {"run": len(self.runs), "received": body.decode()},
            "meta": {"request_id": request_id_of(scope)},
        }
        if self.error_code is not None:
            payload = {"error": {"code": self.error_code, "message": "refused"}}
        encoded = orjson.dumps(payload)
        headers = [
            (b"content-type", b"application/json"),
            (b"location", f"/v1/products/{len(self.runs)}".encode()),
            (b"x-handler-detail", b"not part of the answer"),
            (b"content-length", str(len(encoded)).encode()),
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": encoded})


class AsPrincipal:
    """Stands in for the auth middleware: the API key is the number in ``X-Test-Key`` (1 by default)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        key_pk = int(dict(scope["headers"]).get(b"x-test-key", b"1"))
        scope.setdefault("state", {})["principal"] = principal(key_pk)
        await self.app(scope, receive, send)


def stack(
    app: ASGIApp, admission: Admission, sealer: AnswerSealer = SEALER, max_response_bytes: int = 256 * 1024
) -> ASGIApp:
    """The order of storegraph/app.py: request id, then authentication, then admission (with idempotency)."""
    admitting = AdmissionMiddleware(
        app,
        admission,
        DEFAULT_PLANS,
        sealer=sealer,
        ttl_seconds=DAY_SECONDS,
        lease_seconds=LEASE,
        max_response_bytes=max_response_bytes,
    )
    return RequestIdMiddleware(AsPrincipal(admitting))


def in_memory(clock: FakeClock | None = None) -> Admission:
    store = MemoryIdempotencyStore() if clock is None else MemoryIdempotencyStore(clock=clock)
    return SequentialAdmission(MemoryRateLimiter(), store)


def in_redis(redis: Redis, prefix: str = "storegraph:") -> Admission:
    """The app's Redis admission: the limit and the reservation in one script."""
    return RedisAdmission(RedisRateLimiter(redis, prefix=prefix), RedisIdempotencyStore(redis, prefix=prefix))


@contextlib.asynccontextmanager
async def client_for(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        yield http


@pytest.fixture
def handler() -> StandIn:
    return StandIn()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def http(handler: StandIn, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(stack(handler, in_memory(clock))) as client:
        yield client


async def create(
    http: httpx.AsyncClient, body: dict[str, Any] = PRODUCT, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/v1/products", json=body, headers={**KEY, **(headers or {})})


async def test_a_repeat_gets_the_first_status_and_body_and_runs_nothing(http, handler):
    first = await create(http)
    again = await create(http)

    assert len(handler.runs) == 1
    assert again.status_code == first.status_code == 201
    assert again.content == first.content


async def test_a_replay_says_idempotent_replayed_and_the_first_answer_does_not(http):
    first = await create(http)
    again = await create(http)

    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_replay_carries_the_headers_of_the_answer_and_a_correct_length(http):
    first = await create(http)
    again = await create(http)

    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["location"] == first.headers["location"] == "/v1/products/1"
    assert int(again.headers["content-length"]) == len(again.content)
    assert "x-handler-detail" not in again.headers


async def test_a_replay_echoes_the_request_id_its_body_quotes(http):
    first = await create(http, headers={"X-Request-Id": "first-try"})
    again = await create(http, headers={"X-Request-Id": "retry-of-checkout"})

    assert again.json()["meta"]["request_id"] == "first-try"
    assert again.headers["x-request-id"] == "first-try" == first.headers["x-request-id"]
    assert again.headers.get_list("x-request-id") == ["first-try"]


async def test_the_same_json_with_other_whitespace_and_key_order_is_replayed(http, handler):
    first = await http.post("/v1/products", content=b'{"name":"Cotton T-Shirt","price":1500}', headers=KEY)
    again = await http.post("/v1/products", content=b'{ "price": 1500,\n  "name": "Cotton T-Shirt" }', headers=KEY)

    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert len(handler.runs) == 1


async def test_a_body_that_is_not_json_is_compared_byte_for_byte(http, handler):
    await http.post("/v1/products", content=b"name=Cotton T-Shirt", headers=KEY)
    reused = await http.post("/v1/products", content=b"name=Cotton  T-Shirt", headers=KEY)

    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len(handler.runs) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/products", {"name": "Linen Shirt", "price": 1500}),
        ("POST", "/v1/landing-pages", PRODUCT),
        ("PATCH", "/v1/products", PRODUCT),
        ("POST", "/v1/products?expand=pricing", PRODUCT),
    ],
)
async def test_the_same_key_for_a_different_request_is_idempotency_key_reused(http, handler, method, path, body):
    await create(http)

    reused = await http.request(method, path, json=body, headers=KEY)

    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len(handler.runs) == 1


async def test_a_refusal_has_the_rest_envelope_with_the_request_id(http):
    await create(http)

    reused = await create(http, {"name": "Other"})

    assert reused.json()["meta"] == {"request_id": reused.headers["x-request-id"], "api_version": "v1"}


async def test_a_duplicate_while_the_first_runs_is_idempotency_key_in_use(http, handler):
    handler.gate = asyncio.Event()
    first = asyncio.create_task(create(http))
    await handler.started.wait()

    duplicate = await create(http)
    handler.gate.set()
    await first

    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "idempotency_key_in_use"
    assert len(handler.runs) == 1


async def test_once_the_first_finished_a_duplicate_gets_its_replay(http, handler):
    handler.gate = asyncio.Event()
    first = asyncio.create_task(create(http))
    await handler.started.wait()
    await create(http)  # 409 meanwhile
    handler.gate.set()
    answered = await first

    replay = await create(http)

    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == answered.content


@pytest.mark.parametrize("store_kind", ["memory", "redis"])
async def test_twenty_concurrent_identical_requests_run_once(handler, store_kind):
    async with contextlib.AsyncExitStack() as resources:
        admission = in_memory()
        if store_kind == "redis":
            redis, prefix = await resources.enter_async_context(redis_prefix())
            admission = in_redis(redis, prefix)
        http = await resources.enter_async_context(client_for(stack(handler, admission)))

        responses = await asyncio.gather(*(create(http) for _ in range(20)))

    assert len(handler.runs) == 1
    executed = [r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    in_use = [r for r in responses if r.status_code == 409]
    assert len(executed) == 1
    assert len(executed) + len(replayed) + len(in_use) == 20
    assert all(r.content == executed[0].content for r in replayed)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_rest_write_without_the_header_is_idempotency_key_required(http, handler, method):
    response = await http.request(method, "/v1/products/7", json=PRODUCT)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert handler.runs == []


async def test_a_rest_read_needs_no_header(http, handler):
    response = await http.get("/v1/products")

    assert response.status_code == 201  # what the stand-in answers
    assert len(handler.runs) == 1


async def test_a_rest_read_with_the_header_is_never_replayed(http, handler):
    await http.get("/v1/products", headers=KEY)
    again = await http.get("/v1/products", headers=KEY)

    assert "idempotent-replayed" not in again.headers
    assert len(handler.runs) == 2


async def test_a_path_outside_v1_and_graphql_ignores_the_header(http, handler):
    await http.post("/webhooks/inbound", json=PRODUCT, headers=KEY)
    again = await http.post("/webhooks/inbound", json=PRODUCT, headers=KEY)

    assert "idempotent-replayed" not in again.headers
    assert len(handler.runs) == 2


@pytest.mark.parametrize(
    "value",
    [b"", b"k" * 256, "clé".encode(), b"line\tbreak", b"nul\x00", b"\x7f"],
    ids=["empty", "256 characters", "not ascii", "tab", "nul", "delete"],
)
async def test_an_unusable_header_is_idempotency_key_invalid(http, handler, value):
    response = await http.post("/v1/products", json=PRODUCT, headers=[(b"Idempotency-Key", value)])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert handler.runs == []


async def test_a_header_sent_twice_is_idempotency_key_invalid(http, handler):
    headers = [(b"Idempotency-Key", b"first"), (b"Idempotency-Key", b"second")]

    response = await http.post("/v1/products", json=PRODUCT, headers=headers)

    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert handler.runs == []


async def test_a_255_character_key_is_accepted(http, handler):
    response = await create(http, headers={"Idempotency-Key": "k" * 255})

    assert response.status_code == 201
    assert len(handler.runs) == 1


async def test_two_api_keys_may_use_the_same_idempotency_key(http, handler):
    await create(http, headers={"X-Test-Key": "1"})
    other = await create(http, headers={"X-Test-Key": "2"})

    assert "idempotent-replayed" not in other.headers
    assert len(handler.runs) == 2


async def test_a_validation_refusal_keeps_nothing_so_a_corrected_retry_runs(http, handler):
    handler.status, handler.error_code = 422, "validation_error"
    await create(http, {"name": "Cotton T-Shirt"})  # no price

    handler.status, handler.error_code = 201, None
    corrected = await create(http, PRODUCT)

    assert corrected.status_code == 201
    assert "idempotent-replayed" not in corrected.headers
    assert len(handler.runs) == 2


async def test_an_error_of_a_request_that_ran_is_kept_and_replayed(http, handler):
    handler.status, handler.error_code = 422, "invalid_status_transition"
    first = await create(http)

    handler.status, handler.error_code = 201, None
    again = await create(http)

    assert again.status_code == 422
    assert again.content == first.content
    assert len(handler.runs) == 1


@pytest.mark.parametrize("status", [401, 403, 429])
async def test_a_refusal_by_status_keeps_nothing(http, handler, status):
    handler.status, handler.error_code = status, "refused"
    await create(http)

    handler.status, handler.error_code = 201, None
    retry = await create(http)

    assert retry.status_code == 201
    assert len(handler.runs) == 2


async def test_a_server_error_is_not_kept_so_the_retry_runs(http, handler):
    handler.status, handler.error_code = 500, "internal_error"
    await create(http)

    handler.status, handler.error_code = 201, None
    retry = await create(http)

    assert retry.status_code == 201
    assert len(handler.runs) == 2


async def test_a_handler_that_raises_releases_the_key(http, handler):
    handler.raises = True
    with pytest.raises(RuntimeError):
        await create(http)

    handler.raises = False
    retry = await create(http)

    assert retry.status_code == 201
    assert len(handler.runs) == 2


async def test_a_request_cancelled_while_it_runs_releases_the_key(http, handler):
    handler.gate = asyncio.Event()
    abandoned = asyncio.create_task(create(http))
    await handler.started.wait()
    abandoned.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await abandoned

    handler.gate = None
    retry = await create(http)

    assert retry.status_code == 201
    assert len(handler.runs) == 2


async def test_a_response_is_replayed_for_24_hours_and_then_the_key_is_free(http, handler, clock):
    await create(http)

    clock.now += DAY_SECONDS - 1
    within = await create(http)
    clock.now += 1
    after = await create(http)

    assert within.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in after.headers
    assert len(handler.runs) == 2


async def test_a_crashed_holder_blocks_the_key_only_for_its_lease(http, handler, clock):
    handler.gate = asyncio.Event()
    stuck = asyncio.create_task(create(http))  # never finishes while the test looks: a process that hangs
    await handler.started.wait()

    clock.now += LEASE
    handler.gate = None
    retry = await create(http)

    assert retry.status_code == 201
    assert len(handler.runs) == 2
    stuck.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stuck


async def test_the_memory_store_keeps_a_secret_answer_sealed_and_replays_it(handler):
    admission = in_memory()
    secret = "dzpk_live_k3y1d.s3cr3t-shown-once"
    async with client_for(stack(handler, admission)) as http:
        first = await create(http, {"secret": secret})
        kept = await kept_bytes(admission.store)
        again = await create(http, {"secret": secret})

    assert secret in first.text
    assert secret.encode() not in kept
    assert b"s3cr3t" not in kept
    assert again.content == first.content


async def test_an_answer_over_the_size_limit_keeps_only_that_the_request_ran(handler):
    admission = in_memory()
    async with client_for(stack(handler, admission, max_response_bytes=1024)) as http:
        first = await create(http, {"name": "x" * 2000})
        retry = await create(http, {"name": "x" * 2000})
        kept = await kept_bytes(admission.store)

    assert first.status_code == 201
    assert retry.status_code == 422
    assert retry.json()["error"]["code"] == "idempotency_response_unavailable"
    assert retry.json()["error"]["original_status"] == 201
    assert len(handler.runs) == 1
    assert len(kept) < 1024


async def test_an_answer_within_the_size_limit_is_kept(handler):
    async with client_for(stack(handler, in_memory(), max_response_bytes=1024)) as http:
        first = await create(http, {"name": "x" * 100})
        again = await create(http, {"name": "x" * 100})

    assert len(first.content) < 1024
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


QUERY = {"query": "{ viewer { keyId } }"}
MUTATION = {"query": 'mutation { createProduct(input: {name: "Shirt", price: 1}) { product { id } } }'}


async def test_a_graphql_query_with_a_key_takes_no_part_and_reaches_the_app_whole(http, handler):
    await http.post("/graphql", json=QUERY, headers=KEY)
    again = await http.post("/graphql", json=QUERY, headers=KEY)

    assert "idempotent-replayed" not in again.headers
    assert [orjson.loads(body) for body in handler.runs] == [QUERY, QUERY]


@pytest.mark.parametrize(
    "body", [orjson.dumps(QUERY), b"[1]", b'{"query": '], ids=["a query", "not a request", "not json"]
)
async def test_a_graphql_request_that_runs_no_mutation_holds_no_key_while_it_runs(http, handler, body):
    handler.gate = asyncio.Event()
    first = asyncio.create_task(http.post("/graphql", content=body, headers=KEY))
    await handler.started.wait()
    second = asyncio.create_task(http.post("/graphql", content=body, headers=KEY))
    await asyncio.sleep(0.05)
    handler.gate.set()

    responses = await asyncio.gather(first, second)

    assert [response.status_code for response in responses] == [201, 201]  # what the stand-in answers
    assert len(handler.runs) == 2


async def test_a_graphql_answer_the_endpoint_did_not_mark_as_a_mutations_is_not_kept(http, handler):
    await http.post("/graphql", json=MUTATION, headers=KEY)
    again = await http.post("/graphql", json=MUTATION, headers=KEY)

    assert "idempotent-replayed" not in again.headers
    assert len(handler.runs) == 2


async def test_a_graphql_mutations_answer_is_kept_and_replayed(http, handler):
    handler.marks_mutation = True
    first = await http.post("/graphql", json=MUTATION, headers=KEY)
    again = await http.post("/graphql", json=MUTATION, headers=KEY)

    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert len(handler.runs) == 1


async def test_an_answer_kept_under_another_secret_key_is_unavailable_and_never_runs_again(handler):
    admission = in_memory()
    async with client_for(stack(handler, admission)) as before:
        await create(before)
    async with client_for(stack(handler, admission, AnswerSealer.from_secret("rotated"))) as after:
        retry = await create(after)

    assert retry.status_code == 422
    assert retry.json()["error"]["code"] == "idempotency_response_unavailable"
    assert len(handler.runs) == 1


async def test_an_unreachable_store_is_a_json_500(handler):
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    async with client_for(stack(handler, in_redis(unreachable))) as http:
        response = await create(http)
    await unreachable.aclose()

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert handler.runs == []


async def test_a_client_gone_before_its_body_arrived_runs_nothing(handler):
    sent: list[Message] = []

    async def disconnect() -> Message:
        return {"type": "http.disconnect"}

    async def record(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/products",
        "query_string": b"",
        "headers": [(b"idempotency-key", b"abc")],
    }
    await stack(handler, in_memory())(scope, disconnect, record)

    assert handler.runs == []
    assert sent == []


async def _read(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body
