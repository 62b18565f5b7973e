"""``domain.phones.normalize_phone``: examples and properties (pure, no database)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storegraph.platform.phones import normalize_phone
from tests.support.phone_spellings import spellings

FAST = settings(max_examples=200, deadline=None, database=None)
CANONICAL = re.compile(r"\+?[0-9]+")

# Text that looks like a phone number often enough to reach the parser's valid branches.
phone_like = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["", "+", "0", "00", "+213", "00213", "+33", "+1", "+44", "05", "06", "07", "+2135"]),
    st.text(alphabet="0123456789 -.()", max_size=16),
)
any_text = st.one_of(st.text(max_size=40), phone_like)


@pytest.mark.parametrize("spelling", ["0555 00 00 00", "0555000000", "+213555000000"])
def test_the_three_spellings_of_a_dz_mobile_give_national_digits(spelling):
    assert normalize_phone(spelling) == "0555000000"


@pytest.mark.parametrize("spelling", ["+213 555 00 00 00", "00213555000000", "0555-00-00-00", "(0555) 000000"])
def test_other_spellings_of_a_dz_mobile_give_national_digits(spelling):
    assert normalize_phone(spelling) == "0555000000"


@pytest.mark.parametrize("spelling", ["0661234567", "0770123456"])
def test_other_dz_operators_stay_national(spelling):
    assert normalize_phone(spelling) == spelling


@pytest.mark.parametrize("spelling", ["+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78"])
def test_a_number_of_another_region_gives_e164(spelling):
    assert normalize_phone(spelling) == "+33612345678"


def test_a_national_number_is_read_in_the_stores_region():
    assert normalize_phone("06 12 34 56 78", "FR") == "0612345678"
    assert normalize_phone("+213555000000", "FR") == "+213555000000"


@pytest.mark.parametrize(
    "spelling",
    ["0540123456 ext. 1", "0540 123 456 x1", "0540123456;ext=2", "tel:+213540123456;ext=2", "+213 540 12 34 56 #7"],
)
def test_a_number_with_an_extension_is_not_a_valid_phone(spelling):
    assert normalize_phone(spelling) is None


def test_an_extension_is_refused_for_numbers_of_other_regions_too():
    assert normalize_phone("+33 6 12 34 56 78 ext. 9") is None


@FAST
@given(spelling=spellings("0540123456"))
def test_every_spelling_of_a_number_is_that_number_and_one_with_an_extension_is_none(spelling):
    assert normalize_phone(spelling.text) == (None if spelling.has_extension else "0540123456")


@pytest.mark.parametrize("raw", ["", "abc", "0555", "+213", "0555 00 00 00 00 00", "1" * 33, "+33 6 12 34 56 78 " * 3])
def test_text_that_is_not_a_valid_number_gives_none(raw):
    assert normalize_phone(raw) is None


@FAST
@given(raw=any_text)
def test_arbitrary_text_gives_none_or_canonical_digits(raw):
    result = normalize_phone(raw)

    assert result is None or CANONICAL.fullmatch(result)


@FAST
@given(raw=any_text)
def test_normalising_is_idempotent(raw):
    result = normalize_phone(raw)

    if result is not None:
        assert normalize_phone(result) == result
