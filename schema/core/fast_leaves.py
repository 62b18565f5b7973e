"""A faster way through graphql-core for the commonest field: a plain attribute leaf.

Most fields of a response are leaves (scalars, enums) read straight off the row: strawberry's "basic" fields,
with no resolver of their own, no arguments and no scope guard (schema/core/permissions.py wraps only the fields that
change scope). graphql-core executes each of them like any field: a resolve-info object built, the resolver
called through the generic path, the value completed by type dispatch. For these fields the outcome is fixed
by the value alone, so ``StoregraphExecutionContext`` reads the attribute and coerces it directly.

graphql-core stays the reference: whenever the short way meets anything but a clean value (an exception, a null
for a non-null field, a value the type cannot coerce, an awaitable), the field is executed again the standard
way, which produces exactly graphql-core's answer or error. Reading a basic field twice is harmless: its
sources are rows and plain objects, so it is an attribute read. tests/schema/test_fast_leaves.py runs queries through
both executors and compares the responses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Where a field's plan is kept: in the field's own ``extensions`` (graphql-core's place for such data), so the
# schema object owns it and nothing lives at module level.
PLAN_KEY = "storegraph.fast_leaf"


@dataclass(frozen=True, slots=True)
class LeafPlan:
    read: Callable[[Any, None], Any]
    leaf_type: GraphQLLeafType
    non_null: bool


def install_fast_leaves(schema: GraphQLSchema) -> int:
    """Gives every eligible field its plan; returns how many fields got one. Call after the scope guards are
    installed, so that a guarded field (its resolver replaced) is never taken for a basic one."""
    planned = 0
    for gql_type in schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or gql_type.name.startswith("__"):
            continue
        for field in gql_type.fields.values():
            plan = _plan_for(field)
            if plan is not None:
                field.extensions = {**(field.extensions or {}), PLAN_KEY: plan}
                planned += 1
    return planned


def _plan_for(field: GraphQLField) -> LeafPlan | None:
    resolve = field.resolve
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    # A basic field: no resolver, no field extensions, no permission classes; strawberry then gives it a resolver
    # of its own, marked as the default one (a guard that replaced it is not).
    basic = isinstance(definition, StrawberryField) and definition.is_basic_field
    if resolve is None or not basic or not getattr(resolve, "_is_default", False) or field.args:
        return None
    field_type = field.type
    non_null = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if not is_leaf_type(inner):
        return None
    return LeafPlan(read=resolve, leaf_type=inner, non_null=non_null)


class StoregraphExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # strawberry always passes a manager; it holds a middleware only for an extension with a ``resolve`` hook,
        # which must see every field, so then no field takes the short way.
        manager = self.middleware_manager
        self._has_middleware = bool(manager is not None and manager.middlewares)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        value = self._fast_leaf(parent_type, source, field_details_list)
        if value is not Undefined:
            return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _fast_leaf(self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any) -> Any:
        """The field's completed value, or ``Undefined`` when it must take the standard way."""
        node = field_details_list[0].node
        field = parent_type.fields.get(node.name.value)
        if field is None or node.arguments or self._has_middleware:
            return Undefined
        plan: LeafPlan | None = (field.extensions or {}).get(PLAN_KEY)
        # A resolver replaced after planning (a scope guard installed later, say) must run: the standard way.
        if plan is None or field.resolve is not plan.read:
            return Undefined
        try:
            value = plan.read(source, None)
            if isinstance(value, Exception) or self.is_awaitable(value):
                # graphql-core raises an exception value as the field's error, and awaits an awaitable.
                _close_if_coroutine(value)
                return Undefined
            if value is None:
                return Undefined if plan.non_null else None
            coerced = plan.leaf_type.coerce_output_value(value)
        except Exception:
            return Undefined  # the standard way raises it again, as the field's error
        return Undefined if coerced is None else coerced


def _close_if_coroutine(value: Any) -> None:
    """The standard way reads the field again: a coroutine made here would otherwise never be awaited."""
    if inspect.iscoroutine(value):
        value.close()
