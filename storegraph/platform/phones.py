"""Phone normalisation: ``0555 00 00 00``, ``0555000000`` and ``+213555000000`` are one number.

Numbers of the store's own region are kept in national digits (``0555000000``, as the Customers reference shows them);
numbers of other regions in E.164, so that two countries' national formats never collide.
"""

from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str, region: str = "DZ") -> str | None:
    """The canonical form of ``raw`` for a store in ``region``, or ``None`` when it is not a valid number."""
    if len(raw) > 32:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) == region:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
