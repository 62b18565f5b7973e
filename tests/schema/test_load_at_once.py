"""``load_at_once``: a DataLoader's answer for one key, loaded in the caller's own turn of the event loop."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.dataloader import DataLoader

from resolvers.core.loaders import load_at_once


class CountingLoader(DataLoader[int, str]):
    def __init__(self, answers: list[object] | None = None) -> None:
        self.batches: list[list[int]] = []

        async def load(keys: list[int]) -> list[object]:
            self.batches.append(list(keys))
            return answers if answers is not None else [f"row {key}" for key in keys]

        super().__init__(load_fn=load)


async def test_it_answers_what_load_answers() -> None:
    assert await load_at_once(CountingLoader(), 7) == await CountingLoader().load(7)


async def test_it_loads_without_a_turn_of_the_event_loop() -> None:
    loader = CountingLoader()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(tick())
    await asyncio.sleep(0)
    before = ticks
    await load_at_once(loader, 7)
    ticking.cancel()
    assert ticks == before


async def test_a_later_load_of_the_key_is_answered_from_the_cache() -> None:
    loader = CountingLoader()
    await load_at_once(loader, 7)
    assert await loader.load(7) == "row 7"
    assert loader.batches == [[7]]


async def test_a_key_already_loaded_runs_no_batch() -> None:
    loader = CountingLoader()
    await loader.load(7)
    assert await load_at_once(loader, 7) == "row 7"
    assert loader.batches == [[7]]


async def test_an_error_answered_for_the_key_is_raised() -> None:
    with pytest.raises(LookupError, match="gone"):
        await load_at_once(CountingLoader([LookupError("gone")]), 7)


async def test_a_batch_answering_the_wrong_number_of_values_is_refused() -> None:
    with pytest.raises(ValueError, match="answered 2 values"):
        await load_at_once(CountingLoader(["a", "b"]), 7)


async def test_a_loader_without_a_cache_keeps_nothing() -> None:
    loader = CountingLoader()
    loader.cache = False
    await load_at_once(loader, 7)
    await load_at_once(loader, 7)
    assert loader.batches == [[7], [7]]
