"""How a GraphQL object becomes its REST representation, as data: renames, regrouping and constants.

A *fragment* names a GraphQL object type and a *shape*: a mapping from each REST field to where its value comes
from. From one fragment come three things, so they cannot disagree: the GraphQL fragment the endpoint's operation
selects (``fragment_text``), the function that turns the selected object into the REST object
(``compile_fragment``), and the JSON Schema of the REST object (rest_compat/openapi/).

Values are converted by their GraphQL type, not by the shape: ``ID`` becomes an integer (REST ids are integers),
``DateTime`` the REST timestamp ``YYYY-MM-DD HH:MM:SS``, enum values lowercase (``PENDING`` → ``pending``); every
other scalar passes through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
)

from storegraph.platform.timestamps import rest_timestamp_of_iso


@dataclass(frozen=True, slots=True)
class Const:
    """A fixed value (``"deleted": true``)."""

    value: object


@dataclass(frozen=True, slots=True)
class Obj:
    """A nested REST object made from the GraphQL object field ``source`` by ``fragment`` (null stays null)."""

    source: str
    fragment: str


@dataclass(frozen=True, slots=True)
class Many:
    """A REST list made from the GraphQL list field ``source``, each element by ``fragment``; ``arguments`` are
    the field's arguments as the fragment selects them (``limit: $topProductsLimit``, a variable the endpoint's
    operation declares)."""

    source: str
    fragment: str
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Spread:
    """The fields of the object at ``source``, made by ``fragment``, merged into this level."""

    source: str
    fragment: str


# A string names a field of the same GraphQL object; a nested mapping regroups fields of the same object
# (``pricing``, ``inventory``).
Source: TypeAlias = "str | Const | Obj | Many | Spread | Mapping[str, Source]"
Shape: TypeAlias = Mapping[str, Source]
Converter: TypeAlias = Callable[[Any], Any]
ListConverter: TypeAlias = Callable[[Any], list[Any]]


@dataclass(frozen=True, slots=True)
class Fragment:
    type_name: str
    shape: Shape


def _rest_id(value: str | None) -> int | None:
    return None if value is None else int(value)


def _lowercase(value: str | None) -> str | None:
    return None if value is None else value.lower()


def unwrap(gql_type: Any) -> Any:
    """The named type inside any NonNull/List wrappers."""
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    return gql_type


def leaf_converter(gql_type: GraphQLOutputType) -> Converter | None:
    """How a leaf value of ``gql_type`` becomes its REST value; None when it passes through unchanged."""
    if isinstance(gql_type, GraphQLNonNull):
        return leaf_converter(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        item = leaf_converter(gql_type.of_type)
        if item is None:
            return None
        return lambda values: None if values is None else [item(value) for value in values]
    if isinstance(gql_type, GraphQLEnumType):
        return _lowercase
    if isinstance(gql_type, GraphQLScalarType):
        return {"ID": _rest_id, "DateTime": rest_timestamp_of_iso}.get(gql_type.name)
    return None


class Fragments:
    """The fragments by name, resolved against the schema once at start-up."""

    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, Fragment]) -> None:
        self.schema = schema
        self.fragments = fragments
        self._converters: dict[str, Converter] = {}
        self._list_converters: dict[str, ListConverter] = {}

    def object_type(self, name: str) -> GraphQLObjectType:
        gql_type = self.schema.get_type(self.fragments[name].type_name)
        if not isinstance(gql_type, GraphQLObjectType):
            raise TypeError(f"fragment {name} is on {self.fragments[name].type_name}, not an object type")
        return gql_type

    def field_type(self, owner: GraphQLObjectType, field: str) -> GraphQLOutputType:
        if field not in owner.fields:
            raise KeyError(f"{owner.name} has no field {field!r}")
        gql_type: GraphQLOutputType = owner.fields[field].type
        return gql_type

    def text(self, name: str) -> str:
        """``fragment <name> on <Type> { ... }``."""
        fragment = self.fragments[name]
        return f"fragment {name} on {fragment.type_name} {{ {' '.join(_selections(fragment.shape))} }}"

    def used_by(self, names: set[str]) -> set[str]:
        """``names`` and every fragment they spread, transitively."""
        pending, found = list(names), set[str]()
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            pending.extend(_spreads(self.fragments[name].shape))
        return found

    def converter(self, name: str) -> Converter:
        if name not in self._converters:
            self._converters[name], self._list_converters[name] = self._compile(
                self.object_type(name), self.fragments[name].shape
            )
        return self._converters[name]

    def list_converter(self, name: str) -> ListConverter:
        """``converter(name)`` over a whole list in one call: a page of a list converts without a call per item."""
        self.converter(name)
        return self._list_converters[name]

    def _compile(self, owner: GraphQLObjectType, shape: Shape) -> tuple[Converter, ListConverter]:
        """Functions generated for the shape: one dict display with every value's read and conversion inline, so
        a REST object costs one call, not one per field (a list answer converts thousands of values), and a list
        of them one call in all."""
        namespace: dict[str, Any] = {}
        entries = ", ".join(
            self._entry(owner, rest_name, source, index, namespace)
            for index, (rest_name, source) in enumerate(shape.items())
        )
        code = (
            f"def convert(obj):\n    return {{{entries}}}\n"
            f"def convert_many(objs):\n    return [{{{entries}}} for obj in objs]\n"
        )
        exec(compile(code, f"<REST shape of {owner.name}>", "exec"), namespace)  # noqa: S102
        convert: Converter = namespace["convert"]
        convert_many: ListConverter = namespace["convert_many"]
        return convert, convert_many

    def _entry(
        self, owner: GraphQLObjectType, rest_name: str, source: Source, index: int, namespace: dict[str, Any]
    ) -> str:
        """The dict display entry writing ``rest_name``; the names it reads go into ``namespace``. A spread is a
        ``**`` entry: its keys land where it stands, exactly as updating the object there would put them."""
        key, field, convert = f"k{index}", f"s{index}", f"f{index}"
        namespace[key] = rest_name
        if isinstance(source, str):
            namespace[field] = source
            gql_type = self.field_type(owner, source)
            inline = inline_leaf(gql_type, f"e{index}", namespace)
            if inline is not None:
                return f"{key}: None if (v := obj[{field}]) is None else {inline}"
            leaf = leaf_converter(gql_type)
            if leaf is None:
                return f"{key}: obj[{field}]"
            namespace[convert] = leaf
            return f"{key}: {convert}(obj[{field}])"
        if isinstance(source, Const):
            namespace[convert] = source.value
            return f"{key}: {convert}"
        if isinstance(source, Obj | Many | Spread):
            self.field_type(owner, source.source)  # fails at start-up on a typo
            namespace[field] = source.source
            if isinstance(source, Many):
                namespace[convert] = self.list_converter(source.fragment)
                return f"{key}: {convert}(obj[{field}])"
            namespace[convert] = self.converter(source.fragment)
            if isinstance(source, Obj):
                return f"{key}: None if (v := obj[{field}]) is None else {convert}(v)"
            return f"**({{}} if (v := obj[{field}]) is None else {convert}(v))"
        namespace[convert] = self._compile(owner, source)[0]
        return f"{key}: {convert}(obj)"


def inline_leaf(gql_type: GraphQLOutputType, table: str, namespace: dict[str, Any]) -> str | None:
    """The expression converting a non-null leaf value ``v`` of ``gql_type`` without a call, as ``leaf_converter``
    converts it, or None where there is no such expression (lists, and scalars that pass through)."""
    if isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    if isinstance(gql_type, GraphQLEnumType):
        # Its output values are its names: each one's lowercase looked up, not computed.
        namespace[table] = {name: name.lower() for name in gql_type.values}
        return f"({table}[v] if v in {table} else v.lower())"
    if isinstance(gql_type, GraphQLScalarType) and gql_type.name == "ID":
        return "int(v)"
    if isinstance(gql_type, GraphQLScalarType) and gql_type.name == "DateTime":
        # rest_timestamp_of_iso, written out.
        return "v[:10] + ' ' + v[11:19]"
    return None


def _selections(shape: Shape) -> list[str]:
    fields: list[str] = []
    for source in shape.values():
        if isinstance(source, str):
            selection = source
        elif isinstance(source, Const):
            continue
        elif isinstance(source, Obj | Many | Spread):
            arguments = f"({source.arguments})" if isinstance(source, Many) and source.arguments else ""
            selection = f"{source.source}{arguments} {{ ...{source.fragment} }}"
        else:
            fields.extend(field for field in _selections(source) if field not in fields)
            continue
        if selection not in fields:
            fields.append(selection)
    return fields


def _spreads(shape: Shape) -> list[str]:
    names: list[str] = []
    for source in shape.values():
        if isinstance(source, Obj | Many | Spread):
            names.append(source.fragment)
        elif isinstance(source, Mapping):
            names.extend(_spreads(source))
    return names


def rest_field_types(fragments: Fragments, name: str) -> dict[str, Any]:
    """For the OpenAPI document: each REST field of fragment ``name`` with the GraphQL type it comes from, or a
    nested dict, a ``Const``, or ``("object"|"list", fragment)`` for a nested fragment."""
    owner = fragments.object_type(name)
    return _field_types(fragments, owner, fragments.fragments[name].shape)


def _field_types(fragments: Fragments, owner: GraphQLObjectType, shape: Shape) -> dict[str, Any]:
    described: dict[str, Any] = {}
    for rest_name, source in shape.items():
        if isinstance(source, str):
            described[rest_name] = fragments.field_type(owner, source)
        elif isinstance(source, Const):
            described[rest_name] = source
        elif isinstance(source, Obj):
            described[rest_name] = ("object", source.fragment, fragments.field_type(owner, source.source))
        elif isinstance(source, Many):
            described[rest_name] = ("list", source.fragment, fragments.field_type(owner, source.source))
        elif isinstance(source, Spread):
            described.update(rest_field_types(fragments, source.fragment))
        else:
            described[rest_name] = _field_types(fragments, owner, source)
    return described


__all__ = [
    "Const",
    "Converter",
    "Fragment",
    "Fragments",
    "ListConverter",
    "Many",
    "Obj",
    "Shape",
    "Spread",
    "inline_leaf",
    "leaf_converter",
    "rest_field_types",
    "unwrap",
]
