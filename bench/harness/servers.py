"""Benchmark servers and the requests sent to them: each server started in its own process group, checked
ready, and stopped on every exit path."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from harness.common import HOST, RESULTS_DIR, ROOT, BenchError, say

UNIQUE_MARK = "{n}"  # bench/request.lua replaces it too


@dataclasses.dataclass(frozen=True)
class Probe:
    """One request of a workload, sent to one server and measured on its own."""

    workload: str
    key: str  # its figures' key in the results: "storegraph" / "baseline", or "rest" / "graphql" / "baseline"
    label: str  # how progress lines name it
    server: str  # "storegraph" or "baseline"
    method: str  # "GET", or "POST" with ``body`` (bench/request.lua sends either)
    path: str  # with the query string
    body: bytes | None = None
    # A write: every request gets its own Idempotency-Key, and UNIQUE_MARK in the body is replaced by it, so no
    # request replays another (bench/request.lua with BENCH_UNIQUE).
    unique: bool = False
    status: int = 200  # the status of a good answer
    # Headers of the equality check's request only, not of the measured ones (an X-Request-Id both servers quote).
    check_headers: tuple[tuple[str, str], ...] = ()

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"server": self.server, "method": self.method, "path": self.path}
        if self.body is not None:
            described["body"] = orjson.loads(self.body)
        if self.unique:
            described["unique"] = f"a fresh Idempotency-Key per request, also in place of {UNIQUE_MARK} in the body"
        if self.check_headers:
            described["equality_check_headers"] = dict(self.check_headers)
        return described

    def concrete(self) -> tuple[bytes | None, dict[str, str]]:
        """One request's body and extra headers (a fresh Idempotency-Key for a write)."""
        if not self.unique or self.body is None:
            return self.body, {}
        key = f"check-{secrets.token_hex(8)}"
        return self.body.replace(UNIQUE_MARK.encode(), key.encode()), {"Idempotency-Key": key}


@dataclasses.dataclass
class Server:
    name: str
    port: int
    command: list[str]
    env: dict[str, str]
    ready_path: str
    headers: dict[str, str]  # sent with every benchmark request
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def url(self, probe: Probe) -> str:
        return f"http://{HOST}:{self.port}{probe.path}"


RUNNING: list[Server] = []


# The benchmark measures the read path, not the limits: the demo store's plan (enterprise) gets no request limits
# and every key a query-cost bucket that never runs dry (a benchmark needs a plan without limits).
UNLIMITED = {
    "PLANS": '{"enterprise": {"requests_per_minute": null, "requests_per_month": null,'
    ' "signups_per_month": null, "webhooks_per_month": null}}',
    "COST_BUCKET_SIZE": str(2**31 - 1),
    "COST_RESTORE_RATE": str(2**31 - 1),
}


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def log_tail(server: Server, lines: int = 40) -> str:
    if server.log_path is None or not server.log_path.exists():
        return "(no log)"
    text = server.log_path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:]) or "(empty log)"


def start(server: Server, timeout: float = 60.0) -> None:
    if port_in_use(server.port):
        raise BenchError(f"port {server.port} is already in use; stop whatever listens there ({server.name})")
    server.log_path = RESULTS_DIR / f"{server.name}.log"
    log = server.log_path.open("wb")
    server.process = subprocess.Popen(
        server.command,
        cwd=ROOT,
        env={**os.environ, **server.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() can take everything it started
    )
    log.close()
    RUNNING.append(server)
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{server.port}{server.ready_path}"
    while True:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with status {server.process.returncode} while starting:\n{log_tail(server)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{server.name} not ready after {timeout:.0f} s:\n{log_tail(server)}")
        time.sleep(0.2)
    say(f"{server.name} ready on port {server.port} (pid {server.process.pid}, log {server.log_path})")


def stop(server: Server) -> None:
    process = server.process
    if process is None:
        return
    server.process = None
    if server in RUNNING:
        RUNNING.remove(server)
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def stop_all() -> None:
    for server in list(RUNNING):
        stop(server)


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        for server in servers:
            start(server)
        yield
    finally:
        for server in servers:
            stop(server)


def send_request(server: Server, probe: Probe) -> tuple[int, bytes]:
    body, extra = probe.concrete()
    headers = {"Accept": "application/json", **server.headers, **dict(probe.check_headers), **extra}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url(probe), data=body, method=probe.method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def run_script(main: Callable[[], int]) -> None:
    """A benchmark script's entry point: its servers are stopped however it ends (error, ^C, SIGTERM, SIGHUP)."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except BenchError as failure:
        print(f"\nbench failed: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        stop_all()
