"""How domain objects look outside the API's own responses: in webhook bodies and outbox events.

The DZBuild API v1 documents REST's shape (snake_case, ``YYYY-MM-DD HH:MM:SS`` UTC, integer money), and a webhook
receiver is a REST integration, so events use the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row

from db.models import Order, OrderItem, Product
from db.queries.checkout import WrittenOrderItem
from storegraph.platform.timestamps import rest_timestamp


def order_data(
    order: Order | Row[Any] | SimpleNamespace, items: Sequence[OrderItem | WrittenOrderItem | Row[Any]]
) -> dict[str, Any]:
    return {
        "id": order.id,
        "order_number": order.order_number,
        "status": order.status,
        "payment_status": order.payment_status,
        "payment_method": order.payment_method,
        "customer_id": order.customer_id,
        "customer_name": order.customer_name,
        "customer_phone": order.customer_phone,
        "wilaya_id": order.wilaya_id,
        "commune": order.commune,
        "delivery_type": order.delivery_type,
        "subtotal": order.subtotal,
        "delivery_fee": order.delivery_fee,
        "total": order.total,
        "items": [
            {
                "product_id": item.product_id,
                "product_name": item.product_name,
                "sku": item.sku,
                "unit_price": item.unit_price,
                "quantity": item.quantity,
                "total": item.total,
            }
            for item in items
        ],
        "created_at": rest_timestamp(order.created_at),
        "updated_at": rest_timestamp(order.updated_at),
    }


def stock_low_data(product: Product | Row[Any]) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "sku": product.sku,
        "stock_quantity": product.stock_quantity,
        "low_stock_alert": product.low_stock_alert,
    }
