"""Telling a GraphQL request's operation kind from its first tokens: never ``query`` for a request graphql-core
would run as a mutation, and an answer for the documents clients send."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, get_operation_ast, parse
from hypothesis import given, settings
from hypothesis import strategies as st

from storegraph.platform.idempotency.graphql_operation import operation_kind, request_operation


@pytest.mark.parametrize(
    ("document", "name", "kind"),
    [
        ("mutation { createProduct(input: {}) { product { id } } }", None, "mutation"),
        ("mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }", None, "mutation"),
        ("query { viewer { keyId } }", None, "query"),
        ("{ viewer { keyId } }", None, "query"),
        ("query Q { viewer { keyId } }", "Q", "query"),
        ("subscription { events }", None, "subscription"),
        ("# a comment\n  mutation  M { a }", None, "mutation"),
        ("query A { a } mutation B { b }", "B", "mutation"),
        ("mutation B { b } query A { a }", "A", "query"),
        ('query A($v: In = {a: "}"}) @d(x: [{y: 1}]) { a } mutation B { b }', "B", "mutation"),
        ("fragment F on Query { viewer { keyId } } mutation M { ...F }", None, "mutation"),
        ("fragment F on Query { viewer { keyId } } { ...F }", None, "query"),
        ('query A { a(s: "mutation B { b }") } mutation B { b }', "B", "mutation"),
        ('"""described""" query A { a }', None, None),
        ("mutation {", None, "mutation"),  # a syntax error further on does not matter: the endpoint refuses it
    ],
)
def test_the_operation_kind_is_read_from_the_first_tokens(document, name, kind):
    assert operation_kind(document, name) == kind


@pytest.mark.parametrize(
    ("document", "name"),
    [
        ("query A { a }", "B"),  # no such operation
        ("type Query { a: Int }", None),
        ("mutation M { a } '", "X"),  # a lexer error before the operation is found
        ("", None),
    ],
)
def test_what_cannot_be_told_is_none(document, name):
    assert operation_kind(document, name) is None


def test_an_operation_past_the_token_budget_cannot_be_told():
    fragment = "fragment F on Query { " + "a " * 3_000 + "}"

    assert operation_kind(f"{fragment} query Q {{ ...F }}", "Q") is None


@pytest.mark.parametrize(
    ("request_body", "kind"),
    [
        ({"query": "mutation { a }"}, "mutation"),
        ({"query": "query A { a } mutation B { b }", "operationName": "B"}, "mutation"),
        ({"query": "query A { a } mutation B { b }", "operationName": 7}, "query"),
        ({"query": 1}, None),
        (["mutation { a }"], None),
    ],
)
def test_a_request_bodys_operation_name_selects_the_operation(request_body, kind):
    assert request_operation(request_body) == kind


NAMES = st.sampled_from(["A", "B", "query", "mutation", "fragment", "on"])
VALUES = st.recursive(
    st.sampled_from(["1", '"}"', '"mutation X { x }"', "true", "$v", '"""{ ("""']),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(st.tuples(NAMES, inner), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
        )
    ),
    max_leaves=6,
)
SELECTIONS = st.recursive(
    NAMES,
    lambda inner: (
        st.tuples(NAMES, st.lists(inner, min_size=1, max_size=3)).map(
            lambda pair: f"{pair[0]} {{ {' '.join(pair[1])} }}"
        )
        | st.tuples(NAMES, NAMES, VALUES).map(lambda triple: f"{triple[0]}({triple[1]}: {triple[2]})")
        | st.just("...F")
    ),
    max_leaves=8,
)
SELECTION_SETS = st.lists(SELECTIONS, min_size=1, max_size=3).map(lambda items: "{ " + " ".join(items) + " }")
HEADERS = st.tuples(
    st.sampled_from(["query", "mutation", "subscription"]),
    st.one_of(st.just(""), NAMES),
    st.one_of(st.just(""), VALUES.map(lambda value: f"($v: In = {value})")),
    st.one_of(st.just(""), VALUES.map(lambda value: f"@d(x: {value})")),
).map(lambda parts: " ".join(part for part in parts if part))
DEFINITIONS = st.one_of(
    st.tuples(HEADERS, SELECTION_SETS).map(lambda pair: f"{pair[0]} {pair[1]}"),
    SELECTION_SETS,
    st.tuples(NAMES, SELECTION_SETS).map(lambda pair: f"fragment {pair[0]} on T {pair[1]}"),
    st.just("# comment\n"),
)
DOCUMENTS = st.lists(DEFINITIONS, min_size=1, max_size=4).map("\n".join)


@settings(max_examples=500, deadline=None, database=None)
@given(DOCUMENTS, st.one_of(st.none(), NAMES))
def test_it_agrees_with_graphql_core_whenever_it_answers(document, name):
    kind = operation_kind(document, name)
    try:
        selected = get_operation_ast(parse(document), name)
    except GraphQLSyntaxError:
        return  # the endpoint refuses the request before anything runs, whatever was told
    if selected is None:
        return  # likewise: no operation to run
    assert kind in (None, selected.operation.value)
