"""Kept answers are sealed (encrypted and authenticated) before any store sees them.

An answer can carry a secret shown once: the full key of ``createApiKey`` / ``POST /v1/keys``, a webhook's signing
secret. Secrets are kept only as hashes, so the copy an idempotency record keeps for 24 hours must not be readable
either, in Redis, in the database or in this process's memory. Every kept answer is sealed with AES-256-GCM under a
key derived from ``SECRET_KEY`` (HKDF-SHA256, with a label of its own so the key serves no other purpose). The
associated data binds a sealed answer to its API key, Idempotency-Key and request fingerprint: a record copied under
another key's name cannot be opened there. Sealing them all (not only the answers known to carry a secret) leaves
nothing to forget when a new mutation returns one.
"""

from __future__ import annotations

import os

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storegraph.platform.idempotency.store import StoredResponse

PURPOSE = b"storegraph idempotency answers v1"
_VERSION = b"\x01"
_NONCE_BYTES = 12


class UnreadableAnswer(ValueError):
    """A sealed answer that does not open: sealed under another ``SECRET_KEY``, altered, or written in an older
    format."""


class AnswerSealer:
    def __init__(self, key: bytes) -> None:
        self._cipher = AESGCM(key)

    @classmethod
    def from_secret(cls, secret: str) -> AnswerSealer:
        """The deployment's sealer: every process with the same ``SECRET_KEY`` opens what the others sealed."""
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(secret.encode("utf-8"))
        return cls(key)

    @classmethod
    def ephemeral(cls) -> AnswerSealer:
        """A sealer whose key lives only in this process (for records that do not outlive it)."""
        return cls(AESGCM.generate_key(bit_length=256))

    def seal(self, scope_key: str, fingerprint: str, response: StoredResponse) -> bytes:
        # A random 96-bit nonce per answer: far below the 2**32 answers per key at which collisions start to matter.
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._cipher.encrypt(nonce, encode_answer(response), _bound(scope_key, fingerprint))

    def open(self, scope_key: str, fingerprint: str, sealed: bytes) -> StoredResponse:
        if not sealed.startswith(_VERSION) or len(sealed) < 1 + _NONCE_BYTES:
            raise UnreadableAnswer("not a sealed answer")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            plain = self._cipher.decrypt(nonce, ciphertext, _bound(scope_key, fingerprint))
        except InvalidTag:
            raise UnreadableAnswer("the sealed answer does not open") from None
        return decode_answer(plain)


def encode_answer(response: StoredResponse) -> bytes:
    """A JSON header (orjson; it never contains a raw newline), a newline, and the body as raw bytes."""
    header = {
        "status": response.status,
        # Header bytes are latin-1 by HTTP's rules, so this round-trips every byte.
        "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in response.headers],
        "omitted": response.omitted_bytes,
    }
    return orjson.dumps(header) + b"\n" + response.body


def decode_answer(plain: bytes) -> StoredResponse:
    header_bytes, _, body = plain.partition(b"\n")
    header = orjson.loads(header_bytes)
    headers = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in header["headers"])
    return StoredResponse(header["status"], headers, body, header["omitted"])


def _bound(scope_key: str, fingerprint: str) -> bytes:
    """The associated data: each part length-prefixed, so that no two records run together into the same bytes."""
    key, printed = scope_key.encode("utf-8"), fingerprint.encode("ascii")
    return len(key).to_bytes(4, "big") + key + len(printed).to_bytes(4, "big") + printed
