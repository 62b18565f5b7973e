"""`storegraph worker` with WORKER_METRICS_PORT serves its own metrics, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from storegraph.settings import Settings
from tests.app.test_graceful_shutdown import GUARD, REPO, _free_port


def test_a_standalone_worker_serves_its_metrics_and_exits_cleanly_on_sigterm(tmp_path):
    port = _free_port()
    settings = {name.upper() for name in Settings.model_fields}
    env = {name: value for name, value in os.environ.items() if name not in settings}
    env |= {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}",
        "WORKER_METRICS_PORT": str(port),
        "LOG_LEVEL": "warning",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "storegraph.cli", "worker"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + GUARD
        text = ""
        while time.monotonic() < deadline and not text:
            assert worker.poll() is None, "the worker exited early"
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
            except httpx.TransportError:
                time.sleep(0.1)

        assert "storegraph_db_pool_size" in text
        assert "# TYPE storegraph_jobs_total counter" in text
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=GUARD) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
