"""The OpenAPI document and docs/rest.md: generated from the endpoint table, checked in current, valid OpenAPI
3.1, strict about what /v1 answers, and served (with Swagger UI) without a key."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest
import schemathesis
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLScalarType, GraphQLString
from openapi_spec_validator import validate
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from typer.testing import CliRunner

from rest_compat.docs_markdown import BEGIN, END, StaleMarkers, anchor, render, replace_generated
from rest_compat.docs_page import openapi_routes
from rest_compat.openapi.common import SIGNED_HEADERS, TIMESTAMP_PATTERN, DocumentError, is_signed, rest_error_codes
from rest_compat.openapi.document import (
    build_document,
    compiled_table,
    document_bytes,
    generated_document,
)
from rest_compat.openapi.examples import EXAMPLES
from rest_compat.openapi.links import links as operation_links
from rest_compat.openapi.responses import leaf_schema
from rest_compat.openapi.tags import tags
from rest_compat.table import ENDPOINTS
from storegraph.cli import app as cli
from storegraph.platform import errors as platform_errors
from storegraph.platform.auth import request_signature as signatures
from storegraph.platform.error_codes import CODES
from storegraph.platform.http.browser_assets import BrowserAssets
from storegraph.platform.http.responses import error_body
from storegraph.settings import Settings
from tests.support.factories import create_key, create_store
from tests.support.paths import REPO

ROOT = REPO
OPENAPI = ROOT / "openapi.json"
GUIDE = ROOT / "docs" / "rest.md"
STALE = "run `storegraph export-openapi` and commit the result"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The methods an OpenAPI path item can hold.
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return generated_document()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in document["paths"].items() for method, operation in item.items()]


def validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator for a schema of the document: its ``#/components/...`` references resolve in the document."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def response_schema(operation: dict[str, Any], status: int, document: dict[str, Any]) -> dict[str, Any]:
    response = operation["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


# --- generated and current --------------------------------------------------------------------------------------


def test_the_checked_in_openapi_json_is_the_generated_document(document):
    assert OPENAPI.read_bytes() == document_bytes(document), f"openapi.json is out of date: {STALE}"


def test_the_rest_guide_is_current():
    schema, endpoints = compiled_table()
    guide = GUIDE.read_text(encoding="utf-8")

    assert guide == replace_generated(guide, render(build_document(schema, endpoints), endpoints)), (
        f"docs/rest.md is out of date: {STALE}"
    )


def test_the_cli_export_writes_the_document_and_the_guide(tmp_path, document):
    guide = tmp_path / "rest.md"
    guide.write_text(f"# Intro kept as written\n\n{BEGIN}\nstale generated text\n{END}\n\nOutro.\n", encoding="utf-8")
    output = tmp_path / "openapi.json"

    result = CliRunner().invoke(cli, ["export-openapi", "--output", str(output), "--guide", str(guide)])

    assert result.exit_code == 0, result.output
    assert output.read_bytes() == document_bytes(document)
    text = guide.read_text(encoding="utf-8")
    assert text.startswith("# Intro kept as written\n\n")
    assert text.endswith(f"{END}\n\nOutro.\n")
    assert "stale generated text" not in text
    assert "### `POST /v1/products`" in text


def test_the_cli_export_refuses_a_guide_without_markers(tmp_path):
    guide = tmp_path / "rest.md"
    guide.write_text("# No markers\n", encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["export-openapi", "--output", str(tmp_path / "openapi.json"), "--guide", str(guide)]
    )

    assert result.exit_code == 1
    assert guide.read_text(encoding="utf-8") == "# No markers\n"


def test_replacing_the_generated_part_needs_both_markers():
    with pytest.raises(StaleMarkers):
        replace_generated(f"{END}\n{BEGIN}\n", "x")


def test_the_guide_links_to_each_endpoint_by_its_github_anchor():
    assert anchor("`GET /v1/customers/{id}/orders`") == "get-v1customersidorders"
    assert anchor("`DELETE /v1/landing-pages/{id}`") == "delete-v1landing-pagesid"


# --- a valid OpenAPI 3.1 document -------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(document):
    problems = [f"{list(error.instance_path)}: {error.message}" for error in OPENAPI_31_VALIDATOR.iter_errors(document)]

    assert problems == []


def test_schemathesis_loads_every_operation(document):
    loaded = schemathesis.openapi.from_dict(copy.deepcopy(document))
    results = list(loaded.get_all_operations())

    assert all(isinstance(result, Ok) for result in results)
    assert sorted(result.ok().label for result in results if isinstance(result, Ok)) == sorted(
        row.label for row in ENDPOINTS
    )


def test_every_schema_is_valid_json_schema_2020_12(document):
    schemas = dict(document["components"]["schemas"])
    for path, method, operation in operations(document):
        for parameter in operation["parameters"]:
            schemas[f"{method} {path} {parameter['name']}"] = parameter["schema"]
    for name, schema in schemas.items():
        try:
            jsonschema_rs.meta.validate({"$schema": DIALECT, **schema})
        except jsonschema_rs.ValidationError as error:
            pytest.fail(f"{name}: {error}")


# --- what it says about each endpoint ---------------------------------------------------------------------------


def test_there_is_one_operation_per_row_named_by_the_row(document):
    found = {(path, method): operation["operationId"] for path, method, operation in operations(document)}

    assert found == {(row.path, row.method.lower()): row.name for row in ENDPOINTS}


def test_every_operation_names_its_scope_graphql_operation_and_resource(document):
    rows = {row.name: row for row in ENDPOINTS}
    for _path, _method, operation in operations(document):
        row = rows[operation["operationId"]]
        assert operation.get("x-required-scope") == (str(row.scope) if row.scope is not None else None)
        assert operation["x-graphql-operation"].startswith(f"{row.operation.split()[0]} {row.name}")
        assert operation["tags"] == [row.resource]
        assert operation["summary"] == row.summary


def test_every_write_takes_an_idempotency_key_required_unless_signed(document):
    rows = {row.name: row for row in ENDPOINTS}
    for _path, method, operation in operations(document):
        row = rows[operation["operationId"]]
        headers = {parameter["name"]: parameter for parameter in operation["parameters"] if parameter["in"] == "header"}
        if method == "get":
            assert set(headers) == {"If-None-Match"}
            assert headers["If-None-Match"]["required"] is False
            continue
        key = headers.pop("Idempotency-Key")
        assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}
        # A signature is accepted once, so the signed tracking endpoints do not insist on a key.
        assert key["required"] is not is_signed(row)
        assert sorted(headers) == (["X-DZ-Signature", "X-DZ-Timestamp"] if is_signed(row) else [])


def test_every_operation_needs_a_bearer_key_but_the_signed_ones_a_public_key(document):
    rows = {row.name: row for row in ENDPOINTS}
    assert document["security"] == [{"bearerAuth": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert (schemes["publicKey"]["in"], schemes["publicKey"]["name"]) == ("header", "X-DZ-Key")
    signed = []
    for path, method, operation in operations(document):
        if is_signed(rows[operation["operationId"]]):
            signed.append(f"{method.upper()} {path}")
            assert operation["security"] == [{"publicKey": []}]
        else:
            assert "security" not in operation
    assert sorted(signed) == ["POST /v1/events", "POST /v1/signups"]


def test_the_signed_headers_follow_the_signature_rules():
    assert SIGNED_HEADERS["X-DZ-Timestamp"]["schema"]["pattern"] == f"^{signatures._TIMESTAMP.pattern}$"
    assert SIGNED_HEADERS["X-DZ-Signature"]["schema"]["pattern"] == f"^{signatures._SIGNATURE.pattern}$"


def test_path_ids_are_positive_integers(document):
    for path, _method, operation in operations(document):
        for parameter in operation["parameters"]:
            if parameter["in"] == "path":
                assert f"{{{parameter['name']}}}" in path
                assert parameter["required"] is True
                assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_query_parameters_are_the_query_models_fields(document):
    rows = {row.name: row for row in ENDPOINTS}
    for _path, _method, operation in operations(document):
        row = rows[operation["operationId"]]
        names = [parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "query"]
        fields = row.query.model_fields if row.query is not None else {}
        # As the query string spells them: by alias where a field has one (``from``, a Python keyword).
        assert names == [field.alias or name for name, field in fields.items()]
    products = document["paths"]["/v1/products"]["get"]["parameters"]
    assert products[0] == {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Page size, 1–200.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    }
    # A query string cannot spell null: optional parameters are absent, not nullable.
    assert products[2]["schema"] == {"type": "string", "enum": ["active", "draft", "archived"]}


def test_request_bodies_are_the_body_models_and_refuse_unknown_fields(document):
    rows = {row.name: row for row in ENDPOINTS}
    for _path, _method, operation in operations(document):
        row = rows[operation["operationId"]]
        if row.body is None:
            assert "requestBody" not in operation
            continue
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
        assert set(body["properties"]) == set(row.body.model_fields)
        assert body["additionalProperties"] is False
        # Required when an empty body breaks the schema: a required field, or a rule that one of several be given.
        assert operation["requestBody"]["required"] == bool(body.get("required") or body.get("anyOf"))


def test_success_answers_are_the_envelope_of_the_rows_representation(document):
    rows = {row.name: row for row in ENDPOINTS}
    for _path, _method, operation in operations(document):
        row = rows[operation["operationId"]]
        schema = response_schema(operation, row.status, document)
        assert schema["required"] == ["data", "meta"]
        assert schema["additionalProperties"] is False
        data = schema["properties"]["data"]["$ref"]
        expected = {"list": f"{row.fragment}Page", "all": f"{row.fragment}List"}.get(row.result_kind, row.fragment)
        assert data == f"#/components/schemas/{expected}"


def test_the_representations_are_strict(document):
    """Every field is required and no other is allowed, at every level: schemathesis relies on it."""

    def check(name: str, schema: dict[str, Any]) -> None:
        if schema.get("type") == "object" and "properties" in schema:
            assert schema["additionalProperties"] is False, name
            assert set(schema["required"]) == set(schema["properties"]), name
            for field, nested in schema["properties"].items():
                check(f"{name}.{field}", nested)

    for name, schema in document["components"]["schemas"].items():
        # Bodies have optional fields (they refuse unknown ones, tested above), and so has an error: the fields
        # that come with some codes only.
        if not name.endswith("Body") and name != "ErrorInfo":
            check(name, schema)


def test_graphql_types_become_the_rest_json_types(document):
    product = document["components"]["schemas"]["Product"]["properties"]

    assert product["id"] == {"type": "integer", "minimum": 1}
    assert product["created_at"] == {"type": "string", "pattern": TIMESTAMP_PATTERN}
    assert product["status"] == {"type": "string", "enum": ["active", "draft", "archived"]}
    assert product["pricing"]["properties"]["price"] == {"type": "integer"}
    assert product["pricing"]["properties"]["compare_price"] == {"type": ["integer", "null"]}
    assert product["inventory"]["properties"]["track_stock"] == {"type": "boolean"}
    store = document["components"]["schemas"]["Store"]["properties"]
    assert store["settings"] == {"type": "object"}
    assert store["limits"] == {"$ref": "#/components/schemas/PlanLimits"}
    order = document["components"]["schemas"]["Order"]["properties"]
    assert order["items"] == {"type": "array", "items": {"$ref": "#/components/schemas/OrderItem"}}
    deleted = document["components"]["schemas"]["DeletedProduct"]["properties"]
    assert deleted["deleted"] == {"const": True}


def test_leaf_schemas():
    status = GraphQLEnumType("Status", {"PENDING": "pending", "CASH_ON_DELIVERY": "cod"})

    assert leaf_schema(GraphQLNonNull(status)) == {"type": "string", "enum": ["pending", "cash_on_delivery"]}
    assert leaf_schema(status) == {"type": ["string", "null"], "enum": ["pending", "cash_on_delivery", None]}
    assert leaf_schema(GraphQLNonNull(GraphQLList(GraphQLNonNull(GraphQLString)))) == {
        "type": "array",
        "items": {"type": "string"},
    }
    with pytest.raises(DocumentError, match="Weird"):
        leaf_schema(GraphQLScalarType("Weird"))


def test_the_error_codes_by_status_are_the_code_tables():
    by_status = rest_error_codes()
    statuses = {code: status for status, codes in by_status.items() for code in codes}

    assert by_status[400] == (
        "duplicate_header",
        "idempotency_key_invalid",
        "idempotency_key_required",
        "invalid_cursor",
        *sorted({"query_too_costly", "query_too_deep"}),
    )
    assert by_status[429] == ("quota_exceeded", "rate_limited")
    assert statuses["payload_too_large"] == 413
    assert statuses["method_not_allowed"] == 405
    assert "throttled" not in statuses  # REST is never charged query cost
    for code, error_code in CODES.items():
        assert statuses.get(code, error_code.status) == error_code.status
    assert statuses[platform_errors.IdempotencyKeyInUse.code] == 409


def test_every_error_answer_is_the_one_error_schema(document):
    """So a generated client has one error type, whatever the operation and the status."""
    responses = document["components"]["responses"]
    for _path, _method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response == {"$ref": f"#/components/responses/Error{status}"}
    errors = {name: response for name, response in responses.items() if name.startswith("Error")}
    assert set(errors) == {f"Error{status}" for status in rest_error_codes()}
    for response in errors.values():
        assert response["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "meta"]
    assert error["properties"] == {
        "error": {"$ref": "#/components/schemas/ErrorInfo"},
        "meta": {"$ref": "#/components/schemas/Meta"},
    }


def test_the_error_schema_knows_every_code_and_each_status_lists_its_own(document):
    info = document["components"]["schemas"]["ErrorInfo"]
    by_status = rest_error_codes()

    assert info["properties"]["code"]["enum"] == [code for codes in by_status.values() for code in codes]
    for status, codes in by_status.items():
        description = document["components"]["responses"][f"Error{status}"]["description"]
        assert all(f"`{code}`" in description for code in codes), status


def test_refusals_say_when_to_retry_and_405_which_methods_to_use(document):
    responses = document["components"]["responses"]
    for status in (429, 503):
        assert responses[f"Error{status}"]["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    assert responses["Error405"]["headers"]["Allow"] == {"$ref": "#/components/headers/Allow"}
    assert document["components"]["headers"]["Allow"]["required"] is True


@pytest.mark.parametrize(
    "error",
    [
        platform_errors.RateLimited(limit=60, retry_after=7),
        platform_errors.QuotaExceeded(quota=1000, retry_after=3600),
        platform_errors.Overloaded(),
        platform_errors.IdempotencyResponseUnavailable("it was too large to keep", original_status=201),
        platform_errors.ValidationFailed.single("limit", "out_of_range", "limit must be between 1 and 200"),
        platform_errors.PayloadTooLarge(1024),
    ],
    ids=lambda error: error.code,
)
def test_an_error_body_written_before_the_handler_fits_the_error_schema(document, error):
    """The middleware writes these with whatever the error adds (``original_status`` was refused by the schema)."""
    scope = {"type": "http", "path": "/v1/products", "state": {"request_id": "req_test"}}
    body = orjson.loads(error_body(scope, error))

    errors = [e.message for e in validator(document, {"$ref": "#/components/schemas/Error"}).iter_errors(body)]
    assert errors == []


def test_every_operation_lists_405_since_no_path_takes_every_method(document):
    for path, item in document["paths"].items():
        assert set(item) < HTTP_METHODS, path
        for method, operation in item.items():
            assert "405" in operation["responses"], (method, path)


def test_no_component_is_left_unused(document):
    used = set(re.findall(r'"#/components/([a-zA-Z]+/[^"]+)"', orjson.dumps(document).decode()))
    defined = {
        f"{kind}/{name}"
        for kind, entries in document["components"].items()
        if kind != "securitySchemes"
        for name in entries
    }

    assert defined - used == set()


# --- servers, tags, licence and links ---------------------------------------------------------------------------


def test_the_checked_in_document_names_the_local_server_of_the_readme(document):
    assert [server["url"] for server in document["servers"]] == ["http://127.0.0.1:8000"]
    assert "http://127.0.0.1:8000/docs" in (ROOT / "README.md").read_text(encoding="utf-8")


async def test_the_served_document_names_the_public_base_url_without_a_trailing_slash():
    schema, endpoints = compiled_table()
    assets = BrowserAssets(Settings().ui_assets_dir)
    app = Starlette(routes=openapi_routes(schema, endpoints, "https://api.example.test/", assets))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://other.test") as http:
        served = (await http.get("/openapi.json")).json()

    assert [server["url"] for server in served["servers"]] == ["https://api.example.test"]


def test_every_tag_is_a_resource_of_the_table_and_is_described(document):
    assert [tag["name"] for tag in document["tags"]] == list(dict.fromkeys(row.resource for row in ENDPOINTS))
    assert all(tag["description"].endswith(".") for tag in document["tags"])


def test_a_resource_without_a_tag_description_is_refused():
    with pytest.raises(DocumentError, match="Refund"):
        tags(["Product", "Refund"])


def test_the_document_states_its_licence(document):
    assert document["info"]["license"]["name"]


def test_a_create_links_to_every_operation_on_what_it_created(document):
    links = document["paths"]["/v1/products"]["post"]["responses"]["201"]["links"]

    assert sorted(links) == ["DeleteProduct", "GetProduct", "UpdateProduct"]
    assert links["GetProduct"]["operationId"] == "GetProduct"
    assert links["GetProduct"]["parameters"] == {"id": "$response.body#/data/id"}
    webhook = document["paths"]["/v1/webhooks"]["post"]["responses"]["201"]["links"]
    assert sorted(webhook) == ["DeleteWebhook", "EnableWebhook", "ListWebhookDeliveries", "RedeliverWebhook"]


def test_a_list_links_only_to_the_reads_of_its_first_item(document):
    customers = document["paths"]["/v1/customers"]["get"]["responses"]["200"]["links"]
    assert sorted(customers) == [
        "GetCustomer",
        "GetCustomerAnalytics",
        "GetCustomerHouseAccount",
        "GetCustomerLoyalty",
        "ListCustomerAddresses",
        "ListCustomerOrders",
    ]
    assert customers["GetCustomer"]["parameters"] == {"id": "$response.body#/data/items/0/id"}
    # Revoking whichever key comes first (perhaps the caller's own) is no chain to follow.
    assert "links" not in document["paths"]["/v1/keys"]["get"]["responses"]["200"]


def test_every_create_links_to_its_get_and_every_get_to_the_writes_on_its_item(document):
    rows = {row.name: row for row in ENDPOINTS}
    by_label = {row.label: row for row in ENDPOINTS}
    for row in ENDPOINTS:
        links = document["paths"][row.path][row.method.lower()]["responses"][str(row.status)].get("links", {})
        item = f"{row.path}/{{id}}"
        if row.method == "POST" and row.status == 201 and f"GET {item}" in by_label:
            assert by_label[f"GET {item}"].name in links, row.name
        if row.method == "GET" and row.path.endswith("/{id}") and row.result_kind == "object":
            writes = {other.name for other in ENDPOINTS if other.path == row.path and other.is_write}
            assert writes <= set(links), row.name
        if row.method == "DELETE":
            assert links == {}, row.name
        for name, link in links.items():
            target = rows[link["operationId"]]
            assert name == target.name
            assert set(link["parameters"]) == set(target.path_vars) == {"id"}


def test_every_link_passes_an_id_the_answer_has(document):
    def named(schema: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return found

    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            for link in response.get("links", {}).values():
                answer = named(response_schema(operation, int(status), document)["properties"]["data"])
                if link["parameters"]["id"] == "$response.body#/data/items/0/id":
                    answer = named(answer["properties"]["items"]["items"])
                else:
                    assert link["parameters"]["id"] == "$response.body#/data/id"
                assert answer["properties"]["id"] == {"type": "integer", "minimum": 1}, (method, path)
                assert "id" in answer["required"]


def test_a_link_from_an_answer_without_an_id_is_refused(document):
    rows = [row for row in ENDPOINTS if row.path.startswith("/v1/products")]
    schemas = {**document["components"]["schemas"], "Product": {"type": "object", "properties": {"name": {}}}}

    with pytest.raises(DocumentError, match="no id"):
        operation_links(rows, schemas)


def test_the_document_passes_openapi_spec_validator():
    validate(orjson.loads(OPENAPI.read_bytes()))


def test_the_examples_are_on_their_operations_and_fit_the_document(document):
    found: dict[str, list[str]] = {}
    for _path, _method, operation in operations(document):
        name = operation["operationId"]
        for parameter in operation["parameters"]:
            if "example" in parameter:
                found.setdefault(name, []).append(parameter["name"])
                assert validator(document, parameter["schema"]).is_valid(parameter["example"]), (name, parameter)
        if "requestBody" in operation:
            content = operation["requestBody"]["content"]["application/json"]
            for example in content.get("examples", {}).values():
                found.setdefault(name, []).append("body")
                errors = [
                    error.message for error in validator(document, content["schema"]).iter_errors(example["value"])
                ]
                assert errors == [], name
        status = next(status for status in operation["responses"] if int(status) < 400)
        content = operation["responses"][status]["content"]["application/json"]
        for example in content.get("examples", {}).values():
            found.setdefault(name, []).append("response")
            errors = [error.message for error in validator(document, content["schema"]).iter_errors(example["value"])]
            assert errors == [], name

    assert set(found) == set(EXAMPLES)
    # Seed 004's and seed 000's, and the tracking bodies of the contract.
    assert set(EXAMPLES) == {
        "CreateProduct",
        "ListOrders",
        "ListCustomers",
        "GetCustomer",
        "ListCustomerOrders",
        "TrackSignup",
        "TrackEvents",
    }
    assert found["CreateProduct"] == ["body", "response"]
    assert found["ListOrders"] == ["limit", "status", "response"]


# --- served -----------------------------------------------------------------------------------------------------


async def test_openapi_json_is_served_without_a_key(client: httpx.AsyncClient, document):
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    assert orjson.loads(response.content) == orjson.loads(document_bytes(document))


async def test_the_docs_page_is_swagger_ui_over_the_document_without_a_key(client: httpx.AsyncClient):
    response = await client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


# --- regressions found by tests/rest_compat/test_rest_schemathesis.py
# --------------------------------------------------------


async def test_a_v1_path_with_a_newline_is_answered_in_the_envelope(client: httpx.AsyncClient, session: AsyncSession):
    """``/v1/products/%0A`` did not match Starlette's ``/v1/{path:path}`` (its ``.*`` stops at a newline) and got
    Starlette's own ``{"detail": "Not Found"}``."""
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    for method, path in [("GET", "/v1/products/%0A"), ("DELETE", "/v1/products/1%0A2"), ("GET", "/v1/%0Awhoami")]:
        headers = {**key.headers, "Idempotency-Key": f"newline-{method}-{path}"}
        response = await client.request(method, path, headers=headers)

        assert response.status_code in (404, 422), (method, path)
        body = response.json()
        assert set(body) == {"error", "meta"}, (method, path, body)
        assert body["error"]["code"] in ("not_found", "validation_error")


# --- what client generators can read -----------------------------------------------------------------------------


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["$ref"].rsplit("/", 1)[-1]} if isinstance(schema.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_refs(item) for item in schema))
    return set()


def _arrays(schema: Any) -> list[dict[str, Any]]:
    if isinstance(schema, dict):
        own = [schema] if schema.get("type") == "array" else []
        return own + [found for value in schema.values() for found in _arrays(value)]
    if isinstance(schema, list):
        return [found for item in schema for found in _arrays(item)]
    return []


def test_no_component_schema_reaches_itself_which_client_generators_cannot_read():
    schemas = generated_document()["components"]["schemas"]
    for name in schemas:
        seen: set[str] = set()
        todo = set(_refs(schemas[name]))
        while todo:
            current = todo.pop()
            assert current != name, f"{name} refers to itself"
            if current not in seen:
                seen.add(current)
                todo |= _refs(schemas.get(current, {}))


def test_every_array_schema_says_its_items_which_client_generators_need_in_a_union():
    document = generated_document()
    assert all("items" in array for array in _arrays(document)), [a for a in _arrays(document) if "items" not in a]


def test_every_get_documents_its_etag_if_none_match_and_304(document):
    for path, method, operation in operations(document):
        if method != "get":
            continue
        [success] = [response for status, response in operation["responses"].items() if status.startswith("2")]
        assert {"ETag", "Cache-Control", "Vary"} <= set(success["headers"]), path
        assert operation["responses"]["304"] == {"$ref": "#/components/responses/NotModified"}, path
        assert "If-None-Match" in {parameter["name"] for parameter in operation["parameters"]}, path


def test_no_write_documents_a_304(document):
    for path, method, operation in operations(document):
        if method != "get":
            assert "304" not in operation["responses"], (method, path)
