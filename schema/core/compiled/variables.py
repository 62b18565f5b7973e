"""An operation's variables coerced as graphql-core's ``get_variable_values`` coerces them, without its per-request
work, when every variable given is of a built-in scalar type and its value of the plain Python class that type
takes unchanged, and every variable of another type is nullable, without a default, and left out.

graphql-core works out each variable's signature (its type from the document's type reference) anew for every
request, and walks each value for its nesting depth before coercing it. Here the signatures are worked out once per
operation, and a value is checked by its class alone: a ``str`` for ``String`` and ``ID``, an ``int`` within 32 bits
for ``Int``, a ``bool`` for ``Boolean``. Anything else (another type, a default to apply, a null, a missing value
for a non-null variable, any other class) is left to graphql-core, which then answers the request, errors included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    VariableDefinitionNode,
)
from graphql.execution.get_variable_signature import GraphQLVariableSignature, get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT

# The class a value must have to be its type's value unchanged, by built-in scalar type.
_PLAIN_CLASS: dict[object, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLInt: int,
    GraphQLBoolean: bool,
}


class PlainVariables:
    """The variables of one operation without defaults: each of a built-in scalar type (its plain class), or
    nullable of another type (no class: only its absence is plain)."""

    __slots__ = ("_variables",)

    def __init__(self, variables: Sequence[tuple[GraphQLVariableSignature, type | None, bool]]) -> None:
        self._variables = tuple(variables)

    @classmethod
    def of(cls, schema: GraphQLSchema, definitions: Sequence[VariableDefinitionNode]) -> PlainVariables | None:
        """``None`` when a variable has a default, or is non-null of a type other than a built-in scalar."""
        variables = []
        for definition in definitions:
            signature = get_variable_signature(schema, definition)
            if not isinstance(signature, GraphQLVariableSignature) or signature.default is not None:
                return None
            non_null = isinstance(signature.type, GraphQLNonNull)
            named = signature.type.of_type if isinstance(signature.type, GraphQLNonNull) else signature.type
            plain = _PLAIN_CLASS.get(named)
            if plain is None and non_null:
                return None
            variables.append((signature, plain, non_null))
        return cls(variables)

    def coerce(self, given: dict[str, Any]) -> VariableValues | None:
        """What graphql-core coerces ``given`` to, or ``None`` when these values need graphql-core itself."""
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        for signature, plain, non_null in self._variables:
            name = signature.name
            value: Any = given.get(name, Undefined)
            if value is Undefined:
                if non_null:
                    return None  # an error, graphql-core's to report
                sources[name] = VariableValueSource(signature)  # omitted, as graphql-core omits it
                continue
            # No class (a variable of another type) is never a value's: given, it is graphql-core's to coerce.
            if (
                plain is None
                or value.__class__ is not plain
                or (plain is int and not GRAPHQL_MIN_INT <= cast("int", value) <= GRAPHQL_MAX_INT)
            ):
                return None
            sources[name] = VariableValueSource(signature, value)
            coerced[name] = value
        return VariableValues(sources, coerced)
