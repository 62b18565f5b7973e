"""Opaque keyset cursors, signed so that they only work for the list, ordering and store they came from.

A cursor is ``base64url(json([sort_value, id]) + mac)``. The MAC covers the list name, the ordering and the
store id as well as the values, so an altered, truncated or foreign cursor fails verification. The same codec
serves GraphQL and the REST layer, so a cursor from one works on the other for the same list.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from typing import Any

import orjson

from storegraph.platform.errors import InvalidCursor

_MAC_BYTES = 12
SortValue = int | str | datetime | None


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"storegraph-cursor:" + secret.encode()).digest()

    def encode(self, binding: str, values: tuple[SortValue, int]) -> str:
        payload = orjson.dumps([_plain(value) for value in values])
        mac = self._mac(binding, payload)
        return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode("ascii")

    def decode(self, binding: str, cursor: str) -> list[Any]:
        """The raw JSON values of a cursor made for ``binding``; ``InvalidCursor`` for anything else."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        # base64 decoding is lenient (ignored bits in the last character, '+' for '-', stray '='): only the
        # canonical spelling of the bytes is the cursor, so any altered character is refused.
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != cursor:
            raise InvalidCursor()
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(binding, payload)):
            raise InvalidCursor()
        values = orjson.loads(payload)
        if not isinstance(values, list) or len(values) != 2:
            raise InvalidCursor()
        return values

    def _mac(self, binding: str, payload: bytes) -> bytes:
        return hmac.new(self._key, binding.encode() + b"\x00" + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def binding_for(list_name: str, ordering: str, store_id: int) -> str:
    return f"{list_name}|{ordering}|{store_id}"


def _plain(value: SortValue) -> int | str | None:
    return value.isoformat() if isinstance(value, datetime) else value
