"""The customer endpoints: lists, details, a customer's orders, the profile and its tags, its lifecycle (archive,
restore, erasure) and the ledgers."""

from __future__ import annotations

from rest_compat import customer_inputs, inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS, USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListCustomers",
        method="GET",
        path="/v1/customers",
        scope=Scope.CUSTOMERS_READ,
        summary="List customers, newest first unless sorted otherwise",
        description="Archived customers are left out unless `is_archived=true`, which lists only them.",
        operation=(
            "query ListCustomers($first: Int!, $after: String, $filter: CustomerFilter, $sort: CustomerSort) "
            f"{{ customers(first: $first, after: $after, filter: $filter, sort: $sort) "
            f"{{ nodes {{ ...CustomerSummary }} {PAGE_INFO} }} }}"
        ),
        result="customers",
        result_kind="list",
        fragment="CustomerSummary",
        resource="Customer",
        query=inputs.CustomerQuery,
        query_vars={
            **PAGE_VARS,
            "phone": "filter.phone",
            "email": "filter.email",
            "q": "filter.search",
            "tag": "filter.tags",
            "min_spent": "filter.minSpent",
            "max_spent": "filter.maxSpent",
            "has_orders": "filter.hasOrders",
            "last_order_after": "filter.lastOrderAfter",
            "updated_after": "filter.updatedAfter",
            "created_after": "filter.createdAfter",
            "accepts_marketing": "filter.acceptsMarketing",
            "is_archived": "filter.isArchived",
            "sort": "sort",
        },
        # No filter lists what a filter of only its defaults lists (schema/customers/inputs.py customer_condition).
        absent_when_default=frozenset({"filter"}),
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
    Endpoint(
        name="ArchiveCustomer",
        method="POST",
        path="/v1/customers/{id}/archive",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Archive a customer",
        description="A soft delete: the customer leaves every list unless `is_archived=true`; "
        "GET /v1/customers/{id} still answers, and a new order with its phone restores it. An erased customer is "
        "`customer_erased`.",
        operation=(
            "mutation ArchiveCustomer($id: ID!) "
            f"{{ archiveCustomer(id: $id) {{ customer {{ ...Customer }} {USER_ERRORS} }} }}"
        ),
        result="archiveCustomer.customer",
        user_errors="archiveCustomer.userErrors",
        fragment="Customer",
        resource="Customer",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="RestoreCustomer",
        method="POST",
        path="/v1/customers/{id}/restore",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Restore an archived customer",
        description="Clears `archived_at`. An erased customer is `customer_erased`.",
        operation=(
            "mutation RestoreCustomer($id: ID!) "
            f"{{ restoreCustomer(id: $id) {{ customer {{ ...Customer }} {USER_ERRORS} }} }}"
        ),
        result="restoreCustomer.customer",
        user_errors="restoreCustomer.userErrors",
        fragment="Customer",
        resource="Customer",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="EraseCustomer",
        method="DELETE",
        path="/v1/customers/{id}",
        scope=Scope.CUSTOMERS_ERASE,
        summary="Erase a customer's personal data",
        description="The right to erasure: removes every copy of the customer's personal data (its fields, its "
        "orders' copies of name, phone, email and address, its signups, queued jobs and webhook events); its totals "
        "and its orders' amounts and items stay; its phone is free again; fires `customer.erased`. Irreversible: "
        "erasing again is `customer_erased`. Needs `customers:erase`, which no default key holds and "
        "`customers:write` does not include. docs/erasure.md lists the cascade table by table.",
        operation=(
            f"mutation EraseCustomer($id: ID!) {{ eraseCustomer(id: $id) {{ ...ErasedCustomer {USER_ERRORS} }} }}"
        ),
        result="eraseCustomer",
        user_errors="eraseCustomer.userErrors",
        fragment="ErasedCustomer",
        resource="Customer",
        path_vars={"id": "id"},
    ),
)

PROFILE: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListCustomerTags",
        method="GET",
        path="/v1/customer-tags",
        scope=Scope.CUSTOMERS_READ,
        summary="The store's customer tags with their counts",
        description="All of them, in alphabetical order ignoring case, each with the number of the store's "
        "customers that have it (archived customers included).",
        operation="query ListCustomerTags { customerTags { ...CustomerTag } }",
        result="customerTags",
        result_kind="all",
        fragment="CustomerTag",
        resource="Customer",
    ),
    Endpoint(
        name="CreateCustomer",
        method="POST",
        path="/v1/customers",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Create a customer",
        description="The phone is normalised as at checkout; a phone the store already has is `conflict` on "
        "`phone`. A birth date in the future is a `validation_error`.",
        operation=(
            "mutation CreateCustomer($input: CreateCustomerInput!) "
            f"{{ createCustomer(input: $input) {{ customer {{ ...Customer }} {USER_ERRORS} }} }}"
        ),
        result="createCustomer.customer",
        user_errors="createCustomer.userErrors",
        fragment="Customer",
        resource="Customer",
        status=201,
        body=customer_inputs.CreateCustomerBody,
        body_var="input",
    ),
    Endpoint(
        name="UpdateCustomer",
        method="PATCH",
        path="/v1/customers/{id}",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Change some fields of a customer's profile",
        description="`metadata` is merged key by key (a key set to null is deleted); `tags` replaces the set; a "
        "phone another customer of the store has is `conflict`.",
        operation=(
            "mutation UpdateCustomer($input: UpdateCustomerInput!) "
            f"{{ updateCustomer(input: $input) {{ customer {{ ...Customer }} {USER_ERRORS} }} }}"
        ),
        result="updateCustomer.customer",
        user_errors="updateCustomer.userErrors",
        fragment="Customer",
        resource="Customer",
        path_vars={"id": "input.id"},
        body=customer_inputs.UpdateCustomerBody,
        body_var="input",
    ),
    Endpoint(
        name="AddCustomerTags",
        method="POST",
        path="/v1/customers/{id}/tags",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Add tags to a customer",
        description="Tags the customer has already (in any case) keep their spelling; at most 50 per customer.",
        operation=(
            "mutation AddCustomerTags($id: ID!, $tags: [String!]!) "
            f"{{ addCustomerTags(id: $id, tags: $tags) {{ customer {{ ...Customer }} {USER_ERRORS} }} }}"
        ),
        result="addCustomerTags.customer",
        user_errors="addCustomerTags.userErrors",
        fragment="Customer",
        resource="Customer",
        path_vars={"id": "id"},
        body=customer_inputs.CustomerTagsBody,
        body_vars={"tags": "tags"},
    ),
    Endpoint(
        name="RemoveCustomerTags",
        method="DELETE",
        path="/v1/customers/{id}/tags",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Remove tags from a customer",
        description="Tags are matched in any case; a tag the customer does not have is no error. Answers the customer.",
        operation=(
            "mutation RemoveCustomerTags($id: ID!, $tags: [String!]!) "
            f"{{ removeCustomerTags(id: $id, tags: $tags) {{ customer {{ ...Customer }} {USER_ERRORS} }} }}"
        ),
        result="removeCustomerTags.customer",
        user_errors="removeCustomerTags.userErrors",
        fragment="Customer",
        resource="Customer",
        path_vars={"id": "id"},
        body=customer_inputs.CustomerTagsBody,
        body_vars={"tags": "tags"},
    ),
)

LEDGERS: tuple[Endpoint, ...] = (
    Endpoint(
        name="GetCustomerLoyalty",
        method="GET",
        path="/v1/customers/{id}/loyalty",
        scope=Scope.CUSTOMERS_READ,
        summary="A customer's loyalty balance and ledger, newest first",
        description="`balance` is the sum of the ledger, never negative.",
        operation=(
            "query GetCustomerLoyalty($id: ID!, $first: Int!, $after: String) "
            "{ customer(id: $id) { ...LoyaltyAccount loyaltyTransactions(first: $first, after: $after) "
            f"{{ nodes {{ ...LoyaltyTransaction }} {PAGE_INFO} }} }} }}"
        ),
        result="customer.loyaltyTransactions",
        result_kind="list",
        list_head="LoyaltyAccount",
        fragment="LoyaltyTransaction",
        resource="Customer",
        path_vars={"id": "id"},
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="AdjustLoyaltyPoints",
        method="POST",
        path="/v1/customers/{id}/loyalty/adjust",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Add or take loyalty points",
        description="One ledger entry; a deduction below zero is `insufficient_balance` and a customer with loyalty "
        "off is `loyalty_disabled`, changing nothing.",
        operation=(
            "mutation AdjustLoyaltyPoints($input: AdjustLoyaltyPointsInput!) "
            "{ adjustLoyaltyPoints(input: $input) { ...LoyaltyAdjustment "
            f"{USER_ERRORS} }} }}"
        ),
        result="adjustLoyaltyPoints",
        user_errors="adjustLoyaltyPoints.userErrors",
        fragment="LoyaltyAdjustment",
        resource="Customer",
        path_vars={"id": "input.customerId"},
        body=customer_inputs.AdjustLoyaltyBody,
        body_var="input",
    ),
    Endpoint(
        name="GetCustomerHouseAccount",
        method="GET",
        path="/v1/customers/{id}/house-account",
        scope=Scope.CUSTOMERS_READ,
        summary="A customer's house account: what they owe, the limit, and the ledger, newest first",
        description="`balance` is what the customer owes, the sum of the ledger; `limit` null is no limit.",
        operation=(
            "query GetCustomerHouseAccount($id: ID!, $first: Int!, $after: String) "
            "{ customer(id: $id) { ...HouseAccount houseAccountTransactions(first: $first, after: $after) "
            f"{{ nodes {{ ...HouseAccountTransaction }} {PAGE_INFO} }} }} }}"
        ),
        result="customer.houseAccountTransactions",
        result_kind="list",
        list_head="HouseAccount",
        fragment="HouseAccountTransaction",
        resource="Customer",
        path_vars={"id": "id"},
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="RecordHouseAccountPayment",
        method="POST",
        path="/v1/customers/{id}/house-account/payments",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Record a payment towards a customer's house account",
        description="One ledger entry taking the amount off what the customer owes; more than the balance is a "
        "`validation_error`, changing nothing.",
        operation=(
            "mutation RecordHouseAccountPayment($input: RecordHouseAccountPaymentInput!) "
            "{ recordHouseAccountPayment(input: $input) { ...HouseAccountPayment "
            f"{USER_ERRORS} }} }}"
        ),
        result="recordHouseAccountPayment",
        user_errors="recordHouseAccountPayment.userErrors",
        fragment="HouseAccountPayment",
        resource="Customer",
        status=201,
        path_vars={"id": "input.customerId"},
        body=customer_inputs.HouseAccountPaymentBody,
        body_var="input",
    ),
)
