"""A plan's arguments taken without graphql-core's ``get_argument_values`` (schema/core/compiled/arguments.py
``direct_arguments``): for every field argument of the schema, given as a variable (set, null, not given), as a
literal or not at all, the same values or the same refusal as graphql-core's."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationDefinitionNode,
    parse,
)
from graphql.execution.values import VariableValues, get_argument_values

from schema.core.build import build_schema
from schema.core.compiled.plan import Arguments

SCHEMA = build_schema()
FIELDS = {
    f"{type_name}.{name}": field
    for type_name, graphql_type in SCHEMA._schema.type_map.items()
    if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
    for name, field in graphql_type.fields.items()
    if field.args
}
LITERALS = {"Int": "3", "String": '"x"', "ID": '"7"', "Boolean": "true", "Float": "1.5"}


def field_node(arguments: str) -> FieldNode:
    operation = parse(f"{{ f{arguments} }}").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return node


def literal(field: GraphQLField, name: str) -> str | None:
    """A literal of the argument's type that the compiled path takes as it is (a scalar, an enum), or null."""
    graphql_type = field.args[name].type
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLScalarType):
        return LITERALS.get(graphql_type.name)
    return None


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "values", run()
    except (GraphQLError, ValueError):
        return "refused", None


def both_ways(field: GraphQLField, arguments: str, coerced: dict[str, Any]) -> tuple[Arguments, Any, Any]:
    node = field_node(arguments)
    variables = VariableValues(sources={}, coerced=coerced)
    compiled = Arguments(field, node, lambda values: values)
    return (
        compiled,
        outcome(lambda: compiled.values(variables)),
        outcome(lambda: get_argument_values(field, node, variables)),
    )


@pytest.mark.parametrize("coordinate", sorted(FIELDS))
def test_arguments_taken_directly_are_graphql_cores(coordinate: str) -> None:
    field = FIELDS[coordinate]
    names = list(field.args)
    given = object()  # a variable's coerced value is handed on as it is: the same object
    as_variables = "(" + ", ".join(f"{name}: ${name}" for name in names) + ")"
    for coerced in ({}, dict.fromkeys(names), dict.fromkeys(names, given)):
        compiled, direct, standard = both_ways(field, as_variables, coerced)
        assert compiled.direct is not None, "arguments given as variables are taken directly"
        assert direct[0] == standard[0]
        if direct[0] == "values":
            assert direct[1].keys() == standard[1].keys()
            assert all(direct[1][key] is standard[1][key] for key in direct[1])
    for name in names:
        for value in (literal(field, name), "null"):
            if value is None:
                continue
            others = [other for other in names if other != name]
            arguments = "(" + ", ".join([f"{name}: {value}", *(f"{other}: ${other}" for other in others)]) + ")"
            compiled, direct, standard = both_ways(field, arguments, dict.fromkeys(others, given))
            assert direct == standard
            if value != "null" or not isinstance(field.args[name].type, GraphQLNonNull):
                assert compiled.direct is not None, f"a literal {value} is taken directly"
    compiled, direct, standard = both_ways(field, "", {})
    assert direct == standard


def test_a_literal_input_object_is_coerced_by_graphql_core_each_time() -> None:
    field = FIELDS["Query.customers"]
    compiled, direct, standard = both_ways(field, '(filter: {search: "a"})', {})
    assert compiled.direct is None
    assert direct == standard
    first, second = compiled.values(VariableValues({}, {})), compiled.values(VariableValues({}, {}))
    assert first["filter"] is not second["filter"], "each request gets its own input object"
