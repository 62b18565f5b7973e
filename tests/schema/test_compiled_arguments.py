"""The compiled path's argument converter (schema/core/compiled/arguments.py) against strawberry's
``convert_arguments``: for every field argument of the schema, on drawn coerced values, the same Python values."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.relay import GlobalID
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.maybe import Maybe
from strawberry.types.unset import UNSET

from schema.core.build import build_schema
from schema.core.compiled.arguments import argument_converter, built_converter

SCHEMA = build_schema()
REGISTRY = SCHEMA.schema_converter.scalar_registry
CONFIG = SCHEMA.config

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
# A coerced value of each scalar, as graphql-core hands it to strawberry (its kind matters less than its type).
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False),
    "String": st.text(max_size=8),
    "ID": st.text(max_size=8),
    "Boolean": st.booleans(),
    "Date": st.dates(),
    "DateTime": st.datetimes(),
    "Money": st.integers(0, 10**12),
    "JSON": _JSON,
}


def _definition(field: GraphQLField) -> StrawberryField:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    assert isinstance(definition, StrawberryField)
    return definition


def _fields_with_arguments() -> dict[str, GraphQLField]:
    return {
        f"{type_name}.{name}": field
        for type_name, graphql_type in SCHEMA._schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
        for name, field in graphql_type.fields.items()
        if field.args
    }


FIELDS = _fields_with_arguments()


def values_of(graphql_type: GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Coerced values of ``graphql_type``; a nullable position is now and then null or ``UNSET``."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _non_null(graphql_type.of_type, depth)
    return st.one_of(st.none(), st.just(UNSET), _non_null(graphql_type, depth))


def _non_null(graphql_type: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(graphql_type, GraphQLList):
        return st.lists(values_of(graphql_type.of_type, depth), max_size=3)
    if isinstance(graphql_type, GraphQLEnumType):
        # strawberry's enum types parse a name to the Python enum's member, as graphql-core's coercion hands it on.
        return st.sampled_from([graphql_type.parse_value(name) for name in graphql_type.values])
    if isinstance(graphql_type, GraphQLScalarType):
        return SCALARS[graphql_type.name]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    return _object_of(
        {name: field.type for name, field in graphql_type.fields.items()},
        required={name for name, field in graphql_type.fields.items() if isinstance(field.type, GraphQLNonNull)},
        depth=depth + 1,
    )


def _object_of(types: dict[str, GraphQLInputType], required: set[str], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {name: values_of(types[name], depth) for name in required},
        optional={name: values_of(type_, depth) for name, type_ in types.items() if name not in required},
    )


def arguments_of(field: GraphQLField) -> st.SearchStrategy[dict[str, Any]]:
    types = {name: argument.type for name, argument in field.args.items()}
    return _object_of(types, required=set(), depth=0)


def assert_same(built: Any, strawberry_value: Any) -> None:
    """Equal, and of the same types all the way down (an enum member, not its value; a list, not a tuple)."""
    assert type(built) is type(strawberry_value)
    if dataclasses.is_dataclass(built) and not isinstance(built, type):
        assert built == strawberry_value
        for field in dataclasses.fields(built):
            assert_same(getattr(built, field.name), getattr(strawberry_value, field.name))
    elif isinstance(built, list):
        assert len(built) == len(strawberry_value)
        for left, right in zip(built, strawberry_value, strict=True):
            assert_same(left, right)
    elif isinstance(built, dict):
        assert built.keys() == strawberry_value.keys()
        for key in built:
            assert_same(built[key], strawberry_value[key])
    elif built is UNSET:
        assert strawberry_value is UNSET
    else:
        assert built == strawberry_value


def strawberry_values(definition: StrawberryField, values: dict[str, Any]) -> dict[str, Any]:
    return convert_arguments(values, definition.arguments, scalar_registry=REGISTRY, config=CONFIG)


def compiled_values(definition: StrawberryField, values: dict[str, Any]) -> dict[str, Any]:
    return argument_converter(definition, REGISTRY, CONFIG)(values)


def test_every_field_argument_of_the_schema_gets_a_built_converter() -> None:
    assert len(FIELDS) > 50
    for definition in map(_definition, FIELDS.values()):
        assert built_converter(definition, REGISTRY, CONFIG) is not None


@pytest.mark.parametrize("coordinate", sorted(FIELDS))
def test_converted_arguments_are_strawberrys(coordinate: str) -> None:
    field = FIELDS[coordinate]
    definition = _definition(field)
    convert = argument_converter(definition, REGISTRY, CONFIG)

    @settings(max_examples=40, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values=arguments_of(field))
    def check(values: dict[str, Any]) -> None:
        assert_same(convert(values), strawberry_values(definition, values))

    check()


def _field(coordinate: str) -> StrawberryField:
    return _definition(FIELDS[coordinate])


def test_a_converted_list_of_leaves_is_a_copy() -> None:
    tags = ["vip", "wholesale"]
    converted = compiled_values(_field("Mutation.addCustomerTags"), {"id": "1", "tags": tags})
    assert converted["tags"] == tags
    assert converted["tags"] is not tags


def test_a_list_inside_an_input_is_a_copy() -> None:
    scopes = ["orders:read"]
    converted = compiled_values(_field("Mutation.createApiKey"), {"input": {"scopes": scopes}})
    assert converted["input"].scopes == scopes
    assert converted["input"].scopes is not scopes


def test_an_omitted_input_field_keeps_its_default_and_a_null_one_is_none() -> None:
    definition = _field("Mutation.updateProduct")
    converted = compiled_values(definition, {"input": {"id": "7", "name": None}})["input"]
    assert converted.name is None
    assert converted.price is UNSET
    assert_same(converted, strawberry_values(definition, {"input": {"id": "7", "name": None}})["input"])


def test_an_omitted_argument_is_left_out_and_unset_stays_unset() -> None:
    definition = _field("Query.customers")
    assert compiled_values(definition, {"first": 5}) == {"first": 5}
    assert compiled_values(definition, {"filter": UNSET, "after": None}) == {"filter": UNSET, "after": None}


def test_nested_input_objects_are_built_by_their_classes() -> None:
    definition = _field("Mutation.trackEvents")
    values = {"input": {"events": [{"event": "view", "occurredAt": datetime(2026, 1, 2)}, {"event": "buy"}]}}
    converted = compiled_values(definition, values)["input"]
    assert [type(event).__name__ for event in converted.events] == ["TrackedEventInput", "TrackedEventInput"]
    assert converted.events[0].occurred_at == datetime(2026, 1, 2)
    assert converted.events[1].properties is None
    assert_same(converted, strawberry_values(definition, values)["input"])


def test_enums_stay_the_members_graphql_core_parsed() -> None:
    definition = _field("Query.orders")
    arguments = FIELDS["Query.orders"].args
    status = arguments["filter"].type.fields["status"].type.parse_value("PENDING")  # type: ignore[union-attr]
    field = arguments["sort"].type.fields["field"].type.of_type.parse_value("TOTAL")  # type: ignore[union-attr]
    converted = compiled_values(definition, {"filter": {"status": status}, "sort": {"field": field}})
    assert isinstance(status, enum.Enum)
    assert converted["filter"].status is status
    assert converted["sort"].field is field


@strawberry.input
class Tree:
    label: str
    children: list[Tree] | None = None


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Other:
    @strawberry.field
    def tree(self, tree: Tree, colours: list[Colour | None], day: date | None = None) -> str:
        return tree.label

    @strawberry.field
    def maybe(self, name: Maybe[str | None] = None) -> str:
        return ""

    @strawberry.field
    def node(self, id: GlobalID) -> str:
        return ""


OTHER = strawberry.Schema(query=Other)


def _other(name: str) -> StrawberryField:
    definition = OTHER.get_type_by_name("Other").get_field(name)  # type: ignore[union-attr]
    assert isinstance(definition, StrawberryField)
    return definition


def test_a_recursive_input_type_is_converted_like_strawberry() -> None:
    registry, config = OTHER.schema_converter.scalar_registry, OTHER.config
    definition = _other("tree")
    assert built_converter(definition, registry, config) is not None
    values = {"tree": {"label": "a", "children": [{"label": "b", "children": [{"label": "c"}]}, {"label": "d"}]}}
    expected = convert_arguments(values, definition.arguments, scalar_registry=registry, config=config)
    assert_same(argument_converter(definition, registry, config)(values), expected)


@pytest.mark.parametrize(
    ("name", "values"), [("maybe", {"name": None}), ("maybe", {"name": "x"}), ("node", {"id": "VXNlcjox"})]
)
def test_maybe_and_global_id_are_left_to_strawberry(name: str, values: dict[str, Any]) -> None:
    registry, config = OTHER.schema_converter.scalar_registry, OTHER.config
    definition = _other(name)
    assert built_converter(definition, registry, config) is None
    expected = convert_arguments(values, definition.arguments, scalar_registry=registry, config=config)
    assert argument_converter(definition, registry, config)(values) == expected
