"""`storegraph serve` on SIGTERM: the server stops taking connections but lets a request in flight finish and
answer before the process exits (uvicorn's graceful shutdown, with SHUTDOWN_TIMEOUT_SECONDS)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from storegraph.cli import HttpChoice, server_options
from storegraph.settings import Settings

REPO = Path(__file__).resolve().parents[2]
GUARD = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server never listened")


def test_serve_gives_requests_in_flight_the_shutdown_timeout():
    assert server_options(Settings(shutdown_timeout_seconds=12), HttpChoice.h11)["timeout_graceful_shutdown"] == 12


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return True
    return False


def test_a_request_in_flight_at_sigterm_completes_while_new_connections_are_refused_then_the_server_exits():
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.slow_server", str(port), "3"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(port, server)
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(httpx.get, f"http://127.0.0.1:{port}/slow", timeout=GUARD)
            assert server.stdout is not None
            assert server.stdout.readline().strip() == b"started"

            server.send_signal(signal.SIGTERM)
            refused = False
            while not answer.done() and not refused:
                refused = _refuses_connections(port)
            response = answer.result(timeout=GUARD)

        assert refused  # the listening socket closed while the request was still running
        assert (response.status_code, response.text) == (200, "done")
        # Once drained, uvicorn re-raises the signal it caught, so the process ends as SIGTERM says, not killed.
        assert server.wait(timeout=GUARD) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
