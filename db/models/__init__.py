"""All models, imported here so that ``Base.metadata`` is complete wherever the package is imported."""

from db.models.address import CustomerAddress
from db.models.api_key import ApiKey
from db.models.customer import Customer, CustomerTag
from db.models.delivery_zone import DeliveryZone, ZoneWilaya
from db.models.idempotency import IdempotencyRecord
from db.models.job import Job
from db.models.landing_page import LandingPage
from db.models.ledger import HouseAccountTransaction, LoyaltyTransaction
from db.models.order import Order, OrderItem, OrderStatusChange
from db.models.outbox import OutboxEvent
from db.models.product import Product
from db.models.review import Review
from db.models.store import Store
from db.models.store_version import StoreVersion
from db.models.tracking import EventCount, Signup, TrackedEvent
from db.models.usage import UsageCounter
from db.models.webhook import WebhookDelivery, WebhookSubscription

__all__ = [
    "ApiKey",
    "Customer",
    "CustomerAddress",
    "CustomerTag",
    "DeliveryZone",
    "EventCount",
    "HouseAccountTransaction",
    "IdempotencyRecord",
    "Job",
    "LandingPage",
    "LoyaltyTransaction",
    "Order",
    "OrderItem",
    "OrderStatusChange",
    "OutboxEvent",
    "Product",
    "Review",
    "Signup",
    "Store",
    "StoreVersion",
    "TrackedEvent",
    "UsageCounter",
    "WebhookDelivery",
    "WebhookSubscription",
    "ZoneWilaya",
]
