"""Properties of the query cost over generated documents: it never fails on a valid document, and asking for
bigger pages never makes an operation cheaper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import parse, validate
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.core.pagination import MAX_PAGE_SIZE
from schema.core.build import build_schema
from schema.core.cost import QueryCostAnalyzer

SCHEMA = build_schema()._schema

# The shape of a generated document: object types, their scalars, and the fields that lead to other types.
SCALARS = {
    "Customer": ("id", "firstName", "phone", "totalSpent", "isBanned"),
    "Order": ("id", "orderNumber", "status", "total"),
    "OrderItem": ("id", "quantity", "unitPrice"),
    "Product": ("id", "name", "price"),
}
LINKS = {  # per type: (field, kind, target type)
    "Customer": (("orders", "connection", "Order"),),
    "Order": (("items", "list", "OrderItem"), ("customer", "object", "Customer")),
    "OrderItem": (("product", "object", "Product"),),
    "Product": (),
}
ROOTS = (("customers", "Customer"), ("orders", "Order"), ("products", "Product"))


@dataclass
class Selection:
    type_name: str
    scalars: list[str]
    links: list[Link]
    wrap: str  # "", "inline" or "fragment"


@dataclass
class Link:
    field: str
    kind: str
    style: str  # for connections: "nodes" or "edges"
    total_count: bool
    selection: Selection


def selections(type_name: str, depth: int) -> st.SearchStrategy[Selection]:
    links = LINKS[type_name] if depth > 0 else ()
    link_strategy = st.sampled_from(links).flatmap(
        lambda spec: st.builds(
            Link,
            field=st.just(spec[0]),
            kind=st.just(spec[1]),
            style=st.sampled_from(["nodes", "edges"]),
            total_count=st.booleans(),
            selection=selections(spec[2], depth - 1),
        )
    )
    return st.builds(
        Selection,
        type_name=st.just(type_name),
        scalars=st.lists(st.sampled_from(SCALARS[type_name]), min_size=1, max_size=3, unique=True),
        links=st.lists(link_strategy, max_size=2) if links else st.just([]),
        wrap=st.sampled_from(["", "inline", "fragment"]),
    )


@dataclass
class Renderer:
    """Renders a selection tree to a document; every connection's ``first`` is a variable ``$f<n>``."""

    variables: int = 0
    aliases: int = 0
    fragments: list[str] = field(default_factory=list)

    def connection(self, field_name: str, link_style: str, total_count: bool, selection: Selection) -> str:
        variable = f"f{self.variables}"
        self.variables += 1
        items = self.selection(selection)
        page = f"nodes {items}" if link_style == "nodes" else f"edges {{ cursor node {items} }}"
        extra = " totalCount" if total_count else ""
        return f"{self.alias()}: {field_name}(first: ${variable}) {{ {page}{extra} }}"

    def selection(self, selection: Selection) -> str:
        parts = list(selection.scalars)
        for link in selection.links:
            if link.kind == "connection":
                parts.append(self.connection(link.field, link.style, link.total_count, link.selection))
            else:
                parts.append(f"{self.alias()}: {link.field} {self.selection(link.selection)}")
        body = " ".join(parts)
        if selection.wrap == "inline":
            return f"{{ ... on {selection.type_name} {{ {body} }} }}"
        if selection.wrap == "fragment":
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {selection.type_name} {{ {body} }}")
            return f"{{ ...{name} }}"
        return f"{{ {body} }}"

    def alias(self) -> str:
        self.aliases += 1
        return f"a{self.aliases}"

    def document(self, roots: list[tuple[str, Selection]]) -> str:
        fields = " ".join(self.connection(name, "nodes", False, selection) for name, selection in roots)
        declared = ", ".join(f"$f{number}: Int!" for number in range(self.variables))
        return f"query Generated({declared}) {{ {fields} }}\n" + "\n".join(self.fragments)


documents = st.lists(
    st.sampled_from(ROOTS).flatmap(lambda root: st.tuples(st.just(root[0]), selections(root[1], 3))),
    min_size=1,
    max_size=2,
).map(lambda roots: _rendered(roots))


def _rendered(roots: list[tuple[str, Selection]]) -> tuple[str, int]:
    renderer = Renderer()
    document = renderer.document(roots)
    return document, renderer.variables


@settings(max_examples=150, deadline=None)
@given(generated=documents, data=st.data())
def test_the_cost_of_any_valid_document_is_defined_and_monotonic_in_first(generated: tuple[str, int], data: Any):
    document, variable_count = generated
    parsed = parse(document)
    assert validate(SCHEMA, parsed) == [], document
    values = data.draw(st.lists(st.integers(1, MAX_PAGE_SIZE), min_size=variable_count, max_size=variable_count))
    raised = data.draw(st.integers(0, variable_count - 1))
    more = list(values)
    more[raised] += data.draw(st.integers(1, 2 * MAX_PAGE_SIZE))
    analyzer = QueryCostAnalyzer()

    before = analyzer.plan(SCHEMA, parsed, None, _as_variables(values), query=document).requested
    after = analyzer.plan(SCHEMA, parsed, None, _as_variables(more), query=document).requested

    assert 1 <= before.cost <= after.cost
    if values[raised] < MAX_PAGE_SIZE:  # every generated page selects its items, so a bigger page costs more
        assert before.cost < after.cost
    assert before.depth == after.depth >= 3


def _as_variables(values: list[int]) -> dict[str, int]:
    return {f"f{number}": value for number, value in enumerate(values)}
