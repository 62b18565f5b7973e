"""API keys: the key strings ``dzpk_{live|test}_<key_id>.<secret>`` (platform) and ``dzpub_{live|test}_<key_id>``
(public), and the rules for creating and revoking platform keys through the API.

Only a SHA-256 of a platform secret is stored. The secret has 256 bits of entropy, so a fast hash is
enough (there is nothing to brute-force), and verification compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import ApiKey
from domain.errors import InsufficientScope, NotFound
from domain.scopes import Scope
from domain.validation import Problems


class KeyType(StrEnum):
    PLATFORM = "platform"
    PUBLIC = "public"


class KeyEnv(StrEnum):
    LIVE = "live"
    TEST = "test"


_PLATFORM_KEY = re.compile(r"^dzpk_(live|test)_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class ParsedPlatformKey:
    env: KeyEnv
    key_id: str
    secret: str


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    secret: str | None
    secret_hash: str | None
    token: str


def parse_platform_key(token: str) -> ParsedPlatformKey | None:
    """The parts of a well-formed platform key, or ``None`` for anything else."""
    match = _PLATFORM_KEY.fullmatch(token)
    if match is None:
        return None
    return ParsedPlatformKey(env=KeyEnv(match.group(1)), key_id=match.group(2), secret=match.group(3))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def issue_key(key_type: KeyType, env: KeyEnv) -> IssuedKey:
    key_id = secrets.token_hex(8)
    if key_type is KeyType.PUBLIC:
        return IssuedKey(key_id=key_id, secret=None, secret_hash=None, token=f"dzpub_{env}_{key_id}")
    secret = secrets.token_urlsafe(32)
    return IssuedKey(
        key_id=key_id, secret=secret, secret_hash=hash_secret(secret), token=f"dzpk_{env}_{key_id}.{secret}"
    )


def key_prefix(key_type: str, env: str, key_id: str) -> str:
    """What a key is shown as once its secret is gone: enough to recognise it, never enough to use it."""
    return f"dzpk_{env}_{key_id}" if key_type == KeyType.PLATFORM else f"dzpub_{env}_{key_id}"


def new_key_row(
    *,
    store_id: int,
    key_type: KeyType,
    env: KeyEnv,
    scopes: Iterable[Scope],
    name: str | None = None,
    allowed_origins: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """A new key's row (not yet added to a session) and its full key string, which is never retrievable again."""
    issued = issue_key(key_type, env)
    row = ApiKey(
        store_id=store_id,
        key_id=issued.key_id,
        type=key_type.value,
        env=env.value,
        name=name,
        scopes=[scope.value for scope in scopes],
        secret_hash=issued.secret_hash,
        allowed_origins=allowed_origins or [],
    )
    return row, issued.token


@dataclass(frozen=True, slots=True)
class PlatformKeyRequest:
    scopes: list[str]
    name: str | None = None
    env: KeyEnv | None = None


def _validated_scopes(problems: Problems, requested: list[str]) -> list[Scope]:
    scopes: list[Scope] = []
    if not requested:
        problems.add("scopes", "blank", "scopes must name at least one scope")
    for raw in requested:
        try:
            scope = Scope(raw.strip())
        except ValueError:
            problems.add("scopes", "unknown_scope", f"{raw!r} is not a scope")
            continue
        if scope not in scopes:
            scopes.append(scope)
    return scopes


async def create_platform_key(
    session: AsyncSession,
    store_id: int,
    request: PlatformKeyRequest,
    *,
    caller_scopes: Iterable[str],
    caller_env: KeyEnv,
) -> tuple[ApiKey, str]:
    """A platform key of the caller's store. A key never grants a scope it does not hold itself
    (``insufficient_scope`` naming it); ``env`` defaults to the caller's. Returns the row and the full key string."""
    problems = Problems()
    scopes = _validated_scopes(problems, request.scopes)
    name = problems.text("name", request.name, max_length=100)
    env = request.env or caller_env
    if caller_env is KeyEnv.TEST and env is KeyEnv.LIVE:
        # Test keys live in development tools and CI; they must not mint keys that reach live data.
        problems.add("env", "forbidden", "a test key cannot create a live key")
    problems.raise_if_any()
    held = set(caller_scopes)
    for scope in scopes:
        if scope.value not in held:
            raise InsufficientScope(scope.value, field="scopes")
    row, token = new_key_row(store_id=store_id, key_type=KeyType.PLATFORM, env=env, scopes=scopes, name=name)
    session.add(row)
    await session.flush()
    return row, token


async def revoke_key(session: AsyncSession, store_id: int, key_pk: int) -> ApiKey:
    """Revokes a key of the store; it is refused from its next request on. Revoking again keeps the first time."""
    stmt = select(ApiKey).where(ApiKey.id == key_pk, ApiKey.store_id == store_id).with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound("API key", key_pk)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.flush()
    return row
