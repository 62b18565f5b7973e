"""Deny by default: every field of every object type is classified here, and nothing else decides access.

``OBJECT_SCOPES`` names, for each object type, the scope needed to read it and lists every one of its fields.
A field that needs a different scope from its type (``Order.customer`` needs ``customers:read``) is listed in
``FIELD_SCOPES`` instead. ``install_scope_guards`` then checks scopes only where they change: on root fields
and on the fields that cross into another scope. A leaf field costs nothing, because its object could not have
been reached without its type's scope. A key has a scope when it holds it or the write scope that includes it
(``Principal.has_scope``). ``tests/schema/test_permissions.py`` fails on any field that is not classified.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, default_field_resolver

from storegraph.platform.auth.scopes import Scope
from storegraph.platform.errors import InsufficientScope

# Needs only a valid key (connection plumbing, the viewer, the root types).
AUTHENTICATED = "authenticated"

_CONNECTION_FIELDS = ("edges", "nodes", "pageInfo", "totalCount")
_EDGE_FIELDS = ("cursor", "node")

OBJECT_SCOPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Query": (AUTHENTICATED, ("viewer", "whoami")),
    "Mutation": (AUTHENTICATED, ()),
    "UserError": (AUTHENTICATED, ("field", "code", "message")),
    "ProductPayload": (Scope.PRODUCTS_WRITE, ("userErrors",)),
    "PlaceOrderPayload": (Scope.ORDERS_WRITE, ("userErrors",)),
    "UpdateOrderStatusPayload": (Scope.ORDERS_WRITE, ("userErrors",)),
    "DeleteProductPayload": (Scope.PRODUCTS_WRITE, ("deletedId", "userErrors")),
    "LandingPagePayload": (Scope.LANDING_PAGES_WRITE, ("userErrors",)),
    "StorePayload": (Scope.STORE_WRITE, ("userErrors",)),
    "CreateApiKeyPayload": (Scope.KEYS_WRITE, ("secret", "signingSecret", "userErrors")),
    "RevokeApiKeyPayload": (Scope.KEYS_WRITE, ("userErrors",)),
    "CreateWebhookSubscriptionPayload": (Scope.WEBHOOKS_WRITE, ("secret", "userErrors")),
    "DeleteWebhookSubscriptionPayload": (Scope.WEBHOOKS_WRITE, ("deletedId", "userErrors")),
    "EnableWebhookSubscriptionPayload": (Scope.WEBHOOKS_WRITE, ("userErrors",)),
    "RedeliverWebhookPayload": (Scope.WEBHOOKS_WRITE, ("deliveryId", "userErrors")),
    "CustomerPayload": (Scope.CUSTOMERS_WRITE, ("userErrors",)),
    "EraseCustomerPayload": (Scope.CUSTOMERS_ERASE, ("erasedId", "userErrors")),
    "CustomerAddressPayload": (Scope.CUSTOMERS_WRITE, ("userErrors",)),
    "DeleteCustomerAddressPayload": (Scope.CUSTOMERS_WRITE, ("deletedId", "userErrors")),
    "DeliveryZonePayload": (Scope.STORE_WRITE, ("userErrors",)),
    "DeleteDeliveryZonePayload": (Scope.STORE_WRITE, ("deletedId", "userErrors")),
    "ReviewPayload": (Scope.REVIEWS_WRITE, ("userErrors",)),
    "DeleteReviewPayload": (Scope.REVIEWS_WRITE, ("deletedId", "userErrors")),
    "AdjustLoyaltyPointsPayload": (Scope.CUSTOMERS_WRITE, ("previousBalance", "newBalance", "userErrors")),
    "RecordHouseAccountPaymentPayload": (Scope.CUSTOMERS_WRITE, ("previousBalance", "newBalance", "userErrors")),
    "Viewer": (AUTHENTICATED, ("keyId", "keyType", "env", "scopes", "storeId", "storeName", "plan")),
    "PageInfo": (AUTHENTICATED, ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")),
    "Store": (
        Scope.STORE_READ,
        (
            "id",
            "name",
            "slug",
            "currency",
            "phoneRegion",
            "plan",
            "settings",
            "metadata",
            "limits",
            "createdAt",
            "updatedAt",
        ),
    ),
    "PlanLimits": (
        Scope.STORE_READ,
        (
            "requestsPerMinute",
            "requestsPerMonth",
            "signupsPerMonth",
            "webhooksPerMonth",
            "publicRequestsPerMinute",
            "publicRequestsPerMonth",
        ),
    ),
    "Customer": (
        Scope.CUSTOMERS_READ,
        (
            "id",
            "firstName",
            "lastName",
            "phone",
            "email",
            "wilayaId",
            "commune",
            "address",
            "notes",
            "totalOrders",
            "totalSpent",
            "lastOrderAt",
            "fraudScore",
            "isBanned",
            "banReason",
            "bannedAt",
            "gender",
            "birthDate",
            "locale",
            "acceptsMarketing",
            "metadata",
            "tags",
            "dialCode",
            "loyaltyBalance",
            "isLoyaltyEnabled",
            "loyaltyTransactions",
            "isHouseAccountEnabled",
            "houseAccountLimit",
            "houseAccountBalance",
            "houseAccountTransactions",
            "archivedAt",
            "erasedAt",
            "createdAt",
            "updatedAt",
            "addresses",
            "defaultAddress",
            "analytics",
        ),
    ),
    "CustomerAddress": (
        Scope.CUSTOMERS_READ,
        (
            "id",
            "label",
            "line1",
            "line2",
            "wilayaId",
            "commune",
            "postalCode",
            "country",
            "phone",
            "isDefault",
            "createdAt",
            "updatedAt",
        ),
    ),
    "DeliveryZone": (
        Scope.STORE_READ,
        ("id", "name", "wilayaIds", "homeFee", "deskFee", "createdAt", "updatedAt"),
    ),
    "CustomerTag": (Scope.CUSTOMERS_READ, ("name", "count")),
    "CustomerAnalytics": (
        Scope.CUSTOMERS_READ,
        ("totalOrders", "totalSpent", "averageOrder", "firstOrderAt", "lastOrderAt", "ordersByStatus", "topProducts"),
    ),
    "OrderStatusCount": (Scope.CUSTOMERS_READ, ("status", "count")),
    "CustomerTopProduct": (Scope.CUSTOMERS_READ, ("productId", "productName", "quantity", "orderCount")),
    "LoyaltyTransaction": (
        Scope.CUSTOMERS_READ,
        ("id", "kind", "delta", "reason", "balanceAfter", "orderId", "createdAt"),
    ),
    "LoyaltyTransactionConnection": (Scope.CUSTOMERS_READ, _CONNECTION_FIELDS),
    "LoyaltyTransactionEdge": (Scope.CUSTOMERS_READ, _EDGE_FIELDS),
    "HouseAccountTransaction": (
        Scope.CUSTOMERS_READ,
        ("id", "kind", "amount", "reason", "balanceAfter", "orderId", "createdAt"),
    ),
    "HouseAccountTransactionConnection": (Scope.CUSTOMERS_READ, _CONNECTION_FIELDS),
    "HouseAccountTransactionEdge": (Scope.CUSTOMERS_READ, _EDGE_FIELDS),
    "CustomerConnection": (Scope.CUSTOMERS_READ, _CONNECTION_FIELDS),
    "CustomerEdge": (Scope.CUSTOMERS_READ, _EDGE_FIELDS),
    "Order": (
        Scope.ORDERS_READ,
        (
            "id",
            "orderNumber",
            "status",
            "paymentStatus",
            "paymentMethod",
            "customerId",
            "customerName",
            "customerPhone",
            "customerEmail",
            "wilayaId",
            "commune",
            "address",
            "deliveryType",
            "subtotal",
            "deliveryFee",
            "total",
            "notes",
            "createdAt",
            "updatedAt",
            "items",
            "statusHistory",
        ),
    ),
    "OrderConnection": (Scope.ORDERS_READ, _CONNECTION_FIELDS),
    "OrderEdge": (Scope.ORDERS_READ, _EDGE_FIELDS),
    "OrderItem": (
        Scope.ORDERS_READ,
        ("id", "productId", "productName", "sku", "unitPrice", "quantity", "total"),
    ),
    "OrderStatusChange": (
        Scope.ORDERS_READ,
        ("id", "field", "fromStatus", "toStatus", "note", "actorKeyId", "createdAt"),
    ),
    "Product": (
        Scope.PRODUCTS_READ,
        (
            "id",
            "name",
            "slug",
            "description",
            "status",
            "price",
            "comparePrice",
            "costPrice",
            "sku",
            "trackStock",
            "stockQuantity",
            "lowStockAlert",
            "createdAt",
            "updatedAt",
        ),
    ),
    "ProductConnection": (Scope.PRODUCTS_READ, _CONNECTION_FIELDS),
    "ProductEdge": (Scope.PRODUCTS_READ, _EDGE_FIELDS),
    "LandingPage": (
        Scope.LANDING_PAGES_READ,
        ("id", "title", "slug", "productId", "content", "status", "createdAt", "updatedAt"),
    ),
    "LandingPageConnection": (Scope.LANDING_PAGES_READ, _CONNECTION_FIELDS),
    "LandingPageEdge": (Scope.LANDING_PAGES_READ, _EDGE_FIELDS),
    "ApiKey": (
        Scope.KEYS_READ,
        (
            "id",
            "keyId",
            "prefix",
            "type",
            "env",
            "name",
            "scopes",
            "allowedOrigins",
            "createdAt",
            "lastUsedAt",
            "revokedAt",
        ),
    ),
    "ApiKeyConnection": (Scope.KEYS_READ, _CONNECTION_FIELDS),
    "ApiKeyEdge": (Scope.KEYS_READ, _EDGE_FIELDS),
    "WebhookSubscription": (
        Scope.WEBHOOKS_READ,
        ("id", "url", "events", "isActive", "disabledReason", "failingSince", "createdAt", "updatedAt"),
    ),
    "WebhookSubscriptionConnection": (Scope.WEBHOOKS_READ, _CONNECTION_FIELDS),
    "WebhookSubscriptionEdge": (Scope.WEBHOOKS_READ, _EDGE_FIELDS),
    "WebhookDelivery": (
        Scope.WEBHOOKS_READ,
        (
            "id",
            "deliveryId",
            "eventId",
            "event",
            "attempt",
            "succeeded",
            "responseStatus",
            "durationMs",
            "responseExcerpt",
            "error",
            "createdAt",
        ),
    ),
    "WebhookDeliveryConnection": (Scope.WEBHOOKS_READ, _CONNECTION_FIELDS),
    "WebhookDeliveryEdge": (Scope.WEBHOOKS_READ, _EDGE_FIELDS),
    "Usage": (
        Scope.USAGE_READ,
        ("requestsThisMinute", "requestsToday", "requestsThisMonth", "endpoints", "rateLimit"),
    ),
    "EndpointUsage": (Scope.USAGE_READ, ("label", "minute", "day", "month")),
    "RateLimitState": (Scope.USAGE_READ, ("limit", "remaining", "resetAt", "windowSeconds")),
    "Quotas": (
        Scope.USAGE_READ,
        (
            "plan",
            "requestsPerMonth",
            "signupsPerMonth",
            "webhooksPerMonth",
            "requestsPerMinute",
            "publicRequestsPerMonth",
            "publicRequestsPerMinute",
            "periodEnd",
        ),
    ),
    "QuotaUse": (Scope.USAGE_READ, ("limit", "used", "remaining")),
    # Tracking (docs/tracking.md): only public keys hold tracking:write; signups carry emails and phones.
    "TrackSignupPayload": (Scope.TRACKING_WRITE, ("id", "userErrors")),
    "TrackEventsPayload": (Scope.TRACKING_WRITE, ("accepted", "ids", "userErrors")),
    "Signup": (
        Scope.CUSTOMERS_READ,
        ("id", "email", "phone", "name", "source", "campaign", "metadata", "counted", "acceptedAt", "createdAt"),
    ),
    "SignupConnection": (Scope.CUSTOMERS_READ, _CONNECTION_FIELDS),
    "SignupEdge": (Scope.CUSTOMERS_READ, _EDGE_FIELDS),
    "EventCounts": (Scope.USAGE_READ, ("from", "to", "total", "counts")),
    "EventCount": (Scope.USAGE_READ, ("event", "day", "count")),
    "Review": (
        Scope.REVIEWS_READ,
        (
            "id",
            "orderId",
            "customerId",
            "rating",
            "productRating",
            "deliveryRating",
            "packagingRating",
            "comment",
            "isApproved",
            "isPublic",
            "isFeatured",
            "response",
            "createdAt",
            "updatedAt",
        ),
    ),
    "ReviewResponse": (Scope.REVIEWS_READ, ("text", "respondedAt", "respondedBy")),
    "ReviewConnection": (Scope.REVIEWS_READ, _CONNECTION_FIELDS),
    "ReviewEdge": (Scope.REVIEWS_READ, _EDGE_FIELDS),
    "ReviewStats": (
        Scope.REVIEWS_READ,
        ("totalReviews", "averageRating", "ratingDistribution", "approvedCount", "pendingCount"),
    ),
    "RatingCount": (Scope.REVIEWS_READ, ("rating", "count")),
}

# A mutation payload's result field (``ProductPayload.product``) needs the object's read scope, which the
# mutation's write scope includes: a write-only key sees what it wrote, exactly as its reads would show it, and a
# payload never shows an object of another scope (``PlaceOrderPayload.customer``) to a key that could not read it.
FIELD_SCOPES: dict[str, str] = {
    "Query.store": Scope.STORE_READ,
    "Query.customers": Scope.CUSTOMERS_READ,
    "Query.customer": Scope.CUSTOMERS_READ,
    "Query.customerTags": Scope.CUSTOMERS_READ,
    "Query.orders": Scope.ORDERS_READ,
    "Query.order": Scope.ORDERS_READ,
    "Query.products": Scope.PRODUCTS_READ,
    "Query.product": Scope.PRODUCTS_READ,
    "Query.landingPages": Scope.LANDING_PAGES_READ,
    "Query.landingPage": Scope.LANDING_PAGES_READ,
    # A customer's orders are part of the customer (GET /v1/customers/{id}/orders needs customers:read); the
    # store's orders (Query.orders, Query.order) still need orders:read.
    "Customer.orders": Scope.CUSTOMERS_READ,
    "Order.customer": Scope.CUSTOMERS_READ,
    "OrderItem.product": Scope.PRODUCTS_READ,
    "CustomerTopProduct.product": Scope.PRODUCTS_READ,
    "LandingPage.product": Scope.PRODUCTS_READ,
    "Mutation.placeOrder": Scope.ORDERS_WRITE,
    "Mutation.updateOrderStatus": Scope.ORDERS_WRITE,
    "PlaceOrderPayload.order": Scope.ORDERS_READ,
    "PlaceOrderPayload.customer": Scope.CUSTOMERS_READ,
    "UpdateOrderStatusPayload.order": Scope.ORDERS_READ,
    "Mutation.createProduct": Scope.PRODUCTS_WRITE,
    "Mutation.updateProduct": Scope.PRODUCTS_WRITE,
    "Mutation.deleteProduct": Scope.PRODUCTS_WRITE,
    "ProductPayload.product": Scope.PRODUCTS_READ,
    "Query.apiKeys": Scope.KEYS_READ,
    "Query.webhookSubscriptions": Scope.WEBHOOKS_READ,
    "Query.webhookDeliveries": Scope.WEBHOOKS_READ,
    "Query.usage": Scope.USAGE_READ,
    "Query.quotas": Scope.USAGE_READ,
    "Mutation.createLandingPage": Scope.LANDING_PAGES_WRITE,
    "Mutation.updateLandingPage": Scope.LANDING_PAGES_WRITE,
    "LandingPagePayload.landingPage": Scope.LANDING_PAGES_READ,
    "Mutation.updateStore": Scope.STORE_WRITE,
    "StorePayload.store": Scope.STORE_READ,
    "Mutation.createApiKey": Scope.KEYS_WRITE,
    "Mutation.revokeApiKey": Scope.KEYS_WRITE,
    "CreateApiKeyPayload.apiKey": Scope.KEYS_READ,
    "RevokeApiKeyPayload.apiKey": Scope.KEYS_READ,
    "Mutation.createWebhookSubscription": Scope.WEBHOOKS_WRITE,
    "Mutation.deleteWebhookSubscription": Scope.WEBHOOKS_WRITE,
    "CreateWebhookSubscriptionPayload.webhookSubscription": Scope.WEBHOOKS_READ,
    "Mutation.enableWebhookSubscription": Scope.WEBHOOKS_WRITE,
    "EnableWebhookSubscriptionPayload.webhookSubscription": Scope.WEBHOOKS_READ,
    "Mutation.redeliverWebhook": Scope.WEBHOOKS_WRITE,
    "Mutation.banCustomer": Scope.CUSTOMERS_WRITE,
    "Mutation.unbanCustomer": Scope.CUSTOMERS_WRITE,
    "Mutation.updateCustomerNotes": Scope.CUSTOMERS_WRITE,
    "Mutation.archiveCustomer": Scope.CUSTOMERS_WRITE,
    "Mutation.restoreCustomer": Scope.CUSTOMERS_WRITE,
    "Mutation.createCustomer": Scope.CUSTOMERS_WRITE,
    "Mutation.updateCustomer": Scope.CUSTOMERS_WRITE,
    "Mutation.addCustomerTags": Scope.CUSTOMERS_WRITE,
    "Mutation.removeCustomerTags": Scope.CUSTOMERS_WRITE,
    "CustomerPayload.customer": Scope.CUSTOMERS_READ,
    "Mutation.eraseCustomer": Scope.CUSTOMERS_ERASE,
    "EraseCustomerPayload.customer": Scope.CUSTOMERS_READ,
    # An address's zone is part of the address (GET /v1/customers/{id}/addresses needs customers:read); the
    # store's zones (Query.deliveryZones) still need store:read.
    "CustomerAddress.deliveryZone": Scope.CUSTOMERS_READ,
    "Mutation.addCustomerAddress": Scope.CUSTOMERS_WRITE,
    "Mutation.updateCustomerAddress": Scope.CUSTOMERS_WRITE,
    "Mutation.deleteCustomerAddress": Scope.CUSTOMERS_WRITE,
    "Mutation.setDefaultCustomerAddress": Scope.CUSTOMERS_WRITE,
    "CustomerAddressPayload.address": Scope.CUSTOMERS_READ,
    "CustomerAddressPayload.customer": Scope.CUSTOMERS_READ,
    "DeleteCustomerAddressPayload.customer": Scope.CUSTOMERS_READ,
    "Query.deliveryZones": Scope.STORE_READ,
    "Mutation.createDeliveryZone": Scope.STORE_WRITE,
    "Mutation.updateDeliveryZone": Scope.STORE_WRITE,
    "Mutation.deleteDeliveryZone": Scope.STORE_WRITE,
    "DeliveryZonePayload.deliveryZone": Scope.STORE_READ,
    "Mutation.adjustLoyaltyPoints": Scope.CUSTOMERS_WRITE,
    "Mutation.recordHouseAccountPayment": Scope.CUSTOMERS_WRITE,
    "AdjustLoyaltyPointsPayload.customer": Scope.CUSTOMERS_READ,
    "AdjustLoyaltyPointsPayload.transaction": Scope.CUSTOMERS_READ,
    "RecordHouseAccountPaymentPayload.customer": Scope.CUSTOMERS_READ,
    "RecordHouseAccountPaymentPayload.transaction": Scope.CUSTOMERS_READ,
    "Mutation.trackSignup": Scope.TRACKING_WRITE,
    "Mutation.trackEvents": Scope.TRACKING_WRITE,
    "Query.signups": Scope.CUSTOMERS_READ,
    "Query.eventCounts": Scope.USAGE_READ,
    "Query.reviews": Scope.REVIEWS_READ,
    "Query.review": Scope.REVIEWS_READ,
    "Query.reviewStats": Scope.REVIEWS_READ,
    # An order's review and a customer's reviews are reviews: reviews:read, whoever holds the order or customer;
    # a review's order and customer need their own scopes.
    "Order.review": Scope.REVIEWS_READ,
    "Customer.reviews": Scope.REVIEWS_READ,
    "Review.order": Scope.ORDERS_READ,
    "Review.customer": Scope.CUSTOMERS_READ,
    "Mutation.createReview": Scope.REVIEWS_WRITE,
    "Mutation.moderateReview": Scope.REVIEWS_WRITE,
    "Mutation.respondToReview": Scope.REVIEWS_WRITE,
    "Mutation.deleteReview": Scope.REVIEWS_WRITE,
    "ReviewPayload.review": Scope.REVIEWS_READ,
}


# The fields that show objects of another scope under their own scope, by design (see ``Customer.orders`` and
# ``CustomerAddress.deliveryZone``).
READ_THROUGH: frozenset[str] = frozenset({"Customer.orders", "CustomerAddress.deliveryZone"})


# Where a guarded field keeps the resolver its guard wraps, in the field's ``extensions``.
UNGUARDED_KEY = "storegraph.unguarded"


class UnclassifiedFieldError(RuntimeError):
    """A schema field has no entry in the scope table: refuse to serve rather than serve it unprotected."""


def scope_of(type_name: str, field_name: str) -> str:
    qualified = f"{type_name}.{field_name}"
    if qualified in FIELD_SCOPES:
        return FIELD_SCOPES[qualified]
    entry = OBJECT_SCOPES.get(type_name)
    if entry is None or field_name not in entry[1]:
        raise UnclassifiedFieldError(f"{qualified} is not classified in schema/core/permissions.py")
    return entry[0]


def object_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    return [
        gql_type
        for name, gql_type in schema.type_map.items()
        if isinstance(gql_type, GraphQLObjectType) and not name.startswith("__")
    ]


def guard_scope(type_name: str, field_name: str) -> str | None:
    """The scope checked when the field is read, or ``None`` where it is the parent type's (already checked to
    reach the parent) or needs only a valid key."""
    type_scope = OBJECT_SCOPES[type_name][0] if type_name in OBJECT_SCOPES else None
    scope = scope_of(type_name, field_name)
    return None if scope in (AUTHENTICATED, type_scope) else scope


def install_scope_guards(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every field whose scope differs from its parent type's scope."""
    for gql_type in object_types(schema):
        for field_name, field in gql_type.fields.items():
            scope = guard_scope(gql_type.name, field_name)
            if scope is not None:
                _guard(field, scope)


def unguarded_resolver(field: GraphQLField) -> Callable[..., Any] | None:
    """The resolver a guard wraps (what the field runs once its scope is held), or the field's own if unguarded."""
    unguarded: Callable[..., Any] | None = (field.extensions or {}).get(UNGUARDED_KEY, field.resolve)
    return unguarded


def _guard(field: GraphQLField, scope: str) -> None:
    resolve: Callable[..., Any] = field.resolve or default_field_resolver
    # Kept for compiled execution, which checks the scope once per operation and then reads the field itself.
    field.extensions = {**(field.extensions or {}), UNGUARDED_KEY: resolve}

    def guarded(source: Any, info: Any, **kwargs: Any) -> Any | Awaitable[Any]:
        if not info.context.principal.has_scope(scope):
            raise InsufficientScope(scope)
        return resolve(source, info, **kwargs)

    field.resolve = guarded
