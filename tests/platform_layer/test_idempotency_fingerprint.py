"""The request fingerprint compares JSON bodies by their canonical form and every other body by its bytes."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from storegraph.platform.idempotency import request_fingerprint

# JSON values orjson reads exactly: integers of at most 15 digits and floats written with few digits (a longer
# literal is compared byte for byte, tested below).
SAFE_INTEGERS = st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1)
SAFE_FLOATS = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False).map(
    float
)
# Text without digits: a digit run or an exponent inside a string also sends a body to the byte comparison.
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs", "Nd")), max_size=20)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | SAFE_INTEGERS | SAFE_FLOATS | TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=25,
)


def fingerprint(body: bytes) -> str:
    return request_fingerprint("POST", "/v1/products", b"", body)


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    return value


def typed(value: Any) -> str:
    """Equality of JSON values in which 1 and 1.0 differ (as they do to a validator), keys in any order."""
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


@settings(max_examples=300, deadline=None, database=None)
@given(JSON_VALUES, st.integers(min_value=0, max_value=2**32), st.sampled_from([None, 0, 2]), st.booleans())
def test_the_same_json_written_differently_has_one_fingerprint(value, seed, indent, ascii_only):
    compact = json.dumps(value, separators=(",", ":")).encode()
    other = json.dumps(shuffled(value, random.Random(seed)), indent=indent, ensure_ascii=ascii_only).encode()

    assert fingerprint(compact) == fingerprint(other)


@settings(max_examples=300, deadline=None, database=None)
@given(JSON_VALUES, JSON_VALUES)
def test_different_json_values_have_different_fingerprints(first, second):
    same = typed(first) == typed(second)

    assert (fingerprint(json.dumps(first).encode()) == fingerprint(json.dumps(second).encode())) == same


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=10**15, max_value=2**70))
def test_integers_a_double_would_round_stay_apart(number):
    assert fingerprint(b'{"price":%d}' % number) != fingerprint(b'{"price":%d}' % (number + 1))


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=1, max_value=10**6))
def test_numbers_with_exponents_that_underflow_stay_apart(mantissa):
    assert fingerprint(b'{"price":%de-400}' % mantissa) != fingerprint(b'{"price":%de-400}' % (mantissa + 1))


def test_long_decimals_a_double_would_round_stay_apart():
    assert fingerprint(b'{"weight":0.10000000000000001}') != fingerprint(b'{"weight":0.1}')


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=64), st.binary(min_size=1, max_size=4))
def test_a_body_that_is_not_json_is_compared_byte_for_byte(body, extra):
    body = b"\x00" + body  # never JSON
    assert fingerprint(body) != fingerprint(body + extra)
    assert fingerprint(body) == fingerprint(bytes(body))


def test_a_fingerprint_is_the_one_kept_records_were_made_with():
    # Records outlive a deploy: the same request must keep its fingerprint from one version to the next.
    body = b'{"price": 1500, "name": "Tapis"}'

    assert request_fingerprint("POST", "/v1/products", b"", body) == (
        "fc756de5136811976299b17507a506e7e70bad3311e173d3eaa50db0605979d2"
    )
    assert request_fingerprint("PATCH", "/v1/orders/7", b"a=1", b"not json") == (
        "92509c847b93f6ed7473d2f0bdb86889e204ba6e30cfef6d69349b1bbea1c271"
    )
    assert request_fingerprint("POST", "/v1/caf\udce9", b"", b"") == (
        "507f3454142d6a5b8f79e45f7aad012ee1e9f8c6c3fa59b727858284e1e38ff7"
    )
