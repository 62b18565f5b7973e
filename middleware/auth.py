"""Turns ``Authorization: Bearer dzpk_...`` into a ``Principal`` on ``scope["state"]``, or answers 401.

A key that verified is remembered for a short while (middleware/key_cache.py: revocation evicts it at once, in
every process). Otherwise the lookup is kept cheap: one Core select on a bare connection, in autocommit on
PostgreSQL (one round trip, no ORM session).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from db.base import utcnow
from db.queries.api_keys import find_key_for_auth, touch_last_used
from db.session import single_statement_reads, write_transaction
from domain.api_keys import KeyType, ParsedPlatformKey, parse_platform_key, secret_matches
from domain.errors import Unauthorized
from middleware.internal_error import send_internal_error
from middleware.key_cache import KeyCache
from middleware.principal import Principal
from middleware.responses import send_error
from tracking.paths import is_signed_request

logger = logging.getLogger("storegraph.auth")

# last_used_at is informative; writing it on every request would turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)
# Why recording a key's last use may fail without it being our bug: contention (SQLite's "database is locked"),
# a dropped connection. The record is informative, so such a failure costs a log line, never the request.
TOUCH_FAILURES: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


def requires_key(scope: AsgiScope) -> bool:
    path: str = scope["path"]
    if is_signed_request(scope["method"], path):
        # Signed by a public key instead (middleware/public_key.py), which has no Bearer secret to send.
        return False
    if path.startswith("/v1"):
        return True
    if path == "/graphql":
        # GET from a browser is the GraphiQL page; it sends the key with each query it runs.
        return scope["method"] != "GET" or bool(scope.get("query_string"))
    return False


class AuthMiddleware:
    def __init__(self, app: ASGIApp, engine: AsyncEngine, keys: KeyCache | None = None) -> None:
        self.app = app
        self.engine = engine
        self.keys = keys or KeyCache(0)
        self._reader = single_statement_reads(engine)
        self._last_touched: dict[int, datetime] = {}

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not requires_key(scope) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticate(_bearer_token(scope))
        except Unauthorized as error:
            await send_error(scope, send, error, ((b"www-authenticate", b"Bearer"),))
            return
        except Exception:
            # The key could not be checked at all (database down, ...): a JSON 500 quoting the request id, not
            # Starlette's plain-text one. The stack goes to the log; SQL parameters are hidden by the engine.
            logger.exception("authentication failed (request %s)", _request_id(scope))
            await send_internal_error(scope, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
        cached = self.keys.get(token)
        if cached is not None:
            await self._touch(cached.key_pk)
            return cached
        parsed = parse_platform_key(token)
        if parsed is None:
            raise Unauthorized("Malformed API key.")
        row = await self._find_key(parsed.key_id)
        if row is None or not _is_usable(row, parsed):
            raise Unauthorized("Unknown or revoked API key.")
        await self._touch(row.id)
        principal = Principal(
            key_pk=row.id,
            key_id=row.key_id,
            key_type=row.type,
            env=row.env,
            scopes=frozenset(row.scopes),
            store_id=row.store_id,
            store_name=row.store_name,
            plan=row.store_plan,
            phone_region=row.store_phone_region,
        )
        self.keys.put(token, principal)
        return principal

    async def _find_key(self, key_id: str) -> Row[Any] | None:
        async with self._reader.connect() as connection:
            return await find_key_for_auth(connection, key_id)

    async def _touch(self, key_pk: int) -> None:
        """Records the key's use, at most once a minute per key and process, in a short transaction of its own.

        Best effort: the lookup's transaction stays read-only (on SQLite a read transaction that turns into a write
        fails at once with "database is locked" when another writer got in first), and a failed touch is logged
        and forgotten rather than turning a valid request into a 500.
        """
        now = utcnow()
        last = self._last_touched.get(key_pk)
        if last is not None and now - last < LAST_USED_GRANULARITY:
            return
        self._last_touched[key_pk] = now
        try:
            async with write_transaction(self.engine) as connection:
                await touch_last_used(connection, key_pk, now)
        except TOUCH_FAILURES as error:
            # The exception's text may quote SQL; its class is enough to tell contention from an outage.
            logger.warning("could not record the last use of API key %s: %s", key_pk, type(error).__name__)


def _is_usable(row: Row[Any], parsed: ParsedPlatformKey) -> bool:
    return (
        row.type == KeyType.PLATFORM
        and row.env == parsed.env
        and row.revoked_at is None
        and row.secret_hash is not None
        and secret_matches(parsed.secret, row.secret_hash)
    )


def _request_id(scope: AsgiScope) -> str | None:
    request_id: str | None = (scope.get("state") or {}).get("request_id")
    return request_id


def _bearer_token(scope: AsgiScope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, separator, token = value.decode("latin-1").partition(" ")
            # "Bearer" alone (no space, no token) is no bearer credential at all.
            return token.strip() if separator and scheme.lower() == "bearer" else None
    return None
