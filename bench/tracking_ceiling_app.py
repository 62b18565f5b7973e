"""The raw ceiling for bench/tracking_throughput.py: a minimal Starlette app that accepts signed ``POST /v1/events``
as a competent hand-written endpoint would, and queues each accepted request as one job, in SQLite or in Redis.

    BENCH_BACKEND=sqlite BENCH_SQLITE_PATH=/path/ceiling.db BENCH_PUBLIC_KEY=dzpub_live_... \\
    BENCH_SIGNING_SECRET=dzsig_... taskset -c 0 uvicorn --app-dir bench tracking_ceiling_app:app --port 8112

Per request it does what storegraph must, and nothing else:

- checks ``X-DZ-Key`` (against the one key it was given: no database lookup), ``X-DZ-Timestamp`` (within 300 s)
  and ``X-DZ-Signature`` = hex(hmac_sha256(secret, ts + "." + hex(sha256(body)))), compared in constant time;
- refuses a signature it has seen: in memory (a dict pruned from the head of a deque, like storegraph's), or with
  ``SET NX PX`` in Redis;
- parses the body with orjson and checks it (one event or ``{"events": [...]}`` of 1 to 100; the event name's
  pattern; ``properties`` an object; ``occurred_at`` ISO 8601);
- gives each event an id (``tev_`` + 12 random bytes in hex) and stores the job, durably before answering, with
  storegraph's payload shape: one ``INSERT`` into a ``jobs`` table shaped like storegraph's (same index; WAL and
  ``synchronous=NORMAL``, as storegraph opens SQLite), in autocommit, or one ``XADD`` to a stream;
- answers 202 ``{"data": {"accepted": N, "ids": [...]}, "meta": {"request_id": ..., "api_version": "v1"}}``.

Environment: ``BENCH_BACKEND`` (sqlite or redis), ``BENCH_SQLITE_PATH``, ``BENCH_REDIS_URL``, ``BENCH_REDIS_PREFIX``,
``BENCH_PUBLIC_KEY``, ``BENCH_SIGNING_SECRET``, ``BENCH_STORE_ID``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import orjson
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TOLERANCE_SECONDS = 300
EVENT_NAME = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
MAX_EVENTS = 100
KIND = "tracking.events"

BACKEND = os.environ.get("BENCH_BACKEND", "sqlite")
PUBLIC_KEY = os.environ.get("BENCH_PUBLIC_KEY", "")
KEY_ID = PUBLIC_KEY.rpartition("_")[2]
SECRET = os.environ.get("BENCH_SIGNING_SECRET", "").encode()
STORE_ID = int(os.environ.get("BENCH_STORE_ID", "1"))
PREFIX = os.environ.get("BENCH_REDIS_PREFIX", "bench:ceiling:")

JOBS_TABLE = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind VARCHAR(40) NOT NULL,
    payload JSON NOT NULL,
    run_at DATETIME NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_by VARCHAR(64),
    locked_until DATETIME,
    last_error VARCHAR(255),
    created_at DATETIME NOT NULL
)
"""
JOBS_INDEX = "CREATE INDEX IF NOT EXISTS ix_jobs_run_at_id ON jobs (run_at, id)"
INSERT_JOB = "INSERT INTO jobs (kind, payload, run_at, created_at) VALUES (?, ?, ?, ?)"


class MemoryReplays:
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._expiry: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()

    async def first_use(self, signature: str) -> bool:
        now = time.monotonic()
        while self._order and self._order[0][0] <= now:
            self._expiry.pop(self._order.popleft()[1], None)
        if signature in self._expiry:
            return False
        self._expiry[signature] = now + self._ttl
        self._order.append((now + self._ttl, signature))
        return True


class RedisReplays:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._ttl_ms = 2 * TOLERANCE_SECONDS * 1000

    async def first_use(self, signature: str) -> bool:
        return bool(await self._redis.set(f"{PREFIX}signatures:{KEY_ID}:{signature}", b"1", nx=True, px=self._ttl_ms))


class SqliteQueue:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def enqueue(self, payload: bytes, now: str) -> None:
        # Autocommit: the one INSERT is its own transaction, committed (WAL) before the 202.
        await self._connection.execute(INSERT_JOB, (KIND, payload.decode(), now, now))


class RedisQueue:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._stream = f"{PREFIX}{{jobs}}:stream"

    async def enqueue(self, payload: bytes, now: str) -> None:
        await self._redis.xadd(self._stream, {"kind": KIND, "attempts": 0, "payload": payload})


STATE: dict[str, Any] = {}


def _error(status: int, code: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message}, "meta": {"request_id": _request_id(), "api_version": "v1"}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


def _moment(value: Any, now: datetime) -> datetime | None:
    if value is None:
        return now
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _accepted(payload: Any, now: datetime) -> list[dict[str, Any]] | None:
    if not isinstance(payload, dict):
        return None
    items = payload.get("events") if "events" in payload else [payload]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_EVENTS:
        return None
    accepted = []
    for item in items:
        if not isinstance(item, dict):
            return None
        name, properties = item.get("event"), item.get("properties", {})
        if not isinstance(name, str) or EVENT_NAME.fullmatch(name) is None or not isinstance(properties, dict):
            return None
        moment = _moment(item.get("occurred_at"), now)
        if moment is None:
            return None
        accepted.append(
            {
                "id": f"tev_{secrets.token_hex(12)}",
                "event": name,
                "properties": properties,
                "occurred_at": moment.isoformat(),
            }
        )
    return accepted


async def events(request: Request) -> Response:
    headers = request.headers
    if headers.get("x-dz-key") != PUBLIC_KEY:
        return _error(401, "unauthorized", "Unknown public key.")
    timestamp = headers.get("x-dz-timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return _error(401, "unauthorized", "Missing or stale X-DZ-Timestamp.")
    signature = headers.get("x-dz-signature", "").lower()
    body = await request.body()
    digest = hashlib.sha256(body).hexdigest()
    expected = hmac.new(SECRET, f"{timestamp}.{digest}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return _error(401, "unauthorized", "Bad X-DZ-Signature.")
    if not await STATE["replays"].first_use(signature):
        return _error(401, "unauthorized", "This signature was already used.")
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        accepted = _accepted(orjson.loads(body), now)
    except orjson.JSONDecodeError:
        accepted = None
    if accepted is None:
        return _error(422, "validation_error", "The body is not one event or a batch of 1 to 100.")
    moment = now.isoformat()
    job = {"store_id": STORE_ID, "key_id": KEY_ID, "accepted_at": moment, "events": accepted}
    await STATE["queue"].enqueue(orjson.dumps(job), moment)
    answer = {
        "data": {"accepted": len(accepted), "ids": [item["id"] for item in accepted]},
        "meta": {"request_id": _request_id(), "api_version": "v1"},
    }
    return Response(orjson.dumps(answer), status_code=202, media_type="application/json")


async def healthz(_request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    if BACKEND == "redis":
        redis = Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
        STATE["replays"], STATE["queue"] = RedisReplays(redis), RedisQueue(redis)
        try:
            yield
        finally:
            await redis.aclose()
        return
    connection = await aiosqlite.connect(os.environ["BENCH_SQLITE_PATH"], isolation_level=None)
    for statement in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", JOBS_TABLE, JOBS_INDEX):
        await connection.execute(statement)
    STATE["replays"], STATE["queue"] = MemoryReplays(2 * TOLERANCE_SECONDS), SqliteQueue(connection)
    try:
        yield
    finally:
        await connection.close()


app = Starlette(
    routes=[Route("/v1/events", events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
    lifespan=lifespan,
)
