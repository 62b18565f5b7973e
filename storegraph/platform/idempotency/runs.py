"""``Idempotency-Key`` with Stripe's semantics, for ``/v1`` and ``/graphql`` alike (docs/idempotency.md).

The admission middleware (storegraph/platform/admission/middleware.py) drives it, after authentication: ``prepare``
checks the header
and, for a request that carries a key, buffers the body and fingerprints the request into a claim, which admission
reserves in the same step as the rate limit (a refused request reserves nothing). ``answer`` then acts on the
reservation: the first request runs (its response is recorded on the way out and kept, or the reservation is
released if it turns out to be a refusal); a repeat is answered from the store with ``Idempotent-Replayed: true``,
a concurrent duplicate with 409 ``idempotency_key_in_use``, and the same key with a different request with 422
``idempotency_key_reused``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import orjson
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.admission.core import Claim
from storegraph.platform.errors import (
    ApiError,
    IdempotencyKeyInUse,
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    IdempotencyResponseUnavailable,
)
from storegraph.platform.http.body import read_body, replay_body
from storegraph.platform.http.request_id import REQUEST_ID_HEADER, request_id_of
from storegraph.platform.http.responses import send_error
from storegraph.platform.idempotency.graphql_operation import request_operation
from storegraph.platform.idempotency.keys import (
    MAX_KEY_LENGTH,
    InvalidIdempotencyKey,
    idempotency_key_of,
    request_fingerprint,
    scope_key,
)
from storegraph.platform.idempotency.policy import GRAPHQL_PATH, Requirement, answers_a_write, is_kept, requirement
from storegraph.platform.idempotency.sealing import AnswerSealer, UnreadableAnswer
from storegraph.platform.idempotency.store import DAY_SECONDS, IdempotencyStore, Outcome, Reservation, StoredResponse

logger = logging.getLogger("storegraph.idempotency")

REPLAYED_HEADER = (b"idempotent-replayed", b"true")
# The headers that are part of the answer itself, with the first request's X-Request-Id (added when it is kept).
# Everything else belongs to the request that receives it: admission adds X-RateLimit-* to a replay as to any
# response, and content-length is recomputed from the stored body.
KEPT_HEADERS = frozenset({b"content-type", b"content-language", b"location", b"cache-control"})
DEFAULT_LEASE_SECONDS = 60.0
# A larger answer is not kept: the record says the request ran, and a retry is told its answer is unavailable.
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a request brings to idempotency, known before admission: a claim on its key with the body it buffered,
    or an unusable or missing key to refuse once the request is admitted, or neither (it takes no part). ``body``
    is the buffered request body, to hand on to the app; None when the request was left unread."""

    claim: Claim | None = None
    body: bytes | None = None
    refusal: ApiError | None = None


TAKES_NO_PART = Prepared()


# Whether the app routes ``(method, path)`` to something that runs: the app's routes decide it, not this layer.
RouteCheck = Callable[[str, str], bool]


def every_request_routed(_method: str, _path: str) -> bool:
    return True


class IdempotentRuns:
    """Runs an admitted request according to its reservation: the first runs and its response is kept (or the
    reservation released if it turns out to be a refusal); a repeat is answered from the store."""

    def __init__(
        self,
        app: ASGIApp,
        store: IdempotencyStore,
        *,
        sealer: AnswerSealer,
        ttl_seconds: float = DAY_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        routed: RouteCheck = every_request_routed,
    ) -> None:
        self.app = app
        self.store = store
        self.routed = routed
        self.sealer = sealer
        self.ttl_seconds = ttl_seconds
        self.lease_seconds = lease_seconds
        self.max_response_bytes = max_response_bytes

    async def prepare(self, scope: AsgiScope, receive: Receive, key_pk: int) -> Prepared | None:
        """Checks the header and, for a request with a usable key, buffers its body and fingerprints it. None when
        the client went away before sending its whole request: there is nothing to run or keep."""
        method, path = scope["method"], scope["path"]
        needed = requirement(method, path)
        if needed is Requirement.NONE:
            return TAKES_NO_PART
        # A method its path does not take, or a path no route serves, is answered 405 or 404 whatever the header
        # says: asking for a key first would answer those with 400, or with 422 for a key already used. The route
        # is checked only where the answer depends on it: a request without the header that may leave it out
        # (every GraphQL query) takes no part either way.
        try:
            key = idempotency_key_of(scope)
        except InvalidIdempotencyKey:
            invalid = Prepared(refusal=IdempotencyKeyInvalid(MAX_KEY_LENGTH))
            return invalid if self.routed(method, path) else TAKES_NO_PART
        if key is None:
            if needed is Requirement.REQUIRED and self.routed(method, path):
                return Prepared(refusal=IdempotencyKeyRequired())
            return TAKES_NO_PART
        if not self.routed(method, path):
            return TAKES_NO_PART
        body = await read_body(receive)
        if body is None:
            return None
        if scope["path"] == GRAPHQL_PATH and not _may_mutate(body):
            return Prepared(body=body)  # a query: it runs like any read, its key neither held nor kept
        fingerprint = request_fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        return Prepared(Claim(scope_key(key_pk, key), fingerprint, self.lease_seconds), body)

    def answer(
        self, scope: AsgiScope, reservation: Reservation, body: bytes, receive: Receive, send: Send
    ) -> Awaitable[None]:
        """Run the request (a new reservation), or answer for it from what holds its key."""
        # Hands on the awaitable that answers, adding no coroutine (docs/decisions.md, "Pass-through layers").
        if reservation.outcome is Outcome.NEW:
            return self._run(scope, reservation, body, receive, send)
        if reservation.outcome is Outcome.MISMATCH:
            return send_error(scope, send, IdempotencyKeyReused())
        if reservation.outcome is Outcome.IN_PROGRESS or reservation.sealed is None:
            return send_error(scope, send, IdempotencyKeyInUse())
        return self._replay(scope, reservation, reservation.sealed, send)

    async def _replay(self, scope: AsgiScope, reservation: Reservation, sealed: bytes, send: Send) -> None:
        try:
            response = self.sealer.open(reservation.scope_key, reservation.fingerprint, sealed)
        except UnreadableAnswer:
            # Sealed under another SECRET_KEY (or in an older format): the request ran, so it must not run again.
            logger.warning("a kept idempotent answer does not open (request %s)", request_id_of(scope))
            await send_error(scope, send, IdempotencyResponseUnavailable("its kept answer can no longer be read"))
            return
        if response.omitted_bytes:
            reason = (
                f"its answer ({response.omitted_bytes} bytes) was larger than the {self.max_response_bytes} bytes "
                "kept for replays"
            )
            await send_error(scope, send, IdempotencyResponseUnavailable(reason, original_status=response.status))
            return
        await _send_replay(send, response)

    async def _run(self, scope: AsgiScope, reservation: Reservation, body: bytes, receive: Receive, send: Send) -> None:
        recorder = _ResponseRecorder(self, scope, reservation, send)
        try:
            await self.app(scope, replay_body(body, receive), recorder.send)
        finally:
            # The app raised, was cancelled (the client went away), or returned without a whole response: whether
            # it ran is unknown, and holding the key for the lease would only delay the client's retry.
            if not recorder.settled:
                # Shielded: under a cancelled anyio scope every await would be cancelled again at once.
                with anyio.CancelScope(shield=True):
                    await self.forget(scope, reservation)

    async def keep(self, scope: AsgiScope, reservation: Reservation, response: StoredResponse) -> None:
        try:
            sealed = self.sealer.seal(reservation.scope_key, reservation.fingerprint, response)
            await self.store.complete(reservation, sealed, self.ttl_seconds)
        except Exception:
            # The request ran and its answer is on its way; a retry will find the lease (409) until it lapses.
            logger.exception("could not store an idempotent response (request %s)", request_id_of(scope))

    async def forget(self, scope: AsgiScope, reservation: Reservation) -> None:
        try:
            await self.store.release(reservation)
        except Exception:
            logger.exception("could not release an idempotency key (request %s)", request_id_of(scope))


class _ResponseRecorder:
    """Passes the response through while recording it; before the last body chunk goes out it is kept or the
    reservation released, so a client that has the answer and retries at once gets the replay, never a 409."""

    def __init__(self, owner: IdempotentRuns, scope: AsgiScope, reservation: Reservation, send: Send) -> None:
        self.owner = owner
        self.scope = scope
        self.reservation = reservation
        self.downstream = send
        self.settled = False
        self.status = 0
        self.headers: tuple[tuple[bytes, bytes], ...] = ()
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            # A list made first: a generator resumed for every header cost more calls than the headers' own work.
            self.headers = tuple(
                [(name.lower(), value) for name, value in message.get("headers", ()) if name.lower() in KEPT_HEADERS]
            )
        elif message["type"] == "http.response.body" and not self.settled:
            self.body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self._settle()
        await self.downstream(message)

    async def _settle(self) -> None:
        self.settled = True
        body = bytes(self.body)
        if not (is_kept(self.status, body) and answers_a_write(self.scope)):
            await self.owner.forget(self.scope, self.reservation)
        elif len(body) > self.owner.max_response_bytes:
            # The request ran, so its key must never run it again: keep the fact, not the answer.
            await self.owner.keep(self.scope, self.reservation, StoredResponse(self.status, (), b"", len(body)))
        else:
            headers = self.headers
            request_id = request_id_of(self.scope)
            if request_id is not None:
                # The body may quote it (the REST envelope's meta, a masked error): a replay's header says the same.
                headers = (*headers, (REQUEST_ID_HEADER, request_id.encode("ascii")))
            await self.owner.keep(self.scope, self.reservation, StoredResponse(self.status, headers, body))


def _may_mutate(body: bytes) -> bool:
    """Whether a ``POST /graphql`` body may run a mutation (it does, or it cannot be told cheaply). One that is not
    a JSON GraphQL request runs nothing at all: the endpoint refuses it."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return False
    return request_operation(request) in (None, "mutation")


async def _send_replay(send: Send, response: StoredResponse) -> None:
    headers = [*response.headers, (b"content-length", str(len(response.body)).encode()), REPLAYED_HEADER]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
