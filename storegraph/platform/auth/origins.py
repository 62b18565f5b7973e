"""Web origins as browsers send them in ``Origin``: a public key's allowed origins are kept in this form."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_ORIGIN_LENGTH = 255
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(raw: str) -> str | None:
    """The origin as browsers send it in ``Origin`` (``https://Shop.example:443/`` → ``https://shop.example``), or
    ``None`` for anything that is not an http(s) origin: a path, query, fragment or credentials, or ``null``."""
    text = raw.strip()
    if not text or len(text) > MAX_ORIGIN_LENGTH or any(char.isspace() or not char.isprintable() for char in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        return None
    if ":" in host:  # an IPv6 literal: urlsplit drops its brackets
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")
