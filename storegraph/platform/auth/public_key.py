"""Authenticates the signed tracking endpoints (``POST /v1/signups``, ``POST /v1/events``) by public key, in place
of the Bearer authentication every other route has, and answers their CORS preflight (docs/tracking.md).

A request carries ``X-DZ-Key`` (``dzpub_<env>_<key_id>``), ``X-DZ-Timestamp`` (unix seconds) and
``X-DZ-Signature`` (storegraph/platform/auth/request_signature.py). The headers are checked first, the key looked up
among them; only then is the body read, bounded like every authenticated body (413 ``payload_too_large``, 408
``request_timeout``), to check the signature over its exact bytes, then handed on unchanged. Refused with 401
``unauthorized``, before anything runs: a missing, malformed, unknown or revoked key (or a platform key's), a
timestamp more than ``tolerance_seconds`` from the clock, a bad signature, a signature already used
(storegraph/platform/auth/replay.py). A browser request from an origin the key does not list is 403
``origin_not_allowed``. An accepted request gets a ``Principal`` of ``key_type="public"`` holding only
``tracking:write``, so the rate limiter and the usage counters apply per key as for any key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from starlette.datastructures import Headers as RequestHeaders
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.auth.directory import KeyDirectory
from storegraph.platform.auth.key_cache import KeyCache
from storegraph.platform.auth.key_format import KeyType, ParsedPublicKey, parse_public_key
from storegraph.platform.auth.key_use import KeyUseRecorder
from storegraph.platform.auth.origins import normalize_origin
from storegraph.platform.auth.principal import Principal
from storegraph.platform.auth.replay import ReplayStore
from storegraph.platform.auth.request_signature import is_fresh, is_well_formed, parse_timestamp, signature_matches
from storegraph.platform.auth.scopes import PUBLIC_KEY_SCOPES
from storegraph.platform.auth.signed_paths import is_signed_request
from storegraph.platform.errors import OriginNotAllowed, PayloadTooLarge, RequestTimeout, Unauthorized
from storegraph.platform.http.body import read_limited_body, replay_body
from storegraph.platform.http.internal_error import send_failure
from storegraph.platform.http.responses import CONNECTION_CLOSE, send_error

logger = logging.getLogger("storegraph.auth")

Headers = list[tuple[bytes, bytes]]

KEY_HEADER = "x-dz-key"
TIMESTAMP_HEADER = "x-dz-timestamp"
SIGNATURE_HEADER = "x-dz-signature"
_KEY, _TIMESTAMP, _SIGNATURE = KEY_HEADER.encode(), TIMESTAMP_HEADER.encode(), SIGNATURE_HEADER.encode()
_ORIGIN = b"origin"
_READ_HEADERS = frozenset({_KEY, _TIMESTAMP, _SIGNATURE, _ORIGIN})
# What a browser may send cross-origin to these endpoints, and may read back from them.
ALLOWED_REQUEST_HEADERS = b"Content-Type, X-DZ-Key, X-DZ-Timestamp, X-DZ-Signature, Idempotency-Key"
EXPOSED_RESPONSE_HEADERS = b"X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"
# How long a browser may reuse a preflight's answer (Chromium caps it at two hours).
PREFLIGHT_MAX_AGE = b"7200"
VARY_ORIGIN = (b"vary", b"Origin")
SIGNATURE_CHALLENGE = ((b"www-authenticate", b"DZ-Signature"),)


def wall_clock() -> float:
    """The server's clock for timestamps (a module function so that tests can set the time)."""
    return time.time()


@dataclass(frozen=True, slots=True)
class Verified:
    principal: Principal
    # The request's Origin header as sent, when the key lets that origin read the answer.
    allowed_origin: bytes | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the headers claim, checked before any of the body is read: a usable key, a fresh timestamp and a
    well-formed signature, still to be checked against the body; and the request's ``Origin`` headers."""

    row: Row[Any]
    raw_timestamp: str
    signature: str
    origins: list[str]


class PublicKeyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        directory: KeyDirectory,
        replays: ReplayStore,
        tolerance_seconds: int,
        *,
        max_body_bytes: int,
        body_timeout_seconds: float,
        keys: KeyCache | None = None,
    ) -> None:
        self.app = app
        self.directory = directory
        # The platform keys' cache, so a revocation (announced to every process) evicts public keys the same way.
        self.keys = keys or KeyCache(0)
        self.replays = replays
        self.tolerance_seconds = tolerance_seconds
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self._key_use = KeyUseRecorder(directory)

    def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> Awaitable[None]:
        # Hands on the awaitable that answers, adding no coroutine (docs/decisions.md, "Pass-through layers").
        if scope["type"] != "http" or not is_signed_request(scope["method"], scope["path"]):
            return self.app(scope, receive, send)
        return self._signed(scope, receive, send)

    async def _signed(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            await _send_preflight(scope, send)
            return
        try:
            # The headers first: a request without a usable key never has a byte of its body read.
            claimed = await self.identify(scope)
            body = await read_limited_body(scope, receive, self.max_body_bytes, self.body_timeout_seconds)
            if body is None:
                return  # the client went away before sending its request
            verified = await self.verify(scope, claimed, body)
        except (PayloadTooLarge, RequestTimeout) as error:
            # The rest of the body is never read: the connection cannot carry another request.
            await send_error(scope, send, error, (CONNECTION_CLOSE, VARY_ORIGIN))
            return
        except Unauthorized as error:
            await send_error(scope, send, error, (*SIGNATURE_CHALLENGE, VARY_ORIGIN))
            return
        except OriginNotAllowed as error:
            await send_error(scope, send, error, (VARY_ORIGIN,))
            return
        except Exception as error:
            # The key could not be checked at all (database or Redis down): a JSON 500 quoting the request id, or
            # 503 when their pools stayed busy.
            await send_failure(scope, send, error, logger, "public key authentication failed")
            return
        scope.setdefault("state", {})["principal"] = verified.principal
        await self.app(scope, replay_body(body, receive), _with_cors(send, verified.allowed_origin))

    async def identify(self, scope: AsgiScope) -> Claimed:
        """What the headers claim, or the ``Unauthorized`` they are refused with. Cheap checks first: a request that
        cannot be valid costs no database lookup."""
        headers = _signing_headers(scope)
        parsed = parse_public_key(_single(headers, _KEY) or "")
        if parsed is None:
            raise Unauthorized("Missing or malformed public key: send 'X-DZ-Key: dzpub_<env>_<key_id>'.")
        raw_timestamp = _single(headers, _TIMESTAMP) or ""
        timestamp = parse_timestamp(raw_timestamp)
        if timestamp is None or not is_fresh(timestamp, wall_clock(), self.tolerance_seconds):
            raise Unauthorized(
                f"Missing or stale X-DZ-Timestamp: send the current unix time in seconds (within "
                f"{self.tolerance_seconds} s of the server's clock)."
            )
        signature = _single(headers, _SIGNATURE) or ""
        if not is_well_formed(signature):
            raise Unauthorized("Missing or malformed X-DZ-Signature: send 64 hex digits (see docs/tracking.md).")
        row = await self._usable_key(parsed)
        if row is None:
            raise Unauthorized("Unknown or revoked public key.")
        origins = [value.decode("latin-1") for value in headers.get(_ORIGIN, [])]
        return Claimed(row, raw_timestamp, signature, origins)

    async def _usable_key(self, parsed: ParsedPublicKey) -> Row[Any] | None:
        """The key's row when it may sign: from the cache (evicted at once on revocation), else the database."""
        cached = self.keys.public_key(parsed.key_id)
        if cached is not None:
            return cached if cached.env == parsed.env else None
        generation = self.keys.generation
        row = await self.directory.public_key(parsed.key_id)
        if row is None or not _is_usable(row, parsed):
            return None
        self.keys.put_public_key(row, read_at_generation=generation)
        return row

    async def verify(self, scope: AsgiScope, claimed: Claimed, body: bytes) -> Verified:
        """The request's principal, or the error it is refused with; a signature is only recorded once everything
        else holds."""
        row, signature = claimed.row, claimed.signature
        if not signature_matches(row.signing_secret, claimed.raw_timestamp, body, signature):
            raise Unauthorized(
                "Bad X-DZ-Signature: it must be hex(hmac_sha256(signing_secret, timestamp + '.' + "
                "hex(sha256(raw_body)))) over the body exactly as sent."
            )
        allowed_origin = _allowed_origin(claimed.origins, row.allowed_origins or [])
        if not await self.replays.first_use(row.key_id, signature):
            raise Unauthorized("This signature was already used: sign every request anew, with its own timestamp.")
        await self._key_use.touch(row.id)
        principal = Principal(
            key_pk=row.id,
            key_id=row.key_id,
            key_type=KeyType.PUBLIC.value,
            env=row.env,
            scopes=PUBLIC_KEY_SCOPES,
            store_id=row.store_id,
            store_name=row.store_name,
            plan=row.store_plan,
            phone_region=row.store_phone_region,
        )
        return Verified(principal=principal, allowed_origin=allowed_origin)


def _is_usable(row: Row[Any], parsed: ParsedPublicKey) -> bool:
    # A platform key's id under a dzpub_ prefix is refused too: platform keys never sign tracking requests.
    return (
        row.type == KeyType.PUBLIC
        and row.env == parsed.env
        and row.revoked_at is None
        and row.signing_secret is not None
    )


def _allowed_origin(origins: list[str], allowed: list[str]) -> bytes | None:
    """The Origin to echo in ``Access-Control-Allow-Origin``; ``OriginNotAllowed`` for a browser request from an
    origin the key does not list. Without an Origin header (a server, an app) there is nothing to check: the
    list keeps other sites' pages from using the key, the signature is what authenticates."""
    if not origins:
        return None
    raw = origins[0]
    if not allowed:
        return raw.encode("latin-1")
    origin = normalize_origin(raw)
    if len(origins) > 1 or origin is None or origin not in allowed:
        raise OriginNotAllowed()
    return raw.encode("latin-1")


def _signing_headers(scope: AsgiScope) -> dict[bytes, list[bytes]]:
    """The raw values of the headers this middleware reads, from one pass over the request's headers (whose names
    ASGI servers lower-case, as Starlette's ``Headers`` relies on too)."""
    found: dict[bytes, list[bytes]] = {}
    for name, value in scope["headers"]:
        if name in _READ_HEADERS:
            found.setdefault(name, []).append(value)
    return found


def _single(headers: dict[bytes, list[bytes]], name: bytes) -> str | None:
    """A header sent exactly once, as text (latin-1, as Starlette reads it); sent twice it is ambiguous, hence
    absent."""
    values = headers.get(name, [])
    return values[0].decode("latin-1").strip() if len(values) == 1 else None


def _cors_headers(origin: bytes | None) -> Headers:
    headers: Headers = [VARY_ORIGIN]
    if origin is not None:
        headers.append((b"access-control-allow-origin", origin))
    return headers


async def _send_preflight(scope: AsgiScope, send: Send) -> None:
    """The browser asks whether it may POST with our headers. It sends no credentials, so which key will be
    used is unknown: any well-formed origin is told yes, and the POST itself enforces the key's origins."""
    origin = RequestHeaders(scope=scope).get("origin", "")
    well_formed = normalize_origin(origin) is not None
    headers = [
        *_cors_headers(origin.encode("latin-1") if well_formed else None),
        (b"access-control-allow-methods", b"POST, OPTIONS"),
        (b"access-control-allow-headers", ALLOWED_REQUEST_HEADERS),
        (b"access-control-max-age", PREFLIGHT_MAX_AGE),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _with_cors(send: Send, origin: bytes | None) -> Send:
    """Adds the CORS answer to whatever the app responds (202, and 422 or 429 too, so the page can read why)."""
    extra = _cors_headers(origin)
    if origin is not None:
        extra.append((b"access-control-expose-headers", EXPOSED_RESPONSE_HEADERS))

    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return send_with_cors
