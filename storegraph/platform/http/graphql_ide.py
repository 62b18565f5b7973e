"""Which ``GET /graphql`` requests are a browser opening GraphiQL rather than a GraphQL request: read by the auth
middleware (the page needs no key: it sends the key with each query it runs) and by the endpoint, so the two can
never disagree."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import Scope as AsgiScope

from storegraph.platform.http.media import JSON, preferred_media_type

HTML = "text/html"
# JSON first: a client that accepts both equally (``*/*``, curl's default) is a client, not a browser.
_NEGOTIATED = (JSON, HTML)


def is_ide_request(scope: AsgiScope) -> bool:
    """A GET with no query string at all, or one whose query string carries no GraphQL ``query`` (GraphiQL keeps
    its editors in ``?q=...&variables=...``, so a reload sends them back) from a client that prefers HTML.

    A GET with ``query`` is always a GraphQL request, whatever it accepts."""
    if scope["method"] != "GET":
        return False
    query_string: bytes = scope.get("query_string", b"")
    if not query_string:
        return True
    if "query" in parse_qs(query_string.decode("latin-1"), keep_blank_values=True):
        return False
    return preferred_media_type(scope, _NEGOTIATED, JSON) == HTML
