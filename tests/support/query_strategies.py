"""What the generators of queries for the differential tests of compiled execution share: documents with their
variables and fragments, and strategies for conditions, leaves, fragments, connections and page sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLObjectType, get_named_type, is_leaf_type
from hypothesis import strategies as st

from schema.core.build import build_schema

_SCHEMA = build_schema()._schema


def leaves_of(type_name: str) -> tuple[str, ...]:
    """The leaf fields without arguments of ``type_name``, read off the schema so that a field added to a type is
    drawn too, and ``__typename``."""
    object_type = _SCHEMA.type_map[type_name]
    assert isinstance(object_type, GraphQLObjectType), type_name
    fields = object_type.fields
    named = (name for name, found in fields.items() if is_leaf_type(get_named_type(found.type)) and not found.args)
    return (*named, "__typename")


_SCHEMA = build_schema()._schema


PAGE_INFO_LEAVES = leaves_of("PageInfo")


@dataclass
class Document:
    """A query being generated: its variables (definitions and values) and its named fragments."""

    definitions: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)

    def variable(self, type_: str, value: Any, *, default: str | None = None, sent: bool = True) -> str:
        name = f"v{len(self.definitions)}"
        self.definitions.append(f"${name}: {type_}" + (f" = {default}" if default is not None else ""))
        if sent:
            self.values[name] = value
        return f"${name}"

    def text(self, selections: str) -> str:
        header = f"query Generated({', '.join(self.definitions)})" if self.definitions else "query Generated"
        return " ".join([header, "{", selections, "}", *self.fragments])


@st.composite
def condition(draw: st.DrawFn, doc: Document) -> str:
    """Nothing, or a ``@skip``/``@include`` with a literal or a variable (sent, or left to its default)."""
    kind = draw(st.sampled_from(["", "", "", "skip", "include"]))
    if not kind:
        return ""
    value = draw(st.booleans())
    how = draw(st.sampled_from(["literal", "variable", "default"]))
    if how == "literal":
        argument = "true" if value else "false"
    elif how == "variable":
        argument = doc.variable("Boolean!", value)
    else:
        argument = doc.variable("Boolean", None, default="true" if value else "false", sent=False)
    return f" @{kind}(if: {argument})"


@st.composite
def leaves(draw: st.DrawFn, doc: Document, names: tuple[str, ...]) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
    selections = []
    for name in chosen:
        alias = draw(st.sampled_from(["", "", f"{name.strip('_')}Again: ", "x: "]))
        if alias == "x: " and name != chosen[0]:
            alias = ""  # one alias for one field only: two fields under one key do not validate
        selections.append(f"{alias}{name}{draw(condition(doc))}")
    return selections


@st.composite
def wrapped(draw: st.DrawFn, doc: Document, type_name: str, selections: list[str]) -> str:
    """The selections as written, or inside an inline fragment or a named fragment."""
    how = draw(st.sampled_from(["plain", "plain", "inline", "typeless", "fragment"]))
    body = " ".join(selections)
    if how == "inline":
        return f"... on {type_name}{draw(condition(doc))} {{ {body} }}"
    if how == "typeless":
        return f"...{draw(condition(doc))} {{ {body} }}"
    if how == "fragment":
        name = f"F{len(doc.fragments)}"
        doc.fragments.append(f"fragment {name} on {type_name} {{ {body} }}")
        return f"...{name}{draw(condition(doc))}"
    return body


@st.composite
def page_info(draw: st.DrawFn, doc: Document) -> str:
    return f"pageInfo{draw(condition(doc))} {{ {' '.join(draw(leaves(doc, PAGE_INFO_LEAVES)))} }}"


@st.composite
def connection(draw: st.DrawFn, doc: Document, node: st.SearchStrategy[str]) -> str:
    """A connection's selection; its node's selection is drawn only if ``nodes`` or ``edges`` select it (a variable
    defined for a selection left out would be unused, and the document invalid)."""
    # ``nodes`` and ``edges`` together select their node's relations at two places: rarely, to see it left to
    # graphql-core.
    items = draw(st.sampled_from([["nodes"], ["edges"], ["nodes"], ["edges"], [], ["nodes", "edges"]]))
    others = draw(st.lists(st.sampled_from(["pageInfo", "totalCount", "__typename"]), min_size=0 if items else 1))
    parts = draw(st.permutations([*items, *others]))
    selections = []
    drawn: list[str] = []

    def node_selection() -> str:
        if not drawn:
            drawn.append(draw(node))
        return drawn[0]

    for part in dict.fromkeys(parts):
        if part == "nodes":
            selections.append(f"nodes {{ {node_selection()} }}")
        elif part == "edges":
            cursor = draw(st.sampled_from(["cursor ", ""]))
            selections.append(f"edges{draw(condition(doc))} {{ {cursor}node {{ {node_selection()} }} }}")
        elif part == "pageInfo":
            selections.append(draw(page_info(doc)))
        else:
            selections.append(f"{part}{draw(condition(doc))}")
    return " ".join(selections)


def relation(draw: st.DrawFn, doc: Document, name: str, selection: str) -> str:
    return f"{name}{draw(condition(doc))} {{ {selection} }}"


@st.composite
def page_size(draw: st.DrawFn, doc: Document, *, low: int, high: int) -> str:
    # Now and then a size the field refuses (its error comes from graphql-core).
    size = 201 if draw(st.integers(0, 24)) == 0 else draw(st.integers(low, high))
    how = draw(st.sampled_from(["literal", "literal", "variable", "default"]))
    if how == "literal":
        return str(size)
    if how == "variable":
        return doc.variable("Int!", size)
    return doc.variable("Int", None, default=str(size), sent=False)
