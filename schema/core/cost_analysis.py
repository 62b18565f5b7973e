"""Query cost analysis, Shopify-style: what an operation may cost, checked before it runs, and what it did cost.

The rules (docs/cost.md has them with examples):

- an object field costs 1, plus its selection; a list of objects that is not a connection costs as one object;
- a connection field costs 1, plus ``page size × (cost of one item)``, plus its once-per-page parts. The page size
  is its ``first`` (or ``last``) argument, from the literal, a variable or the argument's default, capped at the
  largest page a resolver serves. Each node costs 1 plus its selection; the ``edges`` wrapper, ``cursor`` and
  ``pageInfo`` are computed from the page already fetched and cost nothing; ``totalCount`` runs a COUNT: 1;
- scalar and enum fields cost 0, except a list of scalars loaded from a table of its own (``Customer.tags``,
  marked with ``LOADED_LEAF``), which costs as a plain list of objects: 1;
- a mutation field costs 10, plus its selection;
- ``__schema`` and ``__type`` cost a flat 10, whatever they select, and add 1 to the depth: GraphiQL's
  introspection query is deep and must keep working;
- whatever the fields cost, an operation costs at least one point per ``FIELDS_PER_POINT`` field selections (as
  written, a fragment's at each place it is spread, ``__schema`` and ``__type`` with their selection as one): a
  document of thousands of free fields is parsed, validated and answered, and must not be free. An ordinary
  operation selects fewer fields per point than that, so its cost is the sum above.

Fragments and inline fragments are followed. Where the parent type is abstract (an interface or a union) the
operation costs what its costliest possible type would cost: a branch that does not apply at run time is never
executed, so the branches are alternatives, not a sum. Fields with the same response key are merged, as in
execution; ``@skip``/``@include`` are honoured.

An operation is compiled once into a ``CostPlan``: the fields that can cost something, with their page sizes.
It depends only on the document, the operation and the variables that feed page sizes and ``@skip``/``@include``,
and is cached on exactly that, within a budget of bytes of document text (schema/core/text_cache.py), as the parsed
and validated documents are. The plan gives the requested
cost and depth, and the actual cost from the result data: the same rules with the number of items each
connection really returned in place of its page size, so it is never more than the requested cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_composite_type,
    is_object_type,
)

from resolvers.core.pagination import MAX_PAGE_SIZE
from schema.core.field_collector import MISSING, FieldCollector, plain_value, response_key, sub_selections
from schema.core.text_cache import TextCache

OBJECT_COST = 1
MUTATION_COST = 10
TOTAL_COUNT_COST = 1
# A whole-schema answer is built in memory: no database, but more work than one row.
INTROSPECTION_COST = 10
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
PAGE_SIZE_ARGUMENTS = ("first", "last")
# What one item of a connection costs for the list field that holds it: a node is an object (1), an edge only
# wraps one (its node field is counted inside it).
PER_ITEM_FIELDS = {"edges": 0, "nodes": OBJECT_COST}
# The least an operation costs: one point per this many field selections. An object with every one of its fields
# selected costs 1 for at most 21 selections today (an order: itself, its 19 scalars and __typename), so no ordinary
# operation reaches the minimum; thousands of free selections do.
FIELDS_PER_POINT = 25
# The strawberry field metadata of a leaf (a list of scalars) that is loaded from another table, not read off its
# object's row: ``strawberry.field(metadata=LOADED_LEAF)``. It costs what a plain list of objects costs.
LOADED_LEAF_KEY = "cost"
LOADED_LEAF: dict[str, Any] = {LOADED_LEAF_KEY: OBJECT_COST}
STRAWBERRY_DEFINITION = "strawberry-definition"


@dataclass(frozen=True, slots=True)
class RequestedCost:
    cost: int
    depth: int


class QueryCostAnalyzer:
    """Cost plans of operations over one schema, cached."""

    def __init__(self, max_bytes: int = 4 * 1_048_576) -> None:
        # Bounded by the bytes of document text they hold, least recently used first out: one client cannot grow
        # them without end, with many documents or with large ones.
        self._cost_variables: TextCache[str, tuple[str, ...]] = TextCache(max_bytes)
        self._plans: TextCache[tuple[str, str | None, tuple[object, ...]], CostPlan] = TextCache(max_bytes)

    def plan(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        *,
        query: str | None = None,
    ) -> CostPlan:
        """The operation's cost plan; cached by ``query`` (the text ``document`` was parsed from), the operation
        name and the values of the variables that can change a cost."""
        if query is None:
            return _plan(schema, document, operation_name, _cost_inputs(variables, None))
        names = self.variable_names(query, document)
        key = (query, operation_name, cost_values(variables, names))
        plan = self._plans.get(key)
        if plan is None:
            plan = _plan(schema, document, operation_name, _cost_inputs(variables, names))
            self._plans.put(key, query, plan)
        return plan

    def variable_names(self, query: str, document: DocumentNode) -> tuple[str, ...]:
        """The variables whose values can change the cost of ``query`` (parsed into ``document``), in the order of
        the values a plan is cached by (``cost_values``)."""
        names = self._cost_variables.get(query)
        if names is None:
            names = tuple(sorted(cost_variables(document)))
            self._cost_variables.put(query, query, names)
        return names


def cost_values(variables: Mapping[str, Any] | None, names: tuple[str, ...]) -> tuple[object, ...]:
    """What a cost plan of a document with these ``variable_names`` is cached by, beside the text and operation."""
    if not names:
        return ()
    inputs = _cost_inputs(variables, names)
    return tuple(inputs[name] for name in names)


def cost_variables(document: DocumentNode) -> frozenset[str]:
    """The variables that can change a cost: those of page-size arguments and of ``@skip``/``@include``."""
    names: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                names.update(_variables_of(directive.arguments or ()))
            if isinstance(selection, FieldNode):
                page_arguments = [arg for arg in selection.arguments or () if arg.name.value in PAGE_SIZE_ARGUMENTS]
                names.update(_variables_of(page_arguments))
            if isinstance(selection, FieldNode | InlineFragmentNode):
                visit(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            visit(definition.selection_set)
    return frozenset(names)


def _variables_of(arguments: Iterable[Any]) -> set[str]:
    return {argument.value.name.value for argument in arguments if isinstance(argument.value, VariableNode)}


def _cost_inputs(variables: Mapping[str, Any] | None, names: Iterable[str] | None) -> dict[str, object]:
    """The variables as the cost sees them: an integer, a boolean, ``None`` for anything else, or ``MISSING``.

    A value the variable's type will refuse (a string for ``Int``) fails the request anyway; reading it as
    ``None`` lets the cache key stay small and hashable whatever the client sent.
    """
    variables = variables or {}
    wanted = variables.keys() if names is None else names
    return {name: plain_value(variables.get(name, MISSING)) for name in wanted}


def _root_field_base(operation: OperationDefinitionNode) -> int:
    return MUTATION_COST if operation.operation is OperationType.MUTATION else OBJECT_COST


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """A selected field that can cost something: its own cost, and what it selects (an object or a plain list of
    objects, or a connection). ``cost`` is the requested cost."""

    key: str
    base: int
    cost: int
    selection: SelectionPlan | None = None
    connection: ConnectionPlan | None = None

    def actual(self, value: object) -> int:
        # Null (the field answered null, or failed): its own lookup, nothing below it.
        if value is None or self.cost == self.base:
            return self.base
        if self.connection is not None:
            return self.base + self.connection.actual(value)
        if self.selection is not None:
            return self.base + self.selection.actual(value)
        return self.base


@dataclass(frozen=True, slots=True)
class SelectionPlan:
    """The fields of a selection set that can cost something, for each type the parent may be at run time (one,
    for an object type). Free fields are left out, so the actual cost walks only what can add to it."""

    branches: tuple[tuple[FieldPlan, ...], ...]
    cost: int
    depth: int
    # One branch of fields that select nothing costly: any object costs exactly ``cost`` (execution returns every
    # field the plan kept, @skip/@include being settled in the plan), so the walk stops here.
    flat: bool

    @classmethod
    def of(cls, branches: list[list[FieldPlan]], depth: int) -> SelectionPlan:
        cost = max((sum(field.cost for field in branch) for branch in branches), default=0)
        flat = len(branches) == 1 and all(field.cost == field.base for field in branches[0])
        return cls(tuple(tuple(branch) for branch in branches), cost, depth, flat)

    def actual(self, value: object) -> int:
        """A field absent from ``value`` (skipped, or of a type the value is not) costs nothing; a plain list
        costs as its costliest element, as the requested cost counts it once.

        Plain loops rather than ``max``/``sum`` over generators: this runs once per returned object.
        """
        if self.cost == 0:
            return 0
        if isinstance(value, dict):
            if self.flat:
                return self.cost
            costliest = 0
            for branch in self.branches:
                total = 0
                for field in branch:
                    key = field.key
                    if key in value:
                        total += field.actual(value[key])
                if total > costliest:
                    costliest = total
            return costliest
        if isinstance(value, list):
            costliest = 0
            for item in value:
                cost = self.actual(item)
                if cost > costliest:
                    costliest = cost
            return costliest
        return 0


@dataclass(frozen=True, slots=True)
class ItemsPlan:
    """``edges`` or ``nodes`` of a connection: each item costs ``base`` (1 for a node, 0 for the edge wrapping
    one) plus its selection."""

    key: str
    base: int
    selection: SelectionPlan

    @property
    def cost(self) -> int:
        return self.base + self.selection.cost


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    page_size: int
    items: tuple[ItemsPlan, ...]
    once: tuple[FieldPlan, ...]
    cost: int

    @classmethod
    def of(cls, page_size: int, items: list[ItemsPlan], once: list[FieldPlan]) -> ConnectionPlan:
        cost = sum(field.cost for field in once) + page_size * sum(part.cost for part in items)
        return cls(page_size, tuple(items), tuple(once), cost)

    def actual(self, page: object) -> int:
        """As requested, with the number of items the page returned in place of the page size."""
        if not isinstance(page, dict):
            return 0
        total = 0
        for field in self.once:
            if field.key in page:
                total += field.actual(page[field.key])
        for part in self.items:
            items = page.get(part.key)
            if not isinstance(items, list):
                continue
            total += part.base * len(items)
            selection = part.selection
            if not selection.cost:
                continue
            if selection.flat:
                # Each returned object costs exactly the selection's cost (a null item, nothing): counted, not walked.
                # An object of a response is a dict, a list's item that is not one is null.
                total += selection.cost * (len(items) - items.count(None))
                continue
            for item in items:
                total += selection.actual(item)
        return total


@dataclass(frozen=True, slots=True)
class CostPlan:
    """An operation's requested cost and depth, and how to compute its actual cost from the data it returns.
    ``minimum`` is what its selected fields cost at least (``FIELDS_PER_POINT``), whatever they returned."""

    requested: RequestedCost
    root: SelectionPlan
    minimum: int = 0

    def actual(self, data: Mapping[str, Any]) -> int:
        return max(self.root.actual(data), self.minimum)


def _plan(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, object]
) -> CostPlan:
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return CostPlan(RequestedCost(0, 0), SelectionPlan.of([], 0))
    planner = _Planner(schema, document, operation, variables)
    selection = planner.selection(root, [operation.selection_set], field_base=_root_field_base(operation))
    minimum = planner.fields // FIELDS_PER_POINT
    return CostPlan(RequestedCost(max(selection.cost, minimum), selection.depth), selection, minimum)


def is_connection(named_type: GraphQLNamedType) -> bool:
    return is_object_type(named_type) and {"edges", "pageInfo"} <= named_type.fields.keys()


class _Planner(FieldCollector):
    # Every field selection collected at every place (repeats included), as the cost's minimum counts them.
    fields = 0

    def selection(
        self, parent: GraphQLCompositeType, selection_sets: list[SelectionSetNode], *, field_base: int = OBJECT_COST
    ) -> SelectionPlan:
        branches: list[list[FieldPlan]] = []
        depth = 0
        for runtime_type in self.runtime_types(parent):
            branch: list[FieldPlan] = []
            collected = self.collect(runtime_type, selection_sets)
            self.fields += sum(len(nodes) for nodes in collected.values())
            for nodes in collected.values():
                field, field_depth = self.field(runtime_type, nodes, base=field_base)
                depth = max(depth, field_depth)
                if field.cost > 0:  # a free field costs nothing actual either (actual ≤ requested)
                    branch.append(field)
            branches.append(branch)
        return SelectionPlan.of(branches, depth)

    def field(self, parent: GraphQLObjectType, nodes: list[FieldNode], *, base: int) -> tuple[FieldPlan, int]:
        """The field's plan and its depth (itself and the longest path below it)."""
        key = response_key(nodes[0])
        name = nodes[0].name.value
        if name in INTROSPECTION_FIELDS:
            return FieldPlan(key, INTROSPECTION_COST, INTROSPECTION_COST), 1
        if name == "__typename":
            return FieldPlan(key, 0, 0), 1
        definition = self.field_definition(parent, nodes)
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            cost = _leaf_cost(definition)
            return FieldPlan(key, cost, cost), 1
        selection_sets = sub_selections(nodes)
        if is_connection(named):
            page_size = self.page_size(definition, nodes[0])
            connection, depth = self.connection(named, selection_sets, page_size)  # type: ignore[arg-type]
            return FieldPlan(key, base, base + connection.cost, connection=connection), 1 + depth
        selection = self.selection(named, selection_sets)
        return FieldPlan(key, base, base + selection.cost, selection=selection), 1 + selection.depth

    def connection(
        self, connection_type: GraphQLObjectType, selection_sets: list[SelectionSetNode], page_size: int
    ) -> tuple[ConnectionPlan, int]:
        items: list[ItemsPlan] = []
        once: list[FieldPlan] = []
        depth = 0
        collected = self.collect(connection_type, selection_sets)
        self.fields += sum(len(nodes) for nodes in collected.values())
        for key, nodes in collected.items():
            name = nodes[0].name.value
            if name in PER_ITEM_FIELDS:
                item_type = get_named_type(connection_type.fields[name].type)
                selection = self.selection(item_type, sub_selections(nodes))
                items.append(ItemsPlan(key, PER_ITEM_FIELDS[name], selection))
                depth = max(depth, 1 + selection.depth)
            elif name == "totalCount":
                once.append(FieldPlan(key, TOTAL_COUNT_COST, TOTAL_COUNT_COST))
                depth = max(depth, 1)
            else:  # pageInfo, __typename: computed from the page
                field, field_depth = self.field(connection_type, nodes, base=0)
                depth = max(depth, field_depth)
                if field.cost > 0:
                    once.append(field)
        return ConnectionPlan.of(page_size, items, once), depth

    def page_size(self, definition: GraphQLField, node: FieldNode) -> int:
        """The page the field asks for: ``first``/``last`` as sent or defaulted, within 0..MAX_PAGE_SIZE.

        Without a readable size (no default, a value the argument refuses) the largest page is assumed.
        """
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        sizes: list[int] = []
        for name in PAGE_SIZE_ARGUMENTS:
            argument = definition.args.get(name)
            if argument is None:
                continue
            value = self.value_of(given[name]) if name in given else MISSING
            if value is MISSING or value is None:
                value = plain_value(argument.default_value)
            if isinstance(value, int) and not isinstance(value, bool):
                sizes.append(min(max(value, 0), MAX_PAGE_SIZE))
        return max(sizes) if sizes else MAX_PAGE_SIZE


def _leaf_cost(definition: GraphQLField) -> int:
    strawberry_field = (definition.extensions or {}).get(STRAWBERRY_DEFINITION)
    metadata = getattr(strawberry_field, "metadata", None) or {}
    cost = metadata.get(LOADED_LEAF_KEY, 0)
    return cost if isinstance(cost, int) else 0
