"""The /v1 endpoint table: one row per documented endpoint, each naming the GraphQL operation it runs.

The rows are data, one module per domain in rest_compat/rows/; this module fixes their order, which is the order
of the routes, of the OpenAPI document (rest_compat/openapi/) and of docs/rest.md. The generic handler
(rest_compat/handler.py) runs any row. ``...Name`` spreads a fragment of rest_compat/representations.py, which
also says how its object is renamed for REST.
"""

from __future__ import annotations

from rest_compat.endpoint import Endpoint
from rest_compat.rows import (
    addresses,
    catalog,
    customers,
    delivery,
    keys,
    orders,
    reviews,
    stores,
    tracking,
    usage,
    webhooks,
)

ENDPOINTS: tuple[Endpoint, ...] = (
    *keys.WHOAMI,
    *stores.ROWS,
    *delivery.ROWS,
    *catalog.PRODUCTS,
    *orders.ROWS,
    *customers.ROWS,
    *addresses.ROWS,
    *customers.PROFILE,
    *reviews.ROWS,
    *customers.LEDGERS,
    *catalog.LANDING_PAGES,
    *keys.ROWS,
    *webhooks.ROWS,
    *usage.ROWS,
    *tracking.ROWS,
)
