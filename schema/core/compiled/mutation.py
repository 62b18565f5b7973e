"""A mutation run by its plan: the root field's resolver called directly with its arguments converted by the
field's converter, and its payload completed by the plan, without graphql-core's per-field execution.

A mutation cannot run twice, so all that decides the way is settled before the resolver runs: the compiler covers
the operation (one root field, a resolver strawberry calls with nothing around it, a payload the plan completes),
the variables coerce, the field's arguments coerce and convert, and the key holds every scope a guard on the way
would check. Anything short of that leaves the operation to graphql-core from the start.

The resolver then runs once, called as strawberry calls it: ``self`` and the root being the (null) root value,
``info`` made of what graphql-core would put in it. Its value is completed by the plan. When the resolver raised,
or the plan meets something it does not reproduce exactly (a null in a non-null position, a value a type
refuses, a relation's load failing), graphql-core executes the operation with the root field answering what the
resolver already answered (a middleware on that field alone): it completes the value, or reports the error with
its path and nulls, as it would have from the start, and nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Path, gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.types.field import StrawberryField

from resolvers.core.context import Context
from schema.core.compiled.plan import Arguments, Completion, Run


@dataclass(frozen=True, slots=True)
class MutationPlan:
    """A compiled mutation: its root field (under ``key``), the resolver's argument conversion, the completion of
    its payload, and the scopes the guards on the way would check (all must be held)."""

    key: str
    parent: GraphQLObjectType
    field: GraphQLField
    nodes: tuple[FieldNode, ...]
    definition: StrawberryField
    info_class: type[Any]
    arguments: Arguments
    completion: Completion
    scopes: frozenset[str]
    # The document's fragments by name, as the resolver's ``info.fragments`` holds them: the plan's own document's,
    # taken once rather than at every run.
    fragments: dict[str, FragmentDefinitionNode]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the root field's resolver answered: a value, or the exception it raised."""

    value: Any = None
    error: Exception | None = None


class Answered:
    """A graphql-core middleware that answers the root field with the resolver's ``Outcome`` instead of running it
    again, and lets every other field resolve as usual. Answered as an awaitable, as the async resolver is."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    def resolve(self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        if info.path.prev is not None:
            return next_(root, info, **arguments)
        return self._answer()

    async def _answer(self) -> Any:
        if self.outcome.error is not None:
            raise self.outcome.error
        return self.outcome.value


@dataclass(frozen=True, slots=True)
class MutationRun:
    """One execution of a mutation plan, with what graphql-core would give its resolver."""

    plan: MutationPlan
    context: Context
    variables: VariableValues
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    is_awaitable: Callable[[Any], TypeGuard[Awaitable[Any]]]

    async def outcome(self, arguments: dict[str, Any]) -> Outcome:
        """Calls the resolver with the converted ``arguments``; an ``Exception`` it raises is its outcome."""
        plan = self.plan
        resolver = plan.definition.base_resolver
        if resolver is None:  # the compiler covers only fields with a resolver
            raise RuntimeError(f"{plan.parent.name}.{plan.key} has no resolver")
        kwargs = dict(arguments)
        for parameter in (resolver.root_parameter, resolver.parent_parameter):
            if parameter is not None:
                kwargs[parameter.name] = None
        if resolver.info_parameter is not None:
            kwargs[resolver.info_parameter.name] = plan.info_class(_raw_info=self._info(), _field=plan.definition)
        call: Callable[..., Any] = resolver  # as strawberry calls it: the resolver object itself
        args = [None] if resolver.self_parameter is not None else []
        try:
            value = call(*args, **kwargs)
            if self.is_awaitable(value):
                value = await value
        except Exception as error:
            return Outcome(error=error)
        return Outcome(value=value)

    async def completed(self, value: Any) -> dict[str, Any]:
        """The data of the operation whose root field answered ``value``; ``NotExact`` (or a load's exception)
        where graphql-core must complete it instead."""
        (output,) = await Run(self.context, self.variables).complete(self.plan.completion, [value])
        return {self.plan.key: output}

    def _info(self) -> GraphQLResolveInfo[Any]:
        plan = self.plan
        return GraphQLResolveInfo(
            plan.nodes[0].name.value,
            list(plan.nodes),
            plan.field.type,
            plan.parent,
            Path(None, plan.key, plan.parent.name),
            self.schema,
            self.fragments,
            None,
            self.operation,
            self.variables,
            self.context,
            self.is_awaitable,
            None,
            GraphQLResolveInfoHelpers(gather=_gather, track=_untracked),
        )


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return await gather_with_cancel(*values)


def _untracked(_values: Sequence[Any]) -> None:
    # graphql-core waits for tracked work before it answers; this run does not. No resolver of the schema tracks
    # any: one that starts to gets this error (the field's error) rather than work silently left behind.
    raise RuntimeError("a compiled mutation's resolver cannot track work beyond its answer")
