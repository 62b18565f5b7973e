"""Command-line options shared by the benchmark scripts."""

from __future__ import annotations

import argparse


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """How each target is loaded: rounds, their length and wrk's settings (shared with tracking_throughput.py)."""
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per workload and target")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured round")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load before the rounds")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (and the baseline's pool size)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=10, help="wrk request timeout, seconds")


def add_machine_options(parser: argparse.ArgumentParser) -> None:
    """Pinning, waiting for quiet, and the PostgreSQL server (shared with tracking_throughput.py)."""
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU the measured server is pinned to")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU wrk is pinned to")
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=15,
        help="before each round, wait until other processes use less than this %% of either benchmark CPU",
    )
    parser.add_argument("--quiet-wait", type=float, default=60, help="longest wait for quiet, seconds")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="times a round is measured again when other processes took >= --quiet-threshold %% of the server CPU",
    )
    parser.add_argument(
        "--no-pin-postgres",
        dest="pin_postgres",
        action="store_false",
        help="do not pin the benchmark database's PostgreSQL backends to the load CPU",
    )
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
