"""The customer endpoints: lists, details and a customer's orders."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListCustomers",
        method="GET",
        path="/v1/customers",
        scope=Scope.CUSTOMERS_READ,
        summary="List customers, newest first",
        operation=(
            "query ListCustomers($first: Int!, $after: String, $filter: CustomerFilter) "
            f"{{ customers(first: $first, after: $after, filter: $filter) "
            f"{{ nodes {{ ...CustomerSummary }} {PAGE_INFO} }} }}"
        ),
        result="customers",
        result_kind="list",
        fragment="CustomerSummary",
        resource="Customer",
        query=inputs.CustomerQuery,
        query_vars={**PAGE_VARS, "phone": "filter.phone", "email": "filter.email"},
    ),
    Endpoint(
        name="GetCustomer",
        method="GET",
        path="/v1/customers/{id}",
        scope=Scope.CUSTOMERS_READ,
        summary="One customer, in full",
        operation="query GetCustomer($id: ID!) { customer(id: $id) { ...Customer } }",
        result="customer",
        fragment="Customer",
        resource="Customer",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="ListCustomerOrders",
        method="GET",
        path="/v1/customers/{id}/orders",
        scope=Scope.CUSTOMERS_READ,
        summary="A customer's orders, newest first",
        description="The same fields as the orders list. A customer's orders are part of the customer: "
        "`customers:read` (or `customers:write`) is enough here, while GET /v1/orders/{id}, the full body, needs "
        "`orders:read`.",
        operation=(
            "query ListCustomerOrders($id: ID!, $first: Int!, $after: String) "
            f"{{ customer(id: $id) {{ orders(first: $first, after: $after) "
            f"{{ nodes {{ ...OrderSummary }} {PAGE_INFO} }} }} }}"
        ),
        result="customer.orders",
        result_kind="list",
        fragment="OrderSummary",
        resource="Customer",
        path_vars={"id": "id"},
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="GetCustomerAnalytics",
        method="GET",
        path="/v1/customers/{id}/analytics",
        scope=Scope.CUSTOMERS_READ,
        summary="A customer's figures from its orders",
        description="Totals, average order, first and last order, orders by status and top products, computed "
        "from the customer's orders when asked. Cancelled orders count in `orders_by_status` only; "
        "`average_order` is `total_spent / total_orders` rounded half up to a whole amount, null without orders; "
        "`orders_by_status` lists every status, zeros included, in the order of the status machine; "
        "`top_products` are ranked by quantity, then number of orders, then the product bought last, and a "
        "deleted product keeps its copied `product_name` with a null `product_id`.",
        operation=(
            "query GetCustomerAnalytics($id: ID!, $topProductsLimit: Int) "
            "{ customer(id: $id) { analytics { ...CustomerAnalytics } } }"
        ),
        result="customer.analytics",
        fragment="CustomerAnalytics",
        resource="Customer",
        path_vars={"id": "id"},
        query=inputs.CustomerAnalyticsQuery,
        query_vars={"top_products_limit": "topProductsLimit"},
    ),
)
