"""Variables without defaults (built-in scalars, enums, custom scalars, lists and input objects) are coerced
without graphql-core's per-request work, to exactly what graphql-core coerces them to
(schema/core/compiled/variables.py)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    parse,
)
from graphql import build_schema as build_graphql_schema
from graphql.execution.values import VariableValues, get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.core.build import build_schema
from schema.core.compiled.variables import PlainVariables
from schema.core.cost import CostLimits
from schema.core.documents import DocumentLimits
from storegraph.settings import Settings

TYPES = [
    "String",
    "ID",
    "Int",
    "Boolean",
    "Float",
    "[Int]",
    "OrderStatus",
    "DateTime",
    "CreateProductInput",
    "UpdateOrderStatusInput",
    "PlaceOrderInput",
    "[OrderLineInput!]",
    "CustomerFilter",
]
LEAVES = st.one_of(
    st.text(max_size=5),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.none(),
    st.sampled_from(["PENDING", "ACTIVE", "2026-04-30T14:22:10Z", "12"]),
)
# Input objects' fields, known and unknown, given as a client sends them.
FIELDS = [
    "name",
    "price",
    "status",
    "stockQuantity",
    "id",
    "note",
    "lines",
    "customer",
    "productId",
    "quantity",
    "firstName",
    "phone",
    "wilayaId",
    "unknown",
]
OBJECTS = st.recursive(
    st.dictionaries(st.sampled_from(FIELDS), LEAVES, max_size=5),
    lambda inner: st.dictionaries(st.sampled_from(FIELDS), st.one_of(LEAVES, inner, st.lists(inner, max_size=2))),
    max_leaves=8,
)
NAMES = ["a", "b", "c"]
VALUES = st.one_of(
    st.text(max_size=5),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=2),
    st.sampled_from(["PENDING", "2026-04-30T14:22:10Z"]),
    OBJECTS,
    st.lists(OBJECTS, max_size=2),
)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    configured = Settings()
    return build_schema(CostLimits.from_settings(configured), DocumentLimits.from_settings(configured))._schema


def _comparable(variables: object) -> object:
    """Variable values with each signature's type as written: graphql-core makes a new wrapping type object (a
    non-null, a list) for each request, equal only in what it wraps."""
    if not isinstance(variables, VariableValues):
        return variables
    sources = {
        name: (signature.name, str(signature.type), signature.default, signature.default_value, source.value)
        for name, source in variables.sources.items()
        for signature in [source.signature]
    }
    return sources, variables.coerced


def _operation(definitions: str) -> OperationDefinitionNode:
    document = parse(f"query Q{definitions} {{ __typename }}")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def _definitions(draw: st.DrawFn) -> str:
    variables = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)):
        type_name = draw(st.sampled_from(TYPES)) + draw(st.sampled_from(["", "!"]))
        default = draw(st.sampled_from(["", " = 3", ' = "x"']))
        variables.append(f"${name}: {type_name}{default}")
    return "(" + ", ".join(variables) + ")"


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    definitions = _definitions(draw)
    given_values = draw(st.dictionaries(st.sampled_from([*NAMES, "extra"]), VALUES, max_size=4))
    return definitions, given_values


@settings(max_examples=400, deadline=None)
@given(request=requests())
def test_plain_variables_coerce_to_what_graphql_core_coerces_them_to(
    schema: GraphQLSchema, request: tuple[str, dict[str, Any]]
) -> None:
    definitions, given_values = request
    operation = _operation(definitions)
    nodes = operation.variable_definitions or ()
    plain = PlainVariables.of(schema, nodes)
    coerced = None if plain is None else plain.coerce(given_values)
    if coerced is not None:
        assert _comparable(coerced) == _comparable(get_variable_values(schema, nodes, given_values, 50))


@pytest.mark.parametrize(
    ("definitions", "given_values"),
    [
        ("($id: ID!)", {"id": "42"}),
        ("($first: Int!, $after: String)", {"first": 50}),
        ("($first: Int!, $after: String)", {"first": 50, "after": "abc"}),
        ("($flag: Boolean)", {"flag": True}),
    ],
)
def test_the_hot_reads_variables_take_the_plain_way(
    schema: GraphQLSchema, definitions: str, given_values: dict[str, Any]
) -> None:
    nodes = _operation(definitions).variable_definitions or ()
    plain = PlainVariables.of(schema, nodes)
    assert plain is not None
    coerced = plain.coerce(given_values)
    assert coerced is not None
    assert _comparable(coerced) == _comparable(get_variable_values(schema, nodes, given_values, 50))


@pytest.mark.parametrize(
    ("definitions", "given_values"),
    [
        ("($id: ID!)", {}),
        ("($id: ID!)", {"id": None}),
        ("($id: ID!)", {"id": 42}),
        ("($first: Int!)", {"first": 2**31}),
        ("($first: Int!)", {"first": True}),
        ("($flag: Boolean)", {"flag": 1}),
        ("($name: String)", {"name": None}),
    ],
)
def test_values_graphql_core_must_judge_are_left_to_it(
    schema: GraphQLSchema, definitions: str, given_values: dict[str, Any]
) -> None:
    plain = PlainVariables.of(schema, _operation(definitions).variable_definitions or ())
    assert plain is not None
    assert plain.coerce(given_values) is None


@pytest.mark.parametrize(
    ("definitions", "given_values"),
    [
        ("($input: CreateProductInput!)", {"input": {"name": "Tapis", "price": 1500}}),
        ("($input: UpdateOrderStatusInput!)", {"input": {"id": "7", "status": "CONFIRMED"}}),
        (
            "($input: PlaceOrderInput!)",
            {
                "input": {
                    "customer": {"phone": "0555000001", "firstName": "Amine", "wilayaId": 16},
                    "lines": [{"productId": "3", "quantity": 1}],
                }
            },
        ),
        ("($lines: [OrderLineInput!])", {"lines": {"productId": "3"}}),
        ("($at: DateTime, $s: OrderStatus)", {"at": "2026-04-30T14:22:10Z", "s": "PENDING"}),
    ],
)
def test_the_writes_input_objects_take_the_built_way(
    schema: GraphQLSchema, definitions: str, given_values: dict[str, Any]
) -> None:
    nodes = _operation(definitions).variable_definitions or ()
    plain = PlainVariables.of(schema, nodes)
    assert plain is not None
    coerced = plain.coerce(given_values)
    assert coerced is not None
    assert _comparable(coerced) == _comparable(get_variable_values(schema, nodes, given_values, 50))


@pytest.mark.parametrize(
    ("definitions", "given_values"),
    [
        ("($input: CreateProductInput!)", {"input": {"name": "Tapis"}}),
        ("($input: CreateProductInput!)", {"input": {"name": "Tapis", "price": 1500, "unknown": 1}}),
        ("($input: CreateProductInput!)", {"input": {"name": "Tapis", "price": -1}}),
        ("($input: CreateProductInput!)", {"input": {"name": "Tapis", "price": 1500, "status": "GONE"}}),
        ("($input: CreateProductInput!)", {"input": "Tapis"}),
        ("($input: UpdateOrderStatusInput!)", {"input": {"id": None}}),
        ("($lines: [OrderLineInput!])", {"lines": [None]}),
    ],
)
def test_input_values_graphql_core_refuses_are_left_to_it(
    schema: GraphQLSchema, definitions: str, given_values: dict[str, Any]
) -> None:
    nodes = _operation(definitions).variable_definitions or ()
    plain = PlainVariables.of(schema, nodes)
    assert plain is not None
    assert plain.coerce(given_values) is None
    assert isinstance(get_variable_values(schema, nodes, given_values, 50), list)


@pytest.mark.parametrize("definitions", ["($first: Int = 5)", '($input: CreateProductInput = {name: "x", price: 1})'])
def test_operations_with_defaults_are_left_to_graphql_core(schema: GraphQLSchema, definitions: str) -> None:
    assert PlainVariables.of(schema, _operation(definitions).variable_definitions or ()) is None


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"v": 1}
    for _ in range(depth):
        value = {"child": value}
    return value


@pytest.mark.parametrize(
    "definitions",
    ["($input: CreateProductInput!)", "($input: PlaceOrderInput!)", "($lines: [OrderLineInput!])", "($ids: [ID!]!)"],
)
def test_the_writes_input_types_need_no_walk_for_their_nesting(schema: GraphQLSchema, definitions: str) -> None:
    plain = PlainVariables.of(schema, _operation(definitions).variable_definitions or ())
    assert plain is not None
    assert [walk for *_, walk in plain._variables] == [False]


@pytest.mark.parametrize("depth", [5, 250])
def test_a_self_containing_input_type_is_walked_for_its_nesting_as_graphql_core_walks_it(depth: int) -> None:
    recursive = build_graphql_schema("input Node { child: Node, v: Int } type Query { f(n: Node): Int }")
    nodes = parse("query Q($n: Node) { f(n: $n) }").definitions[0].variable_definitions  # type: ignore[attr-defined]
    plain = PlainVariables.of(recursive, nodes)
    assert plain is not None
    assert [walk for *_, walk in plain._variables] == [True]
    given_values = {"n": _nested(depth)}

    coerced = plain.coerce(given_values)

    expected = get_variable_values(recursive, nodes, given_values, 50)
    if depth > 200:
        assert coerced is None
        assert isinstance(expected, list)  # "nested too deeply": graphql-core's to report
    else:
        assert coerced is not None
        assert _comparable(coerced) == _comparable(expected)


def _options_schemas() -> list[GraphQLSchema]:
    """An input type whose fields take defaults both ways graphql-core knows: written in the SDL (coerced once by
    ``coerce_default_value``) and given as a Python value (``default_value``, used as it is, as strawberry does)."""
    written = build_graphql_schema(
        "enum State { ON OFF } input Options { limit: Int = 20, note: String, status: State = OFF } "
        "type Query { f(i: Options): Int }"
    )
    state = GraphQLEnumType("State", {"ON": "on", "OFF": "off"})
    options = GraphQLInputObjectType(
        "Options",
        {
            "limit": GraphQLInputField(GraphQLInt, default_value=20),
            "note": GraphQLInputField(GraphQLString),
            "status": GraphQLInputField(state, default_value="off"),
        },
    )
    query = GraphQLObjectType("Query", {"f": GraphQLField(GraphQLInt, args={"i": GraphQLArgument(options)})})
    return [written, GraphQLSchema(query)]


@pytest.mark.parametrize("defaults", _options_schemas(), ids=["written", "given"])
@pytest.mark.parametrize(
    "given_values",
    [{"i": {}}, {"i": {"limit": 7}}, {"i": {"note": "x"}}, {"i": {"limit": 7, "note": "x", "status": "ON"}}],
)
def test_an_input_field_left_out_takes_its_default_as_graphql_core_gives_it(
    defaults: GraphQLSchema, given_values: dict[str, Any]
) -> None:
    nodes = parse("query Q($i: Options) { f(i: $i) }").definitions[0].variable_definitions  # type: ignore[attr-defined]
    plain = PlainVariables.of(defaults, nodes)
    assert plain is not None

    for _ in range(2):  # the default is the same the second time, once coerced
        coerced = plain.coerce(given_values)

        assert coerced is not None
        assert _comparable(coerced) == _comparable(get_variable_values(defaults, nodes, given_values, 50))
        assert coerced.coerced["i"]["limit"] == given_values["i"].get("limit", 20)
        assert "note" not in coerced.coerced["i"] or "note" in given_values["i"]
