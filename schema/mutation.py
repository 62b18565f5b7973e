"""The root Mutation type, merged from one class per resource (schema/mutations/)."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.orders import OrderMutations
from schema.mutations.products import ProductMutations

Mutation = merge_types(
    "Mutation",
    (
        OrderMutations,
        ProductMutations,
    ),
)
