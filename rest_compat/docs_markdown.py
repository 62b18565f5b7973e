"""docs/rest.md's generated part: the REST → GraphQL mapping of every endpoint, rendered from the endpoint table
and the OpenAPI document built from it (rest_compat/openapi/), so the guide cannot describe another API.

The guide's hand-written introduction stays as it is; only the text between the two marker comments is replaced
(``storegraph export-openapi``), and a test fails when that text is stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rest_compat.compile import CompiledEndpoint
from rest_compat.input_types import TEXT_RULES
from rest_compat.names import camel_case
from rest_compat.openapi.common import TIMESTAMP_PATTERN, JsonObject, error_statuses, is_signed
from rest_compat.openapi.document import graphql_document
from rest_compat.representations import FRAGMENTS
from rest_compat.shapes import Const, Many, Obj, Shape, Spread

BEGIN = "<!-- BEGIN GENERATED: `storegraph export-openapi` writes this part from rest_compat/table.py -->"
ERRORS_BEGIN = (
    "<!-- BEGIN GENERATED: `storegraph export-openapi` writes this part from storegraph/platform/error_codes.py -->"
)
END = "<!-- END GENERATED -->"

# Enums longer than this (the ISO country codes) are named by their title rather than listed in a table cell.
MAX_LISTED_CHOICES = 20


class StaleMarkers(ValueError):
    """The guide lacks the marker comments that delimit its generated part."""


def replace_generated(guide: str, generated: str, begin: str = BEGIN) -> str:
    """``guide`` with the text between the markers replaced by ``generated``."""
    before, found_begin, rest = guide.partition(begin)
    _, found_end, after = rest.partition(END)
    if not found_begin or not found_end:
        raise StaleMarkers(f"the guide must contain {begin!r} and, after it, {END!r}")
    return f"{before}{begin}\n{generated}{END}{after}"


def render(document: JsonObject, endpoints: Sequence[CompiledEndpoint]) -> str:
    """The generated part: a summary table, one section per endpoint, the representations."""
    schemas: dict[str, JsonObject] = document["components"]["schemas"]
    lines: list[str] = [
        "",
        "## Endpoints",
        "",
        "| endpoint | scope | GraphQL operation | success |",
        "|---|---|---|---|",
    ]
    for compiled in endpoints:
        row = compiled.endpoint
        scope = f"`{row.scope}`" if row.scope is not None else "any valid key"
        title = f"`{row.label}`"
        lines.append(f"| [{title}](#{anchor(title)}) | {scope} | `{row.name}` | {row.status} |")
    lines.extend(["", "## Endpoint by endpoint"])
    labels = {compiled.endpoint.name: compiled.endpoint.label for compiled in endpoints}
    for compiled in endpoints:
        operation = document["paths"][compiled.endpoint.path][compiled.endpoint.method.lower()]
        lines.extend(_endpoint(compiled, operation, schemas, labels))
    lines.extend(["", "## Representations", ""])
    lines.append(
        "Each REST object is made from a GraphQL fragment: the REST field, the GraphQL field it comes from, and "
        "its JSON type. Every field is always present (`null` when empty)."
    )
    for name in _representations(document):
        lines.extend(_representation(name, schemas))
    return "\n".join(lines) + "\n\n"


def _endpoint(
    compiled: CompiledEndpoint, operation: JsonObject, schemas: Mapping[str, JsonObject], labels: Mapping[str, str]
) -> list[str]:
    row = compiled.endpoint
    scope = f"`{row.scope}`" if row.scope is not None else "any valid key"
    lines = ["", f"### `{row.label}`", "", f"{row.summary.rstrip('.')}."]
    if row.description:
        lines.extend(["", row.description])
    success = operation["responses"][str(row.status)]
    data = success["content"]["application/json"]["schema"]["properties"]["data"]
    answer = _answer(row.result_kind, data, schemas)
    errors = ", ".join(str(status) for status in error_statuses(row))
    lines.extend(
        [
            "",
            f"- Scope: {scope}",
            f"- Success: `{row.status}` with {answer}",
            f"- Errors: {errors} ([errors.md](errors.md))",
        ]
    )
    if links := success.get("links"):
        targets = [f"`{labels[link['operationId']]}`" for link in links.values()]
        listed = ", ".join(f"[{target}](#{anchor(target)})" for target in targets)
        lines.append(f"- Links to {listed} (their `id` from {_id_source(links)})")
    if is_signed(row):
        lines.append(
            "- Signed with a public key: `X-DZ-Key`, `X-DZ-Timestamp` and `X-DZ-Signature` instead of a Bearer key; "
            "an `Idempotency-Key` is optional"
        )
    elif row.is_write:
        lines.append("- Needs an `Idempotency-Key` header ([idempotency.md](idempotency.md))")
    path = [p for p in operation["parameters"] if p["in"] == "path"]
    query = [p for p in operation["parameters"] if p["in"] == "query"]
    if path:
        lines.extend(["", "Path parameters:", "", "| name | type | GraphQL variable |", "|---|---|---|"])
        lines.extend(
            _row(f"`{p['name']}`", describe(p["schema"], schemas), f"`${row.path_vars[p['name']]}`") for p in path
        )
    if query:
        lines.extend(
            [
                "",
                "Query parameters:",
                "",
                "| name | type | default | GraphQL variable | notes |",
                "|---|---|---|---|---|",
            ]
        )
        # A parameter is named by its field's alias where it has one (``from``, a Python keyword, is ``from_``).
        fields = {field.alias or name: name for name, field in row.query.model_fields.items()} if row.query else {}
        for p in query:
            default = f"`{_json(p['schema']['default'])}`" if "default" in p["schema"] else ""
            variable = f"`${row.query_vars[fields[p['name']]]}`"
            lines.append(
                _row(f"`{p['name']}`", describe(p["schema"], schemas), default, variable, p.get("description", ""))
            )
    if "requestBody" in operation:
        lines.extend(_body(compiled, operation["requestBody"], schemas))
    lines.extend(["", "GraphQL:", "", "```graphql", graphql_document(compiled), "```"])
    return lines


def _id_source(links: Mapping[str, JsonObject]) -> str:
    """Where the answer's links take the id from, as a JSON path: ``data.id``, ``data.items[0].id``."""
    pointers = {link["parameters"]["id"] for link in links.values()}
    if len(pointers) != 1:
        raise ValueError(f"links that take their id from different places: {sorted(pointers)}")
    parts = pointers.pop().removeprefix("$response.body#/").split("/")
    return "`" + ".".join(parts).replace(".0.", "[0].") + "`"


def _answer(kind: str, data: JsonObject, schemas: Mapping[str, JsonObject]) -> str:
    if kind in ("list", "all"):
        page = schemas[_ref_name(data)]
        item = _ref_name(page["properties"]["items"]["items"])
        link = f"[`{item}`](#{item.lower()})"
        if kind == "all":
            return f'all of them, `{{"items": [...], "next_cursor": null, "has_more": false}}` of {link}'
        head = "".join(f'"{name}", ' for name in page["properties"] if name not in ("items", "next_cursor", "has_more"))
        return f'`{{{head}"items": [...], "next_cursor", "has_more"}}` of {link}'
    name = _ref_name(data)
    return f"[`{name}`](#{name.lower()})"


def _body(compiled: CompiledEndpoint, body: JsonObject, schemas: Mapping[str, JsonObject]) -> list[str]:
    row = compiled.endpoint
    model = schemas[_ref_name(body["content"]["application/json"]["schema"])]
    required = set(model.get("required", ()))
    lines = [
        "",
        f"Body (JSON, unknown fields are a `validation_error`), the variable `${row.body_var}`:"
        if row.body_var is not None
        else "Body (JSON, unknown fields are a `validation_error`), each field a variable of its own:",
        "",
        "| field | type | required | default | GraphQL input field | notes |",
        "|---|---|---|---|---|---|",
    ]
    for name, schema in model["properties"].items():
        target = (
            "(selects the endpoint)"
            if name in row.body_ignored
            else f"`${row.body_vars[name]}`"
            if row.body_var is None
            else f"`{camel_case(name)}`"
        )
        # A null default only says the field may be left out, which the required column says already.
        has_default = schema.get("default") is not None and name not in required
        default = f"`{_json(schema['default'])}`" if has_default else ""
        yes = "yes" if name in required else "no"
        lines.append(_row(f"`{name}`", describe(schema, schemas), yes, default, target, schema.get("description", "")))
    return lines


def _representations(document: JsonObject) -> list[str]:
    """The fragments the document's responses use, in the order of the table."""
    names: list[str] = []
    for name in FRAGMENTS:
        if name in document["components"]["schemas"]:
            names.append(name)
    return names


def _representation(name: str, schemas: Mapping[str, JsonObject]) -> list[str]:
    fragment = FRAGMENTS[name]
    lines = [
        "",
        f"### {name}",
        "",
        f"From the GraphQL type `{fragment.type_name}`.",
        "",
        "| REST field | GraphQL field | type |",
        "|---|---|---|",
    ]
    lines.extend(_shape_rows(fragment.shape, schemas[name], schemas, prefix="", source_prefix=""))
    return lines


def _shape_rows(
    shape: Shape, schema: JsonObject, schemas: Mapping[str, JsonObject], *, prefix: str, source_prefix: str
) -> list[str]:
    rows: list[str] = []
    for rest_name, source in shape.items():
        if isinstance(source, Spread):
            # The nested object's fields are merged into this one.
            nested = FRAGMENTS[source.fragment].shape
            rows.extend(
                _shape_rows(nested, schema, schemas, prefix=prefix, source_prefix=f"{source_prefix}{source.source}.")
            )
            continue
        field_schema = schema["properties"][rest_name]
        label = f"`{prefix}{rest_name}`"
        if isinstance(source, str):
            rows.append(_row(label, f"`{source_prefix}{source}`", describe(field_schema, schemas)))
        elif isinstance(source, Const):
            rows.append(_row(label, "(constant)", f"`{_json(source.value)}`"))
        elif isinstance(source, Obj | Many):
            rows.append(_row(label, f"`{source_prefix}{source.source}`", describe(field_schema, schemas)))
        else:
            rows.extend(
                _shape_rows(source, field_schema, schemas, prefix=f"{prefix}{rest_name}.", source_prefix=source_prefix)
            )
    return rows


def describe(schema: Mapping[str, Any], schemas: Mapping[str, JsonObject]) -> str:
    """A JSON Schema in a few words: ``integer 1–200``, ``one of `active`, `draft` or null``."""
    if "$ref" in schema:
        name = _ref_name(schema)
        target = schemas[name]
        if "enum" in target:  # the request models' enums read best inline
            return describe(target, schemas)
        if name in FRAGMENTS:  # a representation, described at the end of the guide
            return f"[`{name}`](#{name.lower()})"
        # A request body's nested object (one of a batch of events): its fields say what it is.
        fields = ", ".join(f"`{field}`" for field in target.get("properties", {}))
        return f"object ({fields}; any other key too)" if target.get("additionalProperties") else f"object ({fields})"
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option != {"type": "null"}]
        text = " or ".join(describe(option, schemas) for option in options)
        return f"{text} or null" if len(options) < len(schema["anyOf"]) else text
    if "const" in schema:
        return f"`{_json(schema['const'])}`"
    types = schema.get("type")
    nullable = isinstance(types, list) and "null" in types
    kind = next((t for t in types if t != "null"), None) if isinstance(types, list) else types
    text = _describe_kind(kind, schema, schemas)
    return f"{text} or null" if nullable else text


def _describe_kind(kind: Any, schema: Mapping[str, Any], schemas: Mapping[str, JsonObject]) -> str:
    if "enum" in schema:
        values = [value for value in schema["enum"] if value is not None]
        if len(values) > MAX_LISTED_CHOICES and "title" in schema:  # a standard's codes: named, not listed
            return f"{schema['title']} (one of {len(values)})"
        return "one of " + ", ".join(f"`{value}`" for value in values)
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"integer {low}–{high}"
        return f"integer ≥ {low}" if low is not None else "integer"
    if kind == "string":
        if schema.get("pattern") == TIMESTAMP_PATTERN:
            return "timestamp `YYYY-MM-DD HH:MM:SS` (UTC)"
        if schema.get("format") == "date-time":
            return "date-time (ISO 8601)"
        if schema.get("format") == "date":
            return "date `YYYY-MM-DD`"
        return _describe_text(schema)
    if kind == "array":
        items = describe(schema.get("items", {}), schemas)
        return f"list of {items}{_bounds(schema.get('minItems'), schema.get('maxItems'), '')}"
    if kind is None:
        return "any"
    return str(kind)


def _describe_text(schema: Mapping[str, Any]) -> str:
    """A request string by its rule (rest_compat/input_types.py) and length: ``text, not blank (1–100 characters)``."""
    pattern = schema.get("pattern")
    rule = TEXT_RULES.get(pattern) if pattern is not None else None
    words = rule.summary if rule is not None else f"string matching `{pattern}`" if pattern is not None else "string"
    return words + _bounds(schema.get("minLength"), schema.get("maxLength"), " characters")


def _bounds(low: int | None, high: int | None, unit: str) -> str:
    if low and high is not None:
        return f" ({low}–{high}{unit})"
    if high is not None:
        return f" (at most {high}{unit})"
    return f" (at least {low}{unit})" if low else ""


def _ref_name(schema: Mapping[str, Any]) -> str:
    target: str = schema["$ref"]
    return target.rsplit("/", 1)[-1]


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _row(*cells: str) -> str:
    """A table row. Cells are one line, and a ``|`` (even in a code span) would end the cell early."""
    return "| " + " | ".join(" ".join(cell.split()).replace("|", "\\|") for cell in cells) + " |"


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens."""
    kept = "".join(char for char in heading.lower() if char.isalnum() or char in " -_")
    return kept.replace(" ", "-")
