"""A GraphQL document's way in: parsed within the size limits, measured, validated, and both steps cached by the
document's text (docs/cost.md#document-limits).

Parsing and validation run on the event loop, so a document they take long over holds every request of the
process. A document over ``MAX_QUERY_LENGTH`` characters is refused before it is read; the parser stops at the
token past ``MAX_QUERY_TOKENS`` (comments count), so its work is bounded whatever the document's size; a parsed
document whose shape would make validation or the cost plan slow (schema/core/document_shape.py) is refused
before it is validated. All of them are ``query_too_large``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from resolvers.core.context import Context
from schema.core.document_shape import measure
from schema.core.text_cache import TextCache
from storegraph.platform.errors import QueryTooLarge
from storegraph.settings import Settings

# Beyond the settings, two bounds no legitimate document comes near (the largest in the repository, GraphiQL's
# introspection query, collects a few hundred fields and repeats none): both keep validation and the cost plan
# within tens of milliseconds.
MAX_FIELDS = 10_000
MAX_REPEATED_FIELDS = 5_000
_ADVICE = "Pass values as variables, and split what you ask for into several requests."


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_length: int
    max_tokens: int
    max_aliases: int
    cache_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        return cls(
            max_length=settings.max_query_length,
            max_tokens=settings.max_query_tokens,
            max_aliases=settings.max_query_aliases,
            cache_bytes=settings.document_cache_bytes,
        )

    @classmethod
    def defaults(cls) -> DocumentLimits:
        """The settings' defaults, without reading the environment (for ``export-schema`` and tests)."""
        fields = Settings.model_fields
        return cls(
            max_length=fields["max_query_length"].default,
            max_tokens=fields["max_query_tokens"].default,
            max_aliases=fields["max_query_aliases"].default,
            cache_bytes=fields["document_cache_bytes"].default,
        )


class DocumentCache:
    """The per-schema half of the document extension: the limits, and the parsed and validated documents kept by
    their text."""

    def __init__(self, limits: DocumentLimits) -> None:
        self.limits = limits
        self.parsed: TextCache[str, DocumentNode] = TextCache(limits.cache_bytes)
        self.validated: TextCache[str, tuple[GraphQLError, ...]] = TextCache(limits.cache_bytes)

    def extension(self) -> DocumentExtension:
        """The factory strawberry calls once per request."""
        return DocumentExtension(self)

    def parse(self, query: str) -> DocumentNode:
        """The document ``query`` holds; a ``GraphQLError`` if it does not parse or is over a limit."""
        document = self.parsed.get(query)
        if document is None:
            document = parse_within(query, self.limits)
            self.parsed.put(query, query, document)
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        """The document's validation errors (none: valid), or its refusal for its shape. ``document`` is what
        ``query`` parses to, and every request of one schema validates by the same rules, so the text is the key."""
        errors = self.validated.get(query)
        if errors is None:
            refusal = self.refusal(document)
            errors = (refusal,) if refusal is not None else tuple(validate_document(schema, document, rules))
            self.validated.put(query, query, errors)
        return list(errors)

    def refusal(self, document: DocumentNode) -> GraphQLError | None:
        shape = measure(document, max_fields=MAX_FIELDS)
        if shape.fields > MAX_FIELDS:
            message = f"The document selects more than {MAX_FIELDS} fields once its fragments are spread."
            return _refused(QueryTooLarge(f"{message} {_ADVICE}", limit="fields", maximum=MAX_FIELDS))
        if shape.aliases > self.limits.max_aliases:
            message = f"The document has {shape.aliases} aliases; at most {self.limits.max_aliases} are allowed."
            return _refused(
                QueryTooLarge(message, limit="aliases", maximum=self.limits.max_aliases, found=shape.aliases)
            )
        if shape.repeated > MAX_REPEATED_FIELDS:
            message = (
                f"The document repeats fields under one response key {shape.repeated} times (counted in pairs at "
                f"each place); at most {MAX_REPEATED_FIELDS} are allowed. Select each field once."
            )
            return _refused(
                QueryTooLarge(message, limit="repeated_fields", maximum=MAX_REPEATED_FIELDS, found=shape.repeated)
            )
        return None


def parse_within(query: str, limits: DocumentLimits) -> DocumentNode:
    """Parses ``query``, refusing it before reading it when it is too long, and as soon as it has one token too many."""
    if len(query) > limits.max_length:
        message = f"The document is {len(query)} characters long; at most {limits.max_length} are allowed. {_ADVICE}"
        raise _refused(QueryTooLarge(message, limit="length", maximum=limits.max_length, found=len(query)))
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as error:
        # graphql-core raises its syntax error at the first token over the limit (comments count, and a run of
        # comments is cut short too); only its message tells that case from a document that does not parse.
        if not error.message.endswith(f"Document contains more than {limits.max_tokens} tokens. Parsing aborted."):
            raise
        message = f"The document has more than {limits.max_tokens} tokens (names, punctuation, values, comments)."
        too_large = QueryTooLarge(f"{message} {_ADVICE}", limit="tokens", maximum=limits.max_tokens)
        raise GraphQLError(
            too_large.message, source=error.source, positions=error.positions, original_error=too_large
        ) from None


def _operation_count(document: DocumentNode) -> int:
    return sum(1 for definition in document.definitions if isinstance(definition, OperationDefinitionNode))


def _refused(error: QueryTooLarge) -> GraphQLError:
    return GraphQLError(error.message, original_error=error)


class DocumentExtension(SchemaExtension):
    """Parses and validates through the schema's ``DocumentCache`` (instead of strawberry's own steps, which are
    then skipped: the document and the validation errors are already set)."""

    def __init__(self, cache: DocumentCache) -> None:
        super().__init__()
        self._cache = cache

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.graphql_document is None and execution.query:
            execution.graphql_document = self._cache.parse(execution.query)
        context = execution.context
        if (
            execution.graphql_document is not None
            and isinstance(context, Context)
            and context.operation_name is None
            and _operation_count(execution.graphql_document) > 1
        ):
            raise GraphQLError("The document has several operations: name the one to run in 'operationName'.")
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.graphql_document is not None and execution.query and execution.pre_execution_errors is None:
            execution.pre_execution_errors = self._cache.validate(
                execution.schema._schema, execution.graphql_document, execution.query, execution.validation_rules
            )
        yield
