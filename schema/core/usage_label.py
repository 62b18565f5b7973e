"""The label a GraphQL request is counted under in the per-endpoint usage counters (docs/limits.md).

``graphql <operation type> <root fields>``: the selected operation's type and the names of the root fields it
selects (through fragments and ``@skip``/``@include`` as execution reads them, without aliases, deduplicated and
sorted), e.g. ``graphql query customers,store``.
Only names the schema's root type has make a label, so the client cannot mint labels of its own; anything else
(a document that does not parse, an unknown operation or root field) is ``graphql invalid``.

The label comes from the document strawberry has already parsed (and cached): a schema extension computes it
after parsing and leaves it on the request context, where the endpoint picks it up. It walks the root
selection set only, so it costs next to nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import (
    DocumentNode,
    GraphQLSchema,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from resolvers.core.context import Context
from schema.core.field_collector import FieldCollector, plain_value

INVALID_LABEL = "graphql invalid"
# Root fields every root type answers without declaring them.
_META_FIELDS = frozenset({"__typename", "__schema", "__type"})


def operation_label(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, object] | None = None,
) -> str:
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation is not None else None
    if operation is None or root is None:
        return INVALID_LABEL
    collector = FieldCollector(schema, document, operation, _directive_values(variables))
    names = {nodes[0].name.value for nodes in collector.collect(root, [operation.selection_set]).values()}
    if collector.unknown_fragments or not names or not names <= root.fields.keys() | _META_FIELDS:
        return INVALID_LABEL
    return f"graphql {operation.operation.value} {','.join(sorted(names))}"


def _directive_values(variables: Mapping[str, object] | None) -> dict[str, object]:
    return {name: plain_value(value) for name, value in (variables or {}).items()}


class UsageLabel(SchemaExtension):
    """Puts the operation's label, and its type, on the request context once the document is parsed."""

    def on_parse(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        context = execution.context
        if execution.graphql_document is None or not isinstance(context, Context):
            return
        # The operation strawberry runs: the one named, else the document's only one.
        operation = get_operation_ast(execution.graphql_document, execution.operation_name)
        context.operation_type = operation.operation.value if operation is not None else None
        if context.operation_type == "query":
            context.db.reads_only()
        context.usage_endpoint = operation_label(
            execution.schema._schema, execution.graphql_document, execution.operation_name, execution.variables
        )
