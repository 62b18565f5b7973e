from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import Scope as AsgiScope

from storegraph.platform.auth.scopes import holds


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an authenticated key of one store, with the scopes it holds."""

    key_pk: int
    key_id: str
    key_type: str
    env: str
    scopes: frozenset[str]
    store_id: int
    store_name: str
    plan: str
    phone_region: str

    def has_scope(self, scope: str) -> bool:
        """Every check of a scope, REST's and GraphQL's, asks here: a write scope includes its read scope."""
        return holds(self.scopes, scope)


def principal_of(scope: AsgiScope) -> Principal | None:
    state: dict[str, Any] = scope.get("state") or {}
    principal = state.get("principal")
    return principal if isinstance(principal, Principal) else None
