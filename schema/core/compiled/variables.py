"""An operation's variables coerced as graphql-core's ``get_variable_values`` coerces them, without its per-request
work, when no variable has a default.

graphql-core works out each variable's signature (its type from the document's type reference) anew for every
request, and walks each value for its nesting depth before coercing it through ``coerce_input_value``, which
dispatches on the type at every level. Here the signatures are worked out once per operation. A value of a
built-in scalar type is checked by its class alone: a ``str`` for ``String`` and ``ID``, an ``int`` within 32 bits
for ``Int``, a ``bool`` for ``Boolean``. A value of any other type (an input object, a list, an enum, a custom
scalar) goes through a coercion built once per type that does what ``coerce_input_value`` does, step for step:
unknown and missing required fields, defaults, lists of one, each leaf's own ``coerce_input_value``. Anything it
refuses (a null or missing value for a non-null variable, a value of another class, a value its type refuses, a
value nested too deeply) is left to graphql-core, which then answers the request, errors included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    VariableDefinitionNode,
    is_required_input_field,
)
from graphql.execution.get_variable_signature import GraphQLVariableSignature, get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource, input_is_nested_too_deeply
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.pyutils import is_iterable
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT
from graphql.utilities.coerce_input_value import coerce_default_value

# The class a value must have to be its type's value unchanged, by built-in scalar type.
_PLAIN_CLASS: dict[object, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLInt: int,
    GraphQLBoolean: bool,
}


class PlainVariables:
    """The variables of one operation, none with a default."""

    __slots__ = ("_variables",)

    def __init__(self, variables: Sequence[tuple[GraphQLVariableSignature, type | None, bool, Coerce, bool]]) -> None:
        self._variables = tuple(variables)

    @classmethod
    def of(cls, schema: GraphQLSchema, definitions: Sequence[VariableDefinitionNode]) -> PlainVariables | None:
        """``None`` when a variable has a default or a type the coercions do not cover (a one-of input object)."""
        variables = []
        coercions = _Coercions()
        for definition in definitions:
            signature = get_variable_signature(schema, definition)
            if not isinstance(signature, GraphQLVariableSignature) or signature.default is not None:
                return None
            non_null = isinstance(signature.type, GraphQLNonNull)
            named = signature.type.of_type if isinstance(signature.type, GraphQLNonNull) else signature.type
            try:
                coerce = coercions.of(signature.type)
            except _Unsupported:
                return None
            # A type whose values can never be nested too deeply needs no walk of each value to tell.
            depth = _deepest(signature.type, ())
            walk = depth is None or depth > MAX_NESTING_DEPTH
            variables.append((signature, _PLAIN_CLASS.get(named), non_null, coerce, walk))
        return cls(variables)

    def coerce(self, given: dict[str, Any]) -> VariableValues | None:
        """What graphql-core coerces ``given`` to, or ``None`` when these values need graphql-core itself."""
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        for signature, plain, non_null, coerce, walk in self._variables:
            name = signature.name
            value: Any = given.get(name, Undefined)
            if value is Undefined:
                if non_null:
                    return None  # an error, graphql-core's to report
                sources[name] = VariableValueSource(signature)  # omitted, as graphql-core omits it
                continue
            if plain is not None:
                if value.__class__ is not plain or (
                    plain is int and not GRAPHQL_MIN_INT <= cast("int", value) <= GRAPHQL_MAX_INT
                ):
                    return None
                converted = value
            else:
                if walk and input_is_nested_too_deeply(value, signature.type):
                    return None
                converted = coerce(value)
                if converted is Undefined:
                    return None
            sources[name] = VariableValueSource(signature, value)
            coerced[name] = converted
        return VariableValues(sources, coerced)


def _deepest(type_: GraphQLInputType, within: tuple[GraphQLInputObjectType, ...]) -> int | None:
    """The greatest depth ``input_is_nested_too_deeply`` can reach under a value of ``type_`` (it counts a level
    for each list and input object the type goes through, one non-null unwrapped at each), or ``None`` when an
    input object contains itself (no bound)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        below = _deepest(type_.of_type, within)
        return None if below is None else below + 1
    if isinstance(type_, GraphQLInputObjectType):
        if type_ in within:
            return None
        deepest = 0
        for field in type_.fields.values():
            below = _deepest(field.type, (*within, type_))
            if below is None:
                return None
            deepest = max(deepest, below + 1)
        return deepest
    return 0


# A value of one input type -> its coerced value, or ``Undefined`` where graphql-core's coercion refuses it.
Coerce = Callable[[Any], Any]


class _Unsupported(Exception):
    """A type whose coercion is left to graphql-core."""


class _Coercions:
    """The coercion of each input type, built once: ``coerce_input_value``'s dispatch done ahead."""

    def __init__(self) -> None:
        # Input object types built or being built: a recursive one refers to its own coercion through its cell.
        self.objects: dict[GraphQLInputObjectType, list[Coerce]] = {}

    def of(self, type_: GraphQLInputType) -> Coerce:
        if isinstance(type_, GraphQLNonNull):
            inner = self.of(type_.of_type)

            def non_null(value: Any) -> Any:
                return Undefined if value is None or value is Undefined else inner(value)

            return non_null
        if isinstance(type_, GraphQLList):
            return _list_of(self.of(type_.of_type))
        if isinstance(type_, GraphQLInputObjectType):
            return self.input_object(type_)
        if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            return _leaf(type_)
        raise _Unsupported(str(type_))

    def input_object(self, type_: GraphQLInputObjectType) -> Coerce:
        known = self.objects.get(type_)
        if known:
            return known[0]
        if known is not None:
            return lambda value: known[0](value)
        if type_.is_one_of:
            raise _Unsupported(f"the one-of input type {type_.name}")
        cell: list[Coerce] = []
        self.objects[type_] = cell
        names = type_.fields
        # A field left out takes its default: ``coerce_default_value`` coerces (once) an external ``default``, and
        # answers the internal ``default_value`` as it is, which is taken here once rather than at every value.
        fields = tuple(
            (
                name,
                field.out_name or name,
                self.of(field.type),
                is_required_input_field(field),
                field if field.default is not None else None,
                field.default_value,
            )
            for name, field in type_.fields.items()
        )
        out_type = type_.out_type

        def input_object(value: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if not isinstance(value, dict):
                return Undefined
            for name, given in value.items():
                if given is not Undefined and name not in names:
                    return Undefined
            coerced: dict[str, Any] = {}
            for name, out_name, coerce, required, external, internal_default in fields:
                given = value.get(name, Undefined)
                if given is Undefined:
                    if required:
                        return Undefined
                    default = internal_default if external is None else coerce_default_value(external)
                    if default is not Undefined:
                        coerced[out_name] = default
                else:
                    converted = coerce(given)
                    if converted is Undefined:
                        return Undefined
                    coerced[out_name] = converted
            return out_type(coerced)

        cell.append(input_object)
        return input_object


def _list_of(item: Coerce) -> Coerce:
    def as_list(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if not is_iterable(value):
            # A list accepts a value that is not one as a list of one.
            single = item(value)
            return Undefined if single is Undefined else [single]
        coerced = []
        for element in value:
            converted = item(element)
            if converted is Undefined:
                return Undefined
            coerced.append(converted)
        return coerced

    return as_list


def _leaf(type_: GraphQLScalarType | GraphQLEnumType) -> Coerce:
    coerce_value = type_.coerce_input_value

    def leaf(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        try:
            return coerce_value(value)
        except Exception:  # graphql-core refuses the value whatever the leaf raised
            return Undefined

    return leaf
