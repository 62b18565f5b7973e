"""Signed ``POST /v1/events`` accepted per second, on the embedded default and with Redis, against a raw
ceiling measured in the same run.

    .venv/bin/python bench/tracking_throughput.py [--rounds 3 --duration 10 --batch-size 10 \
        --targets sqlite,sqlite_worker,ceiling_sqlite,redis,redis_worker,ceiling_redis --workloads batch,single,healthz]

See bench/README.md ("Tracking throughput") for what is measured and how to read it. In short, per target:

1. A fresh backing store: a new SQLite file (under bench/results/), or the scratch PostgreSQL database
   ``storegraph_bench_tracking`` (dropped and created) plus a Redis prefix of its own (``bench:tracking:<run>:``).
   For storegraph, ``storegraph stores create --plan enterprise`` and ``storegraph keys create --type public``
   give the store and its public key; ``PLANS`` (the same override as bench/run.py) takes the plan's limits away.
2. The server alone, pinned to the server CPU: storegraph as ``storegraph serve`` runs it (uvicorn, the app
   factory), with the embedded worker off or on as the target says, or the ceiling app (tracking_ceiling_app.py).
   One signed request must get 202 and the same request again 401 (replay refused); storegraph must send no
   ``X-RateLimit-*`` header (the plan really is unlimited).
3. Per workload (``batch``: 10 events per request; ``single``: one; ``healthz``: ``GET /healthz`` of the same
   server, the scale), a warm-up and ``--rounds`` rounds of wrk pinned to the load CPU. Every request is signed
   beforehand, just before its run, with a unique body (a sequence number in the properties), and is sent
   exactly once (bench/events.lua); the 202 bodies are kept.
4. Verification, once the server has stopped: every id the 202s returned must be stored (a job in the jobs table
   or the Redis stream, or with the worker on, a row of ``tracked_events`` or a job still pending), the number of
   jobs must lie between the 202s counted and the requests sent, and nothing may be a dead letter. A target that
   fails this is void: the run prints why and exits 1.
5. Cleanup: the scratch database is dropped, the Redis prefix's keys deleted, the SQLite files removed.

Results: the table (median of rounds), ratios to the ceiling and to ``GET /healthz``, and
bench/results/tracking_latest.json (plus a tracking-run-<UTC time>.json copy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import json
import os
import resource
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import redis
import run as harness  # bench/run.py: servers, pinning, wrk parsing, CPU accounting

ROOT = harness.ROOT
BENCH_DIR = harness.BENCH_DIR
RESULTS_DIR = harness.RESULTS_DIR
EVENTS_SCRIPT = BENCH_DIR / "events.lua"
HOST = "127.0.0.1"
STOREGRAPH_PORT = 8111
CEILING_PORT = 8112
EVENTS_PATH = "/v1/events"
EVENTS_KIND = "tracking.events"
TOLERANCE_SECONDS = 300  # the server's SIGNATURE_TOLERANCE_SECONDS (its default)
EVENT_NAMES = ("page_view", "product_view", "cart.add", "checkout:start")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Environment the servers must not inherit from the caller: each target sets what it needs.
CONTROLLED_ENV = ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "JOB_QUEUE", "EMBEDDED_WORKER", "PLANS")

BenchError = harness.BenchError
say = harness.say
step = harness.step


# ---------------------------------------------------------------------------------------------- targets


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
    server: Any  # harness.Server
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


@dataclasses.dataclass
class Ledger:
    """What the client was told and sent, for the verification: every id returned must be stored."""

    accepted_requests: int = 0  # 202s counted
    accepted_events: int = 0
    issued_requests: int = 0  # handed to wrk's connections: an upper bound of what was sent
    issued_events: int = 0
    bad_answers: int = 0  # a 202 whose "accepted" or ids do not match the events sent
    duplicate_ids: int = 0
    ids: set[str] = dataclasses.field(default_factory=set)

    def add_answer(self, body: bytes, events: int) -> None:
        data = orjson.loads(body)["data"]
        ids = data["ids"]
        if data["accepted"] != events or len(ids) != events:
            self.bad_answers += 1
        for event_id in ids:
            if event_id in self.ids:
                self.duplicate_ids += 1
            self.ids.add(event_id)
        self.accepted_requests += 1
        self.accepted_events += events


# ------------------------------------------------------------------------------------------------ signing


class Signer:
    """Signs requests as docs/tracking.md says, each body unique (a run tag and a sequence number), so no two
    requests ever share a signature, even within one second."""

    def __init__(self, public_key: str, secret: str, port: int, tag: str) -> None:
        self.public_key = public_key
        self.secret = secret.encode()
        self.port = port
        self.tag = tag
        self.sequence = itertools.count(1)

    def body(self, events: int, occurred_at: str) -> bytes:
        items = []
        for _ in range(events):
            seq = next(self.sequence)
            items.append(
                {
                    "event": EVENT_NAMES[seq % len(EVENT_NAMES)],
                    "properties": {"path": f"/products/{seq % 500}", "seq": seq, "run": self.tag},
                    "occurred_at": occurred_at,
                }
            )
        return orjson.dumps(items[0] if events == 1 else {"events": items})

    def headers(self, body: bytes, timestamp: str) -> dict[str, str]:
        digest = hashlib.sha256(body).hexdigest()
        signature = hmac.new(self.secret, f"{timestamp}.{digest}".encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-DZ-Key": self.public_key,
            "X-DZ-Timestamp": timestamp,
            "X-DZ-Signature": signature,
        }

    def raw_request(self, events: int, occurred_at: str) -> bytes:
        body = self.body(events, occurred_at)
        headers = self.headers(body, str(int(time.time())))
        head = f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    def write(self, prefix: Path, threads: int, count: int, events: int) -> float:
        """``count`` signed requests, dealt round-robin into ``<prefix>.<thread>`` (events.lua's format); returns
        the seconds it took."""
        started = time.monotonic()
        occurred_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with contextlib.ExitStack() as stack:
            files = [stack.enter_context(Path(f"{prefix}.{thread}").open("wb")) for thread in range(threads)]
            for number in range(count):
                raw = self.raw_request(events, occurred_at)
                files[number % threads].write(b"%d\n%s" % (len(raw), raw))
        return time.monotonic() - started


# ------------------------------------------------------------------------------------------------ backends


def _check_local(url: str, option: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise BenchError(f"{option} must point at this machine (127.0.0.1), not {host!r}: the script drops and deletes")


async def _drop_database(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


async def _pg_fetch(dsn: str, query: str) -> list[Any]:
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


def _cli_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [harness.executable("storegraph"), *args]
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
    uvicorn = harness.executable("uvicorn")
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
        setup.server = harness.Server(f"tracking_{target.name}", CEILING_PORT, [*command, *common], env, "/healthz", {})
        return setup

    env = {**harness.UNLIMITED, "EMBEDDED_WORKER": "true" if target.worker else "false"}
    sqlite_path = database = dsn = redis_prefix = None
    if target.backend == "sqlite":
        sqlite_path = workdir / "storegraph.db"
        env.update(DATABASE_URL=f"sqlite+aiosqlite:///{sqlite_path}", JOB_QUEUE="database")
    else:
        database = args.database
        dsn = f"{args.pg}/{database}"
        redis_prefix = prefix
        say(f"{target.name}: recreating the scratch database {database}")
        asyncio.run(harness._recreate_database(f"{args.pg}/postgres", database))
        env.update(
            DATABASE_URL=f"{args.pg.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}",
            JOB_QUEUE="redis",
            REDIS_URL=args.redis,
            REDIS_PREFIX=redis_prefix,
        )
    cli_env = {"DATABASE_URL": env["DATABASE_URL"], "PLANS": env["PLANS"]}
    store = _cli_json(["stores", "create", "--name", "bench tracking", "--plan", "enterprise"], cli_env)
    key = _cli_json(["keys", "create", "--store", str(store["id"]), "--type", "public"], cli_env)
    say(f"{target.name}: store {store['id']} (plan {store['plan']}), public key {key['key']}")
    command = [*pin, uvicorn, "storegraph.app:create_app", "--factory", "--port", str(STOREGRAPH_PORT), *common]
    server = harness.Server(f"tracking_{target.name}", STOREGRAPH_PORT, command, env, "/healthz", {})
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
            asyncio.run(_drop_database(f"{args.pg}/postgres", setup.database))
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


@dataclasses.dataclass
class Stored:
    jobs: int = 0  # tracking.events jobs in the queue (waiting or running)
    job_event_ids: list[str] = dataclasses.field(default_factory=list)
    processed_ids: list[str] = dataclasses.field(default_factory=list)  # tracked_events rows (the worker stored)
    dead: int = 0
    other_jobs: int = 0
    database_jobs_with_redis: int = 0  # storegraph on Redis: jobs that went to the database queue instead


def _take_payload(stored: Stored, kind: str, payload: Any) -> None:
    if kind == EVENTS_KIND:
        stored.jobs += 1
        stored.job_event_ids.extend(item["id"] for item in orjson.loads(payload)["events"])
    elif kind.startswith("dead:"):
        stored.dead += 1
    else:
        stored.other_jobs += 1


def read_stored(setup: Setup, client: redis.Redis | None) -> Stored:
    stored = Stored()
    storegraph = setup.target.kind == "storegraph"
    if setup.target.backend == "sqlite":
        assert setup.sqlite_path is not None
        with contextlib.closing(sqlite3.connect(f"file:{setup.sqlite_path}?mode=ro", uri=True, timeout=30)) as db:
            for kind, payload in db.execute("SELECT kind, payload FROM jobs"):
                _take_payload(stored, kind, payload)
            if storegraph:
                stored.processed_ids = [row[0] for row in db.execute("SELECT public_id FROM tracked_events")]
        return stored
    assert client is not None
    length = int(client.xlen(setup.stream))
    low = "-"
    for _page in range(length // 5000 + 2):
        entries = client.xrange(setup.stream, min=low, max="+", count=5000)
        if not entries:
            break
        for _entry_id, fields in entries:
            _take_payload(stored, fields[b"kind"].decode(), fields[b"payload"])
        low = f"({entries[-1][0].decode()}"
    stored.dead = int(client.xlen(f"{setup.redis_prefix}{{jobs}}:dead"))
    stored.other_jobs += int(client.zcard(f"{setup.redis_prefix}{{jobs}}:delayed"))
    if storegraph:
        assert setup.dsn is not None
        rows = asyncio.run(_pg_fetch(setup.dsn, "SELECT public_id FROM tracked_events"))
        stored.processed_ids = [row["public_id"] for row in rows]
        stored.database_jobs_with_redis = len(asyncio.run(_pg_fetch(setup.dsn, "SELECT id FROM jobs")))
    return stored


def verify(setup: Setup, ledger: Ledger, client: redis.Redis | None) -> dict[str, Any]:
    """Every 202's ids must be stored; the stored jobs must lie between the 202s counted and the requests sent."""
    stored = read_stored(setup, client)
    stored_ids = set(stored.job_event_ids) | set(stored.processed_ids)
    missing = len(ledger.ids - stored_ids)
    unanswered = len(stored_ids - ledger.ids)  # stored, but their 202 was never read (in flight when wrk stopped)
    stored_events = len(stored.job_event_ids) + len(stored.processed_ids)
    problems = []
    if missing:
        problems.append(f"{missing} ids answered in a 202 are not stored")
    if ledger.duplicate_ids:
        problems.append(f"{ledger.duplicate_ids} ids were answered twice")
    if ledger.bad_answers:
        problems.append(f"{ledger.bad_answers} answers do not hold one id per event sent")
    if stored_events != len(stored_ids):
        problems.append(f"{stored_events - len(stored_ids)} event ids are stored twice")
    if not ledger.accepted_events <= stored_events <= ledger.issued_events:
        problems.append(
            f"{stored_events} events stored, outside [{ledger.accepted_events} answered, {ledger.issued_events} sent]"
        )
    if not setup.target.worker and not ledger.accepted_requests <= stored.jobs <= ledger.issued_requests:
        problems.append(
            f"{stored.jobs} jobs stored, outside [{ledger.accepted_requests} answered, {ledger.issued_requests} sent]"
        )
    if stored.dead:
        problems.append(f"{stored.dead} dead letters")
    if stored.other_jobs:
        problems.append(f"{stored.other_jobs} other jobs (delayed or of another kind)")
    if stored.database_jobs_with_redis:
        problems.append(f"{stored.database_jobs_with_redis} jobs in the database queue although Redis was set")
    return {
        "answered_requests": ledger.accepted_requests,
        "answered_events": ledger.accepted_events,
        "sent_requests_at_most": ledger.issued_requests,
        "sent_events_at_most": ledger.issued_events,
        "jobs_pending": stored.jobs,
        "events_in_pending_jobs": len(stored.job_event_ids),
        "events_stored_by_worker": len(stored.processed_ids),
        "answered_ids_missing": missing,
        "stored_but_unanswered_ids": unanswered,
        "dead_letters": stored.dead,
        "ok": not problems,
        "problems": problems,
    }


# ---------------------------------------------------------------------------------------------- measuring


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def preflight(setup: Setup, signer: Signer, ledger: Ledger, client: redis.Redis | None) -> None:
    """One signed request is accepted, the same again is refused; storegraph's plan has no limit; the queue is
    the one the target says."""
    url = f"http://{HOST}:{setup.server.port}{EVENTS_PATH}"
    occurred_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = signer.body(2, occurred_at)
    headers = signer.headers(body, str(int(time.time())))
    status, answer_headers, answer = _post(url, body, headers)
    ledger.issued_requests += 1
    ledger.issued_events += 2
    if status != 202:
        raise BenchError(f"{setup.target.name}: a signed POST {EVENTS_PATH} answered {status}: {answer[:2000]!r}")
    ledger.add_answer(answer, 2)
    if setup.target.kind == "storegraph" and "x-ratelimit-limit" in answer_headers:
        raise BenchError(
            f"{setup.target.name}: the answer has X-RateLimit-Limit {answer_headers['x-ratelimit-limit']}: the "
            "PLANS override did not make the plan unlimited"
        )
    replay_status, _, replay = _post(url, body, headers)
    if replay_status != 401:
        raise BenchError(f"{setup.target.name}: a replayed signature answered {replay_status}, not 401: {replay!r}")
    if not setup.target.worker:
        queued = pending_jobs(setup, client)
        if queued != 1:
            raise BenchError(f"{setup.target.name}: after one accepted request the queue holds {queued} jobs, not 1")
    if setup.target.kind == "storegraph":
        with urllib.request.urlopen(f"http://{HOST}:{setup.server.port}/readyz", timeout=10) as response:
            checks = orjson.loads(response.read())["checks"]
        if ("redis" in checks) != (setup.target.backend == "redis"):
            raise BenchError(f"{setup.target.name}: /readyz checks {checks}: Redis use is not what the target says")
    held = "the worker takes it from the queue" if setup.target.worker else "the queue holds it"
    say(f"{setup.target.name}: a signed request got 202, its replay 401; {held}")


def redis_pid(client: redis.Redis | None) -> int | None:
    if client is None:
        return None
    with contextlib.suppress(redis.RedisError, KeyError, ValueError):
        pid = int(client.info("server")["process_id"])
        if Path(f"/proc/{pid}/stat").exists():
            return pid
    return None


def _process_share(pid: int | None, ticks_before: int, seconds: float) -> float | None:
    if pid is None or seconds <= 0:
        return None
    ticks = harness._process_ticks(pid) - ticks_before
    return round(100 * ticks / (os.sysconf("SC_CLK_TCK") * seconds), 1)


def pin_postgres(setup: Setup, args: argparse.Namespace) -> int:
    """Pins the scratch database's PostgreSQL backends to the load CPU, as bench/run.py does (only those)."""
    if not args.pin_postgres or setup.dsn is None or setup.database is None:
        return 0
    pinned = 0
    for pid in asyncio.run(harness._backend_pids(setup.dsn, setup.database)):
        result = subprocess.run(
            ["taskset", "-p", "-c", str(args.load_cpu), str(pid)], capture_output=True, text=True, check=False
        )
        pinned += result.returncode == 0
    return pinned


def drain(setup: Setup, args: argparse.Namespace, client: redis.Redis | None) -> dict[str, Any]:
    """With the embedded worker on: waits (up to --drain-timeout) until it has run every job."""
    backlog = pending_jobs(setup, client)
    started = time.monotonic()
    left = backlog
    while left and time.monotonic() - started < args.drain_timeout:
        time.sleep(0.25)
        left = pending_jobs(setup, client)
    seconds = time.monotonic() - started
    if left:
        say(f"   warning: the worker still has {left} jobs after {args.drain_timeout:g} s")
    done = backlog - left
    return {
        "backlog_jobs": backlog,
        "drain_seconds": round(seconds, 2),
        "left_jobs": left,
        # The worker's own rate, with the API idle; too small a backlog says nothing.
        "worker_jobs_per_s": round(done / seconds, 1) if done >= 100 and seconds > 0 else None,
    }


def run_events(
    setup: Setup, signer: Signer, ledger: Ledger, args: argparse.Namespace, events: int, duration: float, count: int
) -> dict[str, Any]:
    """One wrk run of ``count`` freshly signed requests of ``events`` events each; every 202 goes to the ledger."""
    prefix, responses = setup.workdir / "requests", setup.workdir / "responses"
    for thread in range(args.threads):
        Path(f"{responses}.{thread}").unlink(missing_ok=True)
    signing_s = signer.write(prefix, args.threads, count, events)
    command = harness.wrk_command(args, duration, EVENTS_SCRIPT, f"http://{HOST}:{setup.server.port}{EVENTS_PATH}")
    env = {**os.environ, "BENCH_REQUESTS_FILE": str(prefix), "BENCH_RESPONSES_FILE": str(responses)}
    server_pid = setup.server.process.pid if setup.server.process else None
    watch = harness.CpuWatch(args.server_cpu, args.load_cpu, server_pid)
    rpid = redis_pid(setup.client) if setup.target.backend == "redis" else None
    redis_ticks = harness._process_ticks(rpid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child that ends meanwhile
    started = time.monotonic()
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 180, check=False)
    finally:
        for thread in range(args.threads):
            Path(f"{prefix}.{thread}").unlink(missing_ok=True)
    elapsed = time.monotonic() - started
    usage = watch.read()
    usage["redis_server_cpu_pct"] = _process_share(rpid, redis_ticks, elapsed)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    usage["wrk_cpu_pct"] = round(100 * wrk_cpu / elapsed, 1)
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if setup.server.process is not None and setup.server.process.poll() is not None:
        raise BenchError(f"{setup.server.name} died under load:\n{harness._log_tail(setup.server)}")
    figures = harness.parse_wrk(result.stdout)
    detail = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON "))[11:])
    statuses = {int(status): n for status, n in detail["statuses"].items()}
    accepted, exhausted = statuses.get(202, 0), int(detail["exhausted"])
    # Read every 202 body before judging the run: those requests were accepted whatever happens next.
    lines = 0
    for thread in range(args.threads):
        path = Path(f"{responses}.{thread}")
        if path.exists():
            for line in path.read_bytes().splitlines():
                if line:
                    ledger.add_answer(line, events)
                    lines += 1
            path.unlink()
    # The requests sent are those handed out that were not the GET /healthz of an exhausted file.
    ledger.issued_requests += int(detail["issued"]) - exhausted
    ledger.issued_events += (int(detail["issued"]) - exhausted) * events
    if lines != accepted:
        raise BenchError(f"wrk counted {accepted} answers 202 but events.lua kept {lines} bodies")
    fallback = statuses.get(200, 0)
    unexpected = {status: n for status, n in statuses.items() if status not in (200, 202)}
    if unexpected or fallback > exhausted:
        other = next((line for line in result.stdout.splitlines() if line.startswith("BENCH_OTHER ")), "")
        raise BenchError(
            f"{setup.target.name} answered other than 202 under load ({statuses}); the first: {other[12:]}\n"
            f"wrk said:\n{result.stdout}"
        )
    errors = figures["errors"]
    if any(errors[kind] for kind in ("connect", "read", "write", "timeout")):
        say(f"   warning: socket errors {errors} (see the wrk output in tracking_latest.json)")
    if usage["server_cpu_others_pct"] >= args.quiet_threshold:
        say(f"   warning: other processes took {usage['server_cpu_others_pct']:.0f}% of the server CPU in this run")
    duration_s = figures["duration_s"]
    figures.update(
        rps=accepted / duration_s,  # 202s per second (wrk's Requests/sec counts the fallback GETs too)
        events_per_s=accepted * events / duration_s,
        accepted=accepted,
        events_per_request=events,
        signed=count,
        signing_s=round(signing_s, 2),
        exhausted=exhausted,
        issued=int(detail["issued"]),
        cpu=usage,
        wrk_output=result.stdout,
    )
    return figures


def run_sized(
    setup: Setup,
    signer: Signer,
    ledger: Ledger,
    args: argparse.Namespace,
    events: int,
    duration: float,
    estimate: float,
    *,
    warmup: bool = False,
) -> dict[str, Any]:
    """A run with enough signed requests for ``estimate`` requests/s; if they ran out, again with twice as many."""
    count = int(estimate * duration * 1.5) + 4 * args.connections + 100
    cap = int(args.max_rate * duration * 4) + 4 * args.connections + 100
    for _attempt in range(4):
        figures = run_events(setup, signer, ledger, args, events, duration, count)
        if not figures["exhausted"] or warmup:
            return figures
        if count >= cap:
            break
        say(f"   the {count} signed requests ran out (this run is discarded); signing {min(2 * count, cap)}")
        count = min(2 * count, cap)
        if setup.target.worker:
            drain(setup, args, setup.client)  # the next attempt starts with an empty queue too
    raise BenchError(f"{setup.target.name}: more than {cap} requests in {duration:g} s: raise --max-rate")


def _progress(setup: Setup, workload: str, what: str, figures: dict[str, Any]) -> str:
    cpu = figures["cpu"]
    rate = (
        f"{figures['rps']:9.1f} 202/s ({figures['events_per_s']:8.0f} ev/s)"
        if "events_per_s" in figures
        else (f"{figures['rps']:9.1f} req/s" + " " * 17)
    )
    extra = f"; wrk {cpu['wrk_cpu_pct']:.0f}%" if "wrk_cpu_pct" in cpu else ""
    if cpu.get("redis_server_cpu_pct") is not None:
        extra += f"; redis-server {cpu['redis_server_cpu_pct']:.0f}%"
    return (
        f"{setup.target.name:15} {workload:7} {what}: {rate}  p50 {figures['p50_ms']:8.2f} ms  "
        f"p99 {figures['p99_ms']:8.2f} ms  (server CPU {cpu['server_cpu_busy_pct']:.0f}% busy, "
        f"{cpu['server_cpu_others_pct']:.0f}% others; load CPU {cpu['load_cpu_busy_pct']:.0f}%{extra})"
    )


def _median(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    figures = harness._median_figures(rounds)
    if "events_per_s" in rounds[0]:
        figures["events_per_s"] = statistics.median(r["events_per_s"] for r in rounds)
        figures["events_per_request"] = rounds[0]["events_per_request"]
        figures["wrk_cpu_pct"] = statistics.median(r["cpu"]["wrk_cpu_pct"] for r in rounds)
    drains = [r["drain"] for r in rounds if r.get("drain")]
    if drains:
        figures["backlog_jobs"] = statistics.median(d["backlog_jobs"] for d in drains)
        rates = [d["worker_jobs_per_s"] for d in drains if d["worker_jobs_per_s"] is not None]
        figures["worker_jobs_per_s"] = statistics.median(rates) if rates else None
        figures["drain_seconds"] = statistics.median(d["drain_seconds"] for d in drains)
    return figures


def measure_workload(
    setup: Setup, signer: Signer, ledger: Ledger, workload: str, args: argparse.Namespace
) -> dict[str, Any]:
    probe = harness.Probe("healthz", "healthz", setup.target.name, setup.server.name, "GET", "/healthz")
    events = args.batch_size if workload == "batch" else 1
    estimate = float(args.max_rate)

    def run_once(duration: float, *, warm: bool = False) -> dict[str, Any]:
        nonlocal estimate
        if workload == "healthz":
            figures: dict[str, Any] = harness.run_wrk(setup.server, probe, args, duration)
            return figures
        figures = run_sized(setup, signer, ledger, args, events, duration, estimate, warmup=warm)
        if figures["exhausted"]:  # only a warm-up returns exhausted: the server is faster than signed for
            estimate = max(estimate, 2 * figures["signed"] / duration)
        else:
            estimate = figures["rps"] if warm else max(estimate, figures["rps"])
        if setup.target.worker:
            figures["drain"] = drain(setup, args, setup.client)
        return figures

    warm: dict[str, Any] | None = None
    if args.warmup > 0:
        warm = run_once(args.warmup, warm=True)
        say(_progress(setup, workload, f"warm-up {args.warmup:g} s", warm))
    rounds = []
    for number in range(1, args.rounds + 1):
        for attempt in range(args.retries + 1):
            pinned = pin_postgres(setup, args)
            background = harness.wait_until_quiet(setup.server, args)
            figures = run_once(args.duration)
            figures.update(background_before_pct=background, postgres_backends_pinned=pinned, discarded_before=attempt)
            if figures["cpu"]["server_cpu_others_pct"] < args.quiet_threshold or attempt == args.retries:
                break
            say(f"   discarding round {number}: other processes used the server CPU; measuring it again")
        rounds.append(figures)
        line = _progress(setup, workload, f"round {number}/{args.rounds}", figures)
        if figures.get("drain"):
            d = figures["drain"]
            line += f"\n{'':24}worker: {d['backlog_jobs']} jobs behind at the end, drained in {d['drain_seconds']:g} s"
        say(line)
    figures = _median(rounds)
    figures["warmup"] = warm
    return figures


@contextlib.contextmanager
def redis_pinned(client: redis.Redis | None, args: argparse.Namespace) -> Iterator[None]:
    """--pin-redis: the local redis-server (all its threads) on the load CPU while measuring; restored after."""
    pid = redis_pid(client) if args.pin_redis else None
    if pid is None:
        yield
        return
    before = subprocess.run(["taskset", "-p", str(pid)], capture_output=True, text=True, check=False).stdout
    mask = before.strip().rpartition(" ")[2]
    subprocess.run(["taskset", "-a", "-p", "-c", str(args.load_cpu), str(pid)], capture_output=True, check=False)
    say(f"redis-server {pid} pinned to CPU {args.load_cpu} (its mask was {mask}; restored afterwards)")
    try:
        yield
    finally:
        subprocess.run(["taskset", "-a", "-p", mask, str(pid)], capture_output=True, check=False)


def measure_target(
    target: Target, args: argparse.Namespace, run_dir: Path, tag: str, client: redis.Redis | None
) -> dict[str, Any]:
    step(f"{target.name}: {target.title}")
    setup = prepare(target, args, run_dir, tag)
    setup.client = client
    ledger = Ledger()
    signer = Signer(setup.public_key, setup.secret, setup.server.port, f"{tag}-{target.name}")
    results: dict[str, Any] = {}
    try:
        with redis_pinned(client if target.backend == "redis" else None, args), harness.running(setup.server):
            preflight(setup, signer, ledger, client)
            for workload in workloads_for(target, args.workload_list):
                results[workload] = measure_workload(setup, signer, ledger, workload, args)
        verification = verify(setup, ledger, client)
    finally:
        harness.stop(setup.server)
        cleanup(setup, args, client)
    verdict = "verified" if verification["ok"] else "VOID: " + "; ".join(verification["problems"])
    say(
        f"{target.name}: {verification['answered_requests']} requests answered 202 with "
        f"{verification['answered_events']} event ids; {verdict}"
    )
    return {"title": target.title, "workloads": results, "verification": verification}


# ------------------------------------------------------------------------------------------------ report


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


def tables(results: dict[str, Any]) -> tuple[str, str, str]:
    rows = [
        (
            "target",
            "workload",
            "202/s",
            "events/s",
            "p50 / p99 ms",
            "/ ceiling",
            "/ healthz",
            "server CPU",
            "load CPU",
            "wrk CPU",
            "others (max)",
        )
    ]
    for name, entry in results.items():
        target = TARGETS[name]
        for workload, figures in entry["workloads"].items():
            if workload == "healthz":
                continue
            ceiling = results.get(target.ceiling, {}).get("workloads", {}).get(workload, {}).get("rps")
            scale = results.get(target.scale, {}).get("workloads", {}).get("healthz", {}).get("rps")
            rows.append(
                (
                    name,
                    f"{workload} ({figures['events_per_request']})",
                    f"{figures['rps']:.0f}",
                    f"{figures['events_per_s']:.0f}",
                    f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}",
                    "-" if target.kind == "ceiling" else _ratio(figures["rps"], ceiling),
                    _ratio(figures["rps"], scale),
                    f"{figures['server_cpu_busy_pct']:.0f}%",
                    f"{figures['load_cpu_busy_pct']:.0f}%",
                    f"{figures['wrk_cpu_pct']:.0f}%",
                    f"{figures['max_interference_pct']:.0f}%",
                )
            )
    main_table = harness._render(rows)
    scale_rows = [("target", "GET /healthz req/s", "p50 / p99 ms", "server CPU")]
    worker_rows = [
        ("target", "workload", "jobs behind at round end", "drained in s", "worker jobs/s", "worker events/s")
    ]
    for name, entry in results.items():
        for workload, figures in entry["workloads"].items():
            if workload == "healthz":
                scale_rows.append(
                    (
                        name,
                        f"{figures['rps']:.0f}",
                        f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}",
                        f"{figures['server_cpu_busy_pct']:.0f}%",
                    )
                )
            elif "backlog_jobs" in figures:
                rate = figures["worker_jobs_per_s"]
                worker_rows.append(
                    (
                        name,
                        workload,
                        f"{figures['backlog_jobs']:.0f}",
                        f"{figures['drain_seconds']:.1f}",
                        "-" if rate is None else f"{rate:.0f}",
                        "-" if rate is None else f"{rate * figures['events_per_request']:.0f}",
                    )
                )
    return (
        main_table,
        harness._render(scale_rows) if len(scale_rows) > 1 else "",
        harness._render(worker_rows) if len(worker_rows) > 1 else "",
    )


def verification_table(results: dict[str, Any]) -> str:
    rows = [("target", "202s", "ids answered", "jobs pending", "events stored", "ids missing", "unanswered", "verdict")]
    for name, entry in results.items():
        v = entry["verification"]
        rows.append(
            (
                name,
                str(v["answered_requests"]),
                str(v["answered_events"]),
                str(v["jobs_pending"]),
                str(v["events_in_pending_jobs"] + v["events_stored_by_worker"]),
                str(v["answered_ids_missing"]),
                str(v["stored_but_unanswered_ids"]),
                "ok" if v["ok"] else "VOID",
            )
        )
    return harness._render(rows)


# -------------------------------------------------------------------------------------------------- main


def estimate_seconds(args: argparse.Namespace) -> tuple[float, float]:
    """Seconds on a quiet machine, and at most on a busy one (every round waits out --quiet-wait and is
    measured 1 + --retries times)."""
    per_run = args.duration + 2.5  # the wait for quiet, signing, wrk's start and the reading of the answers
    total = worst = 0.0
    for name in args.target_list:
        target = TARGETS[name]
        runs = len(workloads_for(target, args.workload_list))
        quiet = 8 + runs * (args.warmup + 1 + args.rounds * per_run)
        if target.worker:
            quiet += runs * (args.rounds + 1) * args.duration  # the worker catching up after each run, roughly
        total += quiet
        worst += quiet + runs * args.rounds * ((1 + args.retries) * (args.quiet_wait + per_run) - per_run)
    return total, worst


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Signed POST /v1/events accepted per second, embedded default and Redis (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated subset of: {', '.join(TARGETS)}")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated subset of: batch, single, healthz"
    )
    parser.add_argument("--batch-size", type=int, default=10, help="events per request in the batch workload")
    harness.add_load_options(parser)
    parser.add_argument(
        "--max-rate", type=int, default=6000, help="requests/s the warm-up is signed for (and a run's cap x4)"
    )
    parser.add_argument("--drain-timeout", type=float, default=300, help="longest wait for the worker to catch up")
    harness.add_machine_options(parser)
    parser.add_argument(
        "--pin-redis",
        action="store_true",
        help="pin the local redis-server to the load CPU during the Redis targets (it is shared: off by default)",
    )
    parser.add_argument("--database", default="storegraph_bench_tracking", help="scratch database (dropped!)")
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        help="Redis URL (default: $REDIS_URL, else local)",
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the SQLite files under bench/results/")
    args = parser.parse_args(argv)
    args.target_list = [name.strip() for name in args.targets.split(",") if name.strip()]
    args.workload_list = [name.strip() for name in args.workloads.split(",") if name.strip()]
    if not args.target_list or any(name not in TARGETS for name in args.target_list):
        parser.error(f"--targets: choose from {', '.join(TARGETS)}")
    if not args.workload_list or any(name not in WORKLOADS for name in args.workload_list):
        parser.error(f"--workloads: choose from {', '.join(WORKLOADS)}")
    if args.rounds < 1 or args.duration <= 0 or args.connections < args.threads or args.threads < 1:
        parser.error("need --rounds >= 1, --duration > 0 and --connections >= --threads >= 1")
    if args.duration + args.warmup > TOLERANCE_SECONDS - 60:
        parser.error(f"a run must end well within the {TOLERANCE_SECONDS} s signature tolerance: shorten --duration")
    if not 1 <= args.batch_size <= 100:
        parser.error("--batch-size must be 1 to 100 (the endpoint's limit)")
    args.profile = False  # harness.check_tools asks
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in CONTROLLED_ENV:
        os.environ.pop(name, None)
    _check_local(args.pg, "--pg")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    harness.check_tools(args)
    needs_redis = any(TARGETS[name].backend == "redis" for name in args.target_list)
    client = None
    if needs_redis:
        _check_local(args.redis, "--redis")
        client = redis.Redis.from_url(args.redis)
        try:
            client.ping()
        except redis.RedisError as error:
            raise BenchError(f"Redis at {args.redis} does not answer: {error}") from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tag = secrets.token_hex(4)
    run_dir = RESULTS_DIR / f"tracking-{stamp}"
    quiet, worst = estimate_seconds(args)
    say(
        f"targets {', '.join(args.target_list)}; workloads {', '.join(args.workload_list)}; about "
        f"{quiet / 60:.1f} min on a quiet machine, at most about {worst / 60:.0f} min on a busy one "
        f"(--quiet-wait {args.quiet_wait:g} s before each round, --retries {args.retries})"
    )
    results: dict[str, Any] = {}
    started = time.monotonic()
    try:
        for name in args.target_list:
            results[name] = measure_target(TARGETS[name], args, run_dir, tag, client)
    finally:
        harness.stop_all()
        if not args.keep_data:
            shutil.rmtree(run_dir, ignore_errors=True)
        if client is not None:
            client.close()

    main_table, scale_table, worker_table = tables(results)
    step(
        "signed POST /v1/events accepted (median of rounds; 202/s = accepted requests per second; / ceiling = "
        "storegraph / the raw ceiling on the same backend; / healthz = / GET /healthz of storegraph on that backend)"
    )
    say(main_table)
    if scale_table:
        say("\nscale: GET /healthz of the same storegraph server (median of rounds):")
        say(scale_table)
    if worker_table:
        say("\nembedded worker (median of rounds): jobs still queued when a round ended, and its pace catching up:")
        say(worker_table)
    checks = verification_table(results)
    say("\nverification (every id answered in a 202 must be stored; unanswered = stored, answer not read):")
    say(checks)
    elapsed = time.monotonic() - started
    say(f"\nmeasured in {elapsed / 60:.1f} min")

    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            key: getattr(args, key)
            for key in (
                "target_list",
                "workload_list",
                "batch_size",
                "rounds",
                "duration",
                "warmup",
                "connections",
                "threads",
                "server_cpu",
                "load_cpu",
                "pin_postgres",
                "pin_redis",
                "database",
            )
        },
        "storegraph_env": {**harness.UNLIMITED, "EMBEDDED_WORKER": "per target", "JOB_QUEUE": "per target"},
        "environment": harness.environment(),
        "elapsed_s": round(elapsed, 1),
        "table": main_table,
        "scale_table": scale_table,
        "worker_table": worker_table,
        "verification_table": checks,
        "targets": results,
    }
    encoded = json.dumps(report, indent=2) + "\n"
    (RESULTS_DIR / "tracking_latest.json").write_text(encoded)
    (RESULTS_DIR / f"tracking-run-{stamp}.json").write_text(encoded)
    say(f"written: {(RESULTS_DIR / 'tracking_latest.json').relative_to(ROOT)} (and tracking-run-{stamp}.json)")
    void = [name for name, entry in results.items() if not entry["verification"]["ok"]]
    if void:
        for name in void:
            say(f"VOID {name}: {'; '.join(results[name]['verification']['problems'])}")
        return 1
    return 0


if __name__ == "__main__":
    harness.run_script(main)
