"""The result tables of bench/run.py."""

from __future__ import annotations

from typing import Any

from harness.report import render
from harness.servers import Probe

from vs_baseline.workloads import Workload


def table(results: dict[str, Any], workloads: list[Workload]) -> str:
    """The GraphQL workloads: storegraph's /graphql against the baseline."""
    header = (
        "workload",
        "storegraph req/s",
        "baseline req/s",
        "ratio",
        "storegraph p50 / p99 ms",
        "baseline p50 / p99 ms",
        "compiled path",
    )
    rows = [header]
    for workload in workloads:
        entry = results[workload.name]
        ours, ceiling = entry["storegraph"], entry["baseline"]
        rows.append(
            (
                workload.title,
                f"{ours['rps']:,.1f}",
                f"{ceiling['rps']:,.1f}",
                f"{entry['ratio']:.3f}x",
                _latency(ours),
                _latency(ceiling),
                compiled_share(ours),
            )
        )
    return render(rows)


def rest_table(results: dict[str, Any], workloads: list[Workload]) -> str:
    """The REST workloads: the /v1 route, the same operation on /graphql, and the baseline's REST route."""
    header = (
        "workload",
        "REST req/s",
        "GraphQL req/s",
        "baseline req/s",
        "REST / base",
        "GraphQL / base",
        "layer overhead",
        "REST p50 / p99 ms",
        "GraphQL p50 / p99 ms",
        "baseline p50 / p99 ms",
        "compiled path REST / GraphQL",
    )
    rows = [header]
    for workload in workloads:
        entry = results[workload.name]
        rest, graphql, ceiling = entry["rest"], entry["graphql"], entry["baseline"]
        rows.append(
            (
                workload.title,
                f"{rest['rps']:,.1f}",
                f"{graphql['rps']:,.1f}",
                f"{ceiling['rps']:,.1f}",
                f"{entry['ratio_rest_baseline']:.3f}x",
                f"{entry['ratio_graphql_baseline']:.3f}x",
                f"{100 * entry['layer_overhead']:.1f}%",
                _latency(rest),
                _latency(graphql),
                _latency(ceiling),
                f"{compiled_share(rest)} / {compiled_share(graphql)}",
            )
        )
    return render(rows)


def compiled_share(figures: dict[str, Any]) -> str:
    """The share of the measured requests that storegraph answered by a compiled plan."""
    share = figures.get("compiled_path", {}).get("share")
    return "-" if share is None else f"{100 * share:.1f}%"


def _latency(figures: dict[str, Any]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}"


_SHORT = {"storegraph": "sg", "baseline": "base", "rest": "rest", "graphql": "gql"}


def cpu_table(results: dict[str, Any], workloads: list[Workload], probes: dict[str, list[Probe]]) -> str:
    """Whether each server was CPU-bound (server CPU near 100%), how much other processes interfered, and how much
    the idle server (running beside the loaded one) used."""
    rows = [
        ("workload", "measured", "server CPU busy", "load CPU busy", "others on server CPU (max)", "idle server (max)")
    ]
    for workload in workloads:
        figures = [results[workload.name][probe.key] for probe in probes[workload.name]]
        rows.append(
            (
                workload.title,
                " / ".join(_SHORT.get(probe.key, probe.key) for probe in probes[workload.name]),
                " / ".join(f"{f['server_cpu_busy_pct']:.0f}%" for f in figures),
                " / ".join(f"{f['load_cpu_busy_pct']:.0f}%" for f in figures),
                f"{max(f['max_interference_pct'] for f in figures):.0f}%",
                f"{max(f.get('max_idle_servers_pct', 0) for f in figures):.0f}%",
            )
        )
    return render(rows)
