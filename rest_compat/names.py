"""GraphQL's names for a row's input, back to the REST names the client sent.

A row places each path, query and body value at a GraphQL target (``since`` → ``$filter.since``, ``limit`` →
``$first``, a body's ``occurred_at`` → ``$input.occurredAt``), and GraphQL reports a problem by its own name: a
variable's path (``$filter.since``), an argument (``filter.search``, ``first``), or a field of the mutation's input
(``events.3.occurredAt``). ``RestNames`` turns each back into the REST name (``since``, ``q``, ``limit``,
``events.3.occurred_at``) by walking the operation's variable types, so no row lists its error names by hand.
Below a free-form JSON value (``settings``, ``metadata``) the rest of the path is the client's own keys, kept as
written (``metadata.myKey``, ``settings.x[1]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    OperationDefinitionNode,
    VariableNode,
)
from graphql.utilities.validate_input_value import validate_input_value

from rest_compat.endpoint import Endpoint
from schema.core.scalars import ScalarRefusal
from storegraph.platform.errors import ErrorDetail

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SNAKE = re.compile(r"_([a-z0-9])")
# ``name``, ``.name``, ``[3]`` or ``.3``: the parts of a field as the domain writes it (``events.3.occurredAt``,
# ``lines[2].quantity``, ``metadata.list[1].deep``).
_TOKEN = re.compile(r"\.?\[(\d+)\]|\.?([^.\[]+)")
# A name as a message may mention it: a word, or words joined by dots (``paymentStatus``, ``filter.search``).
_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def snake_case(name: str) -> str:
    """``comparePrice`` → ``compare_price``; how a GraphQL input field is named in a REST body."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def camel_case(name: str) -> str:
    """``stock_quantity`` → ``stockQuantity``; a camelCase name stays as it is."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), name)


@dataclass(frozen=True, slots=True)
class _Token:
    key: str | int
    # The token as written, with its separator: the rest of a path below a JSON value is kept verbatim.
    raw: str


def _tokens(field: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(field):
        index, name = match.groups()
        key: str | int = int(index) if index is not None else int(name) if name.isascii() and name.isdigit() else name
        tokens.append(_Token(key, match.group(0)))
    return tokens


def _unwrapped(gql_type: Any) -> Any:
    return gql_type.of_type if isinstance(gql_type, GraphQLNonNull) else gql_type


@dataclass(frozen=True, slots=True)
class RestNames:
    """The REST name of every GraphQL target of one row, and how to find the one of any GraphQL path below them."""

    # A variable-rooted path (``("filter", "since")``) → the REST name placed there (``since``).
    targets: Mapping[tuple[str | int, ...], str]
    # The root field's arguments → the variable each one takes (``subscriptionId`` → ``id``).
    arguments: Mapping[str, str]
    variable_types: Mapping[str, GraphQLInputType]
    body_var: str | None

    @classmethod
    def of(
        cls, endpoint: Endpoint, operation: OperationDefinitionNode, variable_types: Mapping[str, GraphQLInputType]
    ) -> RestNames:
        targets: dict[tuple[str | int, ...], str] = {}
        for name, target in endpoint.path_vars.items():
            targets[tuple(target.split("."))] = name
        if endpoint.query is not None:
            for name, target in endpoint.query_vars.items():
                field = endpoint.query.model_fields[name]
                targets[tuple(target.split("."))] = field.alias or name
        if endpoint.body is not None and endpoint.body_var is not None:
            for name, field in endpoint.body.model_fields.items():
                if name not in endpoint.body_ignored:
                    targets[(endpoint.body_var, camel_case(name))] = field.alias or name
        if endpoint.body is not None:
            for name, target in endpoint.body_vars.items():
                targets[tuple(target.split("."))] = endpoint.body.model_fields[name].alias or name
        arguments = {
            argument.name.value: argument.value.name.value
            for selection in operation.selection_set.selections
            for argument in getattr(selection, "arguments", None) or ()
            if isinstance(argument.value, VariableNode)
        }
        return cls(targets, arguments, variable_types, endpoint.body_var)

    def field(self, field: str) -> str:
        """The REST name of a field as GraphQL's answer names it: a userError's or a validation detail's ``field``,
        an argument (``filter.search``) or a field of the mutation's input (``events.3.occurredAt``)."""
        tokens = _tokens(field)
        found = self._through_argument(tokens) or self._in_body(tokens)
        return found if found is not None else snake_case(field)

    def _through_argument(self, tokens: Sequence[_Token]) -> str | None:
        """The REST name of a path that starts with an argument of the root field (``filter.search``)."""
        if tokens and isinstance(tokens[0].key, str) and tokens[0].key in self.arguments:
            variable = self.arguments[tokens[0].key]
            return self._at([_Token(variable, variable), *tokens[1:]])
        return None

    def _in_body(self, tokens: Sequence[_Token]) -> str | None:
        """The REST name of a path in the mutation's input (``events.3.occurredAt``)."""
        if tokens and self.body_var is not None:
            return self._at([_Token(self.body_var, self.body_var), *tokens])
        return None

    def message(self, field: str | None, message: str) -> str:
        """``message`` in REST's names: the GraphQL name it starts with (``filter.search must be ...`` → ``q must
        be ...``), and any other name of the row's input it mentions (``give a status, a paymentStatus or both``
        → ``... a payment_status ...``)."""
        if field and message.startswith(field) and message[len(field) : len(field) + 1] in (" ", ":", ","):
            return self.field(field) + self.mentions(message[len(field) :])
        return self.mentions(message)

    def mentions(self, message: str) -> str:
        """``message`` with each GraphQL name of the row's values it mentions replaced by its REST name. Only a
        name GraphQL spells differently (camelCase, or an argument's dotted path) and that the row places is
        replaced, so an English word is never taken for a field."""

        def rest(match: re.Match[str]) -> str:
            word = match.group(0)
            if "." not in word and word == word.lower():
                return word
            tokens = _tokens(word)
            found = self._through_argument(tokens) or self._in_body(tokens)
            return found if found is not None else word

        return _WORD.sub(rest, message)

    def variable_problems(self, variables: Mapping[str, Any]) -> list[ErrorDetail]:
        """What GraphQL refuses in ``variables`` (the row's request values, converted), each on its REST name.

        GraphQL reports a variable its scalar refused in a sentence (``Variable '$filter' has invalid value at
        .since: ...``); graphql-core's own validation of the same values gives the path and the scalar's error.
        """
        details: list[ErrorDetail] = []
        for variable, gql_type in self.variable_types.items():
            if variable in variables:
                validate_input_value(variables[variable], gql_type, self._collector(variable, details))
        return details

    def variable_path(self, path: Sequence[str | int]) -> str | None:
        """The REST name of a path that starts with a variable (``["filter", "since"]`` → ``since``)."""
        return self._at([_Token(key, f".{key}" if position else str(key)) for position, key in enumerate(path)])

    def _collector(self, variable: str, details: list[ErrorDetail]) -> Callable[[GraphQLError, list[Any]], None]:
        def collect(error: GraphQLError, path: Sequence[str | int]) -> None:
            full = [variable, *path]
            name = self.variable_path(full) or snake_case(".".join(str(key) for key in full))
            if isinstance(error, ScalarRefusal):
                details.append(ErrorDetail(name, error.code, f"{name} {error.problem}"))
            else:
                details.append(ErrorDetail(name, "invalid", f"{name}: {error.message}"))

        return collect

    def _at(self, tokens: Sequence[_Token]) -> str | None:
        """The REST name of a variable-rooted path: the longest target it starts with, then the rest of it."""
        for length in range(len(tokens), 0, -1):
            key = tuple(token.key for token in tokens[:length])
            name = self.targets.get(key)
            if name is not None:
                return name + self._below(self._type_at(key), tokens[length:])
        return None

    def _type_at(self, key: Sequence[str | int]) -> Any:
        gql_type: Any = self.variable_types.get(str(key[0]))
        for part in key[1:]:
            gql_type = _unwrapped(gql_type)
            if isinstance(gql_type, GraphQLList):
                gql_type = gql_type.of_type
            elif isinstance(gql_type, GraphQLInputObjectType) and part in gql_type.fields:
                gql_type = gql_type.fields[str(part)].type
            else:
                return None
        return gql_type

    @staticmethod
    def _below(gql_type: Any, tokens: Sequence[_Token]) -> str:
        """The REST spelling of a path below a target: input fields snake_cased, list positions as ``.3``, and
        anything below a free-form JSON value as the client wrote it."""
        parts: list[str] = []
        for position, token in enumerate(tokens):
            gql_type = _unwrapped(gql_type)
            if isinstance(gql_type, GraphQLList) and isinstance(token.key, int):
                parts.append(f".{token.key}")
                gql_type = gql_type.of_type
            elif isinstance(gql_type, GraphQLInputObjectType) and token.key in gql_type.fields:
                parts.append(f".{snake_case(str(token.key))}")
                gql_type = gql_type.fields[str(token.key)].type
            else:
                parts.append("".join(rest.raw for rest in tokens[position:]))
                break
        return "".join(parts)
