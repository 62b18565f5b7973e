"""wrk runs pinned to the load CPU, their parsing and their medians."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.common import RESULTS_DIR, WRK_SCRIPT, BenchError, say
from harness.machine import CpuWatch, server_pids
from harness.servers import Probe, Server, log_tail, send_request

_UNIT_US = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0, "m": 60_000_000.0}


def _latency_us(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(text)
    return float(match.group(1)) * _UNIT_US[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles and errors from wrk's report and the BENCH_JSON line of request.lua."""
    marker = re.search(r"^BENCH_JSON (\{.*\})$", output, re.MULTILINE)
    if marker is None:
        raise BenchError(f"wrk output has no BENCH_JSON line (is bench/request.lua in use?):\n{output}")
    detail: dict[str, Any] = json.loads(marker.group(1))
    rps_match = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    duration_s = detail["duration_us"] / 1e6
    rps = float(rps_match.group(1)) if rps_match else detail["requests"] / duration_s
    printed = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE))
    latency = detail["latency_us"]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "requests": detail["requests"],
        "duration_s": round(duration_s, 3),
        "bytes_per_response": round(detail["bytes"] / detail["requests"]) if detail["requests"] else 0,
        # The Lua script's exact figures; wrk's --latency table (rounded) is kept as printed for reference.
        "p50_ms": latency["p50"] / 1000,
        "p90_ms": latency["p90"] / 1000,
        "p99_ms": latency["p99"] / 1000,
        "mean_ms": latency["mean"] / 1000,
        "max_ms": latency["max"] / 1000,
        "wrk_latency_distribution_ms": {k: round(_latency_us(v) / 1000, 3) for k, v in printed.items()},
        "errors": {**detail["errors"], "non_2xx": int(non_2xx.group(1)) if non_2xx else 0},
    }


def body_file(probe: Probe) -> Path:
    return RESULTS_DIR / f"body_{probe.workload}_{probe.key}.json"


def wrk_command(args: argparse.Namespace, duration: float, script: Path, url: str) -> list[str]:
    """wrk pinned to the load CPU, with the run's threads, connections and timeout, driven by ``script``."""
    return [
        "taskset",
        "-c",
        str(args.load_cpu),
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        f"--timeout={args.timeout:g}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]


def run_wrk(
    server: Server, probe: Probe, args: argparse.Namespace, duration: float, idle: Sequence[Server] = ()
) -> dict[str, Any]:
    """One wrk run against ``server``; ``idle``: the benchmark's other servers, running but not loaded (their CPU
    use is reported apart from other processes')."""
    command = wrk_command(args, duration, WRK_SCRIPT, server.url(probe))
    env = {**os.environ, "BENCH_KEY": server.headers.get("Authorization", "").removeprefix("Bearer ")}
    # request.lua POSTs when it is given a body file, and GETs otherwise.
    env.pop("BENCH_BODY_FILE", None)
    env.pop("BENCH_UNIQUE", None)
    if probe.body is not None:
        env["BENCH_BODY_FILE"] = str(body_file(probe))
    if probe.unique:
        env["BENCH_UNIQUE"] = secrets.token_hex(6)  # this run's part of every Idempotency-Key
    watch = CpuWatch(args.server_cpu, args.load_cpu, server.process.pid if server.process else None, server_pids(idle))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 120)
    usage = watch.read()
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if server.process is not None and server.process.poll() is not None:
        raise BenchError(f"{server.name} died under load:\n{log_tail(server)}")
    figures = parse_wrk(result.stdout)
    errors = figures["errors"]
    if errors["status"] or errors["non_2xx"]:
        status, answer = send_request(server, probe)
        raise BenchError(
            f"{probe.label} answered non-2xx under load ({errors}); a request now gives {status}:\n"
            f"{answer.decode(errors='replace')[:2000]}\n\nwrk said:\n{result.stdout}"
        )
    if any(errors[kind] for kind in ("connect", "read", "write", "timeout")):
        say(f"   warning: socket errors {errors} (see wrk output in latest.json)")
    figures["cpu"] = usage
    if usage["server_cpu_others_pct"] >= args.quiet_threshold:
        say(f"   warning: other processes took {usage['server_cpu_others_pct']:.0f}% of the server CPU in this run")
    figures["wrk_output"] = result.stdout
    return figures


def median_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps": statistics.median(r["rps"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "bytes_per_response": rounds[0]["bytes_per_response"],
        "server_cpu_busy_pct": statistics.median(r["cpu"]["server_cpu_busy_pct"] for r in rounds),
        "load_cpu_busy_pct": statistics.median(r["cpu"]["load_cpu_busy_pct"] for r in rounds),
        "max_interference_pct": max(r["cpu"]["server_cpu_others_pct"] for r in rounds),
        "rounds": rounds,
    }
