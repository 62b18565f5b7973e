"""Python function calls per signed ``POST /v1/events`` request and per event, through the whole app in process (every
middleware, the signature check, the replay store, admission, the direct row, the group-committed job write): a
figure of the intake's own work that, unlike a rate, does not move with what else the machine is running.

    .venv/bin/python bench/intake_calls.py [--requests 400 --concurrency 32 --batch-size 10 --top 0 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/storegraph_bench_intake \
        --redis-url redis://127.0.0.1:6379/0]

Without ``--database-url`` a temporary SQLite file is used (the embedded default: replays, limits and usage in
process, the database job queue); with ``--redis-url`` replays, limits and usage are in Redis and the jobs go to
Redis Streams (under a prefix of its own, deleted at the end). A given database must exist and be empty. The
requests are sent ``--concurrency`` at a time (as wrk's connections would), so that concurrent requests share
their writes as they do under load. Each workload is warmed up, then ``--requests`` requests run under cProfile
and the count of calls (Python functions and built-ins) is divided by the requests and by the events; every
answer must be 202. ``CPU µs/event`` is the process's CPU time (all its threads) for as many requests again,
unprofiled: it moves with the machine's load, the calls do not. ``--top N`` prints the N functions called most
per request.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import hmac
import itertools
import pstats
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
from compiled_inprocess import asgi_request, http_scope
from fastapi import FastAPI
from redis.asyncio import Redis
from starlette.types import Scope

from db.migrate import upgrade_to_head
from db.queries.keys import create_api_key
from db.queries.stores import create_store
from db.session import create_engine, create_sessionmaker
from storegraph.app import create_app
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.limits.plans import DEFAULT_PLANS, Plan
from storegraph.settings import Settings

UNLIMITED = Plan(requests_per_minute=None, requests_per_month=None, signups_per_month=None, webhooks_per_month=None)
EVENT_NAMES = ("page_view", "product_view", "cart.add", "checkout:start")
WARMUP = 100


class Client:
    """Signs unique requests as bench/tracking/signing.py does and sends them to the app in process."""

    def __init__(self, app: FastAPI, token: str, secret: str) -> None:
        self.app = app
        self.token = token.encode()
        self.secret = secret.encode()
        self.sequence = itertools.count(1)
        self.tag = secrets.token_hex(4)

    def body(self, events: int) -> bytes:
        occurred_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        items = []
        for _ in range(events):
            seq = next(self.sequence)
            properties = {"path": f"/products/{seq % 500}", "seq": seq, "run": self.tag}
            items.append({"event": EVENT_NAMES[seq % 4], "properties": properties, "occurred_at": occurred_at})
        return orjson.dumps(items[0] if events == 1 else {"events": items})

    def scope(self, body: bytes) -> Scope:
        timestamp = str(int(time.time()))
        digest = hashlib.sha256(body).hexdigest()
        signature = hmac.new(self.secret, f"{timestamp}.{digest}".encode(), hashlib.sha256).hexdigest()
        headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"x-dz-key", self.token),
            (b"x-dz-timestamp", timestamp.encode()),
            (b"x-dz-signature", signature.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        return http_scope("POST", "/v1/events", headers)

    async def post(self, scope: Scope, body: bytes) -> None:
        status, answer = await asgi_request(self.app, scope, body)
        if status != 202:
            raise RuntimeError(f"POST /v1/events answered {status}: {answer[:300]!r}")

    async def run(self, requests: int, events: int, concurrency: int, profile: cProfile.Profile | None) -> None:
        """``requests`` requests, ``concurrency`` at a time; signed beforehand, outside the profile."""
        bodies = [self.body(events) for _ in range(requests)]
        prepared = [(self.scope(body), body) for body in bodies]
        if profile is not None:
            profile.enable()
        for start in range(0, requests, concurrency):
            await asyncio.gather(*(self.post(scope, body) for scope, body in prepared[start : start + concurrency]))
        if profile is not None:
            profile.disable()


@asynccontextmanager
async def intake_app(database_url: str, redis_url: str | None, prefix: str) -> AsyncIterator[Client]:
    engine = create_engine(database_url, pool_size=2)
    await upgrade_to_head(engine)
    async with create_sessionmaker(engine)() as session, session.begin():
        store = await create_store(session, name="Intake bench", plan="enterprise")
        row, token = await create_api_key(
            session, store_id=store.id, key_type=KeyType.PUBLIC, env=KeyEnv.LIVE, scopes=(), name="bench"
        )
        secret = row.signing_secret
    await engine.dispose()
    assert secret is not None
    settings = Settings(
        database_url=database_url,
        secret_key="bench-secret",
        redis_url=redis_url,
        redis_prefix=prefix,
        plans=dict.fromkeys(DEFAULT_PLANS, UNLIMITED),
        embedded_worker=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.2)  # with Redis, the key cache waits for its revocation feed
        yield Client(app, token, secret)


async def main(args: argparse.Namespace) -> None:
    prefix = f"bench:intake:{secrets.token_hex(4)}:"
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'intake.db'}"
        try:
            async with intake_app(url, args.redis_url, prefix) as client:
                backend = "PostgreSQL + Redis" if args.redis_url else url.split(":", 1)[0]
                print(f"{backend}, {args.requests} requests, {args.concurrency} at a time")
                print(
                    f"{'workload':18} {'calls/request':>13} {'calls/event':>11} {'profiled CPU µs/event':>21} "
                    f"{'CPU µs/event':>12}"
                )
                for name, events in (("single", 1), (f"batch ({args.batch_size})", args.batch_size)):
                    await client.run(WARMUP, events, args.concurrency, None)
                    started = time.process_time()
                    await client.run(args.requests, events, args.concurrency, None)
                    plain_cpu = (time.process_time() - started) * 1e6 / (args.requests * events)
                    profile = cProfile.Profile(time.process_time)
                    await client.run(args.requests, events, args.concurrency, profile)
                    stats = pstats.Stats(profile)
                    calls = stats.total_calls  # type: ignore[attr-defined]
                    cpu = stats.total_tt  # type: ignore[attr-defined]
                    count = args.requests * events
                    print(
                        f"{name:18} {calls / args.requests:13.0f} {calls / count:11.1f} {cpu * 1e6 / count:21.0f} "
                        f"{plain_cpu:12.0f}"
                    )
                    if args.top:
                        print_top(stats, args.top, args.requests)
                    if args.dump:
                        stats.dump_stats(f"{args.dump}.{events}.prof")
        finally:
            if args.redis_url:
                redis = Redis.from_url(args.redis_url)
                keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
                if keys:
                    await redis.delete(*keys)
                await redis.aclose()


def print_top(stats: pstats.Stats, top: int, requests: int) -> None:
    rows = sorted(stats.stats.items(), key=lambda item: item[1][1], reverse=True)  # type: ignore[attr-defined]
    for (filename, line, function), (_, calls, _tt, cumulative, _) in rows[:top]:
        where = f"{Path(filename).name}:{line}" if line else filename
        print(f"    {calls / requests:8.1f}  {cumulative * 1e6 / requests:8.0f} µs cum  {function}  {where}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--top", type=int, default=0, help="print the N functions called most per request")
    parser.add_argument("--dump", default="", help="write each workload's profile to <DUMP>.<events>.prof")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    asyncio.run(main(parser.parse_args()))
