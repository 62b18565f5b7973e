"""The guides state facts the code also holds; these tests keep the two from drifting apart."""

from __future__ import annotations

import re
from pathlib import Path

from schema.permissions import FIELD_SCOPES, OBJECT_SCOPES

DOCS = Path(__file__).resolve().parent.parent / "docs"
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
    """What schema/permissions.py enforces, named as the guide names it (root fields without their type)."""
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
    import domain.errors as errors

    seen: set[str] = set()
    pending: list[type[errors.ApiError]] = [errors.ApiError]
    while pending:
        error_type = pending.pop()
        seen.add(error_type.code)
        pending.extend(error_type.__subclasses__())
    return seen


def test_every_error_code_is_in_the_error_reference():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (DOCS / "errors.md").read_text(encoding="utf-8"), re.M))
    assert all_error_codes() <= documented


def documented_statuses() -> dict[str, int]:
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", (DOCS / "errors.md").read_text(encoding="utf-8"), re.M)
    return {code: int(status) for code, status in rows}


def test_every_rest_error_code_is_documented_with_its_http_status():
    from rest_compat.errors import HTTP_STATUS

    documented = documented_statuses()
    assert {code: documented.get(code) for code in HTTP_STATUS} == HTTP_STATUS
