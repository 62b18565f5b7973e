"""The OpenAPI 3.1 document of /v1, generated from the endpoint table and never edited by hand.

Everything in it comes from what the handler itself runs, so the two cannot drift apart:

- paths, operations, scopes and statuses from the rows of rest_compat/table.py;
- query parameters and request bodies from the rows' pydantic models (rest_compat/inputs.py), the same models
  the handler validates requests with;
- response objects from the fragments of rest_compat/representations.py, typed by the GraphQL schema the way
  rest_compat/shapes.py converts them (``ID`` → integer, ``DateTime`` → ``YYYY-MM-DD HH:MM:SS``, enums lowercase);
- error codes and their statuses from the code tables (storegraph/platform/errors.py, rest_compat/errors.py), every
  error answer one ``Error`` schema;
- the ``links`` between operations from the table's paths (rest_compat/openapi/links.py).

The response schemas are strict (every field required, no other field allowed) so that schemathesis, which checks
real answers against them (tests/rest_compat/test_rest_schemathesis.py), notices a field that appears, goes or changes
type.
Only the examples are written out here (rest_compat/openapi/examples.py): the DZBuild documents' own, completed
where they leave fields out, and the tracking bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from graphql import (
    GraphQLSchema,
    parse,
    print_ast,
)

from rest_compat.compile import CompiledEndpoint
from rest_compat.endpoint import Endpoint
from rest_compat.handler import compile_table
from rest_compat.openapi.common import (
    OPENAPI_VERSION,
    PUBLIC_KEY_SCHEME,
    SECURITY_SCHEME,
    Components,
    DocumentError,
    JsonObject,
    error_statuses,
    is_signed,
    rest_error_codes,
)
from rest_compat.openapi.examples import EXAMPLES
from rest_compat.openapi.links import links
from rest_compat.openapi.parameters import parameters, request_body
from rest_compat.openapi.responses import (
    HEADERS,
    NOT_MODIFIED,
    error_response,
    error_schemas,
    not_modified_response,
    success_response,
)
from rest_compat.openapi.tags import tags
from rest_compat.representations import FRAGMENTS
from rest_compat.shapes import Fragments
from schema.core.build import build_schema
from storegraph.platform.http.responses import API_VERSION
from storegraph.settings import Settings

# Where `storegraph serve` answers with no options (README); the checked-in document names it, and a deployment
# serves its own PUBLIC_BASE_URL instead.
LOCAL_SERVER_URL: str = Settings.model_fields["public_base_url"].default

SERVER_DESCRIPTION = (
    "This server: `PUBLIC_BASE_URL`, by default where `storegraph serve` listens (README). The paths start with /v1."
)

# The repository states no licence: all rights are reserved until its owner grants one.
LICENSE: JsonObject = {"name": "Proprietary (all rights reserved)", "identifier": "LicenseRef-Proprietary"}


def build_document(
    schema: GraphQLSchema, endpoints: Sequence[CompiledEndpoint], server_url: str = LOCAL_SERVER_URL
) -> JsonObject:
    """The OpenAPI document of ``endpoints`` (``compile_table(schema)``), served from ``server_url``."""
    fragments = Fragments(schema, FRAGMENTS)
    components = Components()
    codes = rest_error_codes()
    components.add("Meta", _META)
    for name, error_schema in error_schemas(code for listed in codes.values() for code in listed).items():
        components.add(name, error_schema)
    known = {compiled.endpoint.name for compiled in endpoints}
    if unknown := set(EXAMPLES) - known:
        raise DocumentError(f"examples for operations the table does not have: {sorted(unknown)}")
    paths: dict[str, JsonObject] = {}
    for compiled in endpoints:
        row = compiled.endpoint
        paths.setdefault(row.path, {})[row.method.lower()] = _operation(compiled, fragments, components)
    rows = [compiled.endpoint for compiled in endpoints]
    for name, operation_links in links(rows, components.schemas).items():
        row = next(row for row in rows if row.name == name)
        paths[row.path][row.method.lower()]["responses"][str(row.status)]["links"] = operation_links
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "storegraph REST /v1",
            "version": API_VERSION,
            "description": INFO_DESCRIPTION,
            "license": LICENSE,
        },
        # The paths start with /, so a base URL ending in one would make them //v1/...
        "servers": [{"url": server_url.rstrip("/"), "description": SERVER_DESCRIPTION}],
        "tags": tags(row.resource for row in rows),
        "security": [{SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A platform key: `dzpk_live_<key_id>.<secret>` or `dzpk_test_<key_id>.<secret>`.",
                },
                PUBLIC_KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-DZ-Key",
                    "description": "A public key (`dzpub_live_<key_id>`), safe to embed in a page, with the request "
                    "signed by its signing secret in `X-DZ-Timestamp` and `X-DZ-Signature`.",
                },
            },
            "schemas": dict(sorted(components.schemas.items())),
            "headers": HEADERS,
            "responses": {
                **{f"Error{status}": error_response(status, codes[status]) for status in codes},
                NOT_MODIFIED: not_modified_response(),
            },
        },
    }


def compiled_table() -> tuple[GraphQLSchema, list[CompiledEndpoint]]:
    """A fresh schema and the table compiled against it, as the app builds them (for the CLI and the tests)."""
    schema = build_schema()._schema
    return schema, compile_table(schema)


def generated_document() -> JsonObject:
    """The document as the app serves it by default (the CLI's export and the staleness test)."""
    return build_document(*compiled_table())


def document_bytes(document: Mapping[str, Any]) -> bytes:
    """The checked-in form: sorted keys, two-space indent, a trailing newline (stable diffs)."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def graphql_document(compiled: CompiledEndpoint) -> str:
    """The endpoint's full GraphQL document (operation and fragments), printed one field a line."""
    return print_ast(parse(compiled.document))


def _operation(compiled: CompiledEndpoint, fragments: Fragments, components: Components) -> JsonObject:
    row = compiled.endpoint
    example = EXAMPLES.get(row.name)
    operation: JsonObject = {
        "operationId": row.name,
        "summary": row.summary,
        "description": _operation_description(row),
        "tags": [row.resource],
        "parameters": parameters(row, example),
        "responses": {
            str(row.status): success_response(row, fragments, components, example),
            **({} if row.is_write else {"304": {"$ref": f"#/components/responses/{NOT_MODIFIED}"}}),
            **{str(status): {"$ref": f"#/components/responses/Error{status}"} for status in error_statuses(row)},
        },
        "x-graphql-operation": graphql_document(compiled),
    }
    if row.scope is not None:
        operation["x-required-scope"] = str(row.scope)
    if is_signed(row):
        operation["security"] = [{PUBLIC_KEY_SCHEME: []}]
    if row.body is not None:
        operation["requestBody"] = request_body(row.body, components, example)
    return operation


def _operation_description(row: Endpoint) -> str:
    scope = f"Needs the `{row.scope}` scope." if row.scope is not None else "Any valid key."
    parts = [row.description, scope] if row.description else [scope]
    parts.append("Runs the GraphQL operation in `x-graphql-operation` (docs/rest.md).")
    return "\n\n".join(parts)


_META: JsonObject = {
    "type": "object",
    "required": ["request_id", "api_version"],
    "additionalProperties": False,
    "properties": {
        "request_id": {"type": "string", "description": "Also in the `X-Request-Id` header; quote it to support."},
        "api_version": {"const": API_VERSION},
    },
}


INFO_DESCRIPTION = """\
The REST compatibility layer of storegraph: every endpoint runs one GraphQL operation (named in each operation's \
`x-graphql-operation`; docs/rest.md lists them all) with the same auth, limits and idempotency as `/graphql`.

- **Auth**: `Authorization: Bearer dzpk_live_<key_id>.<secret>`; each endpoint names the scope it needs. The \
tracking endpoints (`POST /v1/signups`, `POST /v1/events`) are signed with a public key instead.
- **Envelope**: `{"data": ..., "meta": {"request_id", "api_version"}}` on success, \
`{"error": {"code", "message", "details"?, "retry_after"?}, "meta": ...}` on failure; `X-Request-Id` echoes \
`meta.request_id`.
- **Lists**: `{"items", "next_cursor", "has_more"}`; `limit` 1–200 (default 50); cursors are opaque, signed for \
their list, ordering and store, and shared with the GraphQL connection of the same list.
- **Values**: ids are integers, money an integer amount in DZD, timestamps `YYYY-MM-DD HH:MM:SS` in UTC.
- **Writes** (POST, PATCH, DELETE) need an `Idempotency-Key` header.
- **Conditional GETs**: every successful GET answers an `ETag`; sent back in `If-None-Match`, it is answered 304 \
with no body while the store's data has not changed (docs/rest.md).
- **Errors**: every error answer, whatever its status, is the one `Error` schema; the codes are in docs/errors.md; a \
known path with another method is 405 `method_not_allowed` with an `Allow` header, an unknown path 404 `not_found`.
- **Links**: a create's, a get's and a list's answers link to the operations on the item they name, with the id to \
pass on.
"""


def openapi_json_bytes(document: Mapping[str, Any]) -> bytes:
    """What ``GET /openapi.json`` serves: compact, serialized once."""
    return orjson.dumps(document)
