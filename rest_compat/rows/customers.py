"""The customer endpoints: lists, details, a customer's orders, the profile and its tags, and the ledgers."""

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
            "sort": "sort",
        },
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
)

PROFILE: tuple[Endpoint, ...] = (
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
