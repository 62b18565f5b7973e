"""The last guard of the logs against personal data: whatever a log line's text holds that looks like an email
address, a phone number, an API key's secret or a URL's credentials is masked before the line is written.

The first guard is that nothing logs those values: SQL parameters are hidden by the engine, jobs are logged by id
and kind, never by payload, and access lines carry the route template, never the path or query string. This one
catches what slips through in free text (an exception's message quoting a value). It cannot recognise a name or a
street address, which is why the first guard matters.
"""

from __future__ import annotations

import re

from storegraph.platform.redaction import redact_urls

MASK = "***"
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# International (+213 555 12 34 56) and national (0555123456, 0555 12 34 56) spellings: a plus or a leading 0, then
# at least eight more digits with optional separators. Not a bare run of digits (an id, a timestamp).
_PHONE = re.compile(r"(?<![\w.])(?:\+|00|0)\d(?:[\s().-]?\d){7,14}(?!\w)")
# A platform key's secret (after the dot); the key's public part stays, which is what tells keys apart.
_KEY_SECRET = re.compile(r"(dzpk_(?:live|test)_[0-9a-f]{16})\.[A-Za-z0-9_-]+")


def scrub(text: str) -> str:
    """``text`` with emails, phone numbers, key secrets and URL credentials masked."""
    if "://" in text:
        text = redact_urls(text)
    if "@" in text:
        text = _EMAIL.sub(MASK, text)
    if "dzpk_" in text:
        text = _KEY_SECRET.sub(rf"\1.{MASK}", text)
    return _PHONE.sub(MASK, text)
