"""Phone normalisation: ``0555 00 00 00``, ``0555000000`` and ``+213555000000`` are one number.

Numbers of the store's own region are kept in national digits (``0555000000``, as the Customers reference shows them);
numbers of other regions in E.164, so that two countries' national formats never collide. A number with an extension
is not a customer's phone: ``None``, as for any invalid number.
"""

from __future__ import annotations

import functools

import phonenumbers

# Longer than any number written with its spaces and punctuation; the parser is not handed more.
MAX_PHONE_LENGTH = 32


def normalize_phone(raw: str, region: str = "DZ") -> str | None:
    """The canonical form of ``raw`` for a store in ``region``, or ``None`` when it is not a valid number."""
    if len(raw) > MAX_PHONE_LENGTH:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # An extension (``0555000000 ext. 1``, ``;ext=2``, ``x1``) is refused: its digits landed in the national format
    # (``05550000001``), which made another customer of the same line, past its ban and the phone dedup.
    if number.extension is not None or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) == region:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        # Filtered in C: a generator resumed for every character cost a checkout a call per digit.
        canonical = "".join(filter(str.isdigit, national))
    else:
        canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return canonical if _names(canonical, number, region) else None


def _names(canonical: str, number: phonenumbers.PhoneNumber, region: str) -> bool:
    """Whether ``canonical`` reads back as ``number`` itself: the stored digits must be the number's and nothing
    else's, whatever the format put around them."""
    try:
        again = phonenumbers.parse(canonical, region)
    except phonenumbers.NumberParseException:
        return False
    return (
        again.extension is None
        and again.country_code == number.country_code
        and again.national_number == number.national_number
        and bool(again.italian_leading_zero) == bool(number.italian_leading_zero)
        and phonenumbers.is_valid_number(again)
    )


# A page of customers asks once per customer, and parsing a number costs tens of microseconds; a pure function of
# its arguments, so the cache holds nothing but answers.
@functools.lru_cache(maxsize=8192)
def calling_code(phone: str, region: str = "DZ") -> int | None:
    """The country calling code of a stored phone (213 for an Algerian number), read as ``normalize_phone`` wrote it:
    national digits of ``region``, or E.164; ``None`` when it cannot be read."""
    try:
        code = phonenumbers.parse(phone, region).country_code
    except phonenumbers.NumberParseException:
        return None
    return int(code) if code else None
