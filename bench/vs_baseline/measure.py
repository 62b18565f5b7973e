"""Both servers: the equality check of their answers, then their measured rounds, interleaved."""

from __future__ import annotations

import argparse
from typing import Any

import orjson
from harness.common import BENCH_DIR, HOST, BenchError, executable, say, step
from harness.machine import pin_postgres, wait_until_quiet
from harness.servers import UNLIMITED, Probe, Server, running, send_request
from harness.wrk import median_figures, run_wrk

from vs_baseline.compiled_share import COUNTS_FILE, COUNTS_FILE_ENV, difference, forget_counts, share, snapshot
from vs_baseline.workloads import Answer, State, Workload

STOREGRAPH_PORT = 8101
BASELINE_PORT = 8102


def servers_for(state: State, args: argparse.Namespace) -> tuple[Server, Server]:
    pin = ["taskset", "-c", str(args.server_cpu)]
    uvicorn = executable("uvicorn")
    common = ["--host", HOST, "--no-access-log", "--log-level", "warning"]
    storegraph = Server(
        name="storegraph",
        port=STOREGRAPH_PORT,
        # storegraph.app:create_app, wrapped only to report its compiled-path counts when signalled.
        command=[
            *pin,
            uvicorn,
            "--app-dir",
            str(BENCH_DIR),
            "counted_storegraph:create_app",
            "--factory",
            "--port",
            str(STOREGRAPH_PORT),
            *common,
        ],
        env={"DATABASE_URL": state.database_url, **UNLIMITED, COUNTS_FILE_ENV: str(COUNTS_FILE)},
        ready_path="/healthz",
        headers={"Authorization": f"Bearer {state.key}"},
    )
    baseline = Server(
        name="baseline",
        port=BASELINE_PORT,
        command=[
            *pin,
            uvicorn,
            "--app-dir",
            str(BENCH_DIR),
            "baseline_app:app",
            "--port",
            str(BASELINE_PORT),
            *common,
        ],
        env={
            "BENCH_PG_DSN": state.dsn,
            "BENCH_STORE_ID": str(state.store_id),
            "BENCH_POOL_SIZE": str(args.connections),
        },
        ready_path="/healthz",
        headers={},
    )
    return storegraph, baseline


def check_same_data(
    servers: dict[str, Server], workloads: list[Workload], probes: dict[str, list[Probe]], state: State
) -> dict[str, Any]:
    """Both servers must return the same ``data`` for every workload; otherwise the comparison is void."""
    step("checking that storegraph and the baseline return the same data")
    sizes: dict[str, Any] = {}
    for workload in workloads:
        answers: dict[str, Answer] = {}
        for probe in probes[workload.name]:
            status, raw = send_request(servers[probe.server], probe)
            what = f"{probe.label} answered {status} to the {workload.name} workload ({probe.method} {probe.path})"
            if status != probe.status:
                raise BenchError(f"{what}:\n{raw.decode(errors='replace')[:4000]}")
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise BenchError(f"{probe.label} answered non-JSON: {raw[:2000]!r}") from None
            if (
                not isinstance(payload, dict)
                or payload.get("errors")
                or payload.get("error")
                or not isinstance(payload.get("data"), dict)
            ):
                raise BenchError(f"{what} with errors or without data:\n{raw.decode(errors='replace')[:4000]}")
            answers[probe.key] = Answer(status, raw, payload)
        summary = workload.check(answers, state)
        identical = len({answer.raw for answer in answers.values()}) == 1
        sizes[workload.name] = {key: len(answer.raw) for key, answer in answers.items()}
        say(
            f"{workload.name:9} same data ({summary}); bodies "
            f"{' / '.join(str(len(answer.raw)) for answer in answers.values())} bytes"
            f" ({' / '.join(answers)}){', byte-identical' if identical else ''}"
        )
    return sizes


def measure(
    servers: dict[str, Server],
    workloads: list[Workload],
    probes: dict[str, list[Probe]],
    state: State,
    args: argparse.Namespace,
) -> dict[str, dict[str, Any]]:
    """Per workload, the figures of each of its probes (by probe key), both servers running throughout.

    Only one server is loaded at a time (both are pinned to the server CPU; an idle uvicorn uses next to none of
    it). Per workload: a warm-up of every probe, then round by round every probe in turn, in alternating order
    (A B C, C B A, ...): the VM's speed drifts from minute to minute, and interleaved rounds let the drift touch
    storegraph and the baseline alike, so that each round's pair gives a ratio of its own.
    """
    step(
        f"measuring storegraph and the baseline round by round in turn (both running, pinned to CPU"
        f" {args.server_cpu}, one loaded at a time; wrk on CPU {args.load_cpu})"
    )
    measured: dict[str, dict[str, Any]] = {}
    forget_counts()  # before storegraph starts: its snapshots are numbered from 1
    with running(*servers.values()):
        for workload in workloads:
            mine = probes[workload.name]
            if args.warmup > 0:
                for probe in mine:
                    server, idle = _loaded_and_idle(servers, probe)
                    # The backends a warm-up opens are pinned too, so that its CPU figures are the rounds' kind.
                    pin_postgres(state.dsn, state.database, args)
                    warm = run_wrk(server, probe, args, args.warmup, idle)
                    say(f"{probe.label:18} {workload.name:9} warm-up {args.warmup:g} s: {warm['rps']:9.1f} req/s")
            rounds: dict[str, list[dict[str, Any]]] = {probe.key: [] for probe in mine}
            for number in range(1, args.rounds + 1):
                # A B C, C B A, A B C, ...: none always runs first after the wait for quiet, or last.
                for probe in mine if number % 2 else mine[::-1]:
                    figures = _round(servers, probe, number, state, args)
                    rounds[probe.key].append(figures)
                    cpu = figures["cpu"]
                    say(
                        f"{probe.label:18} {workload.name:9} round {number}/{args.rounds}: {figures['rps']:9.1f} req/s"
                        f"  p50 {figures['p50_ms']:8.2f} ms  p99 {figures['p99_ms']:8.2f} ms"
                        f"  (server CPU {cpu['server_cpu_busy_pct']:.0f}% busy,"
                        f" {cpu['server_cpu_others_pct']:.0f}% others,"
                        f" {cpu.get('server_cpu_idle_servers_pct', 0):.0f}% idle server;"
                        f" load CPU {cpu['load_cpu_busy_pct']:.0f}%)"
                    )
            measured[workload.name] = {}
            for key, runs in rounds.items():
                figures = median_figures(runs)
                figures["max_idle_servers_pct"] = max(r["cpu"].get("server_cpu_idle_servers_pct", 0) for r in runs)
                ways = [r["compiled_path"] for r in runs if "compiled_path" in r]
                if ways:
                    figures["compiled_path"] = share(ways)
                measured[workload.name][key] = figures
    return measured


def _loaded_and_idle(servers: dict[str, Server], probe: Probe) -> tuple[Server, list[Server]]:
    """The server this probe loads, and the others, which stay idle meanwhile."""
    return servers[probe.server], [server for name, server in servers.items() if name != probe.server]


def _round(
    servers: dict[str, Server], probe: Probe, number: int, state: State, args: argparse.Namespace
) -> dict[str, Any]:
    """One measured round of one probe, measured again (up to --retries times) when other processes took the
    server CPU; storegraph's rounds carry their compiled-path counts."""
    server, idle = _loaded_and_idle(servers, probe)
    counted = server.name == "storegraph"  # the baseline has no compiled path
    for attempt in range(args.retries + 1):
        pinned = pin_postgres(state.dsn, state.database, args)
        background = wait_until_quiet(server, args, idle)
        before = snapshot(server) if counted else None
        figures = run_wrk(server, probe, args, args.duration, idle)
        if before is not None:
            figures["compiled_path"] = difference(before, snapshot(server))
        figures["background_before_pct"] = background
        figures["postgres_backends_pinned"] = pinned
        figures["discarded_before"] = attempt
        if figures["cpu"]["server_cpu_others_pct"] < args.quiet_threshold:
            break
        if attempt < args.retries:
            say(f"   discarding {probe.label} round {number}: other processes used the server CPU; measuring it again")
    return figures
