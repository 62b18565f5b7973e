"""The rules for creating and revoking API keys: which scopes, environments and origins a new key may have, and
which keys a key may revoke. The key strings themselves are storegraph/platform/auth/key_format.py's."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey
from db.queries.keys import create_api_key, lock_api_key
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.origins import normalize_origin
from storegraph.platform.auth.scopes import INTERNAL_SCOPES, PUBLIC_KEY_SCOPES, Scope, holds, lacking
from storegraph.platform.errors import InsufficientScope, NotFound
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems

# A public key's allowed origins: enough for a merchant's sites and their staging copies, few enough to check
# on every request by a linear scan.
MAX_ALLOWED_ORIGINS = 20
MAX_KEY_NAME = 100


def _validated_origins(problems: Problems, requested: list[str]) -> list[str]:
    if len(requested) > MAX_ALLOWED_ORIGINS:
        problems.add("allowedOrigins", "too_long", f"allowedOrigins may list at most {MAX_ALLOWED_ORIGINS} origins")
        return []
    origins: list[str] = []
    for raw in requested:
        origin = normalize_origin(raw)
        if origin is None:
            shown = raw if len(raw) <= 60 else raw[:57] + "..."
            problems.add(
                "allowedOrigins",
                "invalid",
                f"{shown!r} is not an origin: give scheme and host (and port), e.g. https://shop.example",
            )
        elif origin not in origins:
            origins.append(origin)
    return origins


@dataclass(frozen=True, slots=True)
class PlatformKeyRequest:
    scopes: list[str]
    name: str | None = None
    env: KeyEnv | None = None
    # Only public keys have allowed origins: a platform key given some is refused rather than silently unrestricted.
    allowed_origins: list[str] | None = None


@dataclass(frozen=True, slots=True)
class PublicKeyRequest:
    name: str | None = None
    env: KeyEnv | None = None
    # Empty: any origin. Otherwise a browser request whose Origin is not listed is refused (origin_not_allowed).
    allowed_origins: list[str] | None = None
    # A public key holds tracking:write and nothing else; naming it (or nothing) is all that is accepted.
    scopes: list[str] | None = None


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
        if scope in INTERNAL_SCOPES:
            problems.add("scopes", "forbidden", f"{scope.value!r} is held only by public keys")
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
    name = problems.text("name", request.name, max_length=MAX_KEY_NAME)
    env = _env(problems, request.env, caller_env)
    if request.allowed_origins:
        problems.add("allowedOrigins", "invalid", "only public keys have allowed origins")
    problems.raise_if_any()
    held = frozenset(caller_scopes)
    for scope in scopes:
        if not holds(held, scope.value):
            raise InsufficientScope(scope.value, field="scopes")
    return await create_api_key(
        session, store_id=store_id, key_type=KeyType.PLATFORM, env=env, scopes=tuple(scopes), name=name
    )


async def create_public_key(
    session: AsyncSession, store_id: int, request: PublicKeyRequest, *, caller_env: KeyEnv
) -> tuple[ApiKey, str]:
    """A public key of the caller's store (``dzpub_<env>_<key_id>``); its signing secret is on the row.

    It grants no scope of the caller's (it only reaches the tracking endpoints), so any key that may create keys
    may create one. ``env`` defaults to the caller's, and a test key cannot create a live one."""
    problems = Problems()
    name = problems.text("name", request.name, max_length=MAX_KEY_NAME)
    env = _env(problems, request.env, caller_env)
    origins = _validated_origins(problems, request.allowed_origins or [])
    if any(raw.strip() not in PUBLIC_KEY_SCOPES for raw in request.scopes or []):
        problems.add("scopes", "invalid", "a public key holds only tracking:write: leave scopes empty")
    problems.raise_if_any()
    return await create_api_key(
        session, store_id=store_id, key_type=KeyType.PUBLIC, env=env, scopes=(), name=name, allowed_origins=origins
    )


def _env(problems: Problems, requested: KeyEnv | None, caller_env: KeyEnv) -> KeyEnv:
    env = requested or caller_env
    if caller_env is KeyEnv.TEST and env is KeyEnv.LIVE:
        # Test keys live in development tools and CI; they must not mint keys that reach live data.
        problems.add("env", "forbidden", "a test key cannot create a live key")
    return env


async def revoke_key(
    session: AsyncSession, store_id: int, key_pk: int, *, caller_pk: int, caller_scopes: Collection[str]
) -> ApiKey:
    """Revokes a key of the store; it is refused from its next request on. Revoking again keeps the first time.

    A key may revoke itself, or a key whose every scope it has (``insufficient_scope`` naming the ones it lacks):
    otherwise a narrow key (``keys:write`` alone) could revoke the merchant's full key and cut their integrations
    off. A public key holds none of a platform key's scopes, so any key that may revoke keys may revoke it."""
    row = await lock_api_key(session, store_id, key_pk)
    if row is None:
        raise NotFound("API key", key_pk)
    if row.id != caller_pk:
        # tracking:write is no platform key's to hold, so it is left out: it reaches only the tracking endpoints.
        missing = lacking(caller_scopes, [scope for scope in row.scopes or () if scope not in INTERNAL_SCOPES])
        if missing:
            raise InsufficientScope(*missing, field="id")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.flush()
    return row
