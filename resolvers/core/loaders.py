"""DataLoaders: created per request, each on first use, each batching a tick's keys into one SQL statement.

A domain declares its loaders beside its resolvers (``CustomerByIdLoader`` in resolvers/customers.py) as classes
built from the request's database handle and store id; a field asks ``context.loaders.get(CustomerByIdLoader)``.
Adding a loader is one class in its domain's module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.executor import Executor

L = TypeVar("L", bound=DataLoader[Any, Any])
K = TypeVar("K")
V = TypeVar("V")


def by_id(rows: Sequence[Row[Any]], ids: Sequence[int]) -> list[Row[Any] | None]:
    found = {row.id: row for row in rows}
    return [found.get(row_id) for row_id in ids]


async def load_at_once(loader: DataLoader[K, V], key: K) -> V:
    """What ``loader.load(key)`` answers, without waiting a turn of the event loop for other loads to join the
    batch: for a caller that knows none will (a compiled plan loads a whole level in one call). The answer is kept in
    the loader's cache, as a load keeps it, so that a later load of the key runs nothing."""
    if loader.cache:
        pending = loader.cache_map.get(key)
        if pending is not None and not pending.cancelled():
            return await pending
    values = list(await loader.load_fn([key]))
    if len(values) != 1:
        raise ValueError(f"a batch load of one key answered {len(values)} values")
    value = values[0]
    if isinstance(value, BaseException):
        raise value
    if loader.cache:
        loader.prime(key, value)
    return value


class Loaders:
    """The request's loaders, each built on first use (most queries touch only a few of them)."""

    def __init__(self, db: Executor, store_id: int) -> None:
        self._db = db
        self._store_id = store_id
        self._built: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    def get(self, loader: Callable[[Executor, int], L]) -> L:
        built = self._built.get(loader)
        if built is None:
            built = self._built[loader] = loader(self._db, self._store_id)
        return built  # type: ignore[return-value]

    def clear(self) -> None:
        """Forgets everything loaded so far: a mutation just changed rows that earlier fields may have cached."""
        self._built.clear()

    def primed(self, loader: Callable[[Executor, int], DataLoader[K, V]], keys: Sequence[K]) -> list[V] | None:
        """What ``loader`` already holds for every one of ``keys`` (a value put there by ``prime`` or a finished
        load), without loading or building anything; ``None`` unless it holds them all."""
        built = self._built.get(loader)
        if built is None or not built.cache:
            return None
        values: list[V] = []
        for key in keys:
            held = built.cache_map.get(key)
            if held is None or not held.done() or held.cancelled() or held.exception() is not None:
                return None
            values.append(held.result())
        return values
