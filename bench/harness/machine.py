"""CPU accounting, PostgreSQL backends and waiting for a quiet machine."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from harness.common import BenchError, say
from harness.servers import Server


async def recreate_database(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


def cpu_ticks(cpu: int) -> tuple[int, int, int, int]:
    """(busy, busy in processes, total, steal) clock ticks of one CPU since boot, from /proc/stat.

    "Busy in processes" is user + nice + system: what processes' utime/stime can account for. Interrupt and
    softirq time (the loopback network stack works there) is busy but belongs to no process.
    """
    for line in Path("/proc/stat").read_text().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            user, nice, system, idle, iowait, irq, softirq, steal = (int(value) for value in fields[1:9])
            total = user + nice + system + idle + iowait + irq + softirq + steal
            return total - idle - iowait, user + nice + system, total, steal
    raise BenchError(f"cpu{cpu} not found in /proc/stat")


def process_ticks(pid: int | None) -> int:
    """utime + stime of a process (all its threads), in clock ticks; 0 if unknown."""
    if pid is None:
        return 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@dataclasses.dataclass
class CpuWatch:
    """Share of the server CPU used by anything other than the measured server, and the load CPU's use.

    ``idle_pids`` are the benchmark's other servers, left idle on the server CPU while this one is loaded: their
    ticks are not counted as others' (an idle uvicorn's wake-ups would otherwise read as interference) but
    reported on their own, so that a server that is not idle after all shows.
    """

    server_cpu: int
    load_cpu: int
    pid: int | None
    idle_pids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.start = (cpu_ticks(self.server_cpu), cpu_ticks(self.load_cpu), process_ticks(self.pid))
        self.idle_start = self._idle_ticks()

    def _idle_ticks(self) -> int:
        return sum(process_ticks(pid) for pid in self.idle_pids)

    def read(self) -> dict[str, float]:
        (server_busy0, server_proc0, server_total0, steal0), (load_busy0, _, load_total0, _), pid0 = self.start
        server_busy1, server_proc1, server_total1, steal1 = cpu_ticks(self.server_cpu)
        load_busy1, _, load_total1, _ = cpu_ticks(self.load_cpu)
        server_total = max(server_total1 - server_total0, 1)
        idle = self._idle_ticks() - self.idle_start
        others = server_proc1 - server_proc0 - (process_ticks(self.pid) - pid0) - idle
        usage = {
            "server_cpu_busy_pct": round(100 * (server_busy1 - server_busy0) / server_total, 1),
            "server_cpu_others_pct": round(100 * max(others, 0) / server_total, 1),
            "server_cpu_steal_pct": round(100 * (steal1 - steal0) / server_total, 1),
            "load_cpu_busy_pct": round(100 * (load_busy1 - load_busy0) / max(load_total1 - load_total0, 1), 1),
        }
        if self.idle_pids:
            usage["server_cpu_idle_servers_pct"] = round(100 * max(idle, 0) / server_total, 1)
        return usage


def server_pids(servers: Sequence[Server]) -> tuple[int, ...]:
    """The pids of those of ``servers`` that run."""
    return tuple(server.process.pid for server in servers if server.process is not None)


async def backend_pids(dsn: str, database: str) -> list[int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


def pin_postgres(dsn: str, database: str, args: argparse.Namespace) -> int:
    """Pins the PostgreSQL backends serving the benchmark database to the load CPU; returns how many.

    Only this database's backends are touched (the servers' pooled connections), so other users of the
    PostgreSQL instance are unaffected. Unpinned, the kernel runs some of them on the server CPU, where they
    take time from the measured server.
    """
    if not args.pin_postgres:
        return 0
    pinned = 0
    for pid in asyncio.run(backend_pids(dsn, database)):
        result = subprocess.run(["taskset", "-p", "-c", str(args.load_cpu), str(pid)], capture_output=True, text=True)
        if result.returncode == 0:
            pinned += 1
        elif not getattr(args, "_pin_warned", False):
            args._pin_warned = True
            say(f"   warning: cannot pin PostgreSQL backend {pid}: {result.stderr.strip()} (run as root?)")
    return pinned


def wait_until_quiet(server: Server, args: argparse.Namespace, idle: Sequence[Server] = ()) -> float:
    """Waits (up to --quiet-wait s) until other processes use < --quiet-threshold % of either CPU.

    ``idle``: the benchmark's other servers, running beside ``server`` but not loaded; they are not "others".
    """
    deadline = time.monotonic() + args.quiet_wait
    warned = False
    while True:
        pid = server.process.pid if server.process else None
        watch = CpuWatch(args.server_cpu, args.load_cpu, pid, server_pids(idle))
        time.sleep(1.0)
        usage = watch.read()
        # The benchmark's servers' own ticks (all idle now) are excluded on their CPU; on the load CPU all use is
        # someone else's.
        others = max(usage["server_cpu_others_pct"], usage["load_cpu_busy_pct"])
        if others < args.quiet_threshold:
            return others
        if time.monotonic() > deadline:
            say(f"   warning: other processes still use {others:.0f}% of a benchmark CPU; measuring anyway")
            return others
        if not warned:
            say(f"   waiting for other processes to calm down ({others:.0f}% of a benchmark CPU in use)")
            warned = True
