"""The admission layer's shortcuts answer as the long way: the route checked only where the idempotency answer
depends on it, the Idempotency-Key read from the raw headers, a store's plan found by its name, the rate-limit
headers added only when there are some, and the journal's keys of a limiter's counts made once per period."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import Headers
from starlette.types import Message

from storegraph.platform.admission import SequentialAdmission
from storegraph.platform.admission.middleware import AdmissionMiddleware
from storegraph.platform.errors import IdempotencyKeyInvalid, IdempotencyKeyRequired
from storegraph.platform.idempotency import MemoryIdempotencyStore
from storegraph.platform.idempotency.keys import MAX_KEY_LENGTH, InvalidIdempotencyKey, idempotency_key_of
from storegraph.platform.idempotency.policy import Requirement, requirement
from storegraph.platform.idempotency.runs import TAKES_NO_PART, IdempotentRuns, Prepared
from storegraph.platform.limits import MemoryRateLimiter
from storegraph.platform.limits import memory as memory_module
from storegraph.platform.limits.memory import CountKey
from storegraph.platform.limits.plans import Plan
from tests.support.factories import principal
from tests.support.idempotency_support import SEALER

KEY_PK = 11
STORE_ID = 3
MUTATION = b'{"query": "mutation { deleteCustomer(id: \\"1\\") { deletedId } }"}'
HEADERS = {
    "none": [],
    "valid": [(b"idempotency-key", b"k-1")],
    "empty": [(b"idempotency-key", b"")],
    "not ascii": [(b"idempotency-key", "clé".encode())],
    "twice": [(b"idempotency-key", b"a"), (b"idempotency-key", b"b")],
    "other headers": [(b"content-type", b"application/json"), (b"x-idempotency-key", b"k")],
}
TARGETS = [
    ("POST", "/graphql"),
    ("GET", "/graphql"),
    ("POST", "/v1/customers"),
    ("PATCH", "/v1/customers/1"),
    ("GET", "/v1/customers"),
    ("POST", "/t/s"),
    ("GET", "/healthz"),
]


def plan(per_minute: int | None) -> Plan:
    return Plan(
        requests_per_minute=per_minute, requests_per_month=None, signups_per_month=None, webhooks_per_month=None
    )


def scope_of(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "query_string": b"", "headers": list(headers)}


def receiving(body: bytes) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def reference_prepare(runs: IdempotentRuns, scope: dict[str, Any]) -> object:
    """The checks as they were made before the shortcut: the route first, then the header."""
    method, path = scope["method"], scope["path"]
    needed = requirement(method, path)
    if needed is Requirement.NONE or not runs.routed(method, path):
        return TAKES_NO_PART
    try:
        key = idempotency_key_of(scope)
    except InvalidIdempotencyKey:
        return IdempotencyKeyInvalid
    if key is None:
        return IdempotencyKeyRequired if needed is Requirement.REQUIRED else TAKES_NO_PART
    return "reads the body"


def outcome_of(prepared: Prepared | None) -> object:
    assert prepared is not None
    if prepared.refusal is not None:
        return type(prepared.refusal)
    if prepared.body is not None:
        return "reads the body"
    assert prepared == TAKES_NO_PART
    return TAKES_NO_PART


@pytest.mark.parametrize("routed", [True, False])
@pytest.mark.parametrize("headers", list(HEADERS), ids=list(HEADERS))
@pytest.mark.parametrize(("method", "path"), TARGETS)
async def test_prepare_answers_as_checking_the_route_first(routed, headers, method, path):
    runs = IdempotentRuns(None, MemoryIdempotencyStore(), sealer=SEALER, routed=lambda _method, _path: routed)  # type: ignore[arg-type]
    scope = scope_of(method, path, HEADERS[headers])

    prepared = await runs.prepare(scope, receiving(MUTATION), KEY_PK)

    assert outcome_of(prepared) == reference_prepare(runs, scope)


async def test_a_graphql_request_without_the_header_takes_no_part_without_a_route_check():
    checked: list[tuple[str, str]] = []

    def routed(method: str, path: str) -> bool:
        checked.append((method, path))
        return True

    runs = IdempotentRuns(None, MemoryIdempotencyStore(), sealer=SEALER, routed=routed)  # type: ignore[arg-type]

    assert await runs.prepare(scope_of("POST", "/graphql", []), receiving(MUTATION), KEY_PK) == TAKES_NO_PART
    assert checked == []
    await runs.prepare(scope_of("POST", "/graphql", HEADERS["valid"]), receiving(MUTATION), KEY_PK)
    assert checked == [("POST", "/graphql")]


@pytest.mark.parametrize("headers", list(HEADERS), ids=list(HEADERS))
def test_the_key_read_from_the_raw_headers_is_the_one_starlette_reads(headers):
    scope = scope_of("POST", "/v1/customers", HEADERS[headers])
    by_starlette = [value.encode("latin-1") for value in Headers(scope=dict(scope)).getlist("idempotency-key")]

    try:
        read: object = idempotency_key_of(scope)
    except InvalidIdempotencyKey:
        read = InvalidIdempotencyKey

    if len(by_starlette) > 1:
        assert read is InvalidIdempotencyKey
    elif not by_starlette:
        assert read is None
    elif not by_starlette[0] or len(by_starlette[0]) > MAX_KEY_LENGTH or not by_starlette[0].isascii():
        assert read is InvalidIdempotencyKey
    else:
        assert read == by_starlette[0].decode("ascii")


class Answered:
    def __init__(self) -> None:
        self.starts: list[Message] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.starts.append(message)


async def app_answering(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


def keyed_get(plan_name: str) -> dict[str, Any]:
    scope = scope_of("GET", "/v1/customers", [])
    scope["state"] = {"principal": principal(KEY_PK, store_id=STORE_ID, plan=plan_name)}
    return scope


@pytest.mark.parametrize(("plan_name", "limit"), [("pro", b"30"), ("free", b"5"), ("no such plan", b"5")])
async def test_a_store_is_limited_by_its_plan_or_the_fallback_for_a_name_not_configured(plan_name, limit):
    plans = {"pro": plan(30), "free": plan(5)}
    admission = SequentialAdmission(MemoryRateLimiter(), MemoryIdempotencyStore())
    middleware = AdmissionMiddleware(app_answering, admission, plans, sealer=SEALER)
    answered = Answered()

    await middleware(keyed_get(plan_name), receiving(b""), answered.send)

    assert dict(answered.starts[0]["headers"])[b"x-ratelimit-limit"] == limit


async def test_an_answer_without_rate_limit_headers_keeps_the_apps_headers():
    admission = SequentialAdmission(MemoryRateLimiter(), MemoryIdempotencyStore())
    middleware = AdmissionMiddleware(app_answering, admission, {"free": plan(None)}, sealer=SEALER)
    answered = Answered()

    await middleware(keyed_get("free"), receiving(b""), answered.send)

    assert answered.starts[0]["headers"] == [(b"content-type", b"application/json")]
    assert await admission.limiter.endpoint_usage(KEY_PK) == {"other": {"minute": 1, "day": 1, "month": 1}}


MINUTE = 60.0
DAY = 86_400.0
# 2025-01-31 23:58 UTC: the next minutes cross into a new day and a new month.
BEFORE_MIDNIGHT = 1_738_367_880.0


def request_counts(day: str, month: str, amount: int) -> dict[CountKey, int]:
    return {
        CountKey("key", KEY_PK, "requests", "day", day): amount,
        CountKey("key", KEY_PK, "requests", "month", month): amount,
    }


async def test_the_journal_counts_every_request_and_endpoint_across_periods():
    limiter = MemoryRateLimiter(journal=True)
    for offset in (0, 1, MINUTE, 3 * MINUTE, 3 * MINUTE + 1):
        await limiter.hit(STORE_ID, KEY_PK, plan(None), BEFORE_MIDNIGHT + offset)
        await limiter.record_endpoint(KEY_PK, "GET /v1/customers", BEFORE_MIDNIGHT + offset)

    journal = limiter.take_journal()

    assert journal == {
        **request_counts("20250131", "202501", 3),
        **request_counts("20250201", "202502", 2),
        CountKey("store", STORE_ID, "requests", "month", "202501"): 3,
        CountKey("store", STORE_ID, "requests", "month", "202502"): 2,
        CountKey("key", KEY_PK, "endpoint GET /v1/customers", "day", "20250131"): 3,
        CountKey("key", KEY_PK, "endpoint GET /v1/customers", "month", "202501"): 3,
        CountKey("key", KEY_PK, "endpoint GET /v1/customers", "day", "20250201"): 2,
        CountKey("key", KEY_PK, "endpoint GET /v1/customers", "month", "202502"): 2,
    }


async def test_the_journals_keys_are_made_once_per_minute(monkeypatch):
    made: list[CountKey] = []

    def counting(*fields: Any) -> CountKey:
        made.append(CountKey(*fields))
        return made[-1]

    monkeypatch.setattr(memory_module, "CountKey", counting)
    limiter = MemoryRateLimiter(journal=True)

    for second in range(10):
        await limiter.hit(STORE_ID, KEY_PK, plan(None), BEFORE_MIDNIGHT + second)
        await limiter.record_endpoint(KEY_PK, "GET /v1/customers", BEFORE_MIDNIGHT + second)

    assert len(made) == 3 + 2  # the key's day and month and the store's month; the endpoint's day and month
    assert sum(limiter.take_journal().values()) == 10 * 5


async def test_a_limiter_without_a_journal_makes_no_journal_keys(monkeypatch):
    made: list[tuple[Any, ...]] = []
    monkeypatch.setattr(memory_module, "CountKey", lambda *fields: made.append(fields))
    limiter = MemoryRateLimiter()

    await limiter.hit(STORE_ID, KEY_PK, plan(None), BEFORE_MIDNIGHT)
    await limiter.record_endpoint(KEY_PK, "GET /v1/customers", BEFORE_MIDNIGHT)

    assert made == []
    assert limiter.take_journal() == {}
