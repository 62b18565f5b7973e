"""The /v1 endpoint table: one row per documented endpoint, each naming the GraphQL operation it runs.

This file is data. The generic handler (rest_compat/handler.py) runs any row; the routes, the OpenAPI document
(rest_compat/openapi.py) and docs/rest.md are generated from it. ``...Name`` spreads a fragment of
rest_compat/representations.py, which also says how its object is renamed for REST.
"""

from __future__ import annotations

from domain.scopes import Scope
from rest_compat import inputs
from rest_compat.endpoint import Endpoint

PAGE_VARS = {"limit": "first", "cursor": "after"}
USER_ERRORS = "userErrors { field code message }"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="Whoami",
        method="GET",
        path="/v1/whoami",
        scope=None,
        summary="The calling key and its store",
        description="Any valid key: key id, type, env, scopes, store id and name, plan.",
        operation="query Whoami { whoami { ...Whoami } }",
        result="whoami",
        fragment="Whoami",
        resource="Key",
    ),
    Endpoint(
        name="GetStore",
        method="GET",
        path="/v1/store",
        scope=Scope.STORE_READ,
        summary="The store: settings, metadata, plan and its limits",
        operation="query GetStore { store { ...Store } }",
        result="store",
        fragment="Store",
        resource="Store",
    ),
    Endpoint(
        name="UpdateStore",
        method="PATCH",
        path="/v1/store",
        scope=Scope.STORE_WRITE,
        summary="Rename the store or merge keys into its settings and metadata",
        operation=(
            "mutation UpdateStore($input: UpdateStoreInput!) "
            f"{{ updateStore(input: $input) {{ store {{ ...Store }} {USER_ERRORS} }} }}"
        ),
        result="updateStore.store",
        user_errors="updateStore.userErrors",
        fragment="Store",
        resource="Store",
        body=inputs.UpdateStoreBody,
        body_var="input",
    ),
    Endpoint(
        name="ListProducts",
        method="GET",
        path="/v1/products",
        scope=Scope.PRODUCTS_READ,
        summary="List products, newest first",
        operation=(
            "query ListProducts($first: Int!, $after: String, $filter: ProductFilter) "
            f"{{ products(first: $first, after: $after, filter: $filter) {{ nodes {{ ...Product }} {PAGE_INFO} }} }}"
        ),
        result="products",
        result_kind="list",
        fragment="Product",
        resource="Product",
        query=inputs.ProductQuery,
        query_vars={**PAGE_VARS, "status": "filter.status", "q": "filter.search"},
    ),
    Endpoint(
        name="GetProduct",
        method="GET",
        path="/v1/products/{id}",
        scope=Scope.PRODUCTS_READ,
        summary="One product",
        operation="query GetProduct($id: ID!) { product(id: $id) { ...Product } }",
        result="product",
        fragment="Product",
        resource="Product",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="CreateProduct",
        method="POST",
        path="/v1/products",
        scope=Scope.PRODUCTS_WRITE,
        summary="Create a product",
        description="The slug is derived from the name, unique per store; a SKU already used is `conflict`.",
        operation=(
            "mutation CreateProduct($input: CreateProductInput!) "
            f"{{ createProduct(input: $input) {{ product {{ ...Product }} {USER_ERRORS} }} }}"
        ),
        result="createProduct.product",
        user_errors="createProduct.userErrors",
        fragment="Product",
        resource="Product",
        status=201,
        body=inputs.CreateProductBody,
        body_var="input",
    ),
    Endpoint(
        name="UpdateProduct",
        method="PATCH",
        path="/v1/products/{id}",
        scope=Scope.PRODUCTS_WRITE,
        summary="Change some fields of a product",
        operation=(
            "mutation UpdateProduct($input: UpdateProductInput!) "
            f"{{ updateProduct(input: $input) {{ product {{ ...Product }} {USER_ERRORS} }} }}"
        ),
        result="updateProduct.product",
        user_errors="updateProduct.userErrors",
        fragment="Product",
        resource="Product",
        path_vars={"id": "input.id"},
        body=inputs.UpdateProductBody,
        body_var="input",
    ),
    Endpoint(
        name="DeleteProduct",
        method="DELETE",
        path="/v1/products/{id}",
        scope=Scope.PRODUCTS_WRITE,
        summary="Delete a product",
        description="Orders keep their copy of its name, SKU and price.",
        operation=(
            f"mutation DeleteProduct($id: ID!) {{ deleteProduct(id: $id) {{ ...DeletedProduct {USER_ERRORS} }} }}"
        ),
        result="deleteProduct",
        user_errors="deleteProduct.userErrors",
        fragment="DeletedProduct",
        resource="Product",
        path_vars={"id": "id"},
    ),
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
        description="pending → confirmed → shipped → delivered, or cancelled from pending or confirmed; anything "
        "else is `invalid_status_transition`.",
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
        description="The same fields as the orders list; GET /v1/orders/{id} has the full body.",
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
        name="ListLandingPages",
        method="GET",
        path="/v1/landing-pages",
        scope=Scope.LANDING_PAGES_READ,
        summary="List landing pages, newest first",
        operation=(
            "query ListLandingPages($first: Int!, $after: String) "
            f"{{ landingPages(first: $first, after: $after) {{ nodes {{ ...LandingPage }} {PAGE_INFO} }} }}"
        ),
        result="landingPages",
        result_kind="list",
        fragment="LandingPage",
        resource="Landing page",
        query=inputs.LandingPageQuery,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="GetLandingPage",
        method="GET",
        path="/v1/landing-pages/{id}",
        scope=Scope.LANDING_PAGES_READ,
        summary="One landing page",
        operation="query GetLandingPage($id: ID!) { landingPage(id: $id) { ...LandingPage } }",
        result="landingPage",
        fragment="LandingPage",
        resource="Landing page",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="CreateLandingPage",
        method="POST",
        path="/v1/landing-pages",
        scope=Scope.LANDING_PAGES_WRITE,
        summary="Create a landing page",
        description="Without a slug one is derived from the title, unique per store; a slug already used is "
        "`conflict`.",
        operation=(
            "mutation CreateLandingPage($input: CreateLandingPageInput!) "
            f"{{ createLandingPage(input: $input) {{ landingPage {{ ...LandingPage }} {USER_ERRORS} }} }}"
        ),
        result="createLandingPage.landingPage",
        user_errors="createLandingPage.userErrors",
        fragment="LandingPage",
        resource="Landing page",
        status=201,
        body=inputs.CreateLandingPageBody,
        body_var="input",
    ),
    Endpoint(
        name="ListKeys",
        method="GET",
        path="/v1/keys",
        scope=Scope.KEYS_READ,
        summary="The store's API keys, revoked ones included, newest first; never a secret",
        operation=(
            "query ListKeys($first: Int!, $after: String) "
            f"{{ apiKeys(first: $first, after: $after) {{ nodes {{ ...ApiKey }} {PAGE_INFO} }} }}"
        ),
        result="apiKeys",
        result_kind="list",
        fragment="ApiKey",
        resource="Key",
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="CreateKey",
        method="POST",
        path="/v1/keys",
        scope=Scope.KEYS_WRITE,
        summary="Create a platform or public key; the response carries its secret (a public key's signing secret), "
        "once",
        description="A key cannot grant a scope it does not hold (`insufficient_scope`, naming the scope). A public "
        'key (`"type": "public"`, optional `allowed_origins`) holds `tracking:write` only and signs the '
        "tracking endpoints (docs/tracking.md).",
        operation=(
            "mutation CreateKey($input: CreateApiKeyInput!) "
            f"{{ createApiKey(input: $input) {{ ...CreatedApiKey {USER_ERRORS} }} }}"
        ),
        result="createApiKey",
        user_errors="createApiKey.userErrors",
        fragment="CreatedApiKey",
        resource="Key",
        status=201,
        body=inputs.CreateKeyBody,
        body_var="input",
    ),
    Endpoint(
        name="RevokeKey",
        method="DELETE",
        path="/v1/keys/{id}",
        scope=Scope.KEYS_WRITE,
        summary="Revoke a key: it stops working at once, in every process",
        operation=(
            f"mutation RevokeKey($id: ID!) {{ revokeApiKey(id: $id) {{ apiKey {{ ...ApiKey }} {USER_ERRORS} }} }}"
        ),
        result="revokeApiKey.apiKey",
        user_errors="revokeApiKey.userErrors",
        fragment="ApiKey",
        resource="Key",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="ListWebhooks",
        method="GET",
        path="/v1/webhooks",
        scope=Scope.WEBHOOKS_READ,
        summary="The store's webhook subscriptions, newest first; never a signing secret",
        operation=(
            "query ListWebhooks($first: Int!, $after: String) "
            f"{{ webhookSubscriptions(first: $first, after: $after) {{ nodes {{ ...Webhook }} {PAGE_INFO} }} }}"
        ),
        result="webhookSubscriptions",
        result_kind="list",
        fragment="Webhook",
        resource="Webhook",
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="CreateWebhook",
        method="POST",
        path="/v1/webhooks",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Subscribe an endpoint to events; the response carries its signing secret, once",
        operation=(
            "mutation CreateWebhook($input: CreateWebhookSubscriptionInput!) "
            f"{{ createWebhookSubscription(input: $input) {{ ...CreatedWebhook {USER_ERRORS} }} }}"
        ),
        result="createWebhookSubscription",
        user_errors="createWebhookSubscription.userErrors",
        fragment="CreatedWebhook",
        resource="Webhook",
        status=201,
        body=inputs.CreateWebhookBody,
        body_var="input",
    ),
    Endpoint(
        name="DeleteWebhook",
        method="DELETE",
        path="/v1/webhooks/{id}",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Delete a subscription; its endpoint receives no further deliveries",
        operation=(
            "mutation DeleteWebhook($id: ID!) "
            f"{{ deleteWebhookSubscription(id: $id) {{ ...DeletedWebhook {USER_ERRORS} }} }}"
        ),
        result="deleteWebhookSubscription",
        user_errors="deleteWebhookSubscription.userErrors",
        fragment="DeletedWebhook",
        resource="Webhook",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="ListWebhookDeliveries",
        method="GET",
        path="/v1/webhooks/{id}/deliveries",
        scope=Scope.WEBHOOKS_READ,
        summary="A subscription's delivery attempts, newest first",
        description="Each attempt with the endpoint's status code, the time it took and the start of its answer.",
        operation=(
            "query ListWebhookDeliveries($id: ID!, $first: Int!, $after: String) "
            "{ webhookDeliveries(subscriptionId: $id, first: $first, after: $after) "
            f"{{ nodes {{ ...WebhookDelivery }} {PAGE_INFO} }} }}"
        ),
        result="webhookDeliveries",
        result_kind="list",
        fragment="WebhookDelivery",
        resource="Webhook",
        path_vars={"id": "id"},
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="RedeliverWebhook",
        method="POST",
        path="/v1/webhooks/{id}/redeliver",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Send a logged delivery of this subscription again",
        description=(
            "Queues the delivery's event for the endpoint again under the same `X-DZ-Delivery`, with a fresh retry "
            "schedule; 202 once it is queued, and each attempt joins the delivery log. A disabled subscription must "
            "be enabled first (`validation_error` with code `subscription_disabled`)."
        ),
        operation=(
            "mutation RedeliverWebhook($input: RedeliverWebhookInput!) "
            f"{{ redeliverWebhook(input: $input) {{ ...Redelivery {USER_ERRORS} }} }}"
        ),
        result="redeliverWebhook",
        user_errors="redeliverWebhook.userErrors",
        fragment="Redelivery",
        resource="Webhook delivery",
        status=202,
        path_vars={"id": "input.subscriptionId"},
        body=inputs.RedeliverWebhookBody,
        body_var="input",
    ),
    Endpoint(
        name="EnableWebhook",
        method="POST",
        path="/v1/webhooks/{id}/enable",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Turn a subscription that was disabled for failing back on",
        description="It receives the store's events again from now on; `failing_since` and `disabled_reason` clear.",
        operation=(
            "mutation EnableWebhook($id: ID!) "
            f"{{ enableWebhookSubscription(id: $id) {{ webhookSubscription {{ ...Webhook }} {USER_ERRORS} }} }}"
        ),
        result="enableWebhookSubscription.webhookSubscription",
        user_errors="enableWebhookSubscription.userErrors",
        fragment="Webhook",
        resource="Webhook",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="GetUsage",
        method="GET",
        path="/v1/usage",
        scope=Scope.USAGE_READ,
        summary="The calling key's requests this minute, day and month, per endpoint, and its rate-limit window",
        operation="query GetUsage { usage { ...Usage } }",
        result="usage",
        fragment="Usage",
        resource="Usage",
    ),
    Endpoint(
        name="GetQuotas",
        method="GET",
        path="/v1/quotas",
        scope=Scope.USAGE_READ,
        summary="The store's plan limits and how much of each monthly quota is used",
        operation="query GetQuotas { quotas { ...Quotas } }",
        result="quotas",
        fragment="Quotas",
        resource="Quotas",
    ),
    # The signed tracking endpoints (docs/tracking.md): authenticated by a public key's X-DZ-Key, X-DZ-Timestamp
    # and X-DZ-Signature (middleware/public_key.py) instead of a Bearer key, and needing no Idempotency-Key.
    Endpoint(
        name="TrackSignup",
        method="POST",
        path="/v1/signups",
        scope=Scope.TRACKING_WRITE,
        summary="Track a signup with a public key; 202 at once, stored and counted by the worker",
        description="Signed with a public key (`X-DZ-Key`, `X-DZ-Timestamp`, `X-DZ-Signature`), not a Bearer key; "
        "no `Idempotency-Key` needed. An email and/or a phone; a counted signup fires `signup.counted`.",
        operation=(
            "mutation TrackSignup($input: TrackSignupInput!) "
            f"{{ trackSignup(input: $input) {{ ...TrackedSignup {USER_ERRORS} }} }}"
        ),
        result="trackSignup",
        user_errors="trackSignup.userErrors",
        fragment="TrackedSignup",
        resource="Tracking",
        status=202,
        body=inputs.TrackSignupBody,
        body_var="input",
    ),
    Endpoint(
        name="TrackEvents",
        method="POST",
        path="/v1/events",
        scope=Scope.TRACKING_WRITE,
        summary="Log one event or up to 100 with a public key; 202 at once, stored and counted by the worker",
        description="Signed with a public key (`X-DZ-Key`, `X-DZ-Timestamp`, `X-DZ-Signature`), not a Bearer key; "
        "no `Idempotency-Key` needed. The ids answered are the events' in the order sent.",
        operation=(
            "mutation TrackEvents($input: TrackEventsInput!) "
            f"{{ trackEvents(input: $input) {{ ...TrackedEvents {USER_ERRORS} }} }}"
        ),
        result="trackEvents",
        user_errors="trackEvents.userErrors",
        fragment="TrackedEvents",
        resource="Tracking",
        status=202,
        body=inputs.TrackEventsBody,
        body_var="input",
    ),
    Endpoint(
        name="GetEventCounts",
        method="GET",
        path="/v1/events/counts",
        scope=Scope.USAGE_READ,
        summary="The store's tracked events counted per name and UTC day",
        description="The last 30 days unless `from` and `to` say otherwise (at most 366 days); only days and "
        "events with at least one event.",
        operation=(
            "query GetEventCounts($from: Date, $to: Date, $event: String) "
            "{ eventCounts(from: $from, to: $to, event: $event) { ...EventCounts } }"
        ),
        result="eventCounts",
        fragment="EventCounts",
        resource="Tracking",
        query=inputs.EventCountsQuery,
        query_vars={"from_": "from", "to": "to", "event": "event"},
    ),
)
