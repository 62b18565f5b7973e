"""Measuring a tracking target: signed wrk runs, rounds, and the embedded worker catching up."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from harness.common import HOST, BenchError, say, step
from harness.machine import CpuWatch, pin_postgres, process_ticks, wait_until_quiet
from harness.servers import Probe, log_tail, running, stop
from harness.wrk import median_figures, parse_wrk, run_wrk, wrk_command

from tracking.signing import Ledger, Signer
from tracking.targets import EVENTS_PATH, EVENTS_SCRIPT, Setup, Target, cleanup, pending_jobs, prepare, workloads_for
from tracking.verify import preflight, verify


def redis_pid(client: redis.Redis | None) -> int | None:
    if client is None:
        return None
    with contextlib.suppress(redis.RedisError, KeyError, ValueError):
        pid = int(client.info("server")["process_id"])
        if Path(f"/proc/{pid}/stat").exists():
            return pid
    return None


def process_share(pid: int | None, ticks_before: int, seconds: float) -> float | None:
    if pid is None or seconds <= 0:
        return None
    ticks = process_ticks(pid) - ticks_before
    return round(100 * ticks / (os.sysconf("SC_CLK_TCK") * seconds), 1)


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
    command = wrk_command(args, duration, EVENTS_SCRIPT, f"http://{HOST}:{setup.server.port}{EVENTS_PATH}")
    env = {**os.environ, "BENCH_REQUESTS_FILE": str(prefix), "BENCH_RESPONSES_FILE": str(responses)}
    server_pid = setup.server.process.pid if setup.server.process else None
    watch = CpuWatch(args.server_cpu, args.load_cpu, server_pid)
    rpid = redis_pid(setup.client) if setup.target.backend == "redis" else None
    redis_ticks = process_ticks(rpid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child that ends meanwhile
    started = time.monotonic()
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 180, check=False)
    finally:
        for thread in range(args.threads):
            Path(f"{prefix}.{thread}").unlink(missing_ok=True)
    elapsed = time.monotonic() - started
    usage = watch.read()
    usage["redis_server_cpu_pct"] = process_share(rpid, redis_ticks, elapsed)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    usage["wrk_cpu_pct"] = round(100 * wrk_cpu / elapsed, 1)
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if setup.server.process is not None and setup.server.process.poll() is not None:
        raise BenchError(f"{setup.server.name} died under load:\n{log_tail(setup.server)}")
    figures = parse_wrk(result.stdout)
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
    figures = median_figures(rounds)
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
    probe = Probe("healthz", "healthz", setup.target.name, setup.server.name, "GET", "/healthz")
    events = args.batch_size if workload == "batch" else 1
    estimate = float(args.max_rate)

    def run_once(duration: float, *, warm: bool = False) -> dict[str, Any]:
        nonlocal estimate
        if workload == "healthz":
            figures: dict[str, Any] = run_wrk(setup.server, probe, args, duration)
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
            # Only the Redis targets have a scratch PostgreSQL database.
            pinned = pin_postgres(setup.dsn, setup.database, args) if setup.dsn and setup.database else 0
            background = wait_until_quiet(setup.server, args)
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
        with redis_pinned(client if target.backend == "redis" else None, args), running(setup.server):
            preflight(setup, signer, ledger, client)
            for workload in workloads_for(target, args.workload_list):
                results[workload] = measure_workload(setup, signer, ledger, workload, args)
        verification = verify(setup, ledger, client)
    finally:
        stop(setup.server)
        cleanup(setup, args, client)
    verdict = "verified" if verification["ok"] else "VOID: " + "; ".join(verification["problems"])
    say(
        f"{target.name}: {verification['answered_requests']} requests answered 202 with "
        f"{verification['answered_events']} event ids; {verdict}"
    )
    return {"title": target.title, "workloads": results, "verification": verification}
