"""The order endpoints: lists, details and status changes."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS, USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListOrders",
        method="GET",
        path="/v1/orders",
        scope=Scope.ORDERS_READ,
        summary="List orders, newest first",
        operation=(
            "query ListOrders($first: Int!, $after: String, $filter: OrderFilter) "
            f"{{ orders(first: $first, after: $after, filter: $filter) {{ nodes {{ ...OrderSummary }} {PAGE_INFO} }} }}"
        ),
        result="orders",
        result_kind="list",
        fragment="OrderSummary",
        resource="Order",
        query=inputs.OrderQuery,
        query_vars={
            **PAGE_VARS,
            "status": "filter.status",
            "since": "filter.since",
            "customer_id": "filter.customerId",
        },
    ),
    Endpoint(
        name="GetOrder",
        method="GET",
        path="/v1/orders/{id}",
        scope=Scope.ORDERS_READ,
        summary="One order: items, customer, delivery, totals and status history",
        operation="query GetOrder($id: ID!) { order(id: $id) { ...Order } }",
        result="order",
        fragment="Order",
        resource="Order",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="UpdateOrder",
        method="PATCH",
        path="/v1/orders/{id}",
        scope=Scope.ORDERS_WRITE,
        summary="Move an order through its status machine, or change its payment status",
        description="Give `status`, `payment_status` or both; neither is a `validation_error`. Status: pending → "
        "confirmed → shipped → delivered, or cancelled from pending or confirmed; payment: pending → paid or failed, "
        "failed → paid, paid → refunded; any other change is `invalid_status_transition`, and nothing changes.",
        operation=(
            "mutation UpdateOrder($input: UpdateOrderStatusInput!) "
            f"{{ updateOrderStatus(input: $input) {{ order {{ ...Order }} {USER_ERRORS} }} }}"
        ),
        result="updateOrderStatus.order",
        user_errors="updateOrderStatus.userErrors",
        fragment="Order",
        resource="Order",
        path_vars={"id": "input.id"},
        body=inputs.UpdateOrderBody,
        body_var="input",
    ),
)
