"""One row of the /v1 endpoint table: everything the generic handler and the OpenAPI generator need to know."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from storegraph.platform.auth.scopes import Scope

if TYPE_CHECKING:
    from rest_compat.direct import DirectCall

Result = Literal["object", "list", "all"]
Conditional = Literal["version", "content"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """``GET /v1/customers/{id}`` runs ``operation`` with variables from the path, the query string and the body.

    - ``path_vars`` / ``query_vars``: each path or query parameter → the variable it sets (dotted: ``filter.phone``
      sets ``phone`` in the ``filter`` variable).
    - ``body`` / ``body_var``: the JSON body's model and the variable the body becomes (its field names
      camelCased); ``body_ignored``: body fields that only select the endpoint's behaviour, not input fields.
      ``body_vars`` instead of ``body_var``: each body field → the variable it sets, for a mutation whose arguments
      are not one input object (``addCustomerTags(id:, tags:)``).
    - ``result``: the dotted path in ``data`` to the object (``result_kind="object"``), connection (``"list"``)
      or plain list (``"all"``: a short list answered whole, as one page without a next one); a null on that path
      is ``not_found`` for ``resource``. ``user_errors``: where the payload's userErrors are.
    - ``fragment``: the REST representation of the result object (rest_compat/representations.py).
    - ``list_head``: for a list, a fragment of the object holding the connection (the parent of ``result``),
      whose fields come before ``items`` (a ledger's ``balance``).
    - ``direct``: answers the row without executing ``operation`` (rest_compat/direct.py): same rule, same
      representation, no GraphQL on the way.
    - ``absent_when_default``: input-object variables left out of the operation's variables when every field the
      request sets in them is the input field's default, because the operation reads a missing one as one of
      its defaults (a list's ``filter`` of only ``isArchived: false``): the variables then take the plain way
      (schema/core/compiled/variables.py) and graphql-core coerces nothing.
    - ``conditional`` (a GET's ETag, rest_compat/conditional.py): ``"version"`` when the answer is the store's data
      and changes only with a write to it, ``"content"`` when it can change otherwise (counters, the time of day).
    """

    name: str
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    path: str
    scope: Scope | None
    summary: str
    operation: str
    result: str
    fragment: str
    resource: str
    result_kind: Result = "object"
    status: int = 200
    path_vars: Mapping[str, str] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    query_vars: Mapping[str, str] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    body_var: str | None = None
    body_vars: Mapping[str, str] = field(default_factory=dict)
    body_ignored: frozenset[str] = frozenset()
    user_errors: str | None = None
    list_head: str | None = None
    description: str = ""
    direct: Callable[[DirectCall], Awaitable[dict[str, Any]]] | None = None
    conditional: Conditional = "version"
    absent_when_default: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        """How usage reports this endpoint: ``GET /v1/customers/{id}``."""
        return f"{self.method} {self.path}"

    @property
    def is_list(self) -> bool:
        """Answers ``{items, next_cursor, has_more}``: a page of a connection, or a plain list whole."""
        return self.result_kind != "object"

    @property
    def is_write(self) -> bool:
        return self.method != "GET"
