"""A row of the endpoint table, compiled once at start-up against the schema: its full GraphQL document (checked
by graphql-core's validation, so a typo fails the app's start, not a request), how request values become
variables, and how the result becomes the REST ``data``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor
from graphql.utilities import type_from_ast

from rest_compat.endpoint import Endpoint
from rest_compat.names import RestNames, camel_case
from rest_compat.rest_plans import RestPlans
from rest_compat.shapes import Converter, Fragments, ListConverter

# A request value as the GraphQL variable (or input field) of one type.
VariableConverter = Callable[[Any], Any]


class TableError(Exception):
    """A row of the endpoint table does not fit the schema: a bug, raised when the app is built."""


@dataclass(frozen=True, slots=True)
class CompiledEndpoint:
    endpoint: Endpoint
    document: str
    variable_types: Mapping[str, GraphQLInputType]
    convert: Converter
    # ``convert`` over a list's items in one call.
    convert_many: ListConverter
    # GraphQL's names for the request's values back to REST's, for error details.
    names: RestNames
    # The list's head (``Endpoint.list_head``): the fields of the object holding the connection.
    convert_head: Converter | None = None
    # ``Endpoint.absent_when_default``: each such variable's input fields with their defaults.
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # A read's plans reshaped to build its REST objects themselves (``None`` for a write).
    reshape: RestPlans | None = None
    # The endpoint's ``label`` and ``is_write``, worked out once rather than at every request.
    label: str = field(init=False)
    is_write: bool = field(init=False)

    # ``to_graphql`` for each variable's type, worked out once (``graphql_converter``).
    converters: Mapping[str, VariableConverter] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", self.endpoint.label)
        object.__setattr__(self, "is_write", self.endpoint.is_write)
        converters = _Converters()
        object.__setattr__(
            self, "converters", {name: converters.of(gql_type) for name, gql_type in self.variable_types.items()}
        )

    def variables(
        self, path: Mapping[str, Any], query: Mapping[str, Any], body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The operation's variables: request values placed at their targets, then converted by GraphQL type
        (snake_case keys camelCased, enum values uppercased, ids as strings)."""
        row = self.endpoint
        raw: dict[str, Any] = {}
        if body is not None and row.body_var is not None:
            raw[row.body_var] = {name: value for name, value in body.items() if name not in row.body_ignored}
        elif body is not None:
            for name, value in body.items():
                _place(raw, row.body_vars[name], value)
        for name, value in query.items():
            if value is not None:
                _place(raw, row.query_vars[name], value)
        for name, value in path.items():
            _place(raw, row.path_vars[name], value)
        converters = self.converters
        variables = {name: converters[name](value) for name, value in raw.items()}
        for name, defaults in self.defaults.items():
            value = variables.get(name)
            if value is not None and all(_is_default(defaults, field, given) for field, given in value.items()):
                del variables[name]
        return variables


def _is_default(defaults: Mapping[str, Any], field: str, given: Any) -> bool:
    # Of the default's own class: ``0`` or ``1`` is not a Boolean's default, though equal to it.
    return field in defaults and defaults[field].__class__ is given.__class__ and defaults[field] == given


def _place(variables: dict[str, Any], target: str, value: Any) -> None:
    *parents, last = target.split(".")
    holder = variables
    for parent in parents:
        holder = holder.setdefault(parent, {})
    holder[last] = value


def to_graphql(value: Any, gql_type: GraphQLInputType) -> Any:
    """A REST value as the GraphQL variable of ``gql_type``: snake_case keys camelCased, enum values uppercased, ids
    as strings, everything else (and null) as it is."""
    return _Converters().of(gql_type)(value)


class _Converters:
    """``to_graphql`` for a type, as a function made once: the type's structure is walked, and each input field's
    GraphQL name found, at the first value rather than at every request. Input objects are made once each by
    name, so a type that holds itself (through a list) converts as deep as its values go."""

    def __init__(self) -> None:
        self._objects: dict[str, _InputObject] = {}

    def of(self, gql_type: GraphQLInputType) -> VariableConverter:
        while isinstance(gql_type, GraphQLNonNull):
            gql_type = gql_type.of_type
        if isinstance(gql_type, GraphQLList):
            item = self.of(gql_type.of_type)
            return lambda value: None if value is None else [item(each) for each in value]
        if isinstance(gql_type, GraphQLEnumType):
            return _enum_value
        if isinstance(gql_type, GraphQLInputObjectType):
            known = self._objects.get(gql_type.name)
            if known is None:
                known = self._objects[gql_type.name] = _InputObject(gql_type, self)
            return known
        if isinstance(gql_type, GraphQLScalarType) and gql_type.name == "ID":
            return _id_value
        return _same


class _InputObject:
    """An input object's converter: each REST name's GraphQL name and converter, found the first time it is met
    (an unknown name raises ``KeyError`` each time, as looking it up in the type's fields does)."""

    def __init__(self, gql_type: GraphQLInputObjectType, converters: _Converters) -> None:
        self._type = gql_type
        self._converters = converters
        self._fields: dict[str, tuple[str, VariableConverter | None]] = {}

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        fields = self._fields
        converted = {}
        for name, item in value.items():
            found = fields.get(name)
            if found is None:
                found = self._field(name)
            graphql_name, convert = found
            converted[graphql_name] = item if convert is None or item is None else convert(item)
        return converted

    def _field(self, name: str) -> tuple[str, VariableConverter | None]:
        graphql_name = camel_case(name)
        convert = self._converters.of(self._type.fields[graphql_name].type)
        found = self._fields[name] = (graphql_name, None if convert is _same else convert)
        return found


def _enum_value(value: Any) -> Any:
    return None if value is None else str(value).upper()


def _id_value(value: Any) -> Any:
    return None if value is None else str(value)


def _same(value: Any) -> Any:
    return value


def compile_endpoint(schema: GraphQLSchema, fragments: Fragments, endpoint: Endpoint) -> CompiledEndpoint:
    operation_ast = parse(endpoint.operation)
    used = fragments.used_by(_spread_names(operation_ast))
    document = " ".join([endpoint.operation, *(fragments.text(name) for name in sorted(used))])
    full_ast = parse(document)
    problems = validate(schema, full_ast)
    if problems:
        raise TableError(f"{endpoint.label}: {'; '.join(problem.message for problem in problems)}")
    operation = next(node for node in full_ast.definitions if isinstance(node, OperationDefinitionNode))
    if operation.name is None or operation.name.value != endpoint.name:
        raise TableError(f"{endpoint.label}: the operation must be named {endpoint.name}")
    variable_types: dict[str, GraphQLInputType] = {}
    for definition in operation.variable_definitions or ():
        gql_type = type_from_ast(schema, definition.type)
        variable_types[definition.variable.name.value] = gql_type  # type: ignore[assignment]
    _check_targets(endpoint, variable_types)
    names = RestNames.of(endpoint, operation, variable_types)
    head = None
    if endpoint.list_head is not None:
        if endpoint.result_kind != "list" or "." not in endpoint.result:
            raise TableError(f"{endpoint.label}: list_head needs a list result under an object")
        head = fragments.converter(endpoint.list_head)
    convert = fragments.converter(endpoint.fragment)
    convert_many = fragments.list_converter(endpoint.fragment)
    defaults = {name: _input_defaults(endpoint, variable_types, name) for name in endpoint.absent_when_default}
    reshape = None
    if not endpoint.is_write:
        path = tuple(endpoint.result.split(".")) + (("nodes",) if endpoint.result_kind == "list" else ())
        reshape = RestPlans(fragments, endpoint.fragment, path)
    return CompiledEndpoint(endpoint, document, variable_types, convert, convert_many, names, head, defaults, reshape)


def _input_defaults(endpoint: Endpoint, variable_types: Mapping[str, GraphQLInputType], name: str) -> dict[str, Any]:
    """The input fields with a default of the nullable input-object variable ``name``, by GraphQL name."""
    gql_type = variable_types.get(name)
    if not isinstance(gql_type, GraphQLInputObjectType):
        raise TableError(f"{endpoint.label}: absent_when_default names ${name}, not a nullable input object")
    return {
        field_name: input_field.default_value
        for field_name, input_field in gql_type.fields.items()
        if input_field.default_value is not Undefined
    }


def _spread_names(document: Any) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: Any) -> None:
            names.add(node.name.value)

    visit(document, Spreads())
    return names


def _check_targets(endpoint: Endpoint, variable_types: Mapping[str, GraphQLInputType]) -> None:
    """Every path, query and body field must land on a variable (or an input field) the operation declares."""
    targets = [*endpoint.path_vars.values(), *endpoint.query_vars.values()]
    if endpoint.query is not None and set(endpoint.query.model_fields) != set(endpoint.query_vars):
        raise TableError(f"{endpoint.label}: query_vars must map exactly the query model's fields")
    if endpoint.body is not None and endpoint.body_var is None:
        if set(endpoint.body.model_fields) != set(endpoint.body_vars):
            raise TableError(f"{endpoint.label}: a body needs body_var, or body_vars mapping exactly its fields")
        targets.extend(endpoint.body_vars.values())
    elif endpoint.body is not None:
        fields = set(endpoint.body.model_fields) - endpoint.body_ignored
        targets.extend(f"{endpoint.body_var}.{camel_case(name)}" for name in fields)
    for target in targets:
        _input_type_at(endpoint, variable_types, target)


def _input_type_at(endpoint: Endpoint, variable_types: Mapping[str, GraphQLInputType], target: str) -> Any:
    first, *rest = target.split(".")
    if first not in variable_types:
        raise TableError(f"{endpoint.label}: no variable ${first} for {target}")
    gql_type: Any = variable_types[first]
    for name in rest:
        while isinstance(gql_type, GraphQLNonNull | GraphQLList):
            gql_type = gql_type.of_type
        if not isinstance(gql_type, GraphQLInputObjectType) or name not in gql_type.fields:
            raise TableError(f"{endpoint.label}: {target} is not an input field")
        gql_type = gql_type.fields[name].type
    return gql_type
