"""Schemathesis as an outside user runs it: a real `storegraph serve` process over a fresh database holding a demo
store, and `schemathesis run <url>/openapi.json` with every check and every phase, the stateful one included. The
run must report no failure.

The store and its keys come from the CLI, as a new user would make them (`storegraph demo`, `storegraph keys
create`). The server runs as `storegraph serve` does by default, with its job worker; on SQLite with nothing else
(the embedded default) and on PostgreSQL with Redis (the deployment at scale), so that both admission paths and
both databases meet the generated requests. Its one change from a default configuration: the enterprise plan has
no request limit, so that the run's pace cannot turn answers into 429s.

Schemathesis gets the platform key and the public key through its OpenAPI auth configuration
(tests/support/schemathesis.toml, which also fails the run on warnings that mean it tested less than it seems), so
that it knows them for credentials and checks that requests without them are refused, and the hooks of
tests/support/schemathesis_hooks.py: a fresh Idempotency-Key per write, the signature of the tracking endpoints,
webhook targets kept on loopback, the run's own keys never revoked, and the few refusals of schema-valid requests
that are right although no schema can predict them (a cursor the server did not sign, an order status step its
current status forbids, ...), each listed with its reason. The seed is fixed and schemathesis keeps no example
database, so that a run repeats; `--max-examples` bounds it to about a minute per backend. On failure the
assertion shows schemathesis's whole report.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis

from storegraph.platform.auth.scopes import ALL_SCOPES
from storegraph.settings import Settings
from tests.conftest import postgres_database
from tests.support import schemathesis_hooks
from tests.support.paths import REPO, SUPPORT
from tests.support.queues import REDIS_URL

SEED = 2026
MAX_EXAMPLES = 60
STARTUP_SECONDS = 60
RUN_TIMEOUT_SECONDS = 600
# Fewer requests than this means the run tested far less than it should have (an operation that could not be
# generated, a server that answered everything the same way): a pass that proves little is not a pass.
MIN_REQUESTS = 2000
UNLIMITED_ENTERPRISE = {
    "enterprise": {
        "requests_per_minute": None,
        "requests_per_month": None,
        "signups_per_month": None,
        "webhooks_per_month": None,
    }
}


@dataclass(frozen=True)
class Credentials:
    key: str
    key_id: int
    public_key: str
    public_key_id: int
    signing_secret: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(database_url: str, redis_prefix: str | None) -> dict[str, str]:
    """The process environment of the CLI and the server: this repository's code first on the path, and none of
    storegraph's settings inherited from the test run's own environment."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {name: value for name, value in os.environ.items() if name not in settings}
    env |= {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "schemathesis-secret",
        "PLANS": json.dumps(UNLIMITED_ENTERPRISE),
        # PostgreSQL's connections are shared with the rest of the suite.
        "DB_POOL_SIZE": "5",
        "LOG_LEVEL": "warning",
    }
    if redis_prefix is not None:
        env |= {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": redis_prefix}
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "storegraph.cli", *args], env=env, cwd=cwd, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    created: dict[str, Any] = json.loads(done.stdout)
    return created


def _make_store(env: dict[str, str], cwd: Path) -> Credentials:
    """A demo store (products, customers, orders to find), a platform key with every scope and a public key."""
    demo = _cli(["demo", "--customers", "20", "--orders", "40", "--products", "10", "--seed", str(SEED)], env, cwd)
    store = str(demo["store_id"])
    scopes = ",".join(scope.value for scope in ALL_SCOPES)
    platform = _cli(["keys", "create", "--store", store, "--scopes", scopes, "--name", "schemathesis"], env, cwd)
    public = _cli(["keys", "create", "--store", store, "--type", "public", "--name", "schemathesis"], env, cwd)
    return Credentials(platform["key"], platform["id"], public["key"], public["id"], public["signing_secret"])


@contextmanager
def _server(env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = cwd / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "storegraph.cli", "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, f"the server exited: {log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"the server did not start: {log.read_text(errors='replace')}"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _schemathesis(url: str, credentials: Credentials, cwd: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    report = cwd / "schemathesis.ndjson"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "SCHEMATHESIS_HOOKS": schemathesis_hooks.__name__,
        schemathesis_hooks.KEY_VARIABLE: credentials.key,
        schemathesis_hooks.PUBLIC_KEY_VARIABLE: credentials.public_key,
        schemathesis_hooks.SIGNING_SECRET_VARIABLE: credentials.signing_secret,
        schemathesis_hooks.KEEP_KEY_IDS_VARIABLE: f"{credentials.key_id},{credentials.public_key_id}",
    }
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(SUPPORT / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
        "--url",
        url,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False
    )
    return done, report


def _requests_sent(report: Path) -> int:
    """Every request of the run, the checks' own probes included, from schemathesis's NDJSON event log."""
    sent = 0
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "ScenarioFinished" in event:
            sent += len(event["ScenarioFinished"]["recorder"].get("interactions", {}))
    return sent


@asynccontextmanager
async def _database(backend: str, tmp_path: Path) -> AsyncIterator[tuple[str, str | None]]:
    """A fresh database, and on PostgreSQL a Redis prefix of the run's own (removed afterwards)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'storegraph.db'}", None
        return
    prefix = f"test:schemathesis:{uuid4().hex}:"
    try:
        async with postgres_database("storegraph_schemathesis") as url:
            yield url, prefix
    finally:
        client = Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@dataclass(frozen=True)
class Outcome:
    done: subprocess.CompletedProcess[str]
    requests: int
    seconds: float
    server_log: str


def _run(database_url: str, redis_prefix: str | None, workdir: Path) -> Outcome:
    env = _environment(database_url, redis_prefix)
    credentials = _make_store(env, workdir)
    with _server(env, workdir) as url:
        started = time.monotonic()
        done, report = _schemathesis(url, credentials, workdir)
        seconds = time.monotonic() - started
    requests = _requests_sent(report) if report.exists() else 0
    return Outcome(done, requests, seconds, (workdir / "server.log").read_text(errors="replace"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_schemathesis_with_every_check_and_phase_finds_no_failure(backend: str, tmp_path: Path) -> None:
    async with _database(backend, tmp_path) as (database_url, redis_prefix):
        # The processes are waited for in a thread: the test's event loop is the session's.
        outcome = await asyncio.to_thread(_run, database_url, redis_prefix, tmp_path)

    summary = f"schemathesis on {backend}: {outcome.requests} requests in {outcome.seconds:.0f} s"
    print(summary)
    report = f"{summary}\n{outcome.done.stdout}\n{outcome.done.stderr}"
    assert outcome.done.returncode == 0, f"{report}\n--- server log ---\n{outcome.server_log}"
    assert outcome.requests >= MIN_REQUESTS, report
