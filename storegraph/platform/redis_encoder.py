"""How the process's Redis client turns a command's arguments into bytes.

redis-py's ``Encoder`` tests an argument against five types (``isinstance`` each time) before encoding a string,
and a signed tracking request sends about forty arguments (its replay check, its rate-limit script, its job, its
usage counts): in profiles of the intake that was a large share of the process's calls. ``FastEncoder`` tests the
exact types our commands send first and encodes them as ``Encoder`` does; anything else is ``Encoder``'s.
"""

from __future__ import annotations

from typing import Any

from redis._parsers.encoders import Encoder


class FastEncoder(Encoder):
    __slots__ = ()

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return value.encode(self.encoding, self.encoding_errors)
        if kind is bytes:
            return value
        if kind is int:
            # What Encoder writes for an int: its repr, which is its decimal digits.
            return b"%d" % value
        return super().encode(value)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
