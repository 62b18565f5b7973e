"""Field collection as graphql-core's execution does it (fragments followed, ``@skip``/``@include`` honoured,
fields grouped by response key), before execution: the cost analysis plans an operation with it and the usage
label reads an operation's root fields with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    is_abstract_type,
    value_from_ast_untyped,
)


class _Missing(Enum):
    """A variable the request did not send (its definition's default then applies)."""

    MISSING = "missing"


MISSING = _Missing.MISSING


def plain_value(value: object) -> object:
    """A variable's value as costs and directives read it: an integer, a boolean, ``MISSING``, else ``None``."""
    if value is MISSING or isinstance(value, bool | int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class FieldCollector:
    """The operation's fragments and variables, and field collection as execution does it: what the cost
    analysis and the usage label read an operation with."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, object],
    ) -> None:
        self.schema = schema
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.variables = variables
        self.unknown_fragments: set[str] = set()
        self.variable_defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }

    def runtime_types(self, parent: GraphQLCompositeType) -> Sequence[GraphQLObjectType]:
        if is_abstract_type(parent):
            return self.schema.get_possible_types(parent)
        return [parent] if isinstance(parent, GraphQLObjectType) else []

    def collect(
        self, runtime_type: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """The fields selected on ``runtime_type``, grouped by response key, through fragments."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect_into(fields, visited, runtime_type, selection_set)
        return fields

    def _collect_into(
        self,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
        runtime_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                fields.setdefault(response_key(selection), []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, runtime_type):
                    self._collect_into(fields, visited, runtime_type, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None:
                    # Validation refuses the document later; whoever reads it now may want to know.
                    self.unknown_fragments.add(name)
                    continue
                if name in visited:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition, runtime_type):
                    self._collect_into(fields, visited, runtime_type, fragment.selection_set)

    def _applies(self, condition: NamedTypeNode | None, runtime_type: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        condition_type = self.schema.get_type(condition.name.value)
        if condition_type is runtime_type:
            return True
        return is_abstract_type(condition_type) and self.schema.is_sub_type(condition_type, runtime_type)

    def _included(self, selection: SelectionNode) -> bool:
        """``@skip``/``@include``; a condition the cost cannot read counts the field (it errors before running)."""
        for directive in selection.directives or ():
            condition = self._directive_condition(directive)
            if directive.name.value == "skip" and condition is True:
                return False
            if directive.name.value == "include" and condition is False:
                return False
        return True

    def _directive_condition(self, directive: DirectiveNode) -> object:
        for argument in directive.arguments or ():
            if argument.name.value == "if":
                return self.value_of(argument.value)
        return None

    def value_of(self, node: ValueNode) -> object:
        if isinstance(node, VariableNode):
            value = self.variables.get(node.name.value, MISSING)
            if value is MISSING:
                value = plain_value(self.variable_defaults.get(node.name.value, MISSING))
            return value
        if isinstance(node, BooleanValueNode):
            return node.value
        return plain_value(value_from_ast_untyped(node))

    def field_definition(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> GraphQLField:
        definition: GraphQLField = parent.fields[nodes[0].name.value]
        return definition


def response_key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]
