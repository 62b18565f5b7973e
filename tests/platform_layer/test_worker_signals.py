"""A standalone worker's SIGTERM and SIGINT stop it gracefully, whenever they come (``StopSignals``)."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import cast

import pytest

from storegraph.platform.jobs.worker import StopSignals, Worker

GUARD = 5.0


class FakeWorker:
    """Runs until stopped, as a worker's loop does."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self.ran = False

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        self.ran = True
        await self.stopping.wait()


async def _signal_ourselves(signum: signal.Signals) -> None:
    os.kill(os.getpid(), signum)
    for _ in range(100):  # the loop runs the handler on one of its next turns
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_during_start_up_stops_the_worker_as_soon_as_it_runs(signum: signal.Signals) -> None:
    worker = FakeWorker()
    with StopSignals() as signals:
        await _signal_ourselves(signum)
        assert signals.received
        await asyncio.wait_for(signals.run(cast("Worker", worker)), GUARD)
    assert worker.ran


async def test_a_signal_while_the_worker_runs_stops_it() -> None:
    worker = FakeWorker()
    with StopSignals() as signals:
        running = asyncio.create_task(signals.run(cast("Worker", worker)))
        await asyncio.sleep(0.01)
        assert not running.done()
        await _signal_ourselves(signal.SIGTERM)
        await asyncio.wait_for(running, GUARD)


async def test_the_signals_get_their_default_handling_back_afterwards() -> None:
    with StopSignals():
        pass
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) == signal.default_int_handler
