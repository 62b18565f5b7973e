"""A /v1 row's objects built by its operation's plan itself: REST objects straight from the rows, where the plan
would build GraphQL's and the row would then convert each one (rest_compat/shapes.py).

The fragment of a row (``Endpoint.fragment``) says where each REST field comes from; for the shape of the objects
at the row's result, the plan's builder writes the REST object instead, from the same completed values: a leaf is
completed as GraphQL completes it (so a value graphql-core would refuse still sends the request the standard way)
and then converted as the fragment's converter converts it, in the same expression. A nested object (``Obj``,
``Many``) is built by the plan as before and converted by its fragment's converter. A shape the fragment does not
fit (a field it names is not among the shape's, or of a kind no read's fragment has at its top: a ``Spread``, a
list of leaves to convert) is left to the two passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import count
from typing import Any

from graphql import GraphQLObjectType

from rest_compat.shapes import Const, Fragments, Many, Obj, Shape, Source, Spread, inline_leaf, leaf_converter
from schema.core.compiled.plan import Child, Leaf, Plan, Resolved, Step, shape_of, with_shape_at
from schema.core.compiled.plan import Shape as PlanShape

# Plans kept, with their reshaped ones: a row's operation has one plan per set of ``@skip``/``@include`` values,
# which the /v1 rows do not use, so one or two; past this many the kept ones are dropped.
MOST_KEPT = 16


class RestPlans:
    """One row's reshaping of its plans (``FastLane.answer``'s ``reshape``), kept per plan: the compiled cache
    keeps a plan for as long as it serves requests, and each is reshaped once."""

    def __init__(self, fragments: Fragments, fragment: str, path: tuple[str, ...]) -> None:
        self._fragments = fragments
        self._fragment = fragment
        self._path = path
        self._kept: dict[int, tuple[Plan, Plan | None]] = {}

    def __call__(self, plan: Plan) -> Plan | None:
        kept = self._kept.get(id(plan))
        if kept is not None and kept[0] is plan:
            return kept[1]
        reshaped = with_shape_at(plan, self._path, self._rest_shape)
        if len(self._kept) >= MOST_KEPT:
            self._kept.clear()
        self._kept[id(plan)] = (plan, reshaped)  # the plan held, so no other takes its id meanwhile
        return reshaped

    def _rest_shape(self, shape: PlanShape) -> PlanShape | None:
        owner = self._fragments.object_type(self._fragment)
        if owner.name != shape.type_name:
            return None
        writer = _Writer(self._fragments, owner, {step.key: (index, step) for index, step in enumerate(shape.steps)})
        try:
            expression = writer.display(self._fragments.fragments[self._fragment].shape)
        except _Unfit:
            return None
        return shape_of(shape.type_name, shape.steps, (expression, writer.namespace))


class _Unfit(Exception):
    """The fragment names a field the shape does not have as it needs it."""


class _Writer:
    """The expression of a fragment's REST object over a builder's names (``generate_builder``): ``o<n>`` a leaf's
    output, ``c<n>[i]`` a column's value; the names it reads go into ``namespace``."""

    def __init__(self, fragments: Fragments, owner: GraphQLObjectType, steps: Mapping[str, tuple[int, Step]]) -> None:
        self.fragments = fragments
        self.owner = owner
        self.steps = steps
        self.namespace: dict[str, Any] = {}
        self._names = count()

    def display(self, shape: Shape) -> str:
        return "{" + ", ".join(self._entry(rest_name, source) for rest_name, source in shape.items()) + "}"

    def _name(self, value: Any) -> str:
        name = f"r{next(self._names)}"
        self.namespace[name] = value
        return name

    def _entry(self, rest_name: str, source: Source) -> str:
        key = self._name(rest_name)
        if isinstance(source, Const):
            return f"{key}: {self._name(source.value)}"
        if isinstance(source, str):
            return f"{key}: {self._leaf(source)}"
        if isinstance(source, Many):
            return f"{key}: {self._name(self.fragments.list_converter(source.fragment))}({self._column(source.source)})"
        if isinstance(source, Obj):
            convert = self._name(self.fragments.converter(source.fragment))
            return f"{key}: None if (v := {self._column(source.source)}) is None else {convert}(v)"
        if isinstance(source, Spread):
            raise _Unfit(source.source)  # no read's fragment spreads one at its top
        return f"{key}: {self.display(source)}"

    def _leaf(self, field: str) -> str:
        """The field's REST value, converted from its GraphQL output as ``Fragments`` converts it."""
        found = self.steps.get(field)
        if found is None:
            raise _Unfit(field)
        index, step = found
        value = f"o{index}" if isinstance(step, Leaf) else self._column(field)
        gql_type = self.fragments.field_type(self.owner, field)
        inline = inline_leaf(gql_type, self._name(None), self.namespace)
        if inline is not None:
            return f"(None if (v := {value}) is None else {inline})"
        if leaf_converter(gql_type) is not None:
            raise _Unfit(field)  # a list of converted leaves: no read's fragment has one
        return value

    def _column(self, field: str) -> str:
        found = self.steps.get(field)
        if found is None or not isinstance(found[1], Child | Resolved):
            raise _Unfit(field)
        return f"c{found[0]}[i]"
