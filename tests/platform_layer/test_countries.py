"""Country codes: every ISO 3166-1 alpha-2 code pycountry knows, in any case and with surrounding spaces, reads as
itself in upper case; anything else reads as no country."""

from __future__ import annotations

import pycountry
from hypothesis import given
from hypothesis import strategies as st

from storegraph.platform.countries import normalize_country

CODES = sorted(country.alpha_2 for country in pycountry.countries)


@given(st.sampled_from(CODES), st.booleans(), st.sampled_from(["", " ", "\t"]))
def test_every_alpha_2_code_reads_as_itself_in_any_case(code, lower, padding):
    written = code.lower() if lower else code

    assert normalize_country(f"{padding}{written}{padding}") == code


def _a_code(text: str) -> bool:
    written = text.strip()
    return written.isascii() and written.upper() in CODES


@given(st.text(max_size=6).filter(lambda text: not _a_code(text)))
def test_anything_else_is_no_country(text):
    assert normalize_country(text) is None


def test_three_letter_codes_names_and_letters_that_upper_case_to_a_code_are_refused():
    assert [normalize_country(raw) for raw in ("DZA", "Algeria", "XX", "D1", "ß")] == [None] * 5
