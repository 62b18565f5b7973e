"""The OpenAPI 3.1 document of /v1, generated from the endpoint table and never edited by hand.

Everything in it comes from what the handler itself runs, so the two cannot drift apart:

- paths, operations, scopes and statuses from the rows of rest_compat/table.py;
- query parameters and request bodies from the rows' pydantic models (rest_compat/inputs.py), the same models
  the handler validates requests with;
- response objects from the fragments of rest_compat/representations.py, typed by the GraphQL schema the way
  rest_compat/shapes.py converts them (``ID`` → integer, ``DateTime`` → ``YYYY-MM-DD HH:MM:SS``, enums lowercase);
- error codes and their statuses from the code tables (domain/errors.py, rest_compat/errors.py).

The response schemas are strict (every field required, no other field allowed) so that schemathesis, which checks
real answers against them (tests/test_rest_schemathesis.py), notices a field that appears, goes or changes type.
Only the examples are written out here: seed 004's and seed 000's (completed where the seeds leave fields out)
and the tracking bodies of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    parse,
    print_ast,
)
from pydantic import BaseModel, TypeAdapter

import domain.errors
from idempotency.keys import MAX_KEY_LENGTH
from rest_compat.compile import CompiledEndpoint
from rest_compat.endpoint import Endpoint
from rest_compat.errors import HTTP_STATUS
from rest_compat.handler import API_VERSION, compile_table
from rest_compat.inputs import Id
from rest_compat.representations import FRAGMENTS
from rest_compat.shapes import Const, Fragments, rest_field_types
from schema.build import build_schema
from tracking.paths import is_signed_request

JsonObject: TypeAlias = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
# idempotency/keys.py's rule (1 to 255 printable ASCII characters) as a JSON Schema.
IDEMPOTENCY_KEY_SCHEMA: JsonObject = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": "^[ -~]+$",
}
SECURITY_SCHEME = "bearerAuth"
# The signed tracking endpoints (tracking/paths.py) take a public key and a signature instead of a Bearer key.
PUBLIC_KEY_SCHEME = "publicKey"
# tracking/signatures.py's rules for the two headers that come with X-DZ-Key.
SIGNED_HEADERS: dict[str, JsonObject] = {
    "X-DZ-Timestamp": {
        "description": "The unix time in seconds when the request was signed; at most 5 minutes from the server's.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    "X-DZ-Signature": {
        "description": '`hex(hmac_sha256(signing_secret, timestamp + "." + hex(sha256(raw_body))))`; each '
        "signature is accepted once.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
    },
}
MEDIA_TYPE = "application/json"

# GraphQL scalars → the JSON Schema of their REST value (rest_compat/shapes.py converts ID and DateTime).
SCALARS: dict[str, JsonObject] = {
    "ID": {"type": "integer", "minimum": 1},
    "DateTime": {"type": "string", "pattern": TIMESTAMP_PATTERN},
    "Money": {"type": "integer"},
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "String": {"type": "string"},
    "JSON": {"type": "object"},
}

# A REST request is limited per request by the plan and never charged query cost (the handler runs its operation
# with ``charge_cost=False``), so the query-cost bucket's refusal cannot reach /v1.
GRAPHQL_ONLY_CODES = frozenset({"throttled"})

STATUS_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal error",
}


def rest_error_codes() -> dict[int, tuple[str, ...]]:
    """Every error code /v1 can answer, by HTTP status: the domain's errors (raised by middleware and resolvers)
    and the REST layer's own table (what GraphQL's codes and userErrors become)."""
    statuses: dict[str, int] = {}
    pending: list[type[domain.errors.ApiError]] = [domain.errors.ApiError]
    while pending:
        error_type = pending.pop()
        statuses[error_type.code] = error_type.http_status
        pending.extend(error_type.__subclasses__())
    statuses.update(HTTP_STATUS)
    by_status: dict[int, list[str]] = {}
    for code, status in statuses.items():
        if code not in GRAPHQL_ONLY_CODES:
            by_status.setdefault(status, []).append(code)
    return {status: tuple(sorted(codes)) for status, codes in sorted(by_status.items())}


# --- examples ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Example:
    """A documented request and its answer. ``parameters`` are path and query values by name; ``response`` is the
    whole envelope of the operation's success status."""

    summary: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None


_SEED_META = {"request_id": "req_abc123", "api_version": "v1"}

# Seed 004 ("Example: Create a Product", "Example: List Orders") and seed 000 (the customer pages), with their values.
# Where a seed leaves out a field the representation has (the product's description and updated_at, the order
# summary's customer fields, the customer's last_order_at, seed 000's missing meta) it is filled in with the value
# the rest of the example implies, so that every example is an answer the API could really give.
EXAMPLES: dict[str, Example] = {
    "CreateProduct": Example(
        summary="Seed 004: create a product",
        body={
            "name": "Cotton T-Shirt",
            "price": 1500,
            "description": "100% cotton, made in Algeria",
            "sku": "TS-COT-001",
            "stock_quantity": 50,
            "track_stock": True,
            "status": "active",
        },
        response={
            "data": {
                "id": 42,
                "name": "Cotton T-Shirt",
                "slug": "cotton-t-shirt",
                "description": "100% cotton, made in Algeria",
                "pricing": {"price": 1500, "compare_price": None, "cost_price": None},
                "inventory": {"sku": "TS-COT-001", "track_stock": True, "stock_quantity": 50, "low_stock_alert": 5},
                "status": "active",
                "created_at": "2026-04-30 14:22:10",
                "updated_at": "2026-04-30 14:22:10",
            },
            "meta": {"request_id": "abc123def4", "api_version": "v1"},
        },
    ),
    "ListOrders": Example(
        summary="Seed 004: pending orders, ten at a time",
        parameters={"status": "pending", "limit": 10},
        response={
            "data": {
                "items": [
                    {
                        "id": 1287,
                        "order_number": "ORD-13-20260430-AD3C",
                        "status": "pending",
                        "payment_status": "pending",
                        "payment_method": "cod",
                        "total": 3500,
                        "customer_id": 5212,
                        "customer_name": "Ahmed Benali",
                        "customer_phone": "0555123456",
                        "wilaya_id": 16,
                        "commune": "Bab Ezzouar",
                        "delivery_type": "home",
                        "created_at": "2026-04-30 10:15:00",
                    }
                ],
                "next_cursor": "MTI4Ng",
                "has_more": True,
            },
            "meta": {"request_id": "def456abc7", "api_version": "v1"},
        },
    ),
    "ListCustomers": Example(
        summary="Seed 000: the first twenty customers",
        parameters={"limit": 20},
        response={
            "data": {
                "items": [
                    {
                        "id": 5578,
                        "first_name": "John",
                        "last_name": "Doe",
                        "phone": "0555000000",
                        "email": None,
                        "wilaya_id": 16,
                        "commune": "Bab Ezzouar",
                        "total_orders": 3,
                        "total_spent": 4500,
                        "is_banned": False,
                        "created_at": "2026-03-17 15:18:13",
                        "updated_at": "2026-04-15 12:01:08",
                    }
                ],
                "next_cursor": "NDk=",
                "has_more": True,
            },
            "meta": _SEED_META,
        },
    ),
    "GetCustomer": Example(
        summary="Seed 000: one customer in full",
        parameters={"id": 5578},
        response={
            "data": {
                "id": 5578,
                "first_name": "John",
                "last_name": "Doe",
                "phone": "0555000000",
                "email": "john@example.com",
                "wilaya_id": 16,
                "commune": "Bab Ezzouar",
                "address": "12 Rue X",
                "notes": "Prefers afternoon delivery",
                "total_orders": 3,
                "total_spent": 4500,
                "fraud_score": 10,
                "is_banned": False,
                "created_at": "2026-03-17 15:18:13",
                "updated_at": "2026-04-15 12:01:08",
                "last_order_at": "2026-04-15 12:01:08",
            },
            "meta": _SEED_META,
        },
    ),
    "ListCustomerOrders": Example(
        summary="Seed 000: a customer's orders, ten at a time",
        parameters={"id": 5578, "limit": 10},
        response={
            "data": {
                "items": [
                    {
                        "id": 6894,
                        "order_number": "ORD-13-20260317-AD3C",
                        "status": "confirmed",
                        "payment_status": "pending",
                        "payment_method": "cod",
                        "total": 1000,
                        "customer_id": 5578,
                        "customer_name": "John Doe",
                        "customer_phone": "0555000000",
                        "wilaya_id": 16,
                        "commune": "Bab Ezzouar",
                        "delivery_type": "home",
                        "created_at": "2026-03-17 15:18:13",
                    }
                ],
                "next_cursor": None,
                "has_more": False,
            },
            "meta": _SEED_META,
        },
    ),
    # The tracking bodies of contract §2 (seed 004 names the endpoints but shows no body).
    "TrackSignup": Example(
        summary="A signup from a campaign's landing page",
        body={"email": "amina@example.com", "name": "Amina", "source": "landing_page", "campaign": "spring-sale"},
    ),
    "TrackEvents": Example(
        summary="One page view",
        body={"event": "page_view", "properties": {"path": "/products/cotton-t-shirt"}},
    ),
}


# --- the document -------------------------------------------------------------------------------------------------


class DocumentError(Exception):
    """The table, a model or an example does not fit the document: a bug, raised when the document is built."""


class _Components:
    """``components.schemas``, filled as operations need them; one name must always mean one schema."""

    def __init__(self) -> None:
        self.schemas: dict[str, JsonObject] = {}
        self.fragments: set[str] = set()

    def add(self, name: str, schema: JsonObject) -> JsonObject:
        if self.schemas.setdefault(name, schema) != schema:
            raise DocumentError(f"two different schemas are named {name}")
        return ref(name)


def ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def build_document(schema: GraphQLSchema, endpoints: Sequence[CompiledEndpoint]) -> JsonObject:
    """The OpenAPI document of ``endpoints`` (``compile_table(schema)``)."""
    fragments = Fragments(schema, FRAGMENTS)
    components = _Components()
    for name in ("Meta", "ErrorDetail"):
        components.add(name, _COMMON_SCHEMAS[name])
    known = {compiled.endpoint.name for compiled in endpoints}
    if unknown := set(EXAMPLES) - known:
        raise DocumentError(f"examples for operations the table does not have: {sorted(unknown)}")
    paths: dict[str, JsonObject] = {}
    tags: list[str] = []
    for compiled in endpoints:
        row = compiled.endpoint
        paths.setdefault(row.path, {})[row.method.lower()] = _operation(compiled, fragments, components)
        if row.resource not in tags:
            tags.append(row.resource)
    codes = rest_error_codes()
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "storegraph REST /v1",
            "version": API_VERSION,
            "description": INFO_DESCRIPTION,
        },
        "tags": [{"name": tag} for tag in tags],
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
            "headers": _HEADERS,
            "responses": {f"Error{status}": _error_response(status, codes[status]) for status in codes},
        },
    }


def compiled_table() -> tuple[GraphQLSchema, list[CompiledEndpoint]]:
    """A fresh schema and the table compiled against it, as the app builds them (for the CLI and the tests)."""
    schema = build_schema()._schema
    return schema, compile_table(schema)


def generated_document() -> JsonObject:
    """The document as the app serves it (the CLI's export and the staleness test)."""
    return build_document(*compiled_table())


def document_bytes(document: Mapping[str, Any]) -> bytes:
    """The checked-in form: sorted keys, two-space indent, a trailing newline (stable diffs)."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def graphql_document(compiled: CompiledEndpoint) -> str:
    """The endpoint's full GraphQL document (operation and fragments), printed one field a line."""
    return print_ast(parse(compiled.document))


def _operation(compiled: CompiledEndpoint, fragments: Fragments, components: _Components) -> JsonObject:
    row = compiled.endpoint
    example = EXAMPLES.get(row.name)
    operation: JsonObject = {
        "operationId": row.name,
        "summary": row.summary,
        "description": _operation_description(row),
        "tags": [row.resource],
        "parameters": _parameters(row, example),
        "responses": {
            str(row.status): _success_response(row, fragments, components, example),
            **{str(status): {"$ref": f"#/components/responses/Error{status}"} for status in error_statuses(row)},
        },
        "x-graphql-operation": graphql_document(compiled),
    }
    if row.scope is not None:
        operation["x-required-scope"] = str(row.scope)
    if is_signed(row):
        operation["security"] = [{PUBLIC_KEY_SCHEME: []}]
    if row.body is not None:
        operation["requestBody"] = _request_body(row.body, components, example)
    return operation


def _operation_description(row: Endpoint) -> str:
    scope = f"Needs the `{row.scope}` scope." if row.scope is not None else "Any valid key."
    parts = [row.description, scope] if row.description else [scope]
    parts.append("Runs the GraphQL operation in `x-graphql-operation` (docs/rest.md).")
    return "\n\n".join(parts)


def is_signed(row: Endpoint) -> bool:
    """A signed tracking endpoint: a public key and a signature instead of a Bearer key, no Idempotency-Key."""
    return is_signed_request(row.method, row.path)


def error_statuses(row: Endpoint) -> list[int]:
    """The error statuses an endpoint can answer, by what it takes (see ``rest_error_codes`` for the codes)."""
    statuses = {401, 422, 429, 500}  # any request: no key, an unexpected query string or body, limits, a bug
    if row.scope is not None:
        statuses.add(403)
    if row.path_vars or (row.body is not None and any(name.endswith("_id") for name in row.body.model_fields)):
        statuses.add(404)  # an unknown id in the path, or one the body refers to
    if row.query is not None and "cursor" in row.query.model_fields:
        statuses.add(400)  # invalid_cursor
    if row.is_write:
        # idempotency_key_required / _invalid (400), conflict and idempotency_key_in_use (409), the body limit (413)
        statuses.update({400, 409, 413})
    return sorted(statuses)


# --- parameters and request bodies ------------------------------------------------------------------------------


_ID_SCHEMA: JsonObject = TypeAdapter(Id).json_schema()


def _parameters(row: Endpoint, example: Example | None) -> list[JsonObject]:
    examples = example.parameters if example is not None else {}
    parameters: list[JsonObject] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": f"The {row.resource.lower()}'s id.",
            "schema": _ID_SCHEMA,
        }
        for name in row.path_vars
    ]
    if row.query is not None:
        model = row.query.model_json_schema(ref_template="#/components/schemas/{model}")
        parameters.extend(_query_parameter(name, model) for name in model["properties"])
    if is_signed(row):
        parameters.extend(
            {"name": name, "in": "header", "required": True, **header} for name, header in SIGNED_HEADERS.items()
        )
    if row.is_write:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                # A signature is accepted once, which protects a signed request from being run twice; a key sent
                # anyway is honoured (idempotency/policy.py).
                "required": not is_signed(row),
                "description": "Any unique string (a UUID v4 is best). A retry with the same key and request "
                "replays the first answer with `Idempotent-Replayed: true` and does nothing twice "
                "(docs/idempotency.md).",
                "schema": IDEMPOTENCY_KEY_SCHEMA,
            }
        )
    for parameter in parameters:
        if parameter["name"] in examples:
            parameter["example"] = examples[parameter["name"]]
    if unknown := set(examples) - {parameter["name"] for parameter in parameters}:
        raise DocumentError(f"{row.label}: examples for parameters it does not take: {sorted(unknown)}")
    return parameters


def _query_parameter(name: str, model: JsonObject) -> JsonObject:
    schema = dict(model["properties"][name])
    description = schema.pop("description", None)
    schema.pop("title", None)
    # An absent parameter is the model's None; a query string cannot spell null, so the null branch goes.
    if schema.get("default", ...) is None:
        del schema["default"]
    alternatives = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(alternatives) == 1:
        schema = {**alternatives[0], **schema}
    elif alternatives:
        schema["anyOf"] = alternatives
    schema = _inline_defs(schema, model.get("$defs", {}))
    parameter: JsonObject = {
        "name": name,
        "in": "query",
        "required": name in model.get("required", ()),
        "schema": schema,
    }
    if description:
        parameter["description"] = description
    return parameter


def _inline_defs(schema: Any, defs: Mapping[str, JsonObject]) -> Any:
    """``{"$ref": "#/components/schemas/OrderStatus"}`` → the enum itself: a parameter reads best whole."""
    if isinstance(schema, dict):
        target = schema.get("$ref")
        if isinstance(target, str):
            name = target.rsplit("/", 1)[-1]
            inlined = {key: value for key, value in defs[name].items() if key != "title"}
            return {**inlined, **{key: value for key, value in schema.items() if key != "$ref"}}
        return {key: _inline_defs(value, defs) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline_defs(item, defs) for item in schema]
    return schema


def _request_body(model: type[BaseModel], components: _Components, example: Example | None) -> JsonObject:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components.add(name, definition)
    # Unknown fields are a validation_error (inputs.BodyModel forbids them); say so even if a model forgot.
    schema["additionalProperties"] = False
    content: JsonObject = {"schema": components.add(model.__name__, schema)}
    if example is not None and example.body is not None:
        content["examples"] = {"seed": {"summary": example.summary, "value": example.body}}
    return {
        # A body whose fields are all optional may be left out: an empty body is ``{}``.
        "required": bool(schema.get("required")),
        "content": {MEDIA_TYPE: content},
    }


# --- responses --------------------------------------------------------------------------------------------------


def _success_response(
    row: Endpoint, fragments: Fragments, components: _Components, example: Example | None
) -> JsonObject:
    item = _fragment_schema(fragments, components, row.fragment)
    if row.result_kind == "list":
        data = components.add(
            f"{row.fragment}Page",
            {
                "type": "object",
                "required": ["items", "next_cursor", "has_more"],
                "additionalProperties": False,
                "properties": {
                    "items": {"type": "array", "items": item},
                    "next_cursor": {
                        "type": ["string", "null"],
                        "description": "Pass as `cursor` for the next page; null on the last page.",
                    },
                    "has_more": {"type": "boolean"},
                },
            },
        )
        described = f"A page of {row.fragment} objects"
    else:
        data = item
        described = f"The {row.fragment} object"
    content: JsonObject = {"schema": envelope(data)}
    if example is not None and example.response is not None:
        content["examples"] = {"seed": {"summary": example.summary, "value": example.response}}
    headers: JsonObject = {name: {"$ref": f"#/components/headers/{name}"} for name in SUCCESS_HEADERS}
    if row.is_write:
        headers[REPLAYED_HEADER] = {"$ref": f"#/components/headers/{REPLAYED_HEADER}"}
    return {"description": f"{described}, in the envelope.", "headers": headers, "content": {MEDIA_TYPE: content}}


def envelope(data: JsonObject) -> JsonObject:
    return {
        "type": "object",
        "required": ["data", "meta"],
        "additionalProperties": False,
        "properties": {"data": data, "meta": ref("Meta")},
    }


def _fragment_schema(fragments: Fragments, components: _Components, name: str) -> JsonObject:
    """The REST object of fragment ``name`` as a component (and every fragment it nests), by reference."""
    if name not in components.fragments:
        if name in components.schemas:
            raise DocumentError(f"the fragment {name} has the name of a request schema")
        components.fragments.add(name)  # first, so that a fragment nesting itself ends
        components.schemas[name] = _object_schema(fragments, components, rest_field_types(fragments, name))
    return ref(name)


def _object_schema(fragments: Fragments, components: _Components, described: Mapping[str, Any]) -> JsonObject:
    return {
        "type": "object",
        "required": list(described),
        "additionalProperties": False,
        "properties": {name: _value_schema(fragments, components, value) for name, value in described.items()},
    }


def _value_schema(fragments: Fragments, components: _Components, value: Any) -> JsonObject:
    if isinstance(value, Const):
        return {"const": value.value}
    if isinstance(value, tuple):  # ("object" | "list", fragment, GraphQL type): a nested fragment
        kind, fragment, gql_type = value
        nested = _fragment_schema(fragments, components, fragment)
        schema: JsonObject = {"type": "array", "items": nested} if kind == "list" else nested
        return schema if isinstance(gql_type, GraphQLNonNull) else _nullable(schema)
    if isinstance(value, Mapping):  # fields of the same object regrouped (pricing, inventory)
        return _object_schema(fragments, components, value)
    return leaf_schema(value)


def leaf_schema(gql_type: GraphQLOutputType) -> JsonObject:
    """The JSON Schema of a GraphQL leaf (or list of leaves) as REST answers it."""
    if isinstance(gql_type, GraphQLNonNull):
        return _non_null_leaf(gql_type.of_type)
    return _nullable(_non_null_leaf(gql_type))


def _non_null_leaf(gql_type: GraphQLOutputType) -> JsonObject:
    if isinstance(gql_type, GraphQLList):
        return {"type": "array", "items": leaf_schema(gql_type.of_type)}
    if isinstance(gql_type, GraphQLEnumType):
        return {"type": "string", "enum": [name.lower() for name in gql_type.values]}
    if isinstance(gql_type, GraphQLScalarType):
        if gql_type.name not in SCALARS:
            raise DocumentError(f"no JSON Schema for the scalar {gql_type.name}: add it to SCALARS")
        return dict(SCALARS[gql_type.name])
    raise DocumentError(f"{gql_type} is not a leaf: the representation must nest it with Obj or Many")


def _nullable(schema: JsonObject) -> JsonObject:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    nullable = dict(schema)
    nullable["type"] = [schema["type"], "null"]
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def _error_response(status: int, codes: Iterable[str]) -> JsonObject:
    codes = list(codes)
    error: JsonObject = {
        "type": "object",
        "required": ["code", "message"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "enum": codes},
            "message": {"type": "string"},
            "details": {"type": "array", "items": ref("ErrorDetail")},
            "retry_after": {"type": "integer", "minimum": 0, "description": "Seconds until a retry can succeed."},
        },
    }
    headers: JsonObject = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    if status == 429:
        # Both refusals (rate_limited, quota_exceeded) say when to come back, in the body and in Retry-After.
        error["required"] = [*error["required"], "retry_after"]
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    else:
        headers.update({name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS})
    if status == 401:
        headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
    if status == 405:
        headers["Allow"] = {"$ref": "#/components/headers/Allow"}
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{STATUS_TEXT.get(status, 'Error')}: {listed} (docs/errors.md).",
        "headers": headers,
        "content": {
            MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["error", "meta"],
                    "additionalProperties": False,
                    "properties": {"error": error, "meta": ref("Meta")},
                }
            }
        },
    }


_COMMON_SCHEMAS: dict[str, JsonObject] = {
    "Meta": {
        "type": "object",
        "required": ["request_id", "api_version"],
        "additionalProperties": False,
        "properties": {
            "request_id": {"type": "string", "description": "Also in the `X-Request-Id` header; quote it to support."},
            "api_version": {"const": API_VERSION},
        },
    },
    "ErrorDetail": {
        "type": "object",
        "required": ["field", "code", "message"],
        "additionalProperties": False,
        "properties": {
            "field": {"type": "string", "description": "The REST name of the field (`price`, `limit`, `id`)."},
            "code": {"type": "string", "description": "`blank`, `invalid`, `out_of_range`, `unknown_field`, ..."},
            "message": {"type": "string"},
        },
    },
}

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
SUCCESS_HEADERS = ("X-Request-Id", *RATE_LIMIT_HEADERS)
REPLAYED_HEADER = "Idempotent-Replayed"

_HEADERS: JsonObject = {
    "X-Request-Id": {
        "required": True,
        "description": "The request's id (an inbound `X-Request-Id` of up to 128 safe characters is kept).",
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests the key may make in a sliding 60-second window (absent for a plan without one).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "Seconds until the window has room again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "required": True,
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}},
    "Allow": {"required": True, "description": "The methods the path takes.", "schema": {"type": "string"}},
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
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
- **Errors**: the codes are in docs/errors.md; a known path with another method is 405 `method_not_allowed` with \
an `Allow` header, an unknown path 404 `not_found`.
"""


def openapi_json_bytes(document: Mapping[str, Any]) -> bytes:
    """What ``GET /openapi.json`` serves: compact, serialized once."""
    return orjson.dumps(document)
