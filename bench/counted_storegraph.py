"""storegraph exactly as ``storegraph.app:create_app`` builds it, plus, for bench/run.py only, a way to read how many
requests took the compiled path without adding anything the app serves.

    BENCH_COUNTS_FILE=bench/results/compiled_counts.json \\
        uvicorn --app-dir bench counted_storegraph:create_app --factory --port 8101

On SIGUSR1 the process writes its compiled-execution counts (``CompiledCounts``: answered by a plan, by graphql-core
after a plan gave up, or by graphql-core because no plan covers the request) with a snapshot number to that file,
atomically. The bench sends the signal before and after a measured run and reads the difference. No route, no
middleware and no setting of the app changes; the handler runs between requests on the main thread and costs
nothing while no signal arrives.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
# --app-dir bench puts bench/ on the path instead of the working directory: the repository must still come first
# (before an installed copy), as it does for ``uvicorn storegraph.app:create_app``.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402
from vs_baseline.compiled_share import COUNTS_FILE_ENV  # noqa: E402

from storegraph.app import create_app as create_storegraph  # noqa: E402


def create_app() -> FastAPI:
    app = create_storegraph()
    counts = app.state.services.schema.compiled.counts
    target = Path(os.environ[COUNTS_FILE_ENV])
    snapshots = 0

    def write_counts(_signum: int, _frame: FrameType | None) -> None:
        nonlocal snapshots
        snapshots += 1
        temporary = target.with_name(f"{target.name}.tmp")
        temporary.write_text(json.dumps({"snapshot": snapshots, **dataclasses.asdict(counts)}))
        temporary.replace(target)

    signal.signal(signal.SIGUSR1, write_counts)
    return app
