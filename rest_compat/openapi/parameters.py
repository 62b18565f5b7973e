"""Path and query parameters and request bodies, from the rows' pydantic models (the ones the handler validates
with)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter

from rest_compat.endpoint import Endpoint
from rest_compat.input_types import Id
from rest_compat.openapi.common import (
    IDEMPOTENCY_KEY_SCHEMA,
    MEDIA_TYPE,
    SIGNED_HEADERS,
    Components,
    DocumentError,
    JsonObject,
    is_signed,
)
from rest_compat.openapi.examples import Example

_ID_SCHEMA: JsonObject = TypeAdapter(Id).json_schema()


def parameters(row: Endpoint, example: Example | None) -> list[JsonObject]:
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
                # anyway is honoured (storegraph/platform/idempotency/policy.py).
                "required": not is_signed(row),
                "description": "Any unique string (a UUID v4 is best). A retry with the same key and request "
                "replays the first answer with `Idempotent-Replayed: true` and does nothing twice "
                "(docs/idempotency.md).",
                "schema": IDEMPOTENCY_KEY_SCHEMA,
            }
        )
    if not row.is_write:
        parameters.append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The `ETag` of an earlier answer (or several, comma-separated; weak or strong; `*`): "
                "answered 304 with no body if it names the current answer.",
                "schema": {"type": "string"},
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


def request_body(model: type[BaseModel], components: Components, example: Example | None) -> JsonObject:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components.add(name, definition)
    # Unknown fields are a validation_error (inputs.BodyModel forbids them); say so even if a model forgot.
    schema["additionalProperties"] = False
    content: JsonObject = {"schema": components.add(model.__name__, schema)}
    if example is not None and example.body is not None:
        content["examples"] = {"seed": {"summary": example.summary, "value": example.body}}
    return {
        # A body whose fields are all optional may be left out (an empty body is ``{}``), unless a rule across its
        # fields needs one of them.
        "required": bool(schema.get("required") or schema.get("anyOf")),
        "content": {MEDIA_TYPE: content},
    }
