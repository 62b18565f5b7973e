"""Matches ``METHOD /v1/...`` against the table's path templates (``/v1/customers/{id}/orders``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rest_compat.compile import CompiledEndpoint

_PARAMETER = re.compile(r"\{([a-z_]+)\}")


@dataclass(slots=True)
class _Route:
    pattern: re.Pattern[str]
    by_method: dict[str, CompiledEndpoint] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    endpoint: CompiledEndpoint | None
    path_params: dict[str, str]
    # Set when the path exists but not with this method (405 with ``Allow``).
    allowed: tuple[str, ...] = ()


class Router:
    def __init__(self, endpoints: Iterable[CompiledEndpoint]) -> None:
        self._static: dict[str, _Route] = {}
        self._dynamic: list[_Route] = []
        by_path: dict[str, _Route] = {}
        for compiled in endpoints:
            template = compiled.endpoint.path
            route = by_path.get(template)
            if route is None:
                route = by_path[template] = _Route(_pattern(template))
                if _PARAMETER.search(template):
                    self._dynamic.append(route)
                else:
                    self._static[template] = route
            if compiled.endpoint.method in route.by_method:
                raise ValueError(f"two rows for {compiled.endpoint.label}")
            route.by_method[compiled.endpoint.method] = compiled
        # Every dynamic template in one pattern, tried in the same order as one by one: the first that matches
        # the whole path wins. Its last parameter's group says which matched, and where its parameters are.
        alternatives: list[str] = []
        self._by_last_group: dict[int, tuple[_Route, tuple[tuple[str, int], ...]]] = {}
        group = 0
        for route in self._dynamic:
            names = tuple(route.pattern.groupindex)
            alternatives.append(_PARAMETER_GROUP.sub("(", route.pattern.pattern))
            positions = tuple((name, group + index) for index, name in enumerate(names))
            group += len(names)
            self._by_last_group[group] = (route, positions)
        # ``(?!)`` matches nothing: a table without dynamic routes.
        self._any_dynamic = re.compile("|".join(f"(?:{alternative})" for alternative in alternatives) or "(?!)")

    def match(self, method: str, path: str) -> Match | None:
        """The endpoint for the request, a ``Match`` with only ``allowed`` for a known path with another
        method, or None for an unknown path."""
        route = self._static.get(path)
        params: dict[str, str] = {}
        if route is None:
            found = self._any_dynamic.fullmatch(path)
            if found is None:
                return None
            route, positions = self._by_last_group[found.lastindex or 0]
            values = found.groups()
            params = {name: values[position] for name, position in positions}
        endpoint = route.by_method.get(method)
        if endpoint is None:
            return Match(None, params, tuple(sorted(route.by_method)))
        return Match(endpoint, params)


# A parameter's named group in a template's pattern, made a plain group for the one pattern of them all.
_PARAMETER_GROUP = re.compile(r"\(\?P<[a-z_]+>")


def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for parameter in _PARAMETER.finditer(template):
        parts.append(re.escape(template[position : parameter.start()]))
        parts.append(f"(?P<{parameter.group(1)}>[^/]+)")
        position = parameter.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))
