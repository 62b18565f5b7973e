"""API key strings: ``dzpk_{live|test}_<key_id>.<secret>`` (platform) and ``dzpub_{live|test}_<key_id>`` (public).

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
from dataclasses import dataclass
from enum import StrEnum


class KeyType(StrEnum):
    PLATFORM = "platform"
    PUBLIC = "public"


class KeyEnv(StrEnum):
    LIVE = "live"
    TEST = "test"


_PLATFORM_KEY = re.compile(r"^dzpk_(live|test)_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
_PUBLIC_KEY = re.compile(r"^dzpub_(live|test)_([0-9a-f]{16})$")


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
