"""All models, imported here so that ``Base.metadata`` is complete wherever the package is imported."""

from db.models.api_key import ApiKey
from db.models.customer import Customer
from db.models.landing_page import LandingPage
from db.models.order import Order, OrderItem, OrderStatusChange
from db.models.outbox import OutboxEvent
from db.models.product import Product
from db.models.store import Store
from db.models.webhook import WebhookSubscription

__all__ = [
    "ApiKey",
    "Customer",
    "LandingPage",
    "Order",
    "OrderItem",
    "OrderStatusChange",
    "OutboxEvent",
    "Product",
    "Store",
    "WebhookSubscription",
]
