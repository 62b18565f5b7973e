"""Which handlers and periodic tasks a worker runs: those the feature packages export.

Each package in ``HANDLER_MODULES`` exports ``HANDLERS: dict[str, Handler]`` (job kind → handler) and, if it has
any, ``PERIODIC: list[Periodic]``. A package that is not there at all (not built yet) contributes nothing; one
that is there but fails to import stops the worker with the reason, rather than running without its jobs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from types import ModuleType

from storegraph.platform.jobs.handlers import Handler, Periodic

HANDLER_MODULES = ("storegraph.rules.webhooks.handlers", "storegraph.rules.tracking.handlers")


class RegistryError(RuntimeError):
    """A handler module exists but cannot be used."""


def all_handlers(modules: Iterable[str] = HANDLER_MODULES) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for module in _loaded(modules):
        exported = getattr(module, "HANDLERS", {})
        if not isinstance(exported, dict):
            raise RegistryError(f"{module.__name__}.HANDLERS must be a dict of job kind to handler")
        for kind, handler in exported.items():
            if not isinstance(kind, str) or not callable(handler):
                raise RegistryError(f"{module.__name__}.HANDLERS[{kind!r}] is not a job kind and a handler")
            if kind in handlers:
                raise RegistryError(f"job kind {kind!r} has a handler in two modules (the second: {module.__name__})")
            handlers[kind] = handler
    return handlers


def all_periodic(modules: Iterable[str] = HANDLER_MODULES) -> list[Periodic]:
    periodic: list[Periodic] = []
    for module in _loaded(modules):
        exported = getattr(module, "PERIODIC", [])
        if not isinstance(exported, list | tuple) or not all(callable(task) for task in exported):
            raise RegistryError(f"{module.__name__}.PERIODIC must be a list of periodic tasks")
        periodic.extend(exported)
    return periodic


def _loaded(modules: Iterable[str]) -> Iterator[ModuleType]:
    for name in modules:
        module = _load(name)
        if module is not None:
            yield module


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        # Only the module itself (or its package) being absent is "not built yet"; a module that is there and
        # imports something missing is broken, and says so.
        if error.name in _module_and_parents(name):
            return None
        raise RegistryError(f"{name} cannot be imported: {error}") from error
    except Exception as error:
        raise RegistryError(f"{name} cannot be imported: {type(error).__name__}: {error}") from error


def _module_and_parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:end]) for end in range(1, len(parts) + 1)}
