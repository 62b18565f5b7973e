"""Conditional GETs on /v1 (RFC 9110 §8.8.3, §13.1.2): every successful GET answers an ``ETag``, and a request
whose ``If-None-Match`` names the current one is answered 304 with no body.

An ETag is a digest of who asks and what: the store, the key and its scopes, the exact path and query string, the
row's operation, and then either

- the store's data version (``conditional="version"``, the rows that answer the store's own data): it is raised in
  the transaction of every write to the store (db/queries/store_versions.py), so it is known before anything runs,
  and a match is answered 304 after one small read, without running the operation. Otherwise the operation reads
  its data after the version, on the same connection, each statement in autocommit: the data answered is never
  older than the version its ETag names (docs/decisions.md argues why a write committed between the two reads
  costs at most one more full answer, never a wrong 304). These answers may be kept for ``MAX_AGE`` seconds by the
  client's own cache (``Cache-Control: private``, ``Vary: Authorization``);
- or a digest of the answer itself (``conditional="content"``: the key's usage, the keys' ``last_used_at``, counts
  of "today", which change without a write to the store), so the operation runs and only the body is saved; these
  are ``Cache-Control: private, no-cache``.

Two keys, two stores or two URLs never share an ETag, so one's validator cannot reveal or replay another's answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from starlette.types import Scope as AsgiScope

from db.direct_reads import PreparedRead
from db.queries.store_versions import data_version
from rest_compat.compile import CompiledEndpoint
from storegraph.platform.auth.principal import Principal

MAX_AGE = 30
# A list of entity-tags, weak or strong (RFC 9110 §8.8.3), or ``*``; anything else in the header is ignored.
_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')
Headers = list[tuple[bytes, bytes]]


class VersionReads(Protocol):
    """The request's database (``resolvers.core.context.RequestDatabase``), as a GET reads its store's version
    with it before the operation runs on it, or has it read with the operation's first statement."""

    version: int | None

    async def rows(self, prepared: PreparedRead, parameters: Mapping[str, Any], /) -> Sequence[Any]: ...

    def read_version_first(self, store_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class IfNoneMatch:
    """The request's ``If-None-Match``: ``any`` for ``*``, else the opaque tags it lists (weakness dropped: the
    comparison for ``If-None-Match`` is the weak one)."""

    any: bool
    tags: frozenset[str]

    @classmethod
    def of(cls, scope: AsgiScope) -> IfNoneMatch | None:
        values: list[str] = []
        for name, value in scope.get("headers", ()):
            if name == b"if-none-match":
                values.append(value.decode("latin-1"))
        if not values:
            return None
        tags: set[str] = set()
        for value in values:
            if value.strip() == "*":
                return cls(any=True, tags=frozenset())
            tags.update(_tags(value))
        return cls(any=False, tags=frozenset(tags))

    def matches(self, etag: str) -> bool:
        return self.any or etag in self.tags


def _tags(value: str) -> Iterable[str]:
    position = 0
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            return  # malformed from here on: what came before still counts
        yield match.group(1)
        position = match.end()


@dataclass(frozen=True, slots=True)
class Validator:
    """The ETag of one GET, or what it is made from once the answer is known."""

    identity: bytes
    etag: str | None
    request: IfNoneMatch | None
    # Where the version comes from once the operation ran, when it is read with the operation's first statement.
    later: VersionReads | None = None

    @property
    def not_modified_before_running(self) -> bool:
        """The current version's ETag is one the client holds: 304 without running the operation."""
        return (
            self.etag is not None
            and self.request is not None
            and not self.request.any
            and self.request.matches(self.etag)
        )

    def answer(self, data: Any) -> tuple[bool, Headers]:
        """Whether the answer ``data`` is one the client holds (304), and the headers of either answer."""
        if self.etag is not None:
            return self._matches(self.etag), headers(self.etag, cacheable=True)
        if self.later is not None and self.later.version is not None:
            etag = _version_etag(self.identity, self.later.version)
            return self._matches(etag), headers(etag, cacheable=True)
        etag = _quoted(_digest(self.identity, orjson.dumps(data)))
        return self._matches(etag), headers(etag, cacheable=False)

    def _matches(self, etag: str) -> bool:
        return self.request is not None and self.request.matches(etag)


def headers(etag: str, *, cacheable: bool) -> Headers:
    cache_control = f"private, max-age={MAX_AGE}" if cacheable else "private, no-cache"
    return [(b"etag", etag.encode()), (b"cache-control", cache_control.encode()), (b"vary", b"Authorization")]


async def validator(
    scope: AsgiScope,
    principal: Principal,
    compiled: CompiledEndpoint,
    database: VersionReads | None,
    identities: Identities,
) -> Validator:
    """What the GET's ETag is made from; the ETag itself when the row's is its store's version and the request
    names ETags, read with ``database`` before the operation reads its data with it (never after: a newer version
    paired with older data could answer a wrong 304). One statement, which is a 304's whole cost. A request that
    names none can have no 304, so its version is read with the operation's first statement instead, in the same
    round trip and snapshot (``read_version_first``). None for the other rows."""
    identity = identities.of(
        principal, scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""), compiled
    )
    request = IfNoneMatch.of(scope)
    if compiled.endpoint.conditional != "version" or database is None:
        return Validator(identity, None, request)
    if request is None:
        database.read_version_first(principal.store_id)
        return Validator(identity, None, None, later=database)
    version = await data_version(database.rows, principal.store_id)
    etag = None if version is None else _version_etag(identity, version)
    return Validator(identity, etag, request)


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))  # lengths first: no two lists of parts hash alike
        hasher.update(part)
    return hasher.hexdigest()[:32]


_IDENTITY_LENGTH = (32).to_bytes(8, "big")
# Principals whose hashed part ``Identities`` keeps at most: a key whose entry went is hashed again.
MAX_PRINCIPAL_HASHES = 4096


class Identities:
    """``_digest(b"v1", store, key, scopes, path, query string, document)`` of a GET, fed to the hash in fewer
    calls: the principal's parts come hashed already, the document's with its length. One per /v1 app (its
    ``RestApi``), which owns what it keeps: the principals' hashed parts (bounded) and the documents' parts (one
    per row of the table)."""

    __slots__ = ("_documents", "_principals")

    def __init__(self) -> None:
        self._principals: dict[tuple[int, int, frozenset[str]], Any] = {}
        self._documents: dict[str, bytes] = {}

    def of(self, principal: Principal, path: bytes, query_string: bytes, compiled: CompiledEndpoint) -> bytes:
        principals = self._principals
        key = (principal.store_id, principal.key_pk, principal.scopes)
        prefix = principals.get(key)
        if prefix is None:
            if len(principals) >= MAX_PRINCIPAL_HASHES:
                principals.clear()
            prefix = principals[key] = hashlib.sha256(
                _framed(b"v1")
                + _framed(str(principal.store_id).encode())
                + _framed(str(principal.key_pk).encode())
                + _framed(",".join(sorted(principal.scopes)).encode())
            )
        document = self._documents.get(compiled.document)
        if document is None:
            document = self._documents[compiled.document] = _framed(compiled.document.encode())
        hasher = prefix.copy()
        hasher.update(
            len(path).to_bytes(8, "big") + path + len(query_string).to_bytes(8, "big") + query_string + document
        )
        identity: bytes = hasher.hexdigest()[:32].encode()
        return identity

    @property
    def kept(self) -> int:
        """Principals whose hashed part is kept."""
        return len(self._principals)


def _version_etag(identity: bytes, version: int) -> str:
    """``_quoted(_digest(identity, str(version).encode()))``, in one pass: an identity is 32 bytes."""
    text = str(version).encode()
    digest = hashlib.sha256(_IDENTITY_LENGTH + identity + len(text).to_bytes(8, "big") + text).hexdigest()
    return f'"{digest[:32]}"'


def _framed(part: bytes) -> bytes:
    return len(part).to_bytes(8, "big") + part


def _quoted(tag: str) -> str:
    return f'"{tag}"'
