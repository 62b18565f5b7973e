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
import json
import os
import secrets
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from harness.common import RESULTS_DIR, ROOT, BenchError, check_tools, say, step
from harness.options import add_load_options, add_machine_options
from harness.report import environment
from harness.servers import UNLIMITED, run_script, stop_all
from tracking.measure import measure_target
from tracking.report import tables, verification_table
from tracking.targets import CONTROLLED_ENV, TARGETS, TOLERANCE_SECONDS, WORKLOADS, check_local, workloads_for


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
    add_load_options(parser)
    parser.add_argument(
        "--max-rate", type=int, default=6000, help="requests/s the warm-up is signed for (and a run's cap x4)"
    )
    parser.add_argument("--drain-timeout", type=float, default=300, help="longest wait for the worker to catch up")
    add_machine_options(parser)
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
    args.profile = False  # harness.common.check_tools asks
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in CONTROLLED_ENV:
        os.environ.pop(name, None)
    check_local(args.pg, "--pg")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    check_tools(args)
    needs_redis = any(TARGETS[name].backend == "redis" for name in args.target_list)
    client = None
    if needs_redis:
        check_local(args.redis, "--redis")
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
        stop_all()
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
        "storegraph_env": {**UNLIMITED, "EMBEDDED_WORKER": "per target", "JOB_QUEUE": "per target"},
        "environment": environment(),
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
    run_script(main)
