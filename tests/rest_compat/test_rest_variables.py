"""A REST value becomes a GraphQL variable by its type (rest_compat/compile.py): the conversion of each type is
worked out once, at its first value, and answers every later value as the first."""

from __future__ import annotations

import pytest
from graphql import GraphQLInputType, build_schema

from rest_compat.compile import CompiledEndpoint, to_graphql
from rest_compat.handler import compile_table
from schema.core.build import build_schema as build_storegraph_schema

SCHEMA = build_schema(
    """
    enum Status { ACTIVE DRAFT }
    input Line { productId: ID! quantity: Int! }
    input Filter { status: Status, anyOf: [Filter!], lineItems: [Line!] }
    input Input { fullName: String, status: Status!, tagIds: [ID!], lines: [Line!]!, filter: Filter }
    type Query { run(input: Input!, filter: Filter): Int }
    """
)


def input_type(name: str) -> GraphQLInputType:
    gql_type = SCHEMA.get_type(name)
    assert gql_type is not None
    return gql_type  # type: ignore[return-value]


def test_keys_are_camel_cased_enums_upper_cased_ids_strings():
    value = {
        "full_name": "Amine",
        "status": "active",
        "tag_ids": [1, 2],
        "lines": [{"product_id": 7, "quantity": 2}],
        "filter": None,
    }

    assert to_graphql(value, input_type("Input")) == {
        "fullName": "Amine",
        "status": "ACTIVE",
        "tagIds": ["1", "2"],
        "lines": [{"productId": "7", "quantity": 2}],
        "filter": None,
    }


def test_a_type_that_holds_itself_converts_as_deep_as_its_values_go():
    value = {"any_of": [{"status": "draft", "any_of": [{"line_items": [{"product_id": 3, "quantity": 1}]}]}]}

    assert to_graphql(value, input_type("Filter")) == {
        "anyOf": [{"status": "DRAFT", "anyOf": [{"lineItems": [{"productId": "3", "quantity": 1}]}]}]
    }


@pytest.fixture(scope="module")
def create_product() -> CompiledEndpoint:
    table = compile_table(build_storegraph_schema()._schema)
    return next(compiled for compiled in table if compiled.endpoint.label == "POST /v1/products")


def test_a_compiled_endpoint_converts_each_request_as_the_first(create_product: CompiledEndpoint):
    body = {"name": "Tapis", "price": 1500, "status": "active", "track_stock": True}

    first = create_product.variables({}, {}, body)

    assert first == {"input": {"name": "Tapis", "price": 1500, "status": "ACTIVE", "trackStock": True}}
    assert create_product.variables({}, {}, body) == first
    assert create_product.variables({}, {}, {"name": "Lampe", "status": "draft"}) == {
        "input": {"name": "Lampe", "status": "DRAFT"}
    }


def test_an_unknown_field_is_refused_every_time(create_product: CompiledEndpoint):
    for _ in range(2):
        with pytest.raises(KeyError):
            create_product.variables({}, {}, {"name": "Tapis", "no_such_field": 1})
