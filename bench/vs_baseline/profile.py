"""Sampling storegraph with py-spy during one extra, unmeasured load period."""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter
from pathlib import Path

from harness.common import RESULTS_DIR, ROOT, VENV_BIN, BenchError, say, step
from harness.machine import pin_postgres
from harness.servers import Probe, Server, running
from harness.wrk import run_wrk

from vs_baseline.workloads import State

_OWN_PACKAGES = {"storegraph", "db", "schema", "resolvers", "middleware", "domain", "rest_compat"}


def _package_of(frame: str) -> str:
    """``Session.execute (sqlalchemy/orm/session.py)`` -> ``sqlalchemy``; storegraph's own code is marked."""
    match = re.search(r"\(([^()]*)\)$", frame)
    path = match.group(1) if match else frame
    top = path.split("/", 1)[0] if "/" in path else path.removesuffix(".py")
    return f"storegraph: {top}/" if top in _OWN_PACKAGES else top


def _summarise_profile(raw: Path, top: int = 30) -> str:
    """Self and inclusive sample counts per function from py-spy's collapsed-stack ("raw") output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]  # merge lines of a function
        total += count
        own[frames[-1]] += count
        packages[_package_of(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples (C code is counted in the Python frame that called it)", "", "self %  package"]
    lines += [f"{100 * n / total:6.1f}  {package}" for package, n in packages.most_common()]
    lines += ["", "self %  function (file)"]
    lines += [f"{100 * n / total:6.1f}  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "incl %  function (file)"]
    lines += [f"{100 * n / total:6.1f}  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def profile(server: Server, probe: Probe, state: State, args: argparse.Namespace) -> dict[str, str]:
    """Samples the server with py-spy during one extra load period (not part of the measured figures)."""
    step(f"profiling {probe.label} on the {probe.workload} workload with py-spy ({args.duration:g} s)")
    py_spy = str(VENV_BIN / "py-spy") if (VENV_BIN / "py-spy").exists() else "py-spy"
    name = f"{server.name}_{probe.workload}" + ("" if probe.key == server.name else f"_{probe.key}")
    raw = RESULTS_DIR / f"profile_{name}.txt"
    svg = RESULTS_DIR / f"profile_{name}.svg"
    with running(server):
        assert server.process is not None
        run_wrk(server, probe, args, max(args.warmup, 1))
        pin_postgres(state.dsn, state.database, args)
        outputs = []
        for fmt, path in (("raw", raw), ("flamegraph", svg)):
            command = ["taskset", "-c", str(args.load_cpu), py_spy, "record", "--pid", str(server.process.pid)]
            command += ["--duration", f"{args.duration:g}", "--rate", "200", "--format", fmt, "--output", str(path)]
            sampler = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            figures = run_wrk(server, probe, args, args.duration + 1)
            sampler_output, _ = sampler.communicate(timeout=60)
            if sampler.returncode != 0:
                raise BenchError(f"py-spy failed:\n{sampler_output}")
            outputs.append(f"{fmt}: {figures['rps']:.1f} req/s while sampling")
    summary = _summarise_profile(raw)
    (RESULTS_DIR / f"profile_{name}_summary.txt").write_text(summary + "\n")
    say("\n".join(outputs))
    say(summary)
    return {"raw": str(raw.relative_to(ROOT)), "flamegraph": str(svg.relative_to(ROOT)), "summary": summary}
