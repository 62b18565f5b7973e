"""Success and error responses: the envelope around each row's REST object, typed by the GraphQL schema, and the headers
every answer carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLScalarType,
)

from rest_compat.endpoint import Endpoint
from rest_compat.openapi.common import MEDIA_TYPE, SCALARS, STATUS_TEXT, Components, DocumentError, JsonObject, ref
from rest_compat.openapi.examples import Example
from rest_compat.shapes import Const, Fragments, rest_field_types


def success_response(
    row: Endpoint, fragments: Fragments, components: Components, example: Example | None
) -> JsonObject:
    item = _fragment_schema(fragments, components, row.fragment)
    if row.is_list:
        whole = row.result_kind == "all"
        head: dict[str, Any] = {}
        if row.list_head is not None:
            described_head = rest_field_types(fragments, row.list_head)
            head = {name: _value_schema(fragments, components, value) for name, value in described_head.items()}
        data = components.add(
            f"{row.fragment}{'List' if whole else 'Page'}",
            {
                "type": "object",
                "required": [*head, "items", "next_cursor", "has_more"],
                "additionalProperties": False,
                "properties": {
                    **head,
                    "items": {"type": "array", "items": item},
                    "next_cursor": {
                        "type": ["string", "null"],
                        "description": "Always null: the list is answered whole."
                        if whole
                        else "Pass as `cursor` for the next page; null on the last page.",
                    },
                    "has_more": {"type": "boolean", **({"description": "Always false."} if whole else {})},
                },
            },
        )
        described = f"All the {row.fragment} objects" if whole else f"A page of {row.fragment} objects"
    else:
        data = item
        described = f"The {row.fragment} object"
    content: JsonObject = {"schema": envelope(data)}
    if example is not None and example.response is not None:
        content["examples"] = {"seed": {"summary": example.summary, "value": example.response}}
    headers: JsonObject = {name: {"$ref": f"#/components/headers/{name}"} for name in SUCCESS_HEADERS}
    if row.is_write:
        headers[REPLAYED_HEADER] = {"$ref": f"#/components/headers/{REPLAYED_HEADER}"}
    else:
        headers.update({name: {"$ref": f"#/components/headers/{name}"} for name in VALIDATOR_HEADERS})
    return {"description": f"{described}, in the envelope.", "headers": headers, "content": {MEDIA_TYPE: content}}


def envelope(data: JsonObject) -> JsonObject:
    return {
        "type": "object",
        "required": ["data", "meta"],
        "additionalProperties": False,
        "properties": {"data": data, "meta": ref("Meta")},
    }


def _fragment_schema(fragments: Fragments, components: Components, name: str) -> JsonObject:
    """The REST object of fragment ``name`` as a component (and every fragment it nests), by reference."""
    if name not in components.fragments:
        if name in components.schemas:
            raise DocumentError(f"the fragment {name} has the name of a request schema")
        components.fragments.add(name)  # first, so that a fragment nesting itself ends
        components.schemas[name] = _object_schema(fragments, components, rest_field_types(fragments, name))
    return ref(name)


def _object_schema(fragments: Fragments, components: Components, described: Mapping[str, Any]) -> JsonObject:
    return {
        "type": "object",
        "required": list(described),
        "additionalProperties": False,
        "properties": {name: _value_schema(fragments, components, value) for name, value in described.items()},
    }


def _value_schema(fragments: Fragments, components: Components, value: Any) -> JsonObject:
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


ERROR_SCHEMA = "Error"


def error_schemas(codes: Iterable[str]) -> dict[str, JsonObject]:
    """The one schema of every error answer (``Error``, the envelope) and the two it nests, so that a client
    generated from the document has one error type to catch, whatever the status; ``codes`` are all the codes."""
    return {
        ERROR_SCHEMA: {
            "type": "object",
            "description": "Every error answer, whatever its status: the code says what went wrong (docs/errors.md).",
            "required": ["error", "meta"],
            "additionalProperties": False,
            "properties": {"error": ref("ErrorInfo"), "meta": ref("Meta")},
        },
        "ErrorInfo": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {
                    "type": "string",
                    "enum": list(codes),
                    "description": "Each status's codes are listed on its response; docs/errors.md says when each "
                    "happens.",
                },
                "message": {"type": "string", "description": "For people; the code is what to branch on."},
                "details": {
                    "type": "array",
                    "items": ref("ErrorDetail"),
                    "description": "`validation_error`: one entry per problem.",
                },
                "retry_after": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "429 and 503: seconds until a retry can succeed (also in `Retry-After`).",
                },
                "original_status": {
                    "type": "integer",
                    "description": "`idempotency_response_unavailable`: the status the earlier request answered with.",
                },
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


def error_response(status: int, codes: Iterable[str]) -> JsonObject:
    """``components/responses/Error<status>``: the one ``Error`` schema, with the status's codes and headers."""
    listed = ", ".join(f"`{code}`" for code in codes)
    description = f"{STATUS_TEXT.get(status, 'Error')}: {listed} (docs/errors.md)."
    headers: JsonObject = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    if status in (429, 503):
        # Each refusal (rate_limited, quota_exceeded, overloaded) says when to come back, in the body and in
        # Retry-After.
        description += " `error.retry_after` and `Retry-After` say when to retry."
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    else:
        headers.update({name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS})
    if status == 401:
        headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
    if status == 405:
        description += " `Allow` lists the methods the path takes."
        headers["Allow"] = {"$ref": "#/components/headers/Allow"}
    return {"description": description, "headers": headers, "content": {MEDIA_TYPE: {"schema": ref(ERROR_SCHEMA)}}}


RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


SUCCESS_HEADERS = ("X-Request-Id", *RATE_LIMIT_HEADERS)


REPLAYED_HEADER = "Idempotent-Replayed"


# What every successful GET answers, its 304 included (rest_compat/conditional.py).
VALIDATOR_HEADERS = ("ETag", "Cache-Control", "Vary")


NOT_MODIFIED = "NotModified"


def not_modified_response() -> JsonObject:
    """``components/responses/NotModified``: a GET whose ``If-None-Match`` names the current answer."""
    return {
        "description": "The answer is the one the client holds (its `If-None-Match` names the current `ETag`): no "
        "body. For most GETs the operation did not run.",
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in ("X-Request-Id", *VALIDATOR_HEADERS)},
    }


HEADERS: JsonObject = {
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
    "ETag": {
        "required": True,
        "description": "The answer's validator, for `If-None-Match`; it changes with every write to the store (and, "
        "for the usage, quotas, keys and event counts, with the answer itself), and is never the same for two keys, "
        "stores or URLs.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "required": True,
        "description": "`private, max-age=30` for the store's data (the client's own cache may reuse it for 30 "
        "seconds), `private, no-cache` for answers that change without a write (revalidate each time).",
        "schema": {"type": "string", "enum": ["private, max-age=30", "private, no-cache"]},
    },
    "Vary": {
        "required": True,
        "description": "`Authorization`: an answer is one key's.",
        "schema": {"type": "string", "enum": ["Authorization"]},
    },
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
