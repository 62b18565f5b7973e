"""API keys: the key strings ``dzpk_{live|test}_<key_id>.<secret>`` (platform) and ``dzpub_{live|test}_<key_id>``
(public), and the rules for creating and revoking keys through the API.

Only a SHA-256 of a platform secret is stored. The secret has 256 bits of entropy, so a fast hash is
enough (there is nothing to brute-force), and verification compares digests in constant time.

A public key has no secret in its key string (it is embedded in web pages); its requests are signed with its
signing secret instead (docs/tracking.md), which must therefore be stored readable, like a webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import ApiKey
from domain.errors import InsufficientScope, NotFound
from domain.scopes import INTERNAL_SCOPES, PUBLIC_KEY_SCOPES, Scope
from domain.validation import Problems


class KeyType(StrEnum):
    PLATFORM = "platform"
    PUBLIC = "public"


class KeyEnv(StrEnum):
    LIVE = "live"
    TEST = "test"


_PLATFORM_KEY = re.compile(r"^dzpk_(live|test)_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
_PUBLIC_KEY = re.compile(r"^dzpub_(live|test)_([0-9a-f]{16})$")
# A public key's allowed origins: enough for a merchant's sites and their staging copies, few enough to check
# on every request by a linear scan.
MAX_ALLOWED_ORIGINS = 20
MAX_ORIGIN_LENGTH = 255
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class ParsedPlatformKey:
    env: KeyEnv
    key_id: str
    secret: str


@dataclass(frozen=True, slots=True)
class ParsedPublicKey:
    env: KeyEnv
    key_id: str


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    secret: str | None
    secret_hash: str | None
    token: str
    # A public key's HMAC secret for X-DZ-Signature; None for a platform key.
    signing_secret: str | None = None


def parse_platform_key(token: str) -> ParsedPlatformKey | None:
    """The parts of a well-formed platform key, or ``None`` for anything else."""
    match = _PLATFORM_KEY.fullmatch(token)
    if match is None:
        return None
    return ParsedPlatformKey(env=KeyEnv(match.group(1)), key_id=match.group(2), secret=match.group(3))


def parse_public_key(token: str) -> ParsedPublicKey | None:
    """The parts of a well-formed public key (``X-DZ-Key``), or ``None`` for anything else."""
    match = _PUBLIC_KEY.fullmatch(token)
    if match is None:
        return None
    return ParsedPublicKey(env=KeyEnv(match.group(1)), key_id=match.group(2))


def new_public_signing_secret() -> str:
    return "dzsig_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def issue_key(key_type: KeyType, env: KeyEnv) -> IssuedKey:
    key_id = secrets.token_hex(8)
    if key_type is KeyType.PUBLIC:
        return IssuedKey(
            key_id=key_id,
            secret=None,
            secret_hash=None,
            token=f"dzpub_{env}_{key_id}",
            signing_secret=new_public_signing_secret(),
        )
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
    """A new key's row (not yet added to a session) and its full key string, which is never retrievable again.

    A public key's row carries its signing secret and always holds exactly the public scopes, whatever ``scopes``
    says: what it may do does not depend on each caller getting that right."""
    issued = issue_key(key_type, env)
    public = key_type is KeyType.PUBLIC
    row = ApiKey(
        store_id=store_id,
        key_id=issued.key_id,
        type=key_type.value,
        env=env.value,
        name=name,
        scopes=sorted(PUBLIC_KEY_SCOPES) if public else [scope.value for scope in scopes],
        secret_hash=issued.secret_hash,
        signing_secret=issued.signing_secret,
        allowed_origins=(allowed_origins or []) if public else [],
    )
    return row, issued.token


def normalize_origin(raw: str) -> str | None:
    """The origin as browsers send it in ``Origin`` (``https://Shop.example:443/`` → ``https://shop.example``), or
    ``None`` for anything that is not an http(s) origin: a path, query, fragment or credentials, or ``null``."""
    text = raw.strip()
    if not text or len(text) > MAX_ORIGIN_LENGTH or any(char.isspace() or not char.isprintable() for char in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        return None
    if ":" in host:  # an IPv6 literal: urlsplit drops its brackets
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")


def allowed_origins_from(requested: list[str]) -> list[str]:
    """The normalised, deduplicated origins; ``ValidationFailed`` naming every one that is not an origin."""
    problems = Problems()
    origins = _validated_origins(problems, requested)
    problems.raise_if_any()
    return origins


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
    name = problems.text("name", request.name, max_length=100)
    env = _env(problems, request.env, caller_env)
    if request.allowed_origins:
        problems.add("allowedOrigins", "invalid", "only public keys have allowed origins")
    problems.raise_if_any()
    held = set(caller_scopes)
    for scope in scopes:
        if scope.value not in held:
            raise InsufficientScope(scope.value, field="scopes")
    row, token = new_key_row(store_id=store_id, key_type=KeyType.PLATFORM, env=env, scopes=scopes, name=name)
    session.add(row)
    await session.flush()
    return row, token


async def create_public_key(
    session: AsyncSession, store_id: int, request: PublicKeyRequest, *, caller_env: KeyEnv
) -> tuple[ApiKey, str]:
    """A public key of the caller's store (``dzpub_<env>_<key_id>``); its signing secret is on the row.

    It grants no scope of the caller's (it only reaches the tracking endpoints), so any key that may create keys
    may create one. ``env`` defaults to the caller's, and a test key cannot create a live one."""
    problems = Problems()
    name = problems.text("name", request.name, max_length=100)
    env = _env(problems, request.env, caller_env)
    origins = _validated_origins(problems, request.allowed_origins or [])
    if any(raw.strip() not in PUBLIC_KEY_SCOPES for raw in request.scopes or []):
        problems.add("scopes", "invalid", "a public key holds only tracking:write: leave scopes empty")
    problems.raise_if_any()
    row, token = new_key_row(
        store_id=store_id, key_type=KeyType.PUBLIC, env=env, scopes=(), name=name, allowed_origins=origins
    )
    session.add(row)
    await session.flush()
    return row, token


def _env(problems: Problems, requested: KeyEnv | None, caller_env: KeyEnv) -> KeyEnv:
    env = requested or caller_env
    if caller_env is KeyEnv.TEST and env is KeyEnv.LIVE:
        # Test keys live in development tools and CI; they must not mint keys that reach live data.
        problems.add("env", "forbidden", "a test key cannot create a live key")
    return env


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
