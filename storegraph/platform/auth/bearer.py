"""Turns ``Authorization: Bearer dzpk_...`` into a ``Principal`` on ``scope["state"]``, or answers 401 (400
``duplicate_header`` for two ``Authorization`` headers: which key is meant would be a guess).

A key that verified is remembered for a short while (storegraph/platform/auth/key_cache.py: revocation evicts it at
once, in
every process). Otherwise the lookup is kept cheap: one Core select on a bare connection, in autocommit on
PostgreSQL (one round trip, no ORM session).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Row
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.auth.directory import KeyDirectory
from storegraph.platform.auth.key_cache import KeyCache
from storegraph.platform.auth.key_format import KeyType, ParsedPlatformKey, parse_platform_key, secret_matches
from storegraph.platform.auth.key_use import KeyUseRecorder
from storegraph.platform.auth.principal import Principal
from storegraph.platform.auth.signed_paths import is_signed_request
from storegraph.platform.errors import DuplicateHeader, Unauthorized
from storegraph.platform.http.graphql_ide import is_ide_request
from storegraph.platform.http.internal_error import send_failure
from storegraph.platform.http.responses import GRAPHQL_PATH, send_error

logger = logging.getLogger("storegraph.auth")


def requires_key(scope: AsgiScope) -> bool:
    path: str = scope["path"]
    if path == GRAPHQL_PATH:
        # A browser opening GraphiQL: the page sends the key with each query it runs.
        return not is_ide_request(scope)
    if path.startswith("/v1"):
        # The signed endpoints (all under /v1) are signed by a public key instead
        # (storegraph/platform/auth/public_key.py), which has no Bearer secret to send.
        return not is_signed_request(scope["method"], path)
    return False


class AuthMiddleware:
    def __init__(self, app: ASGIApp, directory: KeyDirectory, keys: KeyCache | None = None) -> None:
        self.app = app
        self.directory = directory
        self.keys = keys or KeyCache(0)
        self._key_use = KeyUseRecorder(directory)

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not requires_key(scope) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticate(_bearer_token(scope))
        except DuplicateHeader as error:
            await send_error(scope, send, error)
            return
        except Unauthorized as error:
            await send_error(scope, send, error, ((b"www-authenticate", b"Bearer"),))
            return
        except Exception as error:
            # The key could not be checked at all (database down or its pool exhausted, ...): a JSON 500 quoting
            # the request id (503 for overload), not Starlette's plain-text one. SQL parameters are hidden by the
            # engine.
            await send_failure(scope, send, error, logger, "authentication failed")
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
        cached = self.keys.get(token)
        if cached is not None:
            await self._key_use.touch(cached.key_pk)
            return cached
        parsed = parse_platform_key(token)
        if parsed is None:
            raise Unauthorized("Malformed API key.")
        row = await self.directory.platform_key(parsed.key_id)
        if row is None or not _is_usable(row, parsed):
            raise Unauthorized("Unknown or revoked API key.")
        await self._key_use.touch(row.id)
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


def _is_usable(row: Row[Any], parsed: ParsedPlatformKey) -> bool:
    return (
        row.type == KeyType.PLATFORM
        and row.env == parsed.env
        and row.revoked_at is None
        and row.secret_hash is not None
        and secret_matches(parsed.secret, row.secret_hash)
    )


def _bearer_token(scope: AsgiScope) -> str | None:
    # A plain loop over the raw headers (ASGI servers lower-case their names): this runs for every request.
    found: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if found is not None:
                raise DuplicateHeader("Authorization")
            found = value
    if found is None:
        return None
    scheme, separator, token = found.decode("latin-1").partition(" ")
    # "Bearer" alone (no space, no token) is no bearer credential at all.
    return token.strip() if separator and scheme.lower() == "bearer" else None
