"""The guides state facts the code also holds; these tests keep the two from drifting apart."""

from __future__ import annotations

import re

from rest_compat.docs_markdown import ERRORS_BEGIN, replace_generated
from schema.core.permissions import FIELD_SCOPES, OBJECT_SCOPES
from storegraph.platform import errors
from storegraph.platform.error_codes import CODES, http_status, markdown_table
from tests.support.paths import REPO

DOCS = REPO / "docs"
ANY_KEY = "any valid key"
_ROW = re.compile(r"^\| (?P<fields>`[^|]+`) \| `(?P<scope>[^`]+)` \|$")


def documented_scopes() -> dict[str, str]:
    """The scope table of docs/graphql.md as {field as written: scope}."""
    text = (DOCS / "graphql.md").read_text(encoding="utf-8")
    section = text.split("## Scopes", 1)[1]
    table: dict[str, str] = {}
    for line in section.splitlines():
        if match := _ROW.match(line.strip()):
            for field in re.findall(r"`([^`]+)`", match["fields"]):
                table[field] = match["scope"]
    return table


def enforced_scopes() -> dict[str, str]:
    """What schema/core/permissions.py enforces, named as the guide names it (root fields without their type)."""
    table = {
        (field if owner in ("Query", "Mutation") else name): str(scope)
        for name, scope in FIELD_SCOPES.items()
        for owner, field in [name.split(".", 1)]
    }
    table.update(dict.fromkeys(OBJECT_SCOPES["Query"][1], ANY_KEY))
    return table


def test_the_graphql_guides_scope_table_is_what_the_schema_enforces():
    assert documented_scopes() == enforced_scopes()


def all_error_codes() -> set[str]:
    seen: set[str] = set()
    pending: list[type[errors.ApiError]] = [errors.ApiError]
    while pending:
        error_type = pending.pop()
        seen.add(error_type.code)
        pending.extend(error_type.__subclasses__())
    return seen


def test_every_error_code_is_in_the_error_reference():
    documented = set(re.findall(r"^\| `([A-Za-z_]+)` \|", (DOCS / "errors.md").read_text(encoding="utf-8"), re.M))
    assert all_error_codes() <= documented


def test_every_error_class_has_its_code_in_the_one_table():
    assert all_error_codes() <= CODES.keys()


def test_the_error_references_code_table_is_generated_from_the_one_table():
    guide = (DOCS / "errors.md").read_text(encoding="utf-8")
    assert replace_generated(guide, markdown_table(), ERRORS_BEGIN) == guide, (
        "docs/errors.md is out of date: run `storegraph export-openapi` and commit the result"
    )


def test_error_statuses_and_user_errors_come_from_the_one_table():
    assert errors.Conflict("sku", "taken").http_status == CODES["conflict"].status == 409
    assert errors.PayloadTooLarge(10).http_status == 413
    assert {error_type.code for error_type in errors.user_error_types()} == {
        code for code, error_code in CODES.items() if error_code.user_error
    }


def test_a_code_outside_the_table_answers_as_an_internal_error():
    assert http_status("no_such_code") == 500
