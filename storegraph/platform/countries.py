"""Countries: ISO 3166-1 alpha-2 codes, read from pycountry's copy of the standard rather than a list of our own."""

from __future__ import annotations

import pycountry

# Algeria: where a store delivers unless an address says otherwise.
DEFAULT_COUNTRY = "DZ"
COUNTRY_CODE_LENGTH = 2
# Every code, as stored and as /v1's request schemas publish them.
COUNTRY_CODES: tuple[str, ...] = tuple(sorted(country.alpha_2 for country in pycountry.countries))


def normalize_country(raw: str) -> str | None:
    """The upper-case alpha-2 code ``raw`` names (``dz`` and `` DZ `` are ``DZ``), or ``None`` when it names no
    country. Three-letter codes and names are refused: one spelling, the one stored."""
    # Checked before upper-casing, which turns some letters into two ASCII ones (``ß`` into ``SS``).
    written = raw.strip()
    if len(written) != COUNTRY_CODE_LENGTH or not written.isascii() or not written.isalpha():
        return None
    code = written.upper()
    return code if pycountry.countries.get(alpha_2=code) is not None else None
