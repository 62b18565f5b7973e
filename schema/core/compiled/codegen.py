"""Each shape's objects built by a function generated for it: one loop over the level's sources, each output key
written in order with its read and coercion inline, so an object costs no call per field.

A leaf's value goes through its type's output coercion, as graphql-core's ``complete_leaf_value`` does; for the
built-in scalars the generated code skips the call where the coercion is known to return the value unchanged
(a ``str`` for ``String`` and ``ID``, a ``bool`` for ``Boolean``, an ``int`` within 32 bits for ``Int``, an ``int``
within 64 bits for ``Money``; an ``int`` for ``ID`` is its decimal string; a naive ``datetime`` for ``DateTime``
is written out inline), and an enum's ``str`` value is looked up in the enum's own table of names by value, where
its coercion finds it. A null where the type is non-null, or a
coercion that answers null, raises ``NotExact``: graphql-core answers that request. Fields resolved per level
(children, relations) come in ``columns``, one value per source, already completed.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from graphql import GraphQLEnumType
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_int, serialize_string
from sqlalchemy import Row
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from schema.core.scalars import MAX_STORED_MONEY, MIN_STORED_MONEY, serialize_datetime, serialize_money

Builder = Callable[[Sequence[Any], dict[str, list[Any]]], list[dict[str, Any]]]

_MIN_INT, _MAX_INT = -(2**31), 2**31 - 1
# How the value ``v`` is coerced without a call: (the condition on ``v``, its output) in the order tried. None of
# the conditions holds for a null, and no output of these is null.
_SHORTCUTS: dict[Callable[[Any], Any], tuple[tuple[str, str], ...]] = {
    serialize_string: (("v.__class__ is str", "v"),),
    serialize_boolean: (("v.__class__ is bool", "v"),),
    serialize_int: ((f"v.__class__ is int and {_MIN_INT} <= v <= {_MAX_INT}", "v"),),
    serialize_id: (("v.__class__ is str", "v"), ("v.__class__ is int", "str(v)")),
    serialize_money: ((f"v.__class__ is int and {MIN_STORED_MONEY} <= v <= {MAX_STORED_MONEY}", "v"),),
    # The database's times are naive UTC: written out as the scalar writes them.
    serialize_datetime: (("v.__class__ is datetime and v.tzinfo is None", "v.isoformat(timespec='seconds') + 'Z'"),),
}
# An enum's coercion of a plain string: strawberry's checks for a member of the Python enum first, which a ``str``
# never is, then graphql-core's looks the value up by value; an enum name is never empty.
_ENUM_COERCIONS = (GraphQLEnumType.coerce_output_value, CustomGraphQLEnumType.coerce_output_value)
_UNREPRESENTABLE = "raise NotExact('a value its type cannot represent')"


def _completion(coerce: Callable[[Any], Any], index: int, non_null: bool, namespace: dict[str, Any]) -> list[str]:
    """The lines (indented for a row's loop) that set ``o{index}`` to the output of ``v`` for the leaf at
    ``index``, its coercion being ``f{index}``: the known classes first, then a null, then the call, whose null
    answer is refused."""
    null = "raise NotExact('a null in a non-null position')" if non_null else f"o{index} = None"
    call = [f"o{index} = f{index}(v)", f"if o{index} is None:", f"    {_UNREPRESENTABLE}"]
    branches: list[tuple[str, list[str]]] = [
        (condition, [f"o{index} = {output}"]) for condition, output in _SHORTCUTS.get(coerce, ())
    ]
    enum_type = getattr(coerce, "__self__", None)
    if isinstance(enum_type, GraphQLEnumType) and getattr(coerce, "__func__", None) in _ENUM_COERCIONS:
        namespace[f"e{index}"] = enum_type._value_lookup
        lookup = [f"o{index} = e{index}.get(v) or f{index}(v)", f"if o{index} is None:", f"    {_UNREPRESENTABLE}"]
        branches.append(("v.__class__ is str", lookup))
    branches.append(("v is None", [null]))
    lines: list[str] = []
    for number, (condition, body) in enumerate(branches):
        lines.append(f"{'if' if number == 0 else 'elif'} {condition}:")
        lines += [f"    {line}" for line in body]
    lines.append("else:")
    lines += [f"    {line}" for line in call]
    return [f"            {line}" for line in lines]


def row_positions(
    first: Any, attributes: Sequence[str], memo: list[Any] | None = None
) -> tuple[Any, Any, tuple[int, ...]] | None:
    """Where each attribute sits in the rows of ``first``'s result, with the class and the ``_parent`` that every
    row of the same result shares (a SQLAlchemy row's result metadata; a direct read's row class,
    db/direct_reads.py); ``None`` unless ``first`` is such a row holding all of them.

    ``memo`` (a builder's own, ``[parent, answer]``) keeps the answer for the last ``_parent`` seen: a shape's rows
    come from the same statement request after request, whose parent (a statement's row class, SQLAlchemy's cached
    result metadata) is the same object each time."""
    row_class: Any = first.__class__
    if row_class is not Row and getattr(row_class, "_parent", None) is not row_class:
        return None
    parent = first._parent
    if memo is not None and memo[0] is parent:
        found: tuple[Any, Any, tuple[int, ...]] | None = memo[1]
        return found
    fields = first._fields
    if not all(attribute in fields for attribute in attributes):
        found = None
    else:
        found = row_class, parent, tuple(fields.index(attribute) for attribute in attributes)
    if memo is not None:
        memo[0], memo[1] = parent, found
    return found


def generate_builder(
    type_name: str,
    steps: Sequence[tuple[str, str, Any]],
    not_exact: type[Exception],
    output: tuple[str, Mapping[str, Any]] | None = None,
) -> Builder:
    """The builder of a shape whose steps are ``(kind, key, detail)`` in order: ``("leaf", key, (attribute, coerce,
    non_null))``, ``("typename", key, None)`` or ``("column", key, None)``.

    Each object is the dict of the steps' keys, unless ``output`` gives another expression for it, and the names
    it reads besides these: ``o<n>`` is the output of the leaf at step ``n``, ``c<n>[i]`` the value of the column at
    step ``n``, ``TYPENAME`` the type's name. Every leaf is completed either way, so a value graphql-core would
    refuse raises ``not_exact`` whatever the expression reads.

    A leaf of a result row is read by its position, found once per level: ``row.name`` costs ten times
    ``row[i]``. A source that is not a row of the same result (another result's row, an object) is read by
    attribute."""
    namespace: dict[str, Any] = {
        "NotExact": not_exact,
        "TYPENAME": type_name,
        "row_positions": row_positions,
        "MEMO": [None, None],
        "datetime": datetime,
    }
    lines = ["def build(sources, columns):", "    built = []", "    append = built.append"]
    by_position: list[str] = []
    by_attribute: list[str] = []
    entries: list[str] = []
    attributes: list[str] = []
    for index, (kind, key, detail) in enumerate(steps):
        namespace[f"k{index}"] = key
        if kind == "typename":
            entries.append(f"k{index}: TYPENAME")
        elif kind == "column":
            lines.append(f"    c{index} = columns[k{index}]")
            entries.append(f"k{index}: c{index}[i]")
        else:
            attribute, coerce, non_null = detail
            if not attribute.isidentifier() or keyword.iskeyword(attribute):
                raise ValueError(f"not an attribute name: {attribute!r}")
            namespace[f"f{index}"] = coerce
            completion = _completion(coerce, index, non_null, namespace)
            by_position += [f"            v = source[p{len(attributes)}]", *completion]
            by_attribute += [f"            v = source.{attribute}", *completion]
            attributes.append(attribute)
            entries.append(f"k{index}: o{index}")
    namespace["ATTRIBUTES"] = tuple(attributes)
    lines += [
        "    found = row_positions(sources[0], ATTRIBUTES, MEMO) if sources and ATTRIBUTES else None",
        "    row_class, parent, positions = found if found is not None else (None, None, ())",
    ]
    lines += [f"    p{position} = positions[{position}] if positions else -1" for position in range(len(attributes))]
    # The index is for the completed values of the level's other fields, when it has any.
    has_columns = any(kind == "column" for kind, _key, _detail in steps)
    lines.append("    for i, source in enumerate(sources):" if has_columns else "    for source in sources:")
    lines.append("        if source.__class__ is row_class and source._parent is parent:")
    lines += by_position or ["            pass"]
    lines.append("        else:")
    lines += by_attribute or ["            pass"]
    if output is None:
        lines.append(f"        append({{{', '.join(entries)}}})")
    else:
        expression, names = output
        namespace.update(names)
        lines.append(f"        append({expression})")
    lines.append("    return built")
    exec(compile("\n".join(lines), f"<compiled shape {type_name}>", "exec"), namespace)  # noqa: S102
    builder: Builder = namespace["build"]
    return builder
