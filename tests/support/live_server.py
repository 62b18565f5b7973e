"""A real ``uvicorn`` API process on a free port, for the tests that need one (several processes, a browser)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

# Generous: on a loaded 2-core machine an interpreter takes tens of seconds to import the app.
STARTUP_SECONDS = 120


def start_api(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "storegraph.app:create_app", "--factory", "--port", str(port)]
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([*command, "--log-level", "warning"], env=env, stdout=output, stderr=output)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"API process exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"API process at {url} did not start in {STARTUP_SECONDS} s")
