"""Benchmark storegraph against a raw Starlette + asyncpg handler on the same data, in the same run.

    .venv/bin/python bench/run.py [--rounds 3 --duration 10 --connections 32 \
        --customers 5000 --orders 50000 --skip-load --profile \
        --workloads nested,list,one,rest_list,rest_one,create_product]

See bench/README.md for what is measured and how to read the output. In short:

1. (unless --skip-load) recreate the PostgreSQL database ``storegraph_bench``, fill it with
   ``storegraph demo``, give the first page's customers 5 orders each and VACUUM ANALYZE it; the store id and
   key go to bench/results/state.json.
2. Start both servers (pinned to the server CPU), check that they return the same ``data`` for every
   workload (fail loudly with a diff otherwise), stop them.
3. Start both servers again (pinned to the server CPU; only one is loaded at a time, the other idles). For each
   workload: a wrk warm-up of every request it measures, then ``--rounds`` rounds, each running every request
   one after the other with wrk pinned to the load CPU, in alternating order (A B C, C B A, ...): the
   storegraph ``/graphql`` request and the baseline's, or for ``rest_list`` and ``rest_one`` storegraph's
   ``GET /v1/customers`` (or ``/v1/customers/{id}``), the same operation on its ``/graphql`` and the baseline's
   route. The VM's drift from minute to minute so touches both servers alike, and each round's pair gives a
   ratio of its own (printed and kept with the medians' ratio). Stop the servers.
4. Print the tables (median req/s, ratios, p50/p99, the share of storegraph's requests answered by a compiled
   plan) and write bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.common import RESULTS_DIR, ROOT, check_tools, say, step
from harness.options import add_load_options, add_machine_options
from harness.report import environment
from harness.servers import UNLIMITED, run_script, running
from harness.wrk import body_file
from vs_baseline.data import prepare_state
from vs_baseline.measure import check_same_data, measure, servers_for
from vs_baseline.profile import profile
from vs_baseline.report import cpu_table, rest_table, table
from vs_baseline.workloads import REST_ROWS, WORKLOADS, Workload, rest_row


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark storegraph against a raw Starlette + asyncpg handler (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_load_options(parser)
    parser.add_argument("--customers", type=int, default=5000, help="demo customers (when loading)")
    parser.add_argument("--orders", type=int, default=50000, help="demo orders (when loading)")
    parser.add_argument("--products", type=int, default=200, help="demo products (when loading)")
    parser.add_argument("--skip-load", action="store_true", help="reuse the database and key of state.json")
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of: {', '.join(WORKLOADS)}",
    )
    add_machine_options(parser)
    parser.add_argument("--database", default="storegraph_bench", help="database to (re)create and use")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, sample storegraph with py-spy on the first workload (extra, unmeasured run)",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown or not names:
        parser.error(f"--workloads: unknown {unknown}; choose from {', '.join(WORKLOADS)}")
    args.workload_list = [WORKLOADS[name] for name in names]
    if args.rounds < 1 or args.duration <= 0 or args.connections < args.threads or args.threads < 1:
        parser.error("need --rounds >= 1, --duration > 0 and --connections >= --threads >= 1")
    return args


def round_ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> list[float]:
    """req/s ours / theirs for each round: the two targets ran one after the other in every round."""
    return [mine["rps"] / other["rps"] for mine, other in zip(ours["rounds"], theirs["rounds"], strict=True)]


def ratios(values: list[float]) -> str:
    return ", ".join(f"{value:.3f}x" for value in values)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workloads: list[Workload] = args.workload_list
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    check_tools(args)
    for workload in workloads:
        if workload.kind == "rest":
            name = REST_ROWS[workload.name]
            step(f"compiling the REST row {name} (rest_compat/table.py) for its GraphQL document ({workload.name})")
            say(rest_row(name).document)
    state, counts = prepare_state(args)
    probes = {workload.name: workload.probes(state) for workload in workloads}
    for probe in (probe for listed in probes.values() for probe in listed if probe.body is not None):
        body_file(probe).write_bytes(probe.body or b"")
    storegraph, baseline = servers_for(state, args)
    servers = {server.name: server for server in (storegraph, baseline)}

    with running(storegraph, baseline):
        sizes = check_same_data(servers, workloads, probes, state)

    measured = measure(servers, workloads, probes, state, args)

    results: dict[str, Any] = {}
    for workload in workloads:
        figures = measured[workload.name]
        entry: dict[str, Any] = {
            "title": workload.title,
            "kind": workload.kind,
            **workload.describe(state),
            "requests": {probe.key: probe.describe() for probe in probes[workload.name]},
            "response_bytes": sizes[workload.name],
            **figures,
        }
        if workload.kind != "rest":  # one storegraph target against the baseline
            entry["ratio"] = figures["storegraph"]["rps"] / figures["baseline"]["rps"]
            # Each round measured both servers one after the other: a pair of about the same minute.
            entry["ratio_by_round"] = round_ratios(figures["storegraph"], figures["baseline"])
        else:
            rest, graphql, ceiling = figures["rest"], figures["graphql"], figures["baseline"]
            entry["ratio_rest_baseline"] = rest["rps"] / ceiling["rps"]
            entry["ratio_graphql_baseline"] = graphql["rps"] / ceiling["rps"]
            # What the /v1 layer costs over running the same operation on /graphql.
            entry["layer_overhead"] = 1 - rest["rps"] / graphql["rps"]
            entry["ratio_rest_baseline_by_round"] = round_ratios(rest, ceiling)
            entry["ratio_graphql_baseline_by_round"] = round_ratios(graphql, ceiling)
            # The REST and GraphQL rounds run in turn, so each pair ran about the same minute.
            entry["layer_overhead_by_round"] = [1 - ratio for ratio in round_ratios(rest, graphql)]
        results[workload.name] = entry

    graphql_workloads = [workload for workload in workloads if workload.kind != "rest"]
    rest_workloads = [workload for workload in workloads if workload.kind == "rest"]
    printed = rest_printed = ""
    if graphql_workloads:
        step(
            "results (median of rounds; ratio = storegraph / baseline; compiled path = share of storegraph's measured"
            " requests answered by a compiled plan)"
        )
        printed = table(results, graphql_workloads)
        say(printed)
        for workload in graphql_workloads:
            paired = ratios(results[workload.name]["ratio_by_round"])
            say(f"{workload.name}: ratio by round (storegraph / baseline, measured in turn): {paired}")
    if rest_workloads:
        step(
            "REST layer (median of rounds; REST = GET /v1 on storegraph, GraphQL = the same operation on its "
            "/graphql, base = the baseline's GET /v1; layer overhead = 1 - REST req/s / GraphQL req/s, "
            "target under 15%)"
        )
        rest_printed = rest_table(results, rest_workloads)
        say(rest_printed)
        for workload in rest_workloads:
            by_round = ", ".join(f"{100 * value:.1f}%" for value in results[workload.name]["layer_overhead_by_round"])
            say(f"{workload.name}: layer overhead by round (REST and GraphQL measured in turn): {by_round}")
            entry = results[workload.name]
            say(f"{workload.name}: REST / base by round: {ratios(entry['ratio_rest_baseline_by_round'])}")
            say(f"{workload.name}: GraphQL / base by round: {ratios(entry['ratio_graphql_baseline_by_round'])}")
    say("\nCPU use during the measured rounds (median; sg = storegraph, base = baseline, gql = GraphQL):")
    cpu_printed = cpu_table(results, workloads, probes)
    say(cpu_printed)

    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "server_cpu": args.server_cpu,
            "load_cpu": args.load_cpu,
            "postgres_backends_pinned_to_load_cpu": args.pin_postgres,
            "database": state.database,
            "store_id": state.store_id,
            "rows": counts,
            "storegraph_env": {**UNLIMITED, "REDIS_URL set": bool(os.environ.get("REDIS_URL"))},
        },
        "environment": environment(),
        "table": printed,
        "rest_table": rest_printed,
        "cpu_table": cpu_printed,
        "workloads": results,
    }
    if args.profile:
        first = next(probe for probe in probes[workloads[0].name] if probe.server == storegraph.name)
        report["profile"] = profile(storegraph, first, state, args)
    encoded = json.dumps(report, indent=2) + "\n"
    (RESULTS_DIR / "latest.json").write_text(encoded)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"run-{stamp}.json").write_text(encoded)
    say(f"\nwritten: {(RESULTS_DIR / 'latest.json').relative_to(ROOT)} (and run-{stamp}.json)")
    return 0


if __name__ == "__main__":
    run_script(main)
