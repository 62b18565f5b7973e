"""The label a GraphQL request is counted under in the per-endpoint usage counters (docs/limits.md).

``graphql <operation type> <root fields>``: the selected operation's type and the names of the root fields it
selects (through fragments, without aliases, deduplicated and sorted), e.g. ``graphql query customers,store``.
Only names the schema's root type has make a label, so the client cannot mint labels of its own; anything else
(a document that does not parse, an unknown operation or root field) is ``graphql invalid``.

The label comes from the document strawberry has already parsed (and cached): a schema extension computes it
after parsing and leaves it on the request context, where the endpoint picks it up. It walks the root
selection set only, so it costs next to nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from schema.context import Context

INVALID_LABEL = "graphql invalid"
# Root fields every root type answers without declaring them.
_META_FIELDS = frozenset({"__typename", "__schema", "__type"})


def operation_label(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> str:
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation is not None else None
    if operation is None or root is None:
        return INVALID_LABEL
    names = _root_field_names(document, operation.selection_set)
    if not names or not names <= root.fields.keys() | _META_FIELDS:
        return INVALID_LABEL
    return f"graphql {operation.operation.value} {','.join(sorted(names))}"


def _root_field_names(document: DocumentNode, selection_set: SelectionSetNode) -> set[str] | None:
    """The field names of the root selection, through fragments; ``None`` if it spreads an unknown fragment."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    names: set[str] = set()
    visited: set[str] = set()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in visited:
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    return None
                visited.add(selection.name.value)
                pending.append(fragment.selection_set)
    return names


class UsageLabel(SchemaExtension):
    """Puts the operation's label on the request context once the document is parsed."""

    def on_parse(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        context = execution.context
        if execution.graphql_document is None or not isinstance(context, Context):
            return
        # The operation strawberry runs: the one named, else the document's first.
        context.usage_endpoint = operation_label(
            execution.schema._schema, execution.graphql_document, execution.operation_name
        )
