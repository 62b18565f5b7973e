"""Schemathesis's generated requests, in process, per operation: every /v1 operation, with requests it generates from
the document, answered by the real app over a store seeded with a row of every resource.

tests/rest_compat/test_rest_schemathesis_cli.py runs schemathesis as an outside user does (its command, every check,
every phase, a real server). This one adds what that run cannot: its requests reach existing rows of every kind
(half the cases name one: landing pages, webhooks and spare keys included, which a demo store lacks), and it runs in
the test process, so that coverage counts the code it reaches, in under a minute for both backends.

Each operation gets positive requests (they fit the document; its examples are among them) and negative ones
(they break it somewhere: a wrong type, a missing key, a malformed path). For each answer: no 5xx, a status the
operation documents, the documented content type, a body that matches the documented schema, and the documented
headers.

The app and its database engine live on the test's event loop (the ``app`` fixture), so requests go through
``httpx.ASGITransport`` on that loop rather than schemathesis's own ASGI client, which runs the app on an event
loop of its own. Hypothesis, which is synchronous, runs in a worker thread and hands each request to the loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.keys import create_api_key
from rest_compat.openapi.document import generated_document
from rest_compat.table import ENDPOINTS
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.signed_paths import is_signed_request
from storegraph.platform.signatures import sign
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
    create_webhook_subscription,
)

BASE_URL = "http://storegraph.test"
# Per operation and generation mode: 30 requests an operation keep the whole run near a minute.
MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SCHEMA = schemathesis.openapi.from_dict(generated_document())


@dataclass(frozen=True)
class PublicKey:
    token: str
    signing_secret: str


@dataclass
class Seeded:
    key: Key
    # Signs the tracking endpoints (POST /v1/signups, /v1/events), which take no Bearer key.
    public_key: PublicKey
    # Keys the RevokeKey operation may revoke: never the one the test calls with.
    spare_key_ids: list[int]
    # Existing ids by the path segment that names their resource (``products`` for /v1/products/{id}).
    ids: dict[str, list[int]] = field(default_factory=dict)


async def seed(session: AsyncSession) -> Seeded:
    store = await create_store(session)
    key = await create_key(session, store)
    spare = [(await create_key(session, store)).id for _ in range(2)]
    public, public_token = await create_api_key(
        session, store_id=store.id, key_type=KeyType.PUBLIC, env=KeyEnv.LIVE, scopes=()
    )
    assert public.signing_secret is not None
    products = [await create_product(session, store) for _ in range(3)]
    customers = [await create_customer(session, store) for _ in range(2)]
    orders = [
        await create_order(session, store, customers[0], [(products[0], 2)]),
        await create_order(session, store, customers[0], [(products[1], 1)], status="confirmed"),
        await create_order(session, store, customers[1], [(products[2], 3)], status="delivered"),
    ]
    pages = [await create_landing_page(session, store, product=products[0]) for _ in range(2)]
    webhooks = [await create_webhook_subscription(session, store) for _ in range(2)]
    await session.commit()
    return Seeded(
        key=key,
        public_key=PublicKey(public_token, public.signing_secret),
        spare_key_ids=spare,
        ids={
            "products": [row.id for row in products],
            "customers": [row.id for row in customers],
            "orders": [row.id for row in orders],
            "landing-pages": [row.id for row in pages],
            "keys": spare,
            "webhooks": [row.id for row in webhooks],
        },
    )


def run_operation(
    operation: APIOperation,
    mode: GenerationMode,
    seeded: Seeded,
    send: Callable[[dict[str, Any]], httpx.Response],
) -> None:
    """Hypothesis over generated requests (synchronous: it runs in a worker thread). Positive requests fit the
    document, with its examples among them; negative ones break it somewhere (a wrong type, a missing key, a
    malformed path) and must still get a documented error in the envelope, never a 5xx."""
    resource = operation.path.split("/")[2]
    signed = is_signed_request(operation.method.upper(), operation.path)
    known_ids = seeded.ids.get(resource, [])
    idempotency_keys = (f"schemathesis-{number}" for number in itertools.count())
    signature_times = itertools.count(int(time.time()), -1)
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, *operation.get_strategies_from_examples())

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=strategy, data=st.data())
    def check(case: Case, data: st.DataObject) -> None:
        if case.path_parameters and "id" in case.path_parameters:
            # Random ids are nearly all unknown (404); half the cases use a row that exists, so the success
            # answers are checked too.
            use_existing: bool = data.draw(st.booleans(), label="existing id")
            if known_ids and use_existing:
                case.path_parameters["id"] = data.draw(st.sampled_from(known_ids), label="id")
            if resource == "keys" and case.path_parameters["id"] == seeded.key.id:
                # Revoking the calling key would turn every later case into a 401.
                case.path_parameters["id"] = seeded.spare_key_ids[0]
        headers = {"Authorization": f"Bearer {seeded.key.token}"}
        if case.method.upper() != "GET":
            # Every write gets its own key: a generated one may repeat, and a replay is not what is under test.
            headers["Idempotency-Key"] = next(idempotency_keys)
        request = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        # No HTTP client can send a header value outside ASCII (httpx refuses to): a generated If-None-Match of one is
        # left out rather than sent.
        request["headers"] = {name: value for name, value in request["headers"].items() if str(value).isascii()}
        if "json" in request:
            # The exact bytes sent, so that a signed request can sign them.
            request["data"] = json.dumps(request.pop("json")).encode()
        if signed:
            # A signature is accepted once and covers only the timestamp and the body, so the same body twice in
            # one second would be refused as a replay: each request is signed at a second of its own, counting
            # back from the start (a few dozen seconds, well within the five minutes' tolerance).
            timestamp = next(signature_times)
            request["headers"].update(signed_headers(seeded.public_key, request.get("data") or b"", timestamp))
        response = send(request)
        case.validate_response(response, checks=CHECKS, headers=dict(request["headers"]))

    check()


def signed_headers(key: PublicKey, body: bytes, timestamp: int) -> dict[str, str]:
    """A public key's signature of ``body`` at ``timestamp``, as storegraph/platform/auth/request_signature.py checks
    it."""
    return {
        "X-DZ-Key": key.token,
        "X-DZ-Timestamp": str(timestamp),
        "X-DZ-Signature": sign(key.signing_secret, str(timestamp), body),
    }


# On both backends (the database_url fixture): generated input reaches the SQL, which is where they differ.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", [row.label for row in ENDPOINTS])
async def test_the_operation_answers_as_the_document_says(
    label: str, mode: GenerationMode, app: Any, session: AsyncSession
) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the OpenAPI document"
    seeded = await seed(session)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:

        async def request(kwargs: dict[str, Any]) -> httpx.Response:
            return await http.request(
                kwargs["method"],
                kwargs["url"],
                headers=dict(kwargs["headers"]),
                params=kwargs.get("params"),
                content=kwargs.get("data"),
            )

        def send(kwargs: dict[str, Any]) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(request(kwargs), loop).result(timeout=30)

        await asyncio.to_thread(run_operation, operation, mode, seeded, send)
