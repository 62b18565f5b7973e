"""Real storegraph processes for the end-to-end tests (a worker killed mid-batch, the scaled-out deployment): each
started with a log of its own, their logs in every failure message, none outliving its test; bounded waits that
fail as soon as a watched process exits; and the webhook receiver whose deliveries are in flight when a kill lands.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.paths import REPO
from tests.webhooks.test_webhook_delivery_support import Answer, Received, Receiver


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Processes:
    """Every process the test started, so that the failure messages carry their logs and none outlives the test."""

    directory: Path
    env: dict[str, str]
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> Process:
        log = self.directory / f"{name}.log"
        with log.open("wb") as output:  # the child keeps its own copy of the descriptor
            popen = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=output, stderr=output)
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def logs(self, tail: int = 6000) -> str:
        parts = []
        for process in self.started:
            state = "running" if process.alive() else f"exited with {process.popen.returncode}"
            parts.append(
                f"--- {process.name} ({state}), last {tail} characters of its log ---\n{process.text()[-tail:]}"
            )
        return "\n".join(parts)

    def stop_all(self) -> None:
        for process in self.started:
            if process.alive():
                process.popen.terminate()
        for process in self.started:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=10)


@contextmanager
def running(processes: Processes) -> Iterator[Processes]:
    try:
        yield processes
    finally:
        processes.stop_all()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def storegraph_command(*args: str) -> list[str]:
    """``storegraph <args>``: the console script of this interpreter's environment (pyproject's [project.scripts])."""
    script = Path(sys.executable).with_name("storegraph")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "storegraph.cli", *args]


async def until(
    condition: Callable[[], Awaitable[bool]],
    what: str,
    processes: Processes,
    watched: list[Process],
    seconds: float,
    describe: Callable[[], Awaitable[str]] | None = None,
) -> None:
    """Waits until ``condition()`` holds; fails with every process's log if a watched one exits or time runs out."""
    deadline = time.monotonic() + seconds
    while not await condition():
        for process in watched:
            if not process.alive():
                raise AssertionError(f"{process.name} exited while waiting for {what}\n{processes.logs()}")
        if time.monotonic() > deadline:
            state = await describe() if describe is not None else ""
            raise AssertionError(f"{what}: not within {seconds} s. {state}\n{processes.logs()}")
        await asyncio.sleep(0.02)


class SlowReceiver(Receiver):
    """tests/webhooks/test_webhook_delivery_support.py's receiver (it records each request before it answers),
    answering every request 200 after ``delay`` seconds: a worker killed meanwhile has sent it but not logged it."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def _answer(self, event: str | None) -> Answer:
        return Answer(delay=self.delay)


@asynccontextmanager
async def slow_receiver(delay: float) -> AsyncIterator[SlowReceiver]:
    server = SlowReceiver(delay)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def is_torn(request: Received) -> bool:
    """A request cut short: its sender sent the headers, then died before the whole body (a SIGKILL mid-send). No
    receiver takes it for a delivery (Express's body parser fails it as "request aborted"), nor do the tests."""
    return len(request.body) < int(request.headers.get("content-length") or 0)


def whole(requests: list[Received]) -> list[Received]:
    return [request for request in requests if not is_torn(request)]
