"""Media types of requests and responses: whether a body is declared as JSON, and which of the types a server
offers a client's ``Accept`` header prefers (RFC 9110, section 12.5.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import Scope as AsgiScope

JSON = "application/json"
# Answers kept by the header's raw value: clients send the same few values on every request. The values are the
# clients' own, so only this many are kept; past them an answer is worked out each time, as it always was.
MEMO_ENTRIES = 256
_preferred_memo: dict[tuple[bytes, tuple[str, ...], str], str] = {}
_json_memo: dict[bytes, bool] = {}


@dataclass(frozen=True, slots=True)
class _Range:
    type: str
    subtype: str
    quality: float

    def specificity(self, media_type: str) -> int | None:
        """How closely this range names ``media_type`` (2: exactly, 1: ``type/*``, 0: ``*/*``); None if it does not."""
        wanted_type, _, wanted_subtype = media_type.partition("/")
        if self.type == wanted_type and self.subtype == wanted_subtype:
            return 2
        if self.type == wanted_type and self.subtype == "*":
            return 1
        if self.type == "*" and self.subtype == "*":
            return 0
        return None


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    """``Application/JSON; Charset="UTF-8"`` → ``("application/json", {"charset": "utf-8"})``."""
    essence, *raw_parameters = value.split(";")
    parameters: dict[str, str] = {}
    for raw in raw_parameters:
        name, separator, parameter_value = raw.partition("=")
        if separator:
            parameters[name.strip().lower()] = parameter_value.strip().strip('"').lower()
    return essence.strip().lower(), parameters


def _ranges(accept: str) -> list[_Range]:
    ranges: list[_Range] = []
    for item in accept.split(","):
        essence, parameters = _media_type(item)
        media_type, separator, subtype = essence.partition("/")
        if not separator or not media_type or not subtype:
            continue
        try:
            quality = float(parameters.get("q", "1"))
        except ValueError:
            quality = 1.0
        ranges.append(_Range(media_type, subtype, min(max(quality, 0.0), 1.0)))
    return ranges


def _closest(ranges: Sequence[_Range], media_type: str) -> tuple[int, float] | None:
    """The specificity and quality of the most specific range that names ``media_type``."""
    closest: tuple[int, float] | None = None
    for item in ranges:
        specificity = item.specificity(media_type)
        if specificity is not None and (closest is None or (specificity, item.quality) > closest):
            closest = (specificity, item.quality)
    return closest


def preferred_media_type(scope: AsgiScope, offered: Sequence[str], default: str) -> str:
    """Which of ``offered`` (in the server's order of preference) the request's ``Accept`` header prefers.

    Each offered type takes the quality of the most specific range that names it; the highest quality wins, then
    the type the client named more specifically (a client that lists ``application/json`` next to ``*/*`` knows
    JSON, not the others), then the server's order. Without an ``Accept`` header, or when it accepts none of
    ``offered``, the answer is ``default``: a client that said nothing, or nothing the server has, gets what
    clients have always got.
    """
    # The raw header lines, as Starlette's ``Headers`` reads them (ASGI names are lower case).
    values = [value for name, value in scope["headers"] if name == b"accept"]
    if not values:
        return default
    key = (b", ".join(values), tuple(offered), default)
    chosen = _preferred_memo.get(key)
    if chosen is None:
        chosen = _preferred(key[0].decode("latin-1"), offered, default)
        if len(_preferred_memo) < MEMO_ENTRIES:
            _preferred_memo[key] = chosen
    return chosen


def _preferred(accept: str, offered: Sequence[str], default: str) -> str:
    if not accept.strip():
        return default
    ranges = _ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen = default
    for rank, media_type in enumerate(offered):
        match = _closest(ranges, media_type)
        if match is None:
            continue
        specificity, quality = match
        if quality <= 0:
            continue
        key = (quality, specificity, -rank)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen


def is_json_body(scope: AsgiScope) -> bool:
    """Whether the request declares a JSON body: ``application/json``, in UTF-8 if it names a charset (JSON is
    UTF-8; a body in another charset would be read wrong)."""
    for name, value in scope["headers"]:
        if name == b"content-type":  # the first, as Starlette's ``Headers.get`` reads it
            declared = _json_memo.get(value)
            if declared is None:
                declared = _declares_json(value.decode("latin-1"))
                if len(_json_memo) < MEMO_ENTRIES:
                    _json_memo[value] = declared
            return declared
    return False


def _declares_json(value: str) -> bool:
    media_type, parameters = _media_type(value)
    return media_type == JSON and parameters.get("charset", "utf-8") in ("utf-8", "utf8")
