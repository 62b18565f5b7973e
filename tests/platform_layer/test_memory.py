"""The app's start-up freezes its heap for the garbage collector and makes young collections rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from storegraph.app import create_app
from storegraph.platform.memory import YOUNG_THRESHOLD
from tests.conftest import app_settings


@pytest.fixture
def collector_as_before() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_as_before")
async def test_start_up_freezes_the_heap_and_raises_the_young_threshold(database_url: str) -> None:
    application = create_app(app_settings(database_url))
    assert gc.get_freeze_count() == 0

    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
