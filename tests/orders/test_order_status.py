"""updateOrderStatus (contract §4): the status and payment machines, history, outbox events, stock and customer
totals on cancellation, all-or-nothing requests, tenancy, scopes and the fraud score."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import product as pairs
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Customer, Order, OrderStatusChange, OutboxEvent, Product
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from storegraph.platform.timestamps import utcnow
from storegraph.rules.customers.fraud import fraud_score
from storegraph.rules.orders.status import PAYMENT_STEPS, STATUS_STEPS
from storegraph.rules.statuses import OrderStatus, PaymentStatus
from tests.support.factories import create_customer, create_key, create_order, create_product, create_store
from tests.support.mutation_helpers import assert_insufficient_scope, result_of, snapshot, succeeded, user_errors

PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id total createdAt }
    customer { id totalOrders totalSpent fraudScore }
    userErrors { field code message }
  }
}
"""
UPDATE = """
mutation($input: UpdateOrderStatusInput!) {
  updateOrderStatus(input: $input) {
    order {
      id status paymentStatus
      statusHistory { field fromStatus toStatus note actorKeyId }
      customer { totalOrders totalSpent fraudScore }
    }
    userErrors { field code message }
  }
}
"""

ALLOWED_STATUS = [
    ("pending", "confirmed"),
    ("confirmed", "shipped"),
    ("shipped", "delivered"),
    ("pending", "cancelled"),
    ("confirmed", "cancelled"),
]
ALLOWED_PAYMENT = [("pending", "paid"), ("pending", "failed"), ("failed", "paid"), ("paid", "refunded")]
# How to reach each state from a new order, through allowed steps only.
STATUS_PATH = {
    "pending": [],
    "confirmed": ["confirmed"],
    "shipped": ["confirmed", "shipped"],
    "delivered": ["confirmed", "shipped", "delivered"],
    "cancelled": ["cancelled"],
}
PAYMENT_PATH = {"pending": [], "paid": ["paid"], "failed": ["failed"], "refunded": ["paid", "refunded"]}
STATUS_EVENT = {
    "confirmed": "order.confirmed",
    "shipped": "order.shipped",
    "delivered": "order.delivered",
    "cancelled": "order.cancelled",
}
DISALLOWED_STATUS = [(a, b) for a, b in pairs([s.value for s in OrderStatus], repeat=2) if (a, b) not in ALLOWED_STATUS]
DISALLOWED_PAYMENT = [
    (a, b) for a, b in pairs([s.value for s in PaymentStatus], repeat=2) if (a, b) not in ALLOWED_PAYMENT
]


def test_the_tables_are_the_documented_machine():
    assert {(a.value, b.value) for a, steps in STATUS_STEPS.items() for b in steps} == set(ALLOWED_STATUS)
    assert {(a.value, b.value) for a, steps in PAYMENT_STEPS.items() for b in steps} == set(ALLOWED_PAYMENT)
    assert len(DISALLOWED_STATUS) == 20
    assert len(DISALLOWED_PAYMENT) == 12


async def place(gql, key, lines: list[tuple[Product, int]], phone: str = "0555 20 30 40") -> dict[str, Any]:
    variables = {
        "input": {
            "lines": [{"productId": str(product.id), "quantity": quantity} for product, quantity in lines],
            "customer": {"firstName": "Sara", "lastName": "Mansouri", "phone": phone, "wilayaId": 31},
        }
    }
    return succeeded(await gql.query(PLACE, variables, headers=key.headers), "placeOrder")


async def update(
    gql, key, order_id: int | str, *, status: str | None = None, payment: str | None = None, note: str | None = None
) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": str(order_id), "note": note}
    if status is not None:
        fields["status"] = status.upper()
    if payment is not None:
        fields["paymentStatus"] = payment.upper()
    return await gql.query(UPDATE, {"input": fields}, headers=key.headers)


async def walk(gql, key, order_id: int, *, statuses: Sequence[str] = (), payments: Sequence[str] = ()) -> None:
    for status in statuses:
        succeeded(await update(gql, key, order_id, status=status), "updateOrderStatus")
    for payment in payments:
        succeeded(await update(gql, key, order_id, payment=payment), "updateOrderStatus")


async def database_state(sessionmaker, store_id: int) -> dict[str, Any]:
    """Every row a status change can touch in one store, as committed."""
    async with sessionmaker() as session:

        async def rows(model: Any, *where: Any) -> list[tuple[Any, ...]]:
            stmt = select(*model.__table__.columns).where(*where).order_by(model.id)
            return [tuple(row) for row in (await session.execute(stmt)).all()]

        store_orders = select(Order.id).where(Order.store_id == store_id)
        return {
            "orders": await rows(Order, Order.store_id == store_id),
            "history": await rows(OrderStatusChange, OrderStatusChange.order_id.in_(store_orders)),
            "events": await rows(OutboxEvent, OutboxEvent.store_id == store_id),
            "customers": await rows(Customer, Customer.store_id == store_id),
            "products": await rows(Product, Product.store_id == store_id),
        }


async def events(sessionmaker, store_id: int) -> list[tuple[str, dict[str, Any]]]:
    async with sessionmaker() as session:
        stmt = select(OutboxEvent.event, OutboxEvent.payload).where(OutboxEvent.store_id == store_id)
        return [tuple(row) for row in (await session.execute(stmt.order_by(OutboxEvent.id))).all()]


@pytest.fixture
async def shop(session):
    """A store with a home delivery fee, two keys, a tracked and an untracked product."""
    store = await create_store(session)
    store.settings = {"delivery_fees": {"home": 400}}
    key = await create_key(session, store)
    manager = await create_key(session, store)
    tracked = await create_product(session, store, name="Tracked", price=2000)
    tracked.stock_quantity = 20
    untracked = await create_product(session, store, name="Untracked", price=500)
    untracked.track_stock, untracked.stock_quantity = False, 0
    await session.commit()
    return store, key, manager, tracked, untracked


@pytest.mark.parametrize(("before", "after"), ALLOWED_STATUS, ids=[f"{a}-{b}" for a, b in ALLOWED_STATUS])
async def test_allowed_status_steps(gql, sessionmaker, shop, before, after):
    store, key, manager, tracked, untracked = shop
    order_id = int((await place(gql, key, [(tracked, 2), (untracked, 1)]))["order"]["id"])
    await walk(gql, key, order_id, statuses=STATUS_PATH[before])
    earlier = await events(sessionmaker, store.id)

    data = succeeded(
        await update(gql, manager, order_id, status=after, note="  called the buyer "), "updateOrderStatus"
    )

    order = data["order"]
    assert (order["status"], order["paymentStatus"]) == (after.upper(), "PENDING")
    assert len(order["statusHistory"]) == len(STATUS_PATH[before]) + 2
    assert order["statusHistory"][-1] == {
        "field": "status",
        "fromStatus": before,
        "toStatus": after,
        "note": "called the buyer",
        "actorKeyId": str(manager.id),
    }
    new = (await events(sessionmaker, store.id))[len(earlier) :]
    assert [name for name, _ in new] == [STATUS_EVENT[after]]
    payload = new[0][1]
    assert (payload["id"], payload["status"], payload["payment_status"]) == (order_id, after, "pending")
    assert [(item["product_id"], item["quantity"]) for item in payload["items"]] == [(tracked.id, 2), (untracked.id, 1)]
    row = await snapshot(sessionmaker, Order, order_id)
    assert row["status"] == after
    assert payload["updated_at"] == row["updated_at"].strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(("before", "after"), ALLOWED_PAYMENT, ids=[f"{a}-{b}" for a, b in ALLOWED_PAYMENT])
async def test_allowed_payment_steps_record_history_without_events(gql, sessionmaker, shop, before, after):
    store, key, manager, tracked, _ = shop
    order_id = int((await place(gql, key, [(tracked, 1)]))["order"]["id"])
    await walk(gql, key, order_id, payments=PAYMENT_PATH[before])
    earlier = await events(sessionmaker, store.id)

    data = succeeded(await update(gql, manager, order_id, payment=after, note="courier"), "updateOrderStatus")

    order = data["order"]
    assert (order["status"], order["paymentStatus"]) == ("PENDING", after.upper())
    assert order["statusHistory"][-1] == {
        "field": "payment_status",
        "fromStatus": before,
        "toStatus": after,
        "note": "courier",
        "actorKeyId": str(manager.id),
    }
    assert await events(sessionmaker, store.id) == earlier
    assert (await snapshot(sessionmaker, Order, order_id))["payment_status"] == after


@pytest.mark.parametrize(("before", "after"), DISALLOWED_STATUS, ids=[f"{a}-{b}" for a, b in DISALLOWED_STATUS])
async def test_disallowed_status_steps_change_nothing(gql, session, sessionmaker, shop, before, after):
    store, key, _, tracked, _ = shop
    customer = await create_customer(session, store, total_orders=1, total_spent=2400)
    order = await create_order(session, store, customer, [(tracked, 1)], status=before)
    await session.commit()
    state = await database_state(sessionmaker, store.id)

    payload = await update(gql, key, order.id, status=after)

    assert user_errors(payload, "updateOrderStatus") == [("status", "invalid_status_transition")]
    assert result_of(payload, "updateOrderStatus")["order"] is None
    assert await database_state(sessionmaker, store.id) == state


@pytest.mark.parametrize(("before", "after"), DISALLOWED_PAYMENT, ids=[f"{a}-{b}" for a, b in DISALLOWED_PAYMENT])
async def test_disallowed_payment_steps_change_nothing(gql, session, sessionmaker, shop, before, after):
    store, key, _, tracked, _ = shop
    customer = await create_customer(session, store, total_orders=1, total_spent=2400)
    order = await create_order(session, store, customer, [(tracked, 1)])
    order.payment_status = before
    await session.commit()
    state = await database_state(sessionmaker, store.id)

    payload = await update(gql, key, order.id, payment=after)

    assert user_errors(payload, "updateOrderStatus") == [("paymentStatus", "invalid_status_transition")]
    assert await database_state(sessionmaker, store.id) == state


@pytest.mark.parametrize(
    ("status", "payment", "field"),
    [("confirmed", "refunded", "paymentStatus"), ("delivered", "paid", "status"), ("shipped", "refunded", "status")],
)
async def test_status_and_payment_together_are_all_or_nothing(gql, sessionmaker, shop, status, payment, field):
    store, key, _, tracked, _ = shop
    order_id = int((await place(gql, key, [(tracked, 3)]))["order"]["id"])
    state = await database_state(sessionmaker, store.id)

    payload = await update(gql, key, order_id, status=status, payment=payment)

    assert user_errors(payload, "updateOrderStatus") == [(field, "invalid_status_transition")]
    assert await database_state(sessionmaker, store.id) == state


async def test_status_and_payment_together_both_apply(gql, sessionmaker, shop):
    store, key, _, tracked, _ = shop
    order_id = int((await place(gql, key, [(tracked, 1)]))["order"]["id"])

    data = succeeded(await update(gql, key, order_id, status="confirmed", payment="paid"), "updateOrderStatus")

    assert (data["order"]["status"], data["order"]["paymentStatus"]) == ("CONFIRMED", "PAID")
    assert [(step["field"], step["fromStatus"], step["toStatus"]) for step in data["order"]["statusHistory"]] == [
        ("status", None, "pending"),
        ("payment_status", "pending", "paid"),
        ("status", "pending", "confirmed"),
    ]
    assert [name for name, _ in await events(sessionmaker, store.id)] == ["order.created", "order.confirmed"]


async def test_a_request_without_a_status_is_a_validation_error(gql, sessionmaker, shop):
    store, key, _, tracked, _ = shop
    order_id = int((await place(gql, key, [(tracked, 1)]))["order"]["id"])
    state = await database_state(sessionmaker, store.id)

    payload = await update(gql, key, order_id, note="nothing")

    assert user_errors(payload, "updateOrderStatus") == [("status", "blank")]
    assert await database_state(sessionmaker, store.id) == state


async def test_cancelling_returns_stock_and_takes_the_order_out_of_the_totals(gql, sessionmaker, shop):
    _store, key, _, tracked, untracked = shop
    first = await place(gql, key, [(tracked, 3), (untracked, 2)])
    second = await place(gql, key, [(tracked, 1)], phone="+213555203040")
    customer_id = int(first["customer"]["id"])
    first_id, second_id = int(first["order"]["id"]), int(second["order"]["id"])
    first_total, second_total = first["order"]["total"], second["order"]["total"]
    assert (first_total, second_total) == (3 * 2000 + 2 * 500 + 400, 2000 + 400)
    assert second["customer"]["totalOrders"] == 2
    assert (await snapshot(sessionmaker, Product, tracked.id))["stock_quantity"] == 16
    first_created = (await snapshot(sessionmaker, Order, first_id))["created_at"]
    second_created = (await snapshot(sessionmaker, Order, second_id))["created_at"]
    assert (await snapshot(sessionmaker, Customer, customer_id))["last_order_at"] == second_created

    # Cancelling the latest order: the totals and the last order date fall back to the first order.
    data = succeeded(await update(gql, key, second_id, status="cancelled"), "updateOrderStatus")
    assert data["order"]["customer"]["totalOrders"] == 1
    customer = await snapshot(sessionmaker, Customer, customer_id)
    assert (customer["total_orders"], customer["total_spent"]) == (1, first_total)
    assert customer["last_order_at"] == first_created
    assert (await snapshot(sessionmaker, Product, tracked.id))["stock_quantity"] == 17

    # A confirmed order can be cancelled too; untracked stock never moves.
    await walk(gql, key, first_id, statuses=["confirmed", "cancelled"])
    customer = await snapshot(sessionmaker, Customer, customer_id)
    assert (customer["total_orders"], customer["total_spent"], customer["last_order_at"]) == (0, 0, None)
    assert (await snapshot(sessionmaker, Product, tracked.id))["stock_quantity"] == 20
    assert (await snapshot(sessionmaker, Product, untracked.id))["stock_quantity"] == 0

    # Cancelled orders stay out: a new order counts from zero.
    third = await place(gql, key, [(untracked, 1)])
    assert (third["customer"]["totalOrders"], third["customer"]["totalSpent"]) == (1, 900)
    customer = await snapshot(sessionmaker, Customer, customer_id)
    assert customer["last_order_at"] == (await snapshot(sessionmaker, Order, int(third["order"]["id"])))["created_at"]


async def test_cancelling_an_older_order_keeps_the_latest_order_date(gql, sessionmaker, shop):
    _store, key, _, tracked, _ = shop
    first = await place(gql, key, [(tracked, 1)])
    second = await place(gql, key, [(tracked, 2)])
    customer_id = int(first["customer"]["id"])

    succeeded(await update(gql, key, first["order"]["id"], status="cancelled"), "updateOrderStatus")

    customer = await snapshot(sessionmaker, Customer, customer_id)
    assert (customer["total_orders"], customer["total_spent"]) == (1, second["order"]["total"])
    assert customer["last_order_at"] == (await snapshot(sessionmaker, Order, int(second["order"]["id"])))["created_at"]


async def test_payment_changes_do_not_touch_totals_or_stock(gql, sessionmaker, shop):
    _store, key, _, tracked, _ = shop
    placed = await place(gql, key, [(tracked, 2)])
    order_id = int(placed["order"]["id"])
    customer_id = int(placed["customer"]["id"])

    await walk(gql, key, order_id, payments=["failed", "paid", "refunded"])

    customer = await snapshot(sessionmaker, Customer, customer_id)
    assert (customer["total_orders"], customer["total_spent"]) == (1, placed["order"]["total"])
    assert (await snapshot(sessionmaker, Product, tracked.id))["stock_quantity"] == 18


@pytest.mark.parametrize("which", ["other_store", "unknown"])
async def test_an_order_of_another_store_is_not_found(gql, session, sessionmaker, shop, which):
    store, key, _, _, _ = shop
    if which == "unknown":
        order_id = 2**62
        watched = store.id
    else:
        other = await create_store(session)
        product = await create_product(session, other)
        customer = await create_customer(session, other)
        order_id = (await create_order(session, other, customer, [(product, 1)])).id
        watched = other.id
        await session.commit()
    state = await database_state(sessionmaker, watched)

    payload = await update(gql, key, order_id, status="confirmed")

    assert user_errors(payload, "updateOrderStatus") == [("id", "not_found")]
    assert await database_state(sessionmaker, watched) == state


async def test_a_malformed_id_is_a_user_error(gql, shop):
    _store, key, _, _, _ = shop

    payload = await update(gql, key, "abc", status="confirmed")

    assert user_errors(payload, "updateOrderStatus") == [("id", "invalid")]


async def test_a_key_without_orders_write_cannot_change_a_status(gql, session, sessionmaker, shop):
    store, key, _, tracked, _ = shop
    order_id = int((await place(gql, key, [(tracked, 1)]))["order"]["id"])
    reader = await create_key(session, store, scopes=tuple(s for s in ALL_SCOPES if s is not Scope.ORDERS_WRITE))
    await session.commit()
    state = await database_state(sessionmaker, store.id)

    payload = await update(gql, reader, order_id, status="confirmed")

    assert_insufficient_scope(payload, "updateOrderStatus", "orders:write")
    assert await database_state(sessionmaker, store.id) == state


async def test_fraud_score_rises_with_cancellations_refusals_and_velocity(gql, session, sessionmaker, shop):
    store, key, _, tracked, _ = shop
    # Five orders placed three days ago: outside the 24-hour velocity window.
    old = utcnow() - timedelta(days=3)
    customer = await create_customer(session, store, phone="0770123456", total_orders=5, total_spent=5 * 2400)
    orders = [await create_order(session, store, customer, [(tracked, 1)], created_at=old) for _ in range(5)]
    await session.commit()

    async def score() -> int:
        return int((await snapshot(sessionmaker, Customer, customer.id))["fraud_score"])

    scores = []
    for order in orders[:4]:  # cancellations: 15 each, at most 45
        await walk(gql, key, order.id, statuses=["cancelled"])
        scores.append(await score())
    assert scores == [15, 30, 45, 45]

    scores = []
    for order in orders[4:] + orders[:2]:  # refused deliveries: 20 each, at most 40
        await walk(gql, key, order.id, payments=["failed"])
        scores.append(await score())
    assert scores == [65, 85, 85]

    customer_totals = await snapshot(sessionmaker, Customer, customer.id)
    assert (customer_totals["total_orders"], customer_totals["total_spent"]) == (1, 2400)

    # Velocity: orders in the last 24 hours beyond the second, 10 each; the whole score is capped at 100.
    scores = [
        (await place(gql, key, [(tracked, 1)], phone="0770 12 34 56"))["customer"]["fraudScore"] for _ in range(4)
    ]
    assert scores == [85, 85, 95, 100]


async def test_fraud_score_counts_other_customers_on_the_same_device(gql, shop):
    _store, key, _, tracked, _ = shop
    variables: dict[str, Any] = {
        "input": {
            "lines": [{"productId": str(tracked.id), "quantity": 1}],
            "customer": {"firstName": "A", "phone": "", "wilayaId": 16, "deviceFingerprint": "device-42"},
        }
    }
    scores = []
    for phone in ("0550000001", "0550000002", "0550000003"):
        variables["input"]["customer"]["phone"] = phone
        scores.append(succeeded(await gql.query(PLACE, variables, headers=key.headers), "placeOrder"))

    assert [data["customer"]["fraudScore"] for data in scores] == [0, 10, 20]


def test_the_heuristic_is_capped_per_signal_and_overall():
    from storegraph.rules.customers.fraud import FraudSignals

    assert fraud_score(FraudSignals(0, 0, 0, 2)) == 0
    assert fraud_score(FraudSignals(1, 1, 1, 3)) == 15 + 20 + 10 + 10
    assert fraud_score(FraudSignals(9, 9, 9, 9)) == 100
    assert fraud_score(FraudSignals(9, 0, 0, 0)) == 45
    assert fraud_score(FraudSignals(0, 9, 0, 0)) == 40
    assert fraud_score(FraudSignals(0, 0, 9, 0)) == 30
    assert fraud_score(FraudSignals(0, 0, 0, 99)) == 30


TWO_STEPS = """
mutation($id: ID!) {
  confirm: updateOrderStatus(input: {id: $id, status: CONFIRMED}) { order { customer { totalOrders } } }
  cancel: updateOrderStatus(input: {id: $id, status: CANCELLED}) { order { customer { totalOrders } } }
}
"""


async def test_a_later_mutation_in_one_request_sees_what_an_earlier_one_changed(gql, shop):
    # The request's DataLoaders cached the customer for the first mutation's selection.
    _store, key, _, tracked, _ = shop
    placed = await place(gql, key, [(tracked, 1)])

    result = await gql.query(TWO_STEPS, {"id": placed["order"]["id"]}, headers=key.headers)

    assert "errors" not in result, result
    assert result["data"]["confirm"]["order"]["customer"]["totalOrders"] == 1
    assert result["data"]["cancel"]["order"]["customer"]["totalOrders"] == 0


ORDER_FIELDS = """
  id orderNumber status paymentStatus paymentMethod customerName customerPhone wilayaId deliveryType subtotal
  deliveryFee total createdAt updatedAt items { id productName sku unitPrice quantity total }
  statusHistory { field fromStatus toStatus note actorKeyId }
"""
UPDATE_WHOLE = f"""
mutation($input: UpdateOrderStatusInput!) {{
  updateOrderStatus(input: $input) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code }} }}
}}
"""
READ_WHOLE = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"


@pytest.mark.parametrize("status", ["confirmed", "cancelled"])
async def test_the_changed_order_with_its_items_is_what_a_read_answers(gql, shop, status):
    # The change reads the items once, for its event and its answer alike.
    _store, key, _, tracked, untracked = shop
    placed = await place(gql, key, [(untracked, 3), (tracked, 2)])
    variables = {"input": {"id": placed["order"]["id"], "status": status.upper()}}

    changed = succeeded(await gql.query(UPDATE_WHOLE, variables, headers=key.headers), "updateOrderStatus")
    read = await gql.query(READ_WHOLE, {"id": placed["order"]["id"]}, headers=key.headers)

    assert len(changed["order"]["items"]) == 2
    assert changed["order"] == read["data"]["order"]
