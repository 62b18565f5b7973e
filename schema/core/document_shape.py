"""What a parsed document would cost to validate and to plan, measured before it is validated.

graphql-core's validation compares every two fields that share a response key at one place (the rule that fields
must merge): 250 copies of ``viewer { keyId }``, a thousand tokens, take a second of the event loop, and copies
nested under copies multiply. Fragments spread under fragments multiply the fields the cost plan walks. So before
validating, one pass collects the fields as execution would, without the schema (every fragment applies, spreads
are followed once per place as execution does, a fragment spread inside itself is left to validation), and counts:

- ``fields``: every field selection at every place it is collected, a fragment's fields once for each place it is
  spread (the pass stops counting past ``max_fields``, so a fragment that doubles at each level cannot hold it);
- ``aliases``: the aliased ones among them;
- ``repeated``: pairs of selections merged under one response key at one place, which validation compares one by
  one (``id`` selected by three fragments spread in one place is three pairs).

Each definition is measured from its own root as well, as validation checks each fragment on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from schema.core.field_collector import response_key

# A selection set to collect, with the fragments already spread on the way to it.
_Place = tuple[SelectionSetNode, frozenset[str]]


@dataclass(slots=True)
class DocumentShape:
    fields: int = 0
    aliases: int = 0
    repeated: int = 0


def measure(document: DocumentNode, *, max_fields: int) -> DocumentShape:
    """The document's shape; counting stops once ``fields`` is over ``max_fields``."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    shape = DocumentShape()
    # Iterative, not recursive: a chain of fragments may nest deeper than Python's recursion limit.
    pending: list[list[_Place]] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            pending.append([(definition.selection_set, frozenset())])
        elif isinstance(definition, FragmentDefinitionNode):
            pending.append([(definition.selection_set, frozenset({definition.name.value}))])
    while pending:
        for entries in _collect(pending.pop(), fragments).values():
            count = len(entries)
            shape.fields += count
            if shape.fields > max_fields:
                return shape
            shape.repeated += count * (count - 1) // 2
            shape.aliases += sum(1 for node, _ in entries if node.alias is not None)
            below = [(node.selection_set, spread) for node, spread in entries if node.selection_set is not None]
            if below:
                pending.append(below)
    return shape


def _collect(
    places: list[_Place], fragments: dict[str, FragmentDefinitionNode]
) -> dict[str, list[tuple[FieldNode, frozenset[str]]]]:
    """The fields of ``places`` grouped by response key, through inline fragments and spreads."""
    groups: dict[str, list[tuple[FieldNode, frozenset[str]]]] = {}
    visited: set[str] = set()
    stack = list(places)
    while stack:
        selection_set, spread = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                groups.setdefault(response_key(selection), []).append((selection, spread))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, spread))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                # Unknown, or spread inside itself: validation refuses the document; here it adds nothing.
                if fragment is None or name in spread or name in visited:
                    continue
                visited.add(name)
                stack.append((fragment.selection_set, spread | {name}))
    return groups
