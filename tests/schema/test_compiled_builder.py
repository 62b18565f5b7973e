"""A compiled shape's builder reads a result row's leaves by position and anything else by attribute, with the same
answer either way."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from graphql.type.scalars import serialize_int, serialize_string
from sqlalchemy import Row, create_engine, text

from schema.core.compiled.codegen import generate_builder
from schema.core.compiled.plan import NotExact

STEPS = [
    ("leaf", "name", ("name", serialize_string, True)),
    ("typename", "__typename", None),
    ("leaf", "total", ("total", serialize_int, False)),
]


def _rows(sql: str) -> list[Row[Any]]:
    with create_engine("sqlite://").connect() as connection:
        return list(connection.execute(text(sql)).all())


@pytest.fixture
def build() -> Any:
    return generate_builder("Thing", STEPS, NotExact)


def test_rows_of_one_result_are_read_by_position(build: Any) -> None:
    rows = _rows("SELECT 7 AS extra, 'a' AS name, 1 AS total UNION ALL SELECT 8, 'b', NULL")

    assert build(rows, {}) == [
        {"name": "a", "__typename": "Thing", "total": 1},
        {"name": "b", "__typename": "Thing", "total": None},
    ]


def test_rows_of_another_result_and_objects_are_read_by_attribute(build: Any) -> None:
    first = _rows("SELECT 'a' AS name, 1 AS total")
    # Another result, its columns in another order: positions found on the first row would misread it.
    other = _rows("SELECT 2 AS total, 'b' AS name")
    plain = SimpleNamespace(name="c", total=3)

    assert build([*first, *other, plain], {}) == [
        {"name": "a", "__typename": "Thing", "total": 1},
        {"name": "b", "__typename": "Thing", "total": 2},
        {"name": "c", "__typename": "Thing", "total": 3},
    ]


def test_a_result_without_a_selected_column_is_read_by_attribute_and_fails_as_before(build: Any) -> None:
    rows = _rows("SELECT 'a' AS name")

    with pytest.raises(AttributeError):
        build(rows, {})


def test_a_null_in_a_non_null_leaf_is_not_exact_by_position(build: Any) -> None:
    rows = _rows("SELECT NULL AS name, 1 AS total")

    with pytest.raises(NotExact):
        build(rows, {})
