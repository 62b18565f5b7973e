"""Paths, messages, failures and tools shared by the benchmark scripts."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # bench/harness/common.py -> the repository
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
STATE_FILE = RESULTS_DIR / "state.json"
WRK_SCRIPT = BENCH_DIR / "request.lua"
VENV_BIN = Path(sys.executable).parent

HOST = "127.0.0.1"


class BenchError(Exception):
    """A failure that ends the run with a clear message (and exit status 1)."""


def say(message: str) -> None:
    print(message, flush=True)


def step(message: str) -> None:
    say(f"\n== {message}")


def check_tools(args: argparse.Namespace) -> None:
    if shutil.which("taskset") is None:
        raise BenchError("taskset is not installed (Debian: apt-get install util-linux); it pins server and load")
    cpus = os.sched_getaffinity(0)
    for option, cpu in (("--server-cpu", args.server_cpu), ("--load-cpu", args.load_cpu)):
        if cpu not in cpus:
            raise BenchError(f"{option} {cpu} is not a CPU this process may use (available: {sorted(cpus)})")
    if args.server_cpu == args.load_cpu:
        say(f"warning: server and load share CPU {args.server_cpu}; figures will not compare with the peers'")
    if shutil.which("wrk") is None:
        say("wrk is not installed.")
        if os.geteuid() == 0 and shutil.which("apt-get"):
            say("installing it: apt-get update && apt-get install -y wrk")
            subprocess.run(["apt-get", "update"], check=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        if shutil.which("wrk") is None:
            raise BenchError("wrk is required: install it (Debian: sudo apt-get install -y wrk) and re-run")
    if args.profile and not (VENV_BIN / "py-spy").exists() and shutil.which("py-spy") is None:
        raise BenchError(f"--profile needs py-spy: {VENV_BIN / 'pip'} install py-spy")


def executable(name: str) -> str:
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} not found next to {sys.executable} nor on PATH")
    return found
