"""One HTTP attempt: the target check, the POST (no redirects followed) and what came back, as plain values.

Nothing here raises for a failed delivery: a timeout, a refused connection or a 500 is an ``Attempt`` like a 200,
so the caller logs every attempt the same way. The whole attempt, DNS included, runs under one deadline; only the
first ``EXCERPT_BYTES`` of the answer are read, so a receiver that streams forever cannot hold a worker.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from db.queries.webhooks import Attempt
from storegraph.platform.redaction import redact_urls, redact_urls_in_logs
from storegraph.rules.webhooks.guard import TargetRefused, TargetUnresolved, check_target
from storegraph.rules.webhooks.schedule import is_retryable_status, parse_retry_after

EXCERPT_BYTES = 1024
MAX_ERROR = 255

# httpx logs every request it sends, URL included, at INFO: a webhook URL's credentials and token must not be in it.
redact_urls_in_logs(logging.getLogger("httpx"))


async def post(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_seconds: float,
    allow_private: bool,
) -> Attempt:
    """POSTs ``body`` to ``url``; the whole attempt (DNS, connect, answer, excerpt) gets ``timeout_seconds``."""
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    status: int | None = None
    excerpt: str | None = None
    retry_after: float | None = None
    try:
        async with asyncio.timeout(timeout_seconds):
            await check_target(url, allow_private=allow_private)
            request = _request(http, url, body, headers, timeout_seconds)
            response = await http.send(request, stream=True, follow_redirects=False)
            status = response.status_code
            if status in (429, 503):
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            try:
                excerpt = await _excerpt(response)
            finally:
                await response.aclose()
    except TargetRefused as refused:
        return Attempt(None, None, error=_error(f"target refused: {refused}"))
    except TargetUnresolved as unresolved:
        return Attempt(None, elapsed(), error=_error(str(unresolved)), retryable=True)
    except (TimeoutError, httpx.TimeoutException):
        if status is None:
            return Attempt(None, elapsed(), error=f"timed out after {timeout_seconds:g} s", retryable=True)
        # The status line came in time but the body did not: the answer is the status, its excerpt is lost.
    except httpx.HTTPError as error:
        if status is None:
            return Attempt(None, elapsed(), error=_error(_describe(error)), retryable=True)
    assert status is not None  # every path above either got a status line or returned
    if 200 <= status < 300:
        return Attempt(status, elapsed(), excerpt)
    # ``error`` stays empty: the status (and the excerpt) is the answer the log shows.
    return Attempt(status, elapsed(), excerpt, retryable=is_retryable_status(status), retry_after=retry_after)


def _request(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], timeout: float) -> httpx.Request:
    try:
        return http.build_request("POST", url, content=body, headers=headers, timeout=timeout)
    except (httpx.InvalidURL, ValueError) as error:
        # The subscription's URL passed our checks but not httpx's (an unusual host name): it never will.
        raise TargetRefused(f"the URL cannot be used: {redact_urls(str(error))}") from None


async def _excerpt(response: httpx.Response) -> str | None:
    """The first ``EXCERPT_BYTES`` of the answer as text, for the merchant reading the log."""
    received = bytearray()
    async for chunk in response.aiter_bytes():
        received.extend(chunk)
        if len(received) >= EXCERPT_BYTES:
            break
    if not received:
        return None
    # PostgreSQL text cannot hold NUL; an undecodable byte becomes U+FFFD rather than failing the log row.
    return bytes(received[:EXCERPT_BYTES]).decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _describe(error: httpx.HTTPError) -> str:
    """Says what failed without the request (its URL may carry a token of the merchant's)."""
    kind = "could not connect" if isinstance(error, httpx.ConnectError) else "request failed"
    detail = redact_urls(str(error).strip())
    return f"{kind}: {detail}" if detail else f"{kind}: {type(error).__name__}"


def _error(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"
