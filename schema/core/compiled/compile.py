"""The compiler: a validated query and the values of its ``@skip``/``@include`` variables -> a ``Plan``, or
``None`` when the operation uses anything it does not cover (the standard way then runs it).

Fields are collected by graphql-core's own collection (fragments, inline fragments, ``@skip``/``@include``,
merging by response key), so a plan selects exactly what execution would. It covers:

- ``__typename``, and plain attribute fields (strawberry's basic fields, without arguments) whose type is a
  leaf, an object or a list of them: a row's columns, a connection's ``edges``/``nodes``/``pageInfo``, an edge's
  ``cursor`` and ``node``, a mutation payload's object and ``userErrors``;
- fields with a ``BatchedField`` in the table it is given (root fields and relations, loaded once per level) and
  ``totalCount`` of a connection, with their arguments coerced as graphql-core coerces them;
- a mutation of one root field whose payload it covers (``compile_mutation``, run by
  schema/core/compiled/mutation.py);

and nothing else: introspection, abstract types (and object types that check their values), other directives,
fragment variables, a field extension, a resolver it has no batch for all leave the operation to the standard
way. The scope a field's guard would check (schema/core/permissions.py) is collected into the plan, to be checked
once before it runs.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_operation_ast,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.language import Visitor
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from schema.core.compiled.arguments import ArgumentsConverter, argument_converter
from schema.core.compiled.mutation import MutationPlan
from schema.core.compiled.plan import (
    Arguments,
    BatchedField,
    Child,
    Completion,
    Leaf,
    Plan,
    Resolved,
    Shape,
    Step,
    Typename,
    read_columns,
    shape_of,
)
from schema.core.connections import TOTAL_COUNT, total_count
from schema.core.cost_analysis import is_connection
from schema.core.permissions import guard_scope, unguarded_resolver

CONDITIONS = frozenset({"skip", "include"})


class NotCovered(Exception):
    """The operation uses something the compiler does not cover."""


class CompilerTables:
    """What the compiler needs of the strawberry schema: how it converts arguments, and the batched fields."""

    def __init__(
        self, schema: GraphQLSchema, converter: GraphQLCoreConverter, batched: Mapping[str, BatchedField]
    ) -> None:
        self.schema = schema
        self.converter = converter
        self.batched = batched
        # Each field definition's argument converter, built the first time a plan resolves the field (keyed by
        # identity: the definitions live as long as the schema).
        self.argument_converters: dict[int, ArgumentsConverter] = {}

    def arguments_of(self, definition: StrawberryField) -> ArgumentsConverter:
        converter = self.argument_converters.get(id(definition))
        if converter is None:
            converter = argument_converter(definition, self.converter.scalar_registry, self.converter.config)
            self.argument_converters[id(definition)] = converter
        return converter


def condition_variables(document: DocumentNode) -> tuple[str, ...] | None:
    """The variables ``@skip``/``@include`` read, sorted (the plan depends on their values); ``None`` if the
    document uses another directive on a selection, which the compiler leaves to the standard way."""
    names: set[str] = set()
    other = False

    class Directives(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            nonlocal other
            if node.name.value not in CONDITIONS:
                other = True
                return
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    names.add(argument.value.name.value)

    visit(document, Directives())
    return None if other else tuple(sorted(names))


def compile_operation(
    tables: CompilerTables, document: DocumentNode, operation_name: str | None, variables: VariableValues
) -> Plan | None:
    """The plan of the operation for these ``@skip``/``@include`` values, or ``None`` if it is not covered."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY or condition_variables(document) is None:
        return None
    fragments = fragments_of(document)
    if fragments is None:
        return None
    compiler = _Compiler(tables, fragments, variables, operation)
    root = tables.schema.query_type
    if root is None:
        return None
    try:
        collected = collect_fields(tables.schema, fragments, variables, root, operation)
        if collected.new_defer_usages:
            return None
        shape = compiler.shape(root, collected.grouped_field_set)
    except (NotCovered, GraphQLError):
        return None
    return Plan(shape, frozenset(compiler.scopes), read_columns(shape))


def compile_mutation(
    tables: CompilerTables, document: DocumentNode, operation_name: str | None, variables: VariableValues
) -> MutationPlan | None:
    """The plan of a mutation of one root field for these ``@skip``/``@include`` values, or ``None`` if it is not
    covered: the root field's resolver must be one strawberry calls with nothing around it (no field extension,
    no exception handler), taking only its arguments and the reserved ``self``, root, parent and ``info``."""
    operation = get_operation_ast(document, operation_name)
    root = tables.schema.mutation_type
    if (
        root is None
        or operation is None
        or operation.operation is not OperationType.MUTATION
        or condition_variables(document) is None
        or tables.converter.exception_handlers
    ):
        return None
    fragments = fragments_of(document)
    if fragments is None:
        return None
    compiler = _Compiler(tables, fragments, variables, operation)
    try:
        collected = collect_fields(tables.schema, fragments, variables, root, operation)
        if collected.new_defer_usages or len(collected.grouped_field_set) != 1:
            return None
        ((key, details),) = collected.grouped_field_set.items()
        name = details[0].node.name.value
        field = root.fields.get(name)
        definition = None if field is None else (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if field is None or not isinstance(definition, StrawberryField) or definition.extensions:
            return None
        resolver = definition.base_resolver
        if resolver is None or not _only_reserved(resolver):
            return None
        scope = guard_scope(root.name, name)
        if scope is not None:
            compiler.scopes.add(scope)
        completion = compiler.completion(field.type, details)
    except (NotCovered, GraphQLError):
        return None
    arguments = Arguments(field, details[0].node, tables.arguments_of(definition))
    return MutationPlan(
        key=key,
        parent=root,
        field=field,
        nodes=tuple(detail.node for detail in details),
        definition=definition,
        info_class=tables.converter.config.info_class,
        arguments=arguments,
        completion=completion,
        scopes=frozenset(compiler.scopes),
        fragments={name: details.definition for name, details in fragments.items()},
    )


def _only_reserved(resolver: StrawberryResolver[Any]) -> bool:
    """Whether the resolver's parameters are its arguments and the reserved ones strawberry fills in itself
    (``self``, root, parent, ``info``): anything else is strawberry's to work out."""
    reserved = {
        parameter
        for parameter in (
            resolver.self_parameter,
            resolver.root_parameter,
            resolver.parent_parameter,
            resolver.info_parameter,
        )
        if parameter is not None
    }
    arguments = {argument.python_name for argument in resolver.arguments}
    parameters = resolver.signature.parameters.values()
    return all(parameter in reserved or parameter.name in arguments for parameter in parameters)


def fragments_of(document: DocumentNode) -> dict[str, FragmentDetails] | None:
    """The document's fragments by name; ``None`` if one has variables of its own (not covered)."""
    fragments: dict[str, FragmentDetails] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            fragments[definition.name.value] = FragmentDetails(definition)
    return fragments


class _Compiler:
    def __init__(
        self,
        tables: CompilerTables,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        operation: OperationDefinitionNode,
    ) -> None:
        self.tables = tables
        self.fragments = fragments
        self.variables = variables
        self.operation = operation
        self.scopes: set[str] = set()
        self.batched_fields: set[tuple[str, str]] = set()

    def shape(self, parent: GraphQLObjectType, grouped: GroupedFieldSet) -> Shape:
        steps = [self.step(parent, key, details) for key, details in grouped.items()]
        return shape_of(parent.name, steps)

    def step(self, parent: GraphQLObjectType, key: str, details: FieldDetailsList) -> Step:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return Typename(key)
        field = parent.fields.get(name)
        if field is None or name.startswith("__"):
            raise NotCovered(name)
        definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(definition, StrawberryField) or definition.extensions:
            raise NotCovered(f"{parent.name}.{name}")
        completion = self.completion(field.type, details)
        batched = self.batched(parent, name, definition)
        if batched is not None:
            if batched.across_fields and (parent.name, name) in self.batched_fields:
                raise NotCovered(f"{parent.name}.{name} selected at two places")
            self.batched_fields.add((parent.name, name))
            scope = guard_scope(parent.name, name)
            if scope is not None:
                self.scopes.add(scope)
            arguments = Arguments(field, node, self.tables.arguments_of(definition))
            return Resolved(key, batched, arguments, completion)
        attribute = _attribute(field, definition)
        if attribute is None:
            raise NotCovered(f"{parent.name}.{name}")
        scope = guard_scope(parent.name, name)
        if scope is not None:
            # Its guard checks the scope before reading the attribute: checked once, before the plan runs.
            self.scopes.add(scope)
        if completion.coerce is not None:
            return Leaf(key, attribute, completion.coerce, completion.non_null)
        return Child(key, attrgetter(attribute), completion, attribute)

    def batched(self, parent: GraphQLObjectType, name: str, definition: StrawberryField) -> BatchedField | None:
        batched = self.tables.batched.get(f"{parent.name}.{name}")
        if batched is not None:
            return batched
        resolver = definition.base_resolver
        if is_connection(parent) and resolver is not None and resolver.wrapped_func is total_count:
            return TOTAL_COUNT
        return None

    def completion(self, output_type: GraphQLOutputType, details: FieldDetailsList) -> Completion:
        non_null = isinstance(output_type, GraphQLNonNull)
        inner = output_type.of_type if isinstance(output_type, GraphQLNonNull) else output_type
        if isinstance(inner, GraphQLList):
            return Completion(non_null, item=self.completion(inner.of_type, details))
        if is_leaf_type(inner):
            return Completion(non_null, coerce=inner.coerce_output_value)
        if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
            collected = collect_subfields(
                self.tables.schema, self.fragments, self.variables, self.operation, inner, details
            )
            if collected.new_defer_usages:
                raise NotCovered("@defer")
            return Completion(non_null, shape=self.shape(inner, collected.grouped_field_set))
        raise NotCovered(str(inner))


def _attribute(field: GraphQLField, definition: StrawberryField) -> str | None:
    """The attribute a plain field reads, as strawberry's default resolver reads it; ``None`` for anything else
    (a resolver, a permission class, an argument, a resolver replaced by a guard, a name that is no identifier)."""
    resolve = unguarded_resolver(field)
    if (
        resolve is None
        or field.args
        or not definition.is_basic_field
        or not getattr(resolve, "_is_default", False)
        or definition.default_resolver is not getattr
        or not definition.python_name.isidentifier()
        or keyword.iskeyword(definition.python_name)
    ):
        return None
    return definition.python_name
