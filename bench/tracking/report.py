"""The result tables of bench/tracking_throughput.py."""

from __future__ import annotations

from typing import Any

from harness.report import render

from tracking.targets import TARGETS


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


def tables(results: dict[str, Any]) -> tuple[str, str, str]:
    rows = [
        (
            "target",
            "workload",
            "202/s",
            "events/s",
            "p50 / p99 ms",
            "/ ceiling",
            "/ healthz",
            "server CPU",
            "load CPU",
            "wrk CPU",
            "others (max)",
        )
    ]
    for name, entry in results.items():
        target = TARGETS[name]
        for workload, figures in entry["workloads"].items():
            if workload == "healthz":
                continue
            ceiling = results.get(target.ceiling, {}).get("workloads", {}).get(workload, {}).get("rps")
            scale = results.get(target.scale, {}).get("workloads", {}).get("healthz", {}).get("rps")
            rows.append(
                (
                    name,
                    f"{workload} ({figures['events_per_request']})",
                    f"{figures['rps']:.0f}",
                    f"{figures['events_per_s']:.0f}",
                    f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}",
                    "-" if target.kind == "ceiling" else _ratio(figures["rps"], ceiling),
                    _ratio(figures["rps"], scale),
                    f"{figures['server_cpu_busy_pct']:.0f}%",
                    f"{figures['load_cpu_busy_pct']:.0f}%",
                    f"{figures['wrk_cpu_pct']:.0f}%",
                    f"{figures['max_interference_pct']:.0f}%",
                )
            )
    main_table = render(rows)
    scale_rows = [("target", "GET /healthz req/s", "p50 / p99 ms", "server CPU")]
    worker_rows = [
        ("target", "workload", "jobs behind at round end", "drained in s", "worker jobs/s", "worker events/s")
    ]
    for name, entry in results.items():
        for workload, figures in entry["workloads"].items():
            if workload == "healthz":
                scale_rows.append(
                    (
                        name,
                        f"{figures['rps']:.0f}",
                        f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}",
                        f"{figures['server_cpu_busy_pct']:.0f}%",
                    )
                )
            elif "backlog_jobs" in figures:
                rate = figures["worker_jobs_per_s"]
                worker_rows.append(
                    (
                        name,
                        workload,
                        f"{figures['backlog_jobs']:.0f}",
                        f"{figures['drain_seconds']:.1f}",
                        "-" if rate is None else f"{rate:.0f}",
                        "-" if rate is None else f"{rate * figures['events_per_request']:.0f}",
                    )
                )
    return (
        main_table,
        render(scale_rows) if len(scale_rows) > 1 else "",
        render(worker_rows) if len(worker_rows) > 1 else "",
    )


def verification_table(results: dict[str, Any]) -> str:
    rows = [("target", "202s", "ids answered", "jobs pending", "events stored", "ids missing", "unanswered", "verdict")]
    for name, entry in results.items():
        v = entry["verification"]
        rows.append(
            (
                name,
                str(v["answered_requests"]),
                str(v["answered_events"]),
                str(v["jobs_pending"]),
                str(v["events_in_pending_jobs"] + v["events_stored_by_worker"]),
                str(v["answered_ids_missing"]),
                str(v["stored_but_unanswered_ids"]),
                "ok" if v["ok"] else "VOID",
            )
        )
    return render(rows)
