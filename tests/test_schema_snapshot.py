from __future__ import annotations

from pathlib import Path

from schema.build import build_schema

SNAPSHOT = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_checked_in_schema_matches_the_live_schema():
    live = build_schema().as_str() + "\n"

    assert SNAPSHOT.read_text(encoding="utf-8") == live, (
        "schema.graphql is out of date: run `storegraph export-schema` and commit the result"
    )
