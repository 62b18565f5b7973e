"""The share of storegraph's requests that took the compiled path, read from bench/counted_storegraph.py."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from harness.common import RESULTS_DIR, BenchError
from harness.servers import Server

COUNTS_FILE = RESULTS_DIR / "compiled_counts.json"
COUNTS_FILE_ENV = "BENCH_COUNTS_FILE"  # where bench/counted_storegraph.py writes them
WAYS = ("compiled", "fell_back", "not_covered")


def _read(path: Path) -> dict[str, int] | None:
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        counts: dict[str, int] = json.loads(path.read_text())
        return counts
    return None


def forget_counts() -> None:
    """A new server process numbers its snapshots from 1: an earlier process's file must not be read as its own."""
    COUNTS_FILE.unlink(missing_ok=True)


def snapshot(server: Server, timeout: float = 10.0) -> dict[str, int]:
    """The server's counts now: it writes them when signalled (SIGUSR1)."""
    if server.process is None:
        raise BenchError(f"{server.name} is not running: no compiled-path counts")
    expected = ((_read(COUNTS_FILE) or {}).get("snapshot", 0)) + 1
    os.kill(server.process.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while True:
        counts = _read(COUNTS_FILE)
        if counts is not None and counts["snapshot"] >= expected:
            return counts
        if time.monotonic() > deadline:
            raise BenchError(f"{server.name} wrote no compiled-path counts to {COUNTS_FILE} in {timeout:g} s")
        time.sleep(0.01)


def difference(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {way: after[way] - before[way] for way in WAYS}


def share(runs: list[dict[str, int]]) -> dict[str, Any]:
    """The measured runs' requests by way, and the share answered by a plan (None without requests)."""
    totals = {way: sum(run[way] for run in runs) for way in WAYS}
    answered = sum(totals.values())
    return {**totals, "share": totals["compiled"] / answered if answered else None}
