from __future__ import annotations

from schema.core.build import build_schema
from tests.support.paths import REPO

SNAPSHOT = REPO / "schema.graphql"


def test_checked_in_schema_matches_the_live_schema():
    live = build_schema().as_str() + "\n"

    assert SNAPSHOT.read_text(encoding="utf-8") == live, (
        "schema.graphql is out of date: run `storegraph export-schema` and commit the result"
    )
