"""OpenAPI ``links``: how the id one answer names is passed to the next operation, so that a client (or a stateful
test) can follow create → get → update → delete without being told each step.

They come from the table's paths alone. An operation's answer names an item of ``/v1/things/{id}``:

- a create (``POST /v1/things``) and an item's get or update (``GET``/``PATCH /v1/things/{id}``) name the item in
  ``data.id``; they link to every other operation on it (``/v1/things/{id}`` and the paths under it);
- a list (``GET /v1/things``) names its first item in ``data.items[0].id``; it links to the reads of that item
  only, since acting on whatever item comes first (revoking the first key, perhaps the caller's own) is no chain.

A delete names nothing left to act on, and a path under an item (``/v1/things/{id}/orders``) is a list of other
things.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rest_compat.endpoint import Endpoint
from rest_compat.openapi.common import DocumentError, JsonObject

ITEM = "/{id}"


def links(rows: Sequence[Endpoint], schemas: Mapping[str, JsonObject]) -> dict[str, JsonObject]:
    """The ``links`` of each row's success response, by operation id (rows without any are left out).
    ``schemas`` are the document's, to check that the answer has the ``id`` a link passes on."""
    found: dict[str, JsonObject] = {}
    for source in rows:
        named = _named_item(source)
        if named is None:
            continue
        item, pointer = named
        targets = [
            row
            for row in rows
            if row is not source
            and (row.path == item or row.path.startswith(f"{item}/"))
            and set(row.path_vars) == {"id"}
            and (source.result_kind == "object" or row.method == "GET")
        ]
        if not targets:
            continue
        if "id" not in schemas[source.fragment].get("properties", {}):
            raise DocumentError(f"{source.name} answers {source.fragment}, which has no id for its links")
        which = "the first item's" if source.is_list else "its"
        found[source.name] = {
            target.name: {
                "operationId": target.name,
                "parameters": {"id": pointer},
                "description": f"`{target.label}` with {which} `id`.",
            }
            for target in targets
        }
    return found


def _named_item(row: Endpoint) -> tuple[str, str] | None:
    """The item path an answer names and the runtime expression of its id, or None."""
    if row.method == "DELETE":
        return None
    if row.path.endswith(ITEM):
        return (row.path, "$response.body#/data/id") if row.result_kind == "object" else None
    if row.is_list:
        return f"{row.path}{ITEM}", "$response.body#/data/items/0/id"
    if row.method == "POST":
        return f"{row.path}{ITEM}", "$response.body#/data/id"
    return None
