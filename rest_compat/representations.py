"""The REST representation of every object /v1 returns (the field names of the DZBuild API v1 post and Customers
reference), as fragments.

The Customers reference: a customer list item and the customer detail; a customer's orders have "the same fields as the
orders
list summary". The v1 post: the product (``pricing`` and ``inventory`` nested) and the order summary. Where the
documents
show no body (order detail, keys, webhooks, store, landing pages) the names follow the same snake_case style.
"""

from __future__ import annotations

from rest_compat.shapes import Const, Fragment, Many, Obj, Shape, Spread

PRODUCT: Shape = {
    "id": "id",
    "name": "name",
    "slug": "slug",
    "description": "description",
    "pricing": {"price": "price", "compare_price": "comparePrice", "cost_price": "costPrice"},
    "inventory": {
        "sku": "sku",
        "track_stock": "trackStock",
        "stock_quantity": "stockQuantity",
        "low_stock_alert": "lowStockAlert",
    },
    "status": "status",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

ORDER_SUMMARY: Shape = {
    "id": "id",
    "order_number": "orderNumber",
    "status": "status",
    "payment_status": "paymentStatus",
    "payment_method": "paymentMethod",
    "total": "total",
    "customer_id": "customerId",
    "customer_name": "customerName",
    "customer_phone": "customerPhone",
    "wilaya_id": "wilayaId",
    "commune": "commune",
    "delivery_type": "deliveryType",
    "created_at": "createdAt",
}

ORDER: Shape = {
    **ORDER_SUMMARY,
    "customer_email": "customerEmail",
    "address": "address",
    "notes": "notes",
    "updated_at": "updatedAt",
    "customer": {
        "id": "customerId",
        "name": "customerName",
        "phone": "customerPhone",
        "email": "customerEmail",
    },
    "delivery": {
        "type": "deliveryType",
        "wilaya_id": "wilayaId",
        "commune": "commune",
        "address": "address",
        "fee": "deliveryFee",
    },
    "totals": {"subtotal": "subtotal", "delivery_fee": "deliveryFee", "total": "total"},
    "items": Many("items", "OrderItem"),
    "status_history": Many("statusHistory", "OrderStatusChange"),
}

ORDER_ITEM: Shape = {
    "id": "id",
    "product_id": "productId",
    "product_name": "productName",
    "sku": "sku",
    "unit_price": "unitPrice",
    "quantity": "quantity",
    "total": "total",
}

ORDER_STATUS_CHANGE: Shape = {
    "field": "field",
    "from": "fromStatus",
    "to": "toStatus",
    "note": "note",
    "created_at": "createdAt",
}

CUSTOMER_SUMMARY: Shape = {
    "id": "id",
    "first_name": "firstName",
    "last_name": "lastName",
    "phone": "phone",
    "email": "email",
    "wilaya_id": "wilayaId",
    "commune": "commune",
    "total_orders": "totalOrders",
    "total_spent": "totalSpent",
    "is_banned": "isBanned",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

# Never device_fingerprint or identity_id: the GraphQL schema does not have them either.
CUSTOMER: Shape = {
    **CUSTOMER_SUMMARY,
    "address": "address",
    "notes": "notes",
    "fraud_score": "fraudScore",
    "last_order_at": "lastOrderAt",
    # The profile, on the detail only: the list item keeps the published summary shape (CUSTOMER_SUMMARY).
    "tags": "tags",
    "accepts_marketing": "acceptsMarketing",
    "gender": "gender",
    "birth_date": "birthDate",
    "locale": "locale",
    "dial_code": "dialCode",
    "metadata": "metadata",
    # The ledgers' balances and switches; the entries are at /loyalty and /house-account.
    "loyalty_balance": "loyaltyBalance",
    "is_loyalty_enabled": "isLoyaltyEnabled",
    "is_house_account_enabled": "isHouseAccountEnabled",
    "house_account_limit": "houseAccountLimit",
    "house_account_balance": "houseAccountBalance",
    "archived_at": "archivedAt",
    "erased_at": "erasedAt",
}

DELIVERY_ZONE: Shape = {
    "id": "id",
    "name": "name",
    "wilaya_ids": "wilayaIds",
    "home_fee": "homeFee",
    "desk_fee": "deskFee",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

CUSTOMER_ADDRESS: Shape = {
    "id": "id",
    "label": "label",
    "line1": "line1",
    "line2": "line2",
    "wilaya_id": "wilayaId",
    "commune": "commune",
    "postal_code": "postalCode",
    "country": "country",
    "phone": "phone",
    "is_default": "isDefault",
    "delivery_zone": Obj("deliveryZone", "DeliveryZone"),
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

CUSTOMER_ANALYTICS: Shape = {
    "total_orders": "totalOrders",
    "total_spent": "totalSpent",
    "average_order": "averageOrder",
    "first_order_at": "firstOrderAt",
    "last_order_at": "lastOrderAt",
    "orders_by_status": Many("ordersByStatus", "OrderStatusCount"),
    "top_products": Many("topProducts", "CustomerTopProduct", arguments="limit: $topProductsLimit"),
}

ORDER_STATUS_COUNT: Shape = {"status": "status", "count": "count"}

# The product as the order lines show it (its id, null once deleted, and the copied name): the product itself
# needs products:read, which the endpoint's customers:read does not include.
CUSTOMER_TOP_PRODUCT: Shape = {
    "product_id": "productId",
    "product_name": "productName",
    "quantity": "quantity",
    "order_count": "orderCount",
}

LOYALTY_TRANSACTION: Shape = {
    "id": "id",
    "kind": "kind",
    "delta": "delta",
    "reason": "reason",
    "balance_after": "balanceAfter",
    "order_id": "orderId",
    "created_at": "createdAt",
}

HOUSE_ACCOUNT_TRANSACTION: Shape = {
    "id": "id",
    "kind": "kind",
    "amount": "amount",
    "reason": "reason",
    "balance_after": "balanceAfter",
    "order_id": "orderId",
    "created_at": "createdAt",
}

LANDING_PAGE: Shape = {
    "id": "id",
    "title": "title",
    "slug": "slug",
    "product_id": "productId",
    "content": "content",
    "status": "status",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

API_KEY: Shape = {
    "id": "id",
    "key_id": "keyId",
    "prefix": "prefix",
    "type": "type",
    "env": "env",
    "name": "name",
    "scopes": "scopes",
    "allowed_origins": "allowedOrigins",
    "created_at": "createdAt",
    "last_used_at": "lastUsedAt",
    "revoked_at": "revokedAt",
}

WEBHOOK: Shape = {
    "id": "id",
    "url": "url",
    "events": "events",
    "is_active": "isActive",
    "disabled_reason": "disabledReason",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

WEBHOOK_DELIVERY: Shape = {
    "id": "id",
    "delivery_id": "deliveryId",
    "event_id": "eventId",
    "event": "event",
    "attempt": "attempt",
    "succeeded": "succeeded",
    "response_status": "responseStatus",
    "duration_ms": "durationMs",
    "response_excerpt": "responseExcerpt",
    "error": "error",
    "created_at": "createdAt",
}

USAGE: Shape = {
    "requests": {
        "minute": "requestsThisMinute",
        "day": "requestsToday",
        "month": "requestsThisMonth",
    },
    "endpoints": Many("endpoints", "EndpointUsage"),
    "rate_limit": Obj("rateLimit", "RateLimitState"),
}

ENDPOINT_USAGE: Shape = {"endpoint": "label", "minute": "minute", "day": "day", "month": "month"}

RATE_LIMIT_STATE: Shape = {
    "limit": "limit",
    "remaining": "remaining",
    "reset_at": "resetAt",
    "window_seconds": "windowSeconds",
}

QUOTA_USE: Shape = {"limit": "limit", "used": "used", "remaining": "remaining"}

QUOTAS: Shape = {
    "plan": "plan",
    "requests_per_minute": "requestsPerMinute",
    "requests_per_month": Obj("requestsPerMonth", "QuotaUse"),
    "signups_per_month": Obj("signupsPerMonth", "QuotaUse"),
    "webhooks_per_month": Obj("webhooksPerMonth", "QuotaUse"),
    "public_requests_per_minute": "publicRequestsPerMinute",
    "public_requests_per_month": Obj("publicRequestsPerMonth", "QuotaUse"),
    "period_end": "periodEnd",
}

PLAN_LIMITS: Shape = {
    "requests_per_minute": "requestsPerMinute",
    "requests_per_month": "requestsPerMonth",
    "signups_per_month": "signupsPerMonth",
    "webhooks_per_month": "webhooksPerMonth",
    "public_requests_per_minute": "publicRequestsPerMinute",
    "public_requests_per_month": "publicRequestsPerMonth",
}

STORE: Shape = {
    "id": "id",
    "name": "name",
    "slug": "slug",
    "currency": "currency",
    "phone_region": "phoneRegion",
    "plan": "plan",
    "limits": Obj("limits", "PlanLimits"),
    "settings": "settings",
    "metadata": "metadata",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

WHOAMI: Shape = {
    "key_id": "keyId",
    "type": "keyType",
    "env": "env",
    "scopes": "scopes",
    "store_id": "storeId",
    "store_name": "storeName",
    "plan": "plan",
}

# The signed tracking endpoints answer ids that are strings (``sgn_...``, ``tev_...``), not integers: they are
# handed out before the worker stores anything.
TRACKED_SIGNUP: Shape = {"id": "id"}
TRACKED_EVENTS: Shape = {"accepted": "accepted", "ids": "ids"}
EVENT_COUNTS: Shape = {"from": "from", "to": "to", "total": "total", "counts": Many("counts", "EventCount")}
EVENT_COUNT: Shape = {"event": "event", "day": "day", "count": "count"}

REVIEW: Shape = {
    "id": "id",
    "order_id": "orderId",
    "customer_id": "customerId",
    "rating": "rating",
    "product_rating": "productRating",
    "delivery_rating": "deliveryRating",
    "packaging_rating": "packagingRating",
    "comment": "comment",
    "is_approved": "isApproved",
    "is_public": "isPublic",
    "is_featured": "isFeatured",
    "response": Obj("response", "ReviewResponse"),
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

REVIEW_RESPONSE: Shape = {"text": "text", "responded_at": "respondedAt", "responded_by": "respondedBy"}

REVIEW_STATS: Shape = {
    "total_reviews": "totalReviews",
    "average_rating": "averageRating",
    "rating_distribution": Many("ratingDistribution", "RatingCount"),
    "approved_count": "approvedCount",
    "pending_count": "pendingCount",
}

FRAGMENTS: dict[str, Fragment] = {
    "Product": Fragment("Product", PRODUCT),
    "OrderSummary": Fragment("Order", ORDER_SUMMARY),
    "Order": Fragment("Order", ORDER),
    "OrderItem": Fragment("OrderItem", ORDER_ITEM),
    "OrderStatusChange": Fragment("OrderStatusChange", ORDER_STATUS_CHANGE),
    "CustomerSummary": Fragment("Customer", CUSTOMER_SUMMARY),
    "Customer": Fragment("Customer", CUSTOMER),
    "CustomerAddress": Fragment("CustomerAddress", CUSTOMER_ADDRESS),
    "DeletedCustomerAddress": Fragment("DeleteCustomerAddressPayload", {"id": "deletedId", "deleted": Const(True)}),
    "DeliveryZone": Fragment("DeliveryZone", DELIVERY_ZONE),
    "CustomerTag": Fragment("CustomerTag", {"name": "name", "count": "count"}),
    "DeletedDeliveryZone": Fragment("DeleteDeliveryZonePayload", {"id": "deletedId", "deleted": Const(True)}),
    "CustomerAnalytics": Fragment("CustomerAnalytics", CUSTOMER_ANALYTICS),
    "OrderStatusCount": Fragment("OrderStatusCount", ORDER_STATUS_COUNT),
    "CustomerTopProduct": Fragment("CustomerTopProduct", CUSTOMER_TOP_PRODUCT),
    # The ledgers: the head of each list (the customer's balance), its entries, and what a change wrote.
    "LoyaltyAccount": Fragment("Customer", {"balance": "loyaltyBalance"}),
    "LoyaltyTransaction": Fragment("LoyaltyTransaction", LOYALTY_TRANSACTION),
    "LoyaltyAdjustment": Fragment(
        "AdjustLoyaltyPointsPayload",
        {
            "customer": Obj("customer", "Customer"),
            "transaction": Obj("transaction", "LoyaltyTransaction"),
            "previous_balance": "previousBalance",
            "new_balance": "newBalance",
        },
    ),
    "HouseAccount": Fragment(
        "Customer",
        {"balance": "houseAccountBalance", "limit": "houseAccountLimit", "enabled": "isHouseAccountEnabled"},
    ),
    "HouseAccountTransaction": Fragment("HouseAccountTransaction", HOUSE_ACCOUNT_TRANSACTION),
    "HouseAccountPayment": Fragment(
        "RecordHouseAccountPaymentPayload",
        {
            "customer": Obj("customer", "Customer"),
            "transaction": Obj("transaction", "HouseAccountTransaction"),
            "previous_balance": "previousBalance",
            "new_balance": "newBalance",
        },
    ),
    "LandingPage": Fragment("LandingPage", LANDING_PAGE),
    "ApiKey": Fragment("ApiKey", API_KEY),
    "CreatedApiKey": Fragment(
        "CreateApiKeyPayload",
        {"key": Spread("apiKey", "ApiKey"), "secret": "secret", "signing_secret": "signingSecret"},
    ),
    "Webhook": Fragment("WebhookSubscription", WEBHOOK),
    "CreatedWebhook": Fragment(
        "CreateWebhookSubscriptionPayload", {"webhook": Spread("webhookSubscription", "Webhook"), "secret": "secret"}
    ),
    "WebhookDelivery": Fragment("WebhookDelivery", WEBHOOK_DELIVERY),
    "DeletedProduct": Fragment("DeleteProductPayload", {"id": "deletedId", "deleted": Const(True)}),
    "ErasedCustomer": Fragment("EraseCustomerPayload", {"id": "erasedId", "erased": Const(True)}),
    "DeletedWebhook": Fragment("DeleteWebhookSubscriptionPayload", {"id": "deletedId", "deleted": Const(True)}),
    "Redelivery": Fragment("RedeliverWebhookPayload", {"delivery_id": "deliveryId"}),
    "PlanLimits": Fragment("PlanLimits", PLAN_LIMITS),
    "Usage": Fragment("Usage", USAGE),
    "EndpointUsage": Fragment("EndpointUsage", ENDPOINT_USAGE),
    "RateLimitState": Fragment("RateLimitState", RATE_LIMIT_STATE),
    "Quotas": Fragment("Quotas", QUOTAS),
    "QuotaUse": Fragment("QuotaUse", QUOTA_USE),
    "Store": Fragment("Store", STORE),
    "Whoami": Fragment("Viewer", WHOAMI),
    "TrackedSignup": Fragment("TrackSignupPayload", TRACKED_SIGNUP),
    "TrackedEvents": Fragment("TrackEventsPayload", TRACKED_EVENTS),
    "EventCounts": Fragment("EventCounts", EVENT_COUNTS),
    "EventCount": Fragment("EventCount", EVENT_COUNT),
    "Review": Fragment("Review", REVIEW),
    "ReviewResponse": Fragment("ReviewResponse", REVIEW_RESPONSE),
    "ReviewStats": Fragment("ReviewStats", REVIEW_STATS),
    "RatingCount": Fragment("RatingCount", {"rating": "rating", "count": "count"}),
    "DeletedReview": Fragment("DeleteReviewPayload", {"id": "deletedId", "deleted": Const(True)}),
}
