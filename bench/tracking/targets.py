"""Tracking targets, their fresh backing stores and their servers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import redis
from harness.common import BENCH_DIR, HOST, ROOT, BenchError, executable, say
from harness.machine import recreate_database
from harness.servers import UNLIMITED, Server

EVENTS_SCRIPT = BENCH_DIR / "events.lua"
STOREGRAPH_PORT = 8111
CEILING_PORT = 8112
EVENTS_PATH = "/v1/events"
EVENTS_KIND = "tracking.events"
TOLERANCE_SECONDS = 300  # the server's SIGNATURE_TOLERANCE_SECONDS (its default)
EVENT_NAMES = ("page_view", "product_view", "cart.add", "checkout:start")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Environment the servers must not inherit from the caller: each target sets what it needs.
CONTROLLED_ENV = ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "JOB_QUEUE", "EMBEDDED_WORKER", "PLANS")


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    title: str
    kind: str  # "storegraph" or "ceiling"
    backend: str  # "sqlite" (SQLite file, in-process replay store) or "redis" (Redis; PostgreSQL for storegraph)
    worker: bool = False  # storegraph's embedded worker (EMBEDDED_WORKER)

    @property
    def ceiling(self) -> str:
        return f"ceiling_{self.backend}"

    @property
    def scale(self) -> str:
        """The target whose GET /healthz is this one's scale: the same backend, worker off."""
        return self.backend


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target("sqlite", "storegraph, SQLite, in-process stores, database queue, worker off", "storegraph", "sqlite"),
        Target(
            "sqlite_worker",
            "storegraph, SQLite, in-process stores, database queue, embedded worker on",
            "storegraph",
            "sqlite",
            worker=True,
        ),
        Target(
            "ceiling_sqlite", "raw ceiling: Starlette, HMAC, in-memory replays, one SQLite INSERT", "ceiling", "sqlite"
        ),
        Target(
            "redis",
            "storegraph, PostgreSQL + Redis (replays, limits, Redis Streams queue), worker off",
            "storegraph",
            "redis",
        ),
        Target(
            "redis_worker",
            "storegraph, PostgreSQL + Redis (replays, limits, Redis Streams queue), embedded worker on",
            "storegraph",
            "redis",
            worker=True,
        ),
        Target("ceiling_redis", "raw ceiling: Starlette, HMAC, SET NX replays, one XADD", "ceiling", "redis"),
    )
}
WORKLOADS = ("batch", "single", "healthz")


def workloads_for(target: Target, chosen: list[str]) -> list[str]:
    # GET /healthz is the scale of storegraph's own stack: measured once per backend, on the worker-off target.
    return [w for w in chosen if w != "healthz" or (target.kind == "storegraph" and not target.worker)]


@dataclasses.dataclass
class Setup:
    target: Target
    workdir: Path
    server: Any  # harness.servers.Server
    public_key: str
    key_id: str
    secret: str
    store_id: int
    sqlite_path: Path | None = None
    database: str | None = None  # PostgreSQL database (storegraph on Redis)
    dsn: str | None = None
    redis_prefix: str | None = None
    client: redis.Redis | None = None  # the script's own Redis client (Redis targets)

    @property
    def stream(self) -> str:
        return f"{self.redis_prefix}{{jobs}}:stream"


def check_local(url: str, option: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise BenchError(f"{option} must point at this machine (127.0.0.1), not {host!r}: the script drops and deletes")


async def drop_database(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


async def pg_fetch(dsn: str, query: str) -> list[Any]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(query))
    finally:
        await connection.close()


def delete_prefix(client: redis.Redis, prefix: str) -> int:
    """Deletes every key under ``prefix`` (a prefix of this run's own); returns how many."""
    deleted = 0
    for _attempt in range(3):
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
        if next(iter(client.scan_iter(match=f"{prefix}*", count=1000)), None) is None:
            break
    return deleted


def cli_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [executable("storegraph"), *args]
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=180, check=False
    )
    if result.returncode != 0:
        raise BenchError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    start = result.stdout.find("{")
    if start < 0:
        raise BenchError(f"{' '.join(args)} printed no JSON:\n{result.stdout}")
    created, _ = json.JSONDecoder().raw_decode(result.stdout, start)
    return dict(created)


def prepare(target: Target, args: argparse.Namespace, run_dir: Path, tag: str) -> Setup:
    workdir = run_dir / target.name
    workdir.mkdir(parents=True, exist_ok=True)
    pin = ["taskset", "-c", str(args.server_cpu)]
    uvicorn = executable("uvicorn")
    common = ["--host", HOST, "--no-access-log", "--log-level", "warning"]
    prefix = f"bench:tracking:{tag}:{target.name}:"
    if target.kind == "ceiling":
        public_key = f"dzpub_live_{secrets.token_hex(8)}"
        secret = f"dzsig_{secrets.token_urlsafe(32)}"
        env = {"BENCH_BACKEND": target.backend, "BENCH_PUBLIC_KEY": public_key, "BENCH_SIGNING_SECRET": secret}
        setup = Setup(target, workdir, None, public_key, public_key.rpartition("_")[2], secret, 1)
        if target.backend == "sqlite":
            setup.sqlite_path = workdir / "ceiling.db"
            env["BENCH_SQLITE_PATH"] = str(setup.sqlite_path)
        else:
            setup.redis_prefix = prefix
            env.update(BENCH_REDIS_URL=args.redis, BENCH_REDIS_PREFIX=prefix)
        command = [*pin, uvicorn, "--app-dir", str(BENCH_DIR), "tracking_ceiling_app:app", "--port", str(CEILING_PORT)]
        setup.server = Server(f"tracking_{target.name}", CEILING_PORT, [*command, *common], env, "/healthz", {})
        return setup

    env = {**UNLIMITED, "EMBEDDED_WORKER": "true" if target.worker else "false"}
    sqlite_path = database = dsn = redis_prefix = None
    if target.backend == "sqlite":
        sqlite_path = workdir / "storegraph.db"
        env.update(DATABASE_URL=f"sqlite+aiosqlite:///{sqlite_path}", JOB_QUEUE="database")
    else:
        database = args.database
        dsn = f"{args.pg}/{database}"
        redis_prefix = prefix
        say(f"{target.name}: recreating the scratch database {database}")
        asyncio.run(recreate_database(f"{args.pg}/postgres", database))
        env.update(
            DATABASE_URL=f"{args.pg.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}",
            JOB_QUEUE="redis",
            REDIS_URL=args.redis,
            REDIS_PREFIX=redis_prefix,
        )
    cli_env = {"DATABASE_URL": env["DATABASE_URL"], "PLANS": env["PLANS"]}
    store = cli_json(["stores", "create", "--name", "bench tracking", "--plan", "enterprise"], cli_env)
    key = cli_json(["keys", "create", "--store", str(store["id"]), "--type", "public"], cli_env)
    say(f"{target.name}: store {store['id']} (plan {store['plan']}), public key {key['key']}")
    command = [*pin, uvicorn, "storegraph.app:create_app", "--factory", "--port", str(STOREGRAPH_PORT), *common]
    server = Server(f"tracking_{target.name}", STOREGRAPH_PORT, command, env, "/healthz", {})
    return Setup(
        target,
        workdir,
        server,
        key["key"],
        key["key_id"],
        key["signing_secret"],
        int(store["id"]),
        sqlite_path=sqlite_path,
        database=database,
        dsn=dsn,
        redis_prefix=redis_prefix,
    )


def cleanup(setup: Setup, args: argparse.Namespace, client: redis.Redis | None) -> None:
    if setup.redis_prefix and client is not None:
        with contextlib.suppress(redis.RedisError):
            deleted = delete_prefix(client, setup.redis_prefix)
            say(f"{setup.target.name}: deleted {deleted} Redis keys under {setup.redis_prefix}")
    if setup.database:
        with contextlib.suppress(Exception):
            asyncio.run(drop_database(f"{args.pg}/postgres", setup.database))
            say(f"{setup.target.name}: dropped the scratch database {setup.database}")
    if not args.keep_data:
        shutil.rmtree(setup.workdir, ignore_errors=True)


def pending_jobs(setup: Setup, client: redis.Redis | None) -> int:
    """Jobs waiting or running (not dead letters) in the target's queue."""
    if setup.target.backend == "redis":
        assert client is not None
        return int(client.xlen(setup.stream)) + int(client.zcard(f"{setup.redis_prefix}{{jobs}}:delayed"))
    assert setup.sqlite_path is not None
    with contextlib.closing(sqlite3.connect(f"file:{setup.sqlite_path}?mode=ro", uri=True, timeout=30)) as db:
        return int(db.execute("SELECT count(*) FROM jobs WHERE kind NOT LIKE 'dead:%'").fetchone()[0])
