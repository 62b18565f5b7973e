"""``GET /metrics``: the app's registry in Prometheus's text format (or OpenMetrics, if the scraper asks for it).

It needs no API key, like the health checks: it carries counts and timings by route, never a store's data. A
deployment that must not expose it sets ``METRICS_ENABLED=false``, or ``METRICS_TOKEN`` to require
``Authorization: Bearer <token>`` (docs/operations.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from prometheus_client.exposition import choose_encoder
from starlette.datastructures import Headers
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.observability.collectors import ScrapeCollector
from storegraph.platform.observability.metrics import AppMetrics

METRICS_PATH = "/metrics"


class MetricsEndpoint:
    def __init__(self, metrics: AppMetrics, refreshed: Sequence[ScrapeCollector], token: str | None = None) -> None:
        self.metrics = metrics
        self.refreshed = tuple(refreshed)
        self._expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        if self._expected is not None and not hmac.compare_digest(
            headers.get("authorization", "").encode(), self._expected
        ):
            await _send(send, 401, b"metrics need Authorization: Bearer <METRICS_TOKEN>\n", b"text/plain", True)
            return
        for collector in self.refreshed:
            await collector.refresh()
        encoder, content_type = choose_encoder(headers.get("accept", ""))
        await _send(send, 200, encoder(self.metrics.registry), content_type.encode(), False)


async def _send(send: Send, status: int, body: bytes, content_type: bytes, challenge: bool) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if challenge:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
