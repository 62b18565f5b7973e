"""The OpenAPI document's examples: the public documents' own (completed where they leave fields out) and the tracking
bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Example:
    """A documented request and its answer. ``parameters`` are path and query values by name; ``response`` is the
    whole envelope of the operation's success status."""

    summary: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None


_SEED_META = {"request_id": "req_abc123", "api_version": "v1"}


# The DZBuild API v1 post ("Example: Create a Product", "Example: List Orders") and the DZBuild Customers
# reference (the customer pages), with their values.
# Where a document leaves out a field the representation has (the product's description and updated_at, the order
# summary's customer fields, the customer's last_order_at and profile, the Customers reference's missing meta) it is
# filled in with the value the rest of the example implies, so that every example is an answer the API could really
# give.
EXAMPLES: dict[str, Example] = {
    "CreateProduct": Example(
        summary="Seed 004: create a product",
        body={
            "name": "Cotton T-Shirt",
            "price": 1500,
            "description": "100% cotton, made in Algeria",
            "sku": "TS-COT-001",
            "stock_quantity": 50,
            "track_stock": True,
            "status": "active",
        },
        response={
            "data": {
                "id": 42,
                "name": "Cotton T-Shirt",
                "slug": "cotton-t-shirt",
                "description": "100% cotton, made in Algeria",
                "pricing": {"price": 1500, "compare_price": None, "cost_price": None},
                "inventory": {"sku": "TS-COT-001", "track_stock": True, "stock_quantity": 50, "low_stock_alert": 5},
                "status": "active",
                "created_at": "2026-04-30 14:22:10",
                "updated_at": "2026-04-30 14:22:10",
            },
            "meta": {"request_id": "abc123def4", "api_version": "v1"},
        },
    ),
    "ListOrders": Example(
        summary="Seed 004: pending orders, ten at a time",
        parameters={"status": "pending", "limit": 10},
        response={
            "data": {
                "items": [
                    {
                        "id": 1287,
                        "order_number": "ORD-13-20260430-AD3C",
                        "status": "pending",
                        "payment_status": "pending",
                        "payment_method": "cod",
                        "total": 3500,
                        "customer_id": 5212,
                        "customer_name": "Ahmed Benali",
                        "customer_phone": "0555123456",
                        "wilaya_id": 16,
                        "commune": "Bab Ezzouar",
                        "delivery_type": "home",
                        "created_at": "2026-04-30 10:15:00",
                    }
                ],
                "next_cursor": "MTI4Ng",
                "has_more": True,
            },
            "meta": {"request_id": "def456abc7", "api_version": "v1"},
        },
    ),
    "ListCustomers": Example(
        summary="Seed 000: the first twenty customers",
        parameters={"limit": 20},
        response={
            "data": {
                "items": [
                    {
                        "id": 5578,
                        "first_name": "John",
                        "last_name": "Doe",
                        "phone": "0555000000",
                        "email": None,
                        "wilaya_id": 16,
                        "commune": "Bab Ezzouar",
                        "total_orders": 3,
                        "total_spent": 4500,
                        "is_banned": False,
                        "created_at": "2026-03-17 15:18:13",
                        "updated_at": "2026-04-15 12:01:08",
                    }
                ],
                "next_cursor": "NDk=",
                "has_more": True,
            },
            "meta": _SEED_META,
        },
    ),
    "GetCustomer": Example(
        summary="Seed 000: one customer in full",
        parameters={"id": 5578},
        response={
            "data": {
                "id": 5578,
                "first_name": "John",
                "last_name": "Doe",
                "phone": "0555000000",
                "email": "john@example.com",
                "wilaya_id": 16,
                "commune": "Bab Ezzouar",
                "address": "12 Rue X",
                "notes": "Prefers afternoon delivery",
                "total_orders": 3,
                "total_spent": 4500,
                "fraud_score": 10,
                "is_banned": False,
                "created_at": "2026-03-17 15:18:13",
                "updated_at": "2026-04-15 12:01:08",
                "last_order_at": "2026-04-15 12:01:08",
                "archived_at": None,
                "erased_at": None,
                "tags": [],
                "accepts_marketing": False,
                "gender": None,
                "birth_date": None,
                "locale": None,
                "dial_code": 213,
                "metadata": {},
                "loyalty_balance": 0,
                "is_loyalty_enabled": True,
                "is_house_account_enabled": False,
                "house_account_limit": None,
                "house_account_balance": 0,
            },
            "meta": _SEED_META,
        },
    ),
    "ListCustomerOrders": Example(
        summary="Seed 000: a customer's orders, ten at a time",
        parameters={"id": 5578, "limit": 10},
        response={
            "data": {
                "items": [
                    {
                        "id": 6894,
                        "order_number": "ORD-13-20260317-AD3C",
                        "status": "confirmed",
                        "payment_status": "pending",
                        "payment_method": "cod",
                        "total": 1000,
                        "customer_id": 5578,
                        "customer_name": "John Doe",
                        "customer_phone": "0555000000",
                        "wilaya_id": 16,
                        "commune": "Bab Ezzouar",
                        "delivery_type": "home",
                        "created_at": "2026-03-17 15:18:13",
                    }
                ],
                "next_cursor": None,
                "has_more": False,
            },
            "meta": _SEED_META,
        },
    ),
    # The tracking bodies (the v1 post names the endpoints but shows no body).
    "TrackSignup": Example(
        summary="A signup from a campaign's landing page",
        body={"email": "amina@example.com", "name": "Amina", "source": "landing_page", "campaign": "spring-sale"},
    ),
    "TrackEvents": Example(
        summary="One page view",
        body={"event": "page_view", "properties": {"path": "/products/cotton-t-shirt"}},
    ),
}
