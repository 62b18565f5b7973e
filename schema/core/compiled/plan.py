"""What a compiled operation is, and how it builds its answer: level by level, from rows loaded in batches.

A ``Plan`` is a tree of ``Shape``s, one per selection set as graphql-core collects it, each a tuple of steps in
response-key order. A step is a leaf read straight off its source (an attribute, coerced by the scalar's or enum's
output coercion bound once), ``__typename``, a child object read off its source (a connection's ``edges``, an
edge's ``node``, ``pageInfo``), or a field resolved for a whole level of sources at once (``BatchedField``: a root
field's statement, a relation's one statement keyed by the parent ids).

The builder walks levels, not objects: all sources of one shape are built together, so a relation below them
runs once for the level. Whatever it meets that graphql-core would answer in its own way (a null in a non-null
position, a value the type refuses, an exception) raises ``NotExact``: the request then runs the standard way,
which gives graphql-core's answer and errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from graphql import FieldNode, GraphQLField
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.dataloader import DataLoader

from db.queries.executor import Executor
from resolvers.core.context import Context
from schema.core.compiled.arguments import DirectArgument, argument_values, direct_arguments
from schema.core.compiled.codegen import Builder, generate_builder


class NotExact(Exception):
    """The compiled run met something it does not reproduce exactly: graphql-core must answer instead."""


# (context, sources of one level, converted arguments) -> one value per source, in order.
BatchLoad = Callable[[Context, Sequence[Any], dict[str, Any]], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class BatchedField:
    """How a resolved field (a root field, a relation) is loaded for a whole level of its parents at once. It must
    answer exactly what the field's resolver answers for each parent, with the same statements or fewer.

    ``across_fields``: the field's resolver loads through a DataLoader, which batches the loads of every place the
    field is selected into one statement; a plan loads once per place, so it selects such a field at one place
    only (else the standard way runs, with its fewer statements). Nothing can then join that load's batch, so a
    root field by id loads it at once (``load_at_once``) rather than a turn of the event loop later."""

    load: BatchLoad
    across_fields: bool = True
    # The attributes ``load`` reads of its parents: a plan loads the parents' rows with only the columns its
    # fields read (``Context.wanted``). ``None``: unknown, so the parents' rows are loaded whole.
    reads: frozenset[str] | None = None


# What most relations read of their parents: the parent's id.
BY_PARENT_ID = frozenset({"id"})


def root_field(resolve: Callable[..., Awaitable[Any]], *, across_fields: bool) -> BatchedField:
    """A root field, resolved once: ``resolve(context, **arguments)``, as the field's own resolver calls it."""

    async def load(context: Context, _sources: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
        return [await resolve(context, **arguments)]

    return BatchedField(load, across_fields, reads=frozenset())


def loaded_by_id(loader: Callable[[Executor, int], DataLoader[int, Any]], attribute: str) -> BatchedField:
    """A relation to one row by the id its parent holds in ``attribute``, as its resolver reads it: null where the
    id is null (never loaded), else what the request's ``loader`` answers for it, all of a level in one load."""
    return loaded_by_id_with(lambda context: context.loaders.get(loader), attribute)


def loaded_by_id_with(loader_of: Callable[[Context], DataLoader[int, Any]], attribute: str) -> BatchedField:
    """``loaded_by_id`` with the request's loader that ``loader_of`` chooses (one that loads only the columns the
    plan reads of its rows)."""
    read = attrgetter(attribute)

    async def load(context: Context, sources: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
        raw_ids = [read(source) for source in sources]
        ids = [int(raw_id) for raw_id in raw_ids if raw_id is not None]
        if not ids:
            return [None] * len(raw_ids)
        found = iter(await loader_of(context).load_many(ids))
        return [None if raw_id is None else next(found) for raw_id in raw_ids]

    return BatchedField(load, reads=frozenset({attribute}))


@dataclass(frozen=True, slots=True)
class Completion:
    """How a field's value becomes its output, as graphql-core completes it: nulls, lists, leaves, objects."""

    non_null: bool
    coerce: Callable[[Any], Any] | None = None
    shape: Shape | None = None
    item: Completion | None = None


@dataclass(frozen=True, slots=True)
class Arguments:
    """A resolved field's arguments: coerced as graphql-core does (literals, variables, defaults), then converted
    to the resolver's Python values as strawberry does."""

    field: GraphQLField
    node: FieldNode
    convert: Callable[[dict[str, Any]], dict[str, Any]]
    # How each argument is taken, when every one is a variable, an absent argument or a literal of an immutable
    # value (arguments.py ``direct_arguments``); ``None``: graphql-core's ``get_argument_values`` each time.
    direct: tuple[DirectArgument, ...] | None = dataclasses.field(default=None, init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "direct", direct_arguments(self.field, self.node))

    def values(self, variables: VariableValues) -> dict[str, Any]:
        direct = self.direct
        if direct is None:
            return self.convert(get_argument_values(self.field, self.node, variables))
        return self.convert(argument_values(direct, variables))


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar or enum read off the source (an attribute) and coerced for output."""

    key: str
    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


@dataclass(frozen=True, slots=True)
class Typename:
    key: str


@dataclass(frozen=True, slots=True)
class Child:
    """An object, or a list, read off the source: built for all sources of the level together."""

    key: str
    read: Callable[[Any], Any]
    completion: Completion
    # The attribute ``read`` reads (``None``: unknown, so the source's rows are loaded whole).
    attribute: str | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A field resolved for all sources of the level at once."""

    key: str
    batched: BatchedField
    arguments: Arguments
    completion: Completion


Step = Leaf | Typename | Child | Resolved


@dataclass(frozen=True, slots=True)
class Shape:
    type_name: str
    steps: tuple[Step, ...]
    # Builds the objects of a level from their sources and the completed values of their non-leaf fields.
    build: Builder
    # The steps a level completes before ``build`` (children and resolved fields), in order: the leaves are
    # ``build``'s own work, so a level's run does not look at them.
    completed: tuple[Child | Resolved, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        completed = tuple(step for step in self.steps if isinstance(step, Child | Resolved))
        object.__setattr__(self, "completed", completed)


def shape_of(type_name: str, steps: Sequence[Step], output: tuple[str, Mapping[str, Any]] | None = None) -> Shape:
    """The shape of ``steps``, its objects built as ``output`` says (``generate_builder``), by default the dicts
    of the steps' keys."""
    parts = [
        ("leaf", step.key, (step.attribute, step.coerce, step.non_null))
        if isinstance(step, Leaf)
        else ("typename", step.key, None)
        if isinstance(step, Typename)
        else ("column", step.key, None)
        for step in steps
    ]
    return Shape(type_name, tuple(steps), generate_builder(type_name, parts, NotExact, output))


def with_shape_at(plan: Plan, path: Sequence[str], replace: Callable[[Shape], Shape | None]) -> Plan | None:
    """``plan`` with the shape of the objects at ``path`` (response keys from the root; a list's items are the
    objects of the key that holds it) replaced by ``replace``'s; ``None`` where there is no such shape or
    ``replace`` gives none. Only the shapes on the way are rebuilt: their builders stay, as they read their
    children's values by key."""
    root = _with_shape_at(plan.root, tuple(path), replace)
    return None if root is None else Plan(root, plan.scopes, plan.columns)


def _with_shape_at(shape: Shape, path: tuple[str, ...], replace: Callable[[Shape], Shape | None]) -> Shape | None:
    if not path:
        return replace(shape)
    key, rest = path[0], path[1:]
    for index, step in enumerate(shape.steps):
        if step.key != key or not isinstance(step, Child | Resolved):
            continue
        completion = _with_completion_at(step.completion, rest, replace)
        if completion is None:
            return None
        steps = list(shape.steps)
        steps[index] = dataclasses.replace(step, completion=completion)
        return Shape(shape.type_name, tuple(steps), shape.build)
    return None


def _with_completion_at(
    completion: Completion, path: tuple[str, ...], replace: Callable[[Shape], Shape | None]
) -> Completion | None:
    if completion.item is not None:
        item = _with_completion_at(completion.item, path, replace)
        return None if item is None else dataclasses.replace(completion, item=item)
    if completion.shape is None:
        return None
    shape = _with_shape_at(completion.shape, path, replace)
    return None if shape is None else dataclasses.replace(completion, shape=shape)


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled query: its root shape, the scopes its fields' guards would check (all must be held), and the
    columns its shapes read of each object type (``read_columns``)."""

    root: Shape
    scopes: frozenset[str]
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)


def read_columns(root: Shape) -> dict[str, frozenset[str]]:
    """The attributes the plan reads of each object type's sources, over every place the type is selected; a type
    of which some step reads what the plan cannot tell is left out (its rows are loaded whole)."""
    reads: dict[str, set[str]] = {}
    unknown: set[str] = set()
    shapes = [root]
    while shapes:
        shape = shapes.pop()
        read = reads.setdefault(shape.type_name, set())
        for step in shape.steps:
            if isinstance(step, Leaf):
                read.add(step.attribute)
                continue
            if isinstance(step, Typename):
                continue
            attributes = step.attribute if isinstance(step, Child) else step.batched.reads
            if attributes is None:
                unknown.add(shape.type_name)
            elif isinstance(attributes, str):
                read.add(attributes)
            else:
                read.update(attributes)
            shapes.extend(_shapes_of(step.completion))
    return {name: frozenset(attributes) for name, attributes in reads.items() if name not in unknown}


def _shapes_of(completion: Completion) -> list[Shape]:
    while completion.item is not None:
        completion = completion.item
    return [] if completion.shape is None else [completion.shape]


class Run:
    """One execution of a plan: the request's context and coerced variables."""

    __slots__ = ("context", "variables")

    def __init__(self, context: Context, variables: VariableValues) -> None:
        self.context = context
        self.variables = variables

    async def root(self, plan: Plan) -> dict[str, Any]:
        context = self.context
        context.wanted = plan.columns
        try:
            return (await self.objects(plan.root, [None]))[0]
        finally:
            # Whatever runs next (graphql-core, when the plan gave up) reads whole rows.
            context.wanted = {}

    async def objects(self, shape: Shape, sources: Sequence[Any]) -> list[dict[str, Any]]:
        if not sources:
            return []  # graphql-core resolves nothing below an empty level: no statement runs for it
        columns: dict[str, list[Any]] = {}
        for step in shape.completed:
            if isinstance(step, Child):
                read = step.read
                columns[step.key] = await self.complete(step.completion, [read(source) for source in sources])
            else:
                arguments = step.arguments.values(self.variables)
                values = await step.batched.load(self.context, sources, arguments)
                columns[step.key] = await self.complete(step.completion, values)
        return shape.build(sources, columns)

    async def complete(self, completion: Completion, values: Sequence[Any]) -> list[Any]:
        """The outputs of one field for a whole level: nulls checked, lists flattened into one level below."""
        present = [value for value in values if value is not None]
        if len(present) != len(values) and completion.non_null:
            raise NotExact("a null in a non-null position")
        if completion.item is not None:
            items = [item for value in present for item in _as_list(value)]
            completed = await self.complete(completion.item, items)
            outputs: list[Any] = []
            start = 0
            for value in values:
                if value is None:
                    outputs.append(None)
                else:
                    end = start + len(value)
                    outputs.append(completed[start:end])
                    start = end
            return outputs
        if completion.shape is not None:
            built = await self.objects(completion.shape, present)
            if len(present) == len(values):
                return built
            objects = iter(built)
            return [None if value is None else next(objects) for value in values]
        return [_leaf(completion.coerce, completion.non_null, value) for value in values]


def _as_list(value: Any) -> list[Any]:
    # graphql-core completes any iterable but a string or a mapping as a list; the sources here are lists.
    if not isinstance(value, list):
        raise NotExact("a list field that is not a list")
    return value


def _leaf(coerce: Callable[[Any], Any] | None, non_null: bool, value: Any) -> Any:
    if value is None:
        if non_null:
            raise NotExact("a null in a non-null position")
        return None
    if coerce is None:
        raise NotExact("a leaf without a coercion")
    coerced = coerce(value)
    if coerced is None:
        raise NotExact("a value its type cannot represent")
    return coerced
