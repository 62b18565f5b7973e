"""What the webhook tests share (no tests of its own): a real HTTP receiver on 127.0.0.1, seed 004's signature
check written again in Python, and a test worker that drains the outbox and the job queue."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import delete, select, update

from db.models import Job as JobRow
from db.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from db.queries.jobs import DatabaseJobQueue
from storegraph.platform.jobs.handlers import JobContext, RetryLater
from storegraph.platform.jobs.queue import Job
from storegraph.platform.timestamps import utcnow
from storegraph.rules.webhooks.dispatch import dispatch_outbox
from storegraph.rules.webhooks.handlers import HANDLERS
from tests.conftest import app_settings, services_of

# --- the receiver -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the receiver answers to one request; ``delay`` seconds pass before it does."""

    status: int = 200
    body: bytes = b'{"received": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    # Header names lower-cased, as Express's req.get() finds them whatever their case.
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["x-dz-event"]

    @property
    def delivery(self) -> str:
        return self.headers["x-dz-delivery"]

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


class Receiver:
    """An HTTP server in a thread that records every request (method, headers, raw body) and answers from a
    script: per ``X-DZ-Event`` first, then the script for any event, then 200."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._scripts: dict[str | None, deque[Answer]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.receiver = self  # type: ignore[attr-defined]
        # A client that gave up (our timeout) makes the late answer fail: expected, and not worth a traceback.
        self._server.handle_error = lambda *_args: None  # type: ignore[method-assign]
        # A short poll, so that stopping the server (which waits for one) is quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/dz"

    def script(self, *answers: Answer | int, event: str | None = None) -> None:
        queued = [answer if isinstance(answer, Answer) else Answer(answer) for answer in answers]
        with self._lock:
            self._scripts.setdefault(event, deque()).extend(queued)

    def of(self, event: str) -> list[Received]:
        return [request for request in self.requests if request.headers.get("x-dz-event") == event]

    def _answer(self, event: str | None) -> Answer:
        with self._lock:
            for key in (event, None):
                if self._scripts.get(key):
                    return self._scripts[key].popleft()
        return Answer()

    def _record(self, request: Received) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no idle keep-alive thread outlives a test.
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        receiver._record(Received(self.command, self.path, headers, body))
        answer = receiver._answer(headers.get("x-dz-event"))
        if answer.delay:
            time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``Receiver.requests``."""


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


# --- seed 004's Express handler, in Python ----------------------------------------------------------------------


def seed_004_status(secret: str, request: Received, now: float | None = None) -> int:
    """What seed 004's Express webhook handler answers to ``request``: 401 unless X-DZ-Timestamp is within 300 s
    and X-DZ-Signature is hex(hmac_sha256(secret, `${ts}.${sha256hex(raw body)}`)), same length, compared in
    constant time; else 200."""
    ts = request.headers.get("x-dz-timestamp")
    sig = request.headers.get("x-dz-signature")
    if not ts or not sig:
        return 401
    clock = time.time() if now is None else now
    try:
        stamp = float(ts)  # Number(ts)
    except ValueError:
        return 401
    if not abs(int(clock) - stamp) <= 300:  # NaN fails every comparison, as in JavaScript
        return 401
    body_hash = hashlib.sha256(request.body).hexdigest()
    expected = hmac.new(secret.encode(), f"{ts}.{body_hash}".encode(), hashlib.sha256).hexdigest()
    if len(expected) != len(sig) or not hmac.compare_digest(expected.encode(), sig.encode()):
        return 401
    return 200


# --- the worker ---------------------------------------------------------------------------------------------------


@dataclass
class DrainingWorker:
    """Runs the dispatcher and the webhook jobs the way storegraph/platform/jobs/worker.py does, except that a retry is
    due at once
    (the delay each RetryLater asked for is kept in ``delays`` for the test to check)."""

    context: JobContext
    queue: DatabaseJobQueue
    delays: list[float] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    async def run(self, *, rounds: int = 50) -> None:
        """Until the outbox and the queue are empty."""
        for _ in range(rounds):
            if not await self.run_once():
                return
        raise AssertionError(f"the queue did not drain in {rounds} rounds")

    async def run_once(self) -> bool:
        """One turn: dispatch the outbox, then run the jobs due now (a retry is due on the next turn). Whether
        there was anything to do."""
        dispatched = await dispatch_outbox(self.context)
        jobs = await self.queue.claim("test-worker", limit=100, lease_seconds=60)
        for job in jobs:
            await self.run_job(job)
        return bool(dispatched or jobs)

    async def run_job(self, job: Job) -> None:
        try:
            await HANDLERS[job.kind](job, self.context)
        except RetryLater as later:
            self.delays.append(later.delay_seconds)
            self.outcomes.append("retry")
            await self.queue.retry(job, delay_seconds=0, error=later.reason)
        else:
            self.outcomes.append("done")
            await self.queue.complete(job)


async def clean_slate(app: FastAPI) -> None:
    """The test database is shared by the whole run and the dispatcher is global: events other tests left
    undispatched are marked dispatched and leftover jobs removed, so a test sees only its own."""
    async with services_of(app).sessionmaker() as session, session.begin():
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow())
        )
        await session.execute(delete(JobRow))


@asynccontextmanager
async def draining_worker(app: FastAPI, *, limiter: Any = None, **settings: Any) -> AsyncIterator[DrainingWorker]:
    """A worker over the app's database and limiter, with its own settings (private targets allowed unless
    ``webhook_allow_private_targets=False``) and a real HTTP client."""
    services = services_of(app)
    await clean_slate(app)
    values: dict[str, Any] = {"webhook_allow_private_targets": True, "webhook_timeout_seconds": 5.0, **settings}
    worker_settings = app_settings(services.settings.database_url, **values)
    queue = DatabaseJobQueue(services.engine)
    async with httpx.AsyncClient(follow_redirects=False) as http:
        limits = limiter or services.rate_limiter
        context = JobContext(worker_settings, services.engine, services.sessionmaker, queue, limits, http)
        yield DrainingWorker(context, queue)


# --- reading the database ----------------------------------------------------------------------------------------


async def attempts_of(app: FastAPI, subscription_id: int) -> list[WebhookDelivery]:
    """The subscription's delivery log, oldest first."""
    async with services_of(app).sessionmaker() as session:
        stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        return list((await session.execute(stmt.order_by(WebhookDelivery.id))).scalars())


async def subscription_row(app: FastAPI, subscription_id: int) -> WebhookSubscription:
    """The subscription as committed (it must exist)."""
    async with services_of(app).sessionmaker() as session:
        row = await session.get(WebhookSubscription, subscription_id)
    assert row is not None, f"subscription {subscription_id} is gone"
    return row


def only(items: list[Any], predicate: Callable[[Any], bool]) -> Any:
    [item] = [item for item in items if predicate(item)]
    return item
