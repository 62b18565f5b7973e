"""Turns ``Authorization: Bearer dzpk_...`` into a ``Principal`` on ``scope["state"]``, or answers 401."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from db.base import utcnow
from db.queries.api_keys import find_key_for_auth, touch_last_used
from domain.api_keys import KeyType, parse_platform_key, secret_matches
from domain.errors import Unauthorized
from middleware.principal import Principal
from middleware.responses import send_error

# last_used_at is informative; writing it on every request would turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def requires_key(scope: AsgiScope) -> bool:
    path: str = scope["path"]
    if path.startswith("/v1"):
        return True
    if path == "/graphql":
        # GET from a browser is the GraphiQL page; it sends the key with each query it runs.
        return scope["method"] != "GET" or bool(scope.get("query_string"))
    return False


class AuthMiddleware:
    def __init__(self, app: ASGIApp, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.app = app
        self.sessionmaker = sessionmaker
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
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
        parsed = parse_platform_key(token)
        if parsed is None:
            raise Unauthorized("Malformed API key.")
        async with self.sessionmaker() as session, session.begin():
            row = await find_key_for_auth(session, parsed.key_id)
            valid = (
                row is not None
                and row.type == KeyType.PLATFORM
                and row.env == parsed.env
                and row.revoked_at is None
                and row.secret_hash is not None
                and secret_matches(parsed.secret, row.secret_hash)
            )
            if not valid or row is None:
                raise Unauthorized("Unknown or revoked API key.")
            await self._touch(session, row.id)
        return Principal(
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

    async def _touch(self, session: AsyncSession, key_pk: int) -> None:
        now = utcnow()
        last = self._last_touched.get(key_pk)
        if last is None or now - last >= LAST_USED_GRANULARITY:
            self._last_touched[key_pk] = now
            await touch_last_used(session, key_pk, now)


def _bearer_token(scope: AsgiScope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None
