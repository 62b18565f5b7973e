"""Property tests of the signed keyset cursors (pure functions, no database)."""

from __future__ import annotations

import base64
import string
from datetime import datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from db.queries.customers import customer_ordering
from resolvers.core.cursors import CursorCodec, binding_for
from storegraph.platform.errors import InvalidCursor

FAST = settings(max_examples=200, deadline=None, database=None)

CODEC = CursorCodec("test-secret")

sort_ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
sort_datetimes = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1))
row_ids = st.integers(min_value=1, max_value=2**63 - 1)
list_names = st.sampled_from(["customers", "orders", "products", "landing_pages"])
ordering_names = st.sampled_from(
    ["customers.created_at:desc", "customers.total_spent:asc", "orders.created_at:desc", "products.price:asc"]
)
store_ids = st.integers(min_value=1, max_value=2**31)
bindings = st.builds(binding_for, list_names, ordering_names, store_ids)
sort_values = st.one_of(sort_ints, sort_datetimes)
# Characters a tamperer could put in: the base64url alphabet, its standard-alphabet twins, padding, junk.
replacement_chars = st.sampled_from(string.ascii_letters + string.digits + "-_+/=.~ !%é\x00")


@st.composite
def cursors(draw: st.DrawFn) -> tuple[str, str]:
    binding = draw(bindings)
    return binding, CODEC.encode(binding, (draw(sort_values), draw(row_ids)))


@FAST
@given(binding=bindings, value=sort_ints, row_id=row_ids)
def test_an_integer_position_round_trips(binding, value, row_id):
    assert CODEC.decode(binding, CODEC.encode(binding, (value, row_id))) == [value, row_id]


@FAST
@given(binding=bindings, value=sort_datetimes, row_id=row_ids)
def test_a_datetime_position_round_trips_through_the_ordering(binding, value, row_id):
    values = CODEC.decode(binding, CODEC.encode(binding, (value, row_id)))

    assert customer_ordering("created_at", descending=True).parse(values) == (value, row_id)


@FAST
@given(cursor=cursors())
def test_a_cursor_is_url_safe_ascii(cursor):
    _, text = cursor
    assert set(text) <= set(string.ascii_letters + string.digits + "-_")


@FAST
@given(cursor=cursors(), data=st.data())
def test_any_single_character_change_is_an_invalid_cursor(cursor, data):
    binding, text = cursor
    index = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    replacement = data.draw(replacement_chars)
    assume(replacement != text[index])

    with pytest.raises(InvalidCursor):
        CODEC.decode(binding, text[:index] + replacement + text[index + 1 :])


@FAST
@given(cursor=cursors(), data=st.data())
def test_any_truncation_is_an_invalid_cursor(cursor, data):
    binding, text = cursor
    length = data.draw(st.integers(min_value=0, max_value=len(text) - 1))

    with pytest.raises(InvalidCursor):
        CODEC.decode(binding, text[:length])


@FAST
@given(cursor=cursors(), suffix=st.text(alphabet=replacement_chars, min_size=1, max_size=8))
def test_any_extension_is_an_invalid_cursor(cursor, suffix):
    binding, text = cursor

    with pytest.raises(InvalidCursor):
        CODEC.decode(binding, text + suffix)


@FAST
@given(cursor=cursors(), prefix=st.text(alphabet=replacement_chars, min_size=1, max_size=8))
def test_any_prefix_is_an_invalid_cursor(cursor, prefix):
    binding, text = cursor

    with pytest.raises(InvalidCursor):
        CODEC.decode(binding, prefix + text)


@FAST
@given(binding=bindings, text=st.text(max_size=80))
def test_arbitrary_text_raises_only_invalid_cursor(binding, text):
    with pytest.raises(InvalidCursor):
        CODEC.decode(binding, text)


@FAST
@given(binding=bindings, raw=st.binary(max_size=80))
def test_well_formed_base64_without_a_valid_signature_is_an_invalid_cursor(binding, raw):
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    with pytest.raises(InvalidCursor):
        CODEC.decode(binding, text)


@FAST
@given(made_for=bindings, used_for=bindings, value=sort_values, row_id=row_ids)
def test_a_cursor_never_decodes_under_another_binding(made_for, used_for, value, row_id):
    assume(made_for != used_for)
    text = CODEC.encode(made_for, (value, row_id))

    with pytest.raises(InvalidCursor):
        CODEC.decode(used_for, text)


@FAST
@given(cursor=cursors())
def test_a_cursor_never_decodes_under_another_secret(cursor):
    binding, text = cursor

    with pytest.raises(InvalidCursor):
        CursorCodec("another-secret").decode(binding, text)


def test_a_cursor_of_store_1_does_not_decode_for_store_11():
    text = CODEC.encode(binding_for("customers", "customers.created_at:desc", 1), (5, 7))

    with pytest.raises(InvalidCursor):
        CODEC.decode(binding_for("customers", "customers.created_at:desc", 11), text)
