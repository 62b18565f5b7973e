"""The plumbing of the hypothesis state machines that drive the app's rules against a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from hypothesis.stateful import RuleBasedStateMachine

from db.session import create_engine, create_sessionmaker

T = TypeVar("T")


class DatabaseMachine(RuleBasedStateMachine):
    """A machine with an event loop and an engine of its own for each run (hypothesis makes one per example)."""

    database_url: str  # set by the test on a subclass: the backend to run on, already migrated

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(self.database_url, pool_size=2)
        self.sessionmaker = create_sessionmaker(self.engine)

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    def teardown(self) -> None:
        try:
            self.run(self.engine.dispose())
        finally:
            self.loop.close()
