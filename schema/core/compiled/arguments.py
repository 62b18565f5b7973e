"""A field's arguments, from graphql-core's coerced values to the resolver's Python values, as strawberry's
``convert_arguments`` makes them, with every type resolved once when the converter is built.

strawberry resolves each argument's and each input field's type, name and kind on every call; the converter built
here keeps only the walk over the value. It covers what the schema's arguments use: optional and list types,
scalars (built-in and from the scalar registry) and enums, which pass unchanged (graphql-core already parsed them),
and input types built by their class with their Python names. Anything else (``Maybe``, ``GlobalID``, a lazy type,
an input type with its own ``from_input``, an unknown kind) makes ``argument_converter`` return strawberry's own
conversion for that field, so the answer is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from enum import Enum
from typing import Any

from graphql import FieldNode, GraphQLField, Undefined, VariableNode, is_non_null_type, is_required_argument
from graphql.execution.values import VariableValues
from graphql.utilities.coerce_input_value import coerce_default_value, coerce_input_literal
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    StrawberryType,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

# One value of one type -> its Python value; ``None`` stands for "unchanged" (leaves), so no call is made for it.
Convert = Callable[[Any], Any]
ArgumentsConverter = Callable[[dict[str, Any]], dict[str, Any]]


class Unsupported(Exception):
    """A type the converter does not reproduce: strawberry converts the field's arguments itself."""


def argument_converter(
    definition: StrawberryField, scalar_registry: Mapping[object, Any], config: StrawberryConfig
) -> ArgumentsConverter:
    """The conversion of ``definition``'s arguments: built here when every type is covered, else strawberry's."""
    built = built_converter(definition, scalar_registry, config)
    if built is not None:
        return built
    arguments = definition.arguments

    def convert(values: dict[str, Any]) -> dict[str, Any]:
        return convert_arguments(values, arguments, scalar_registry=scalar_registry, config=config)

    return convert


def built_converter(
    definition: StrawberryField, scalar_registry: Mapping[object, Any], config: StrawberryConfig
) -> ArgumentsConverter | None:
    """The converter with every type resolved now, or ``None`` if an argument uses a type it does not cover."""
    try:
        return _Builder(scalar_registry, config).arguments(definition)
    except Unsupported:
        return None


class _Builder:
    def __init__(self, scalar_registry: Mapping[object, Any], config: StrawberryConfig) -> None:
        self.scalar_registry = scalar_registry
        self.config = config
        # Input types built or being built: a recursive input type refers to its own converter through this.
        self.inputs: dict[type, list[Convert]] = {}

    def arguments(self, definition: StrawberryField) -> ArgumentsConverter:
        if not definition.arguments:
            return _no_arguments
        converted: list[tuple[str, str, Convert | None]] = []
        for argument in definition.arguments:
            if not argument.python_name:
                raise Unsupported("an argument without a Python name")
            name = self.config.name_converter.from_argument(argument)
            converted.append((name, argument.python_name, self.value(argument.type)))
        steps = tuple(converted)

        def convert(values: dict[str, Any]) -> dict[str, Any]:
            kwargs: dict[str, Any] = {}
            for name, python_name, convert_value in steps:
                if name in values:
                    value = values[name]
                    kwargs[python_name] = value if convert_value is None else convert_value(value)
            return kwargs

        return convert

    def value(self, type_: StrawberryType | type) -> Convert | None:
        """The conversion of a value of ``type_`` in the order strawberry's ``convert_argument`` tries the kinds:
        ``None`` when it returns the value unchanged (a leaf, and null or ``UNSET`` of any type)."""
        if isinstance(type_, StrawberryMaybe):
            raise Unsupported("Maybe")
        if isinstance(type_, StrawberryOptional):
            # strawberry converts an optional value as its inner type, which passes null and UNSET unchanged.
            return self.value(type_.of_type)
        if isinstance(type_, StrawberryList):
            return _list_of(self.value(type_.of_type))
        if isinstance(type_, LazyType):
            raise Unsupported("a lazy type")
        if type_ is GlobalID:
            raise Unsupported("GlobalID")
        if is_scalar(type_, self.scalar_registry) or isinstance(type_, StrawberryEnumDefinition):
            return None
        if has_enum_definition(type_):
            return None
        if has_object_definition(type_):
            return self.input_object(type_)
        raise Unsupported(repr(type_))

    def input_object(self, cls: type) -> Convert:
        known = self.inputs.get(cls)
        if known:
            return known[0]
        if known is not None:
            # A type met again inside its own fields: the cell holds its converter once the outer build is done,
            # which is before any call.
            return lambda value: known[0](value)
        cell: list[Convert] = []
        self.inputs[cls] = cell
        type_definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        if type_definition.from_input is not None:
            raise Unsupported(f"{cls.__name__} builds itself from its input")
        # An input field without a default is null unless given: graphql-core has already checked the required.
        nulls: dict[str, Any] = (
            {
                field.python_name: None
                for field in type_definition.fields
                if field.default_value is MISSING and field.default_factory is MISSING
            }
            if type_definition.is_input
            else {}
        )
        fields = tuple(
            (
                self.config.name_converter.from_field(field),
                field.python_name,
                self.value(field.resolve_type(type_definition=type_definition)),
            )
            for field in type_definition.fields
        )

        def convert(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = nulls.copy()
            for name, python_name, convert_field in fields:
                if name in value:
                    given = value[name]
                    kwargs[python_name] = given if convert_field is None else convert_field(given)
            return cls(**kwargs)

        cell.append(convert)
        return convert


# One argument taken without graphql-core's ``get_argument_values``: its output name, the variable it reads (``None``
# for a literal or an absent argument), its value (the literal's, else the coerced default: ``Undefined`` when it
# has none) and whether its type is non-null.
DirectArgument = tuple[str, str | None, Any, bool]
# Literal values shared by every request of a plan: only those nothing can change.
_IMMUTABLE = (int, float, str, bool, Enum)


def direct_arguments(field: GraphQLField, node: FieldNode) -> tuple[DirectArgument, ...] | None:
    """How ``get_argument_values(field, node, variables)`` takes each argument, decided once: a variable's coerced
    value (the argument's default when the variable is not given), a literal's value coerced now, or an absent
    argument's default (graphql-core keeps one coerced default per argument, handed to every request alike).
    ``None`` when an argument is a literal holding variables or a mutable value, or one graphql-core refuses
    whatever the variables (then it runs each time, and refuses)."""
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    direct: list[DirectArgument] = []
    for name, definition in field.args.items():
        out_name = definition.out_name or name
        non_null = is_non_null_type(definition.type)
        value_node = given.get(name)
        if value_node is not None and not isinstance(value_node, VariableNode):
            value = coerce_input_literal(value_node, definition.type)
            if value is Undefined or not (value is None or isinstance(value, _IMMUTABLE)):
                return None
            direct.append((out_name, None, value, non_null))
            continue
        if is_required_argument(definition):
            if value_node is None:
                return None
            default = Undefined
        else:
            try:
                default = coerce_default_value(definition)
            except Exception:  # an invalid default: graphql-core reports it, each time
                return None
        variable = None if value_node is None else value_node.name.value
        direct.append((out_name, variable, default, non_null))
    return tuple(direct)


def argument_values(direct: tuple[DirectArgument, ...], variables: VariableValues | None) -> dict[str, Any]:
    """What ``get_argument_values`` answers for arguments taken as ``direct_arguments`` says; a null where the type
    is non-null raises, as there (the request then runs the standard way, which reports it)."""
    coerced = variables.coerced if variables else None
    values: dict[str, Any] = {}
    for out_name, variable, value, non_null in direct:
        if variable is not None and coerced is not None and variable in coerced:
            given = coerced[variable]
            if non_null and (given is None or given is Undefined):
                raise ValueError(f"no value for the non-null argument {out_name!r}")
            values[out_name] = given
        elif variable is not None and value is Undefined and non_null:
            raise ValueError(f"no value for the non-null argument {out_name!r}")
        elif value is not Undefined:
            values[out_name] = value
    return values


def _no_arguments(_values: dict[str, Any]) -> dict[str, Any]:
    return {}


def _list_of(item: Convert | None) -> Convert:
    if item is None:
        # Copied all the same: graphql-core gives the same default list to every request that omits the value, so
        # a resolver changing it would change the next requests' value.
        def copy(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            return list(value)

        return copy

    def convert(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        return [item(element) for element in value]

    return convert
