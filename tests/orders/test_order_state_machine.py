"""A stateful property test of checkout and the order status machine, against a pure-Python model.

Hypothesis drives random orders (three products: two tracked with little stock, one untracked; three phones in
different spellings) and random status and payment changes, valid and not, through the domain functions on a real
database, one committed transaction per step. After every step the database must agree with the model: customer
totals are the aggregates of their non-cancelled orders, stock is the initial stock less what non-cancelled orders
hold, every order's history is an unbroken chain ending at its current status, and the outbox holds exactly the
events of the steps that happened.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Order, OrderItem, OrderStatusChange, OutboxEvent, Product
from db.session import begin_write
from storegraph.platform.errors import ApiError, InsufficientStock, InvalidStatusTransition, ValidationFailed
from storegraph.rules.orders.checkout import CheckoutCustomer, CheckoutLine, CheckoutRequest, place_order
from storegraph.rules.orders.status import StatusChangeRequest, change_order_status
from storegraph.rules.statuses import DeliveryType, OrderStatus, PaymentStatus
from tests.support.factories import create_key, create_product, create_store
from tests.support.machines import DatabaseMachine

T = TypeVar("T")

# The model's own copy of the documented machine (contract §4), deliberately not imported from the app.
STATUS_STEPS = {
    "pending": {"confirmed", "cancelled"},
    "confirmed": {"shipped", "cancelled"},
    "shipped": {"delivered"},
    "delivered": set(),
    "cancelled": set(),
}
PAYMENT_STEPS = {"pending": {"paid", "failed"}, "failed": {"paid"}, "paid": {"refunded"}, "refunded": set()}
# The same steps as lists, forward first.
STATUS_FORWARD = {
    "pending": ["confirmed", "cancelled"],
    "confirmed": ["shipped", "cancelled"],
    "shipped": ["delivered"],
    "delivered": [],
    "cancelled": [],
}
PAYMENT_FORWARD = {"pending": ["paid", "failed"], "failed": ["paid"], "paid": ["refunded"], "refunded": []}
assert {k: set(v) for k, v in STATUS_FORWARD.items()} == STATUS_STEPS
assert {k: set(v) for k, v in PAYMENT_FORWARD.items()} == PAYMENT_STEPS
FEES = {"home": 400, "desk": 250}
# (price, tracked, initial stock, low-stock alert)
CATALOGUE = [(1200, True, 20, 6), (2500, True, 5, 2), (700, False, 0, 5)]
# Three customers, each written in a different way; the model knows their normalised form.
PHONES = [("0555 12 34 56", "0555123456"), ("+213661000111", "0661000111"), ("0770-20-30-40", "0770203040")]
ORDER_NUMBER = re.compile(r"^ORD-(\d+)-(\d{8})-[0-9A-F]{4}$")


@dataclass
class ModelProduct:
    id: int
    price: int
    tracked: bool
    initial: int
    alert: int


@dataclass
class ModelOrder:
    id: int
    customer_id: int
    total: int
    created_at: datetime
    lines: dict[int, int]
    status: str = "pending"
    payment: str = "pending"
    history: dict[str, list[tuple[str | None, str]]] = field(
        default_factory=lambda: {"status": [(None, "pending")], "payment_status": []}
    )


class CheckoutMachine(DatabaseMachine):
    def __init__(self) -> None:
        super().__init__()
        self.products: list[ModelProduct] = []
        self.orders: dict[int, ModelOrder] = {}
        self.customers: dict[str, int] = {}  # normalised phone → id
        self.fraud: dict[int, int] = {}  # customer id → score as of its last refresh
        self.order_events: list[tuple[str, int, str]] = []  # (event, order id, status in the body)
        self.stock_low_events: list[tuple[int, int]] = []  # (product id, stock in the body)
        self.last_state: dict[str, list[Any]] | None = None  # the database after the previous step
        self.expect_unchanged = False  # the step failed as expected: the database must be as it was
        self.run(self._arrange())

    # -- plumbing ---------------------------------------------------------------------------------------------

    async def _arrange(self) -> None:
        async with self.sessionmaker() as session:
            store = await create_store(session, name=f"Machine {secrets.token_hex(4)}")
            store.settings = {"delivery_fees": FEES}
            key = await create_key(session, store)
            for price, tracked, stock, alert in CATALOGUE:
                product = await create_product(session, store, price=price)
                product.track_stock, product.stock_quantity, product.low_stock_alert = tracked, stock, alert
                self.products.append(ModelProduct(product.id, price, tracked, stock, alert))
            await session.commit()
        self.store_id, self.key_id = store.id, key.id

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T | ApiError:
        """One committed transaction, begun as the app begins its writes; an expected error rolls it back."""
        async with self.sessionmaker() as session:
            await begin_write(session)
            try:
                result = await work(session)
            except ApiError as error:
                await session.rollback()
                return error
            await session.commit()
            return result

    async def _state(self) -> dict[str, list[Any]]:
        """Every row of the run's store that checkout or a status change can write, as committed."""
        async with self.sessionmaker() as session:

            async def rows(model: Any, *where: Any) -> list[Any]:
                stmt = select(*model.__table__.columns).where(*where).order_by(model.id)
                return list((await session.execute(stmt)).all())

            mine = select(Order.id).where(Order.store_id == self.store_id)
            return {
                "orders": await rows(Order, Order.store_id == self.store_id),
                "items": await rows(OrderItem, OrderItem.order_id.in_(mine)),
                "history": await rows(OrderStatusChange, OrderStatusChange.order_id.in_(mine)),
                "events": await rows(OutboxEvent, OutboxEvent.store_id == self.store_id),
                "customers": await rows(Customer, Customer.store_id == self.store_id),
                "products": await rows(Product, Product.store_id == self.store_id),
            }

    # -- the model --------------------------------------------------------------------------------------------

    def _stock(self, product: ModelProduct) -> int:
        if not product.tracked:
            return product.initial
        held = sum(o.lines.get(product.id, 0) for o in self.orders.values() if o.status != "cancelled")
        return product.initial - held

    def _customer_orders(self, customer_id: int) -> list[ModelOrder]:
        return [o for o in self.orders.values() if o.customer_id == customer_id]

    def _refresh_fraud(self, customer_id: int) -> None:
        """storegraph/rules/customers/fraud.py's documented points; every order of a run is within the 24-hour
        window."""
        orders = self._customer_orders(customer_id)
        cancelled = sum(o.status == "cancelled" for o in orders)
        failed = sum(o.payment == "failed" for o in orders)
        score = min(45, 15 * cancelled) + min(40, 20 * failed) + min(30, 10 * max(0, len(orders) - 2))
        self.fraud[customer_id] = min(100, score)

    # -- rules ------------------------------------------------------------------------------------------------

    @rule(
        lines=st.lists(st.tuples(st.integers(0, len(CATALOGUE) - 1), st.integers(1, 4)), min_size=1, max_size=3),
        phone=st.integers(0, len(PHONES) - 1),
        desk=st.booleans(),
    )
    def place(self, lines: list[tuple[int, int]], phone: int, desk: bool) -> None:
        """An order of one to three lines; two lines of one product count as one, named by its first line."""
        raw_phone, normalised = PHONES[phone]
        merged: dict[int, int] = {}
        first_line: dict[int, int] = {}
        for position, (index, quantity) in enumerate(lines):
            merged[index] = merged.get(index, 0) + quantity
            first_line.setdefault(index, position)
        chosen = [(self.products[index], quantity) for index, quantity in merged.items()]
        # Stock is taken product by product in id order (the lock order), so the first short product by id is
        # the one reported, named by its first line.
        by_id = sorted(merged.items(), key=lambda item: self.products[item[0]].id)
        short = next(
            (first_line[i] for i, q in by_id if self.products[i].tracked and self._stock(self.products[i]) < q),
            None,
        )
        request = CheckoutRequest(
            lines=[CheckoutLine(product_id=str(self.products[i].id), quantity=q) for i, q in lines],
            customer=CheckoutCustomer(first_name=f"Buyer {phone}", phone=raw_phone, wilaya_id=16 + phone),
            delivery_type=DeliveryType.DESK if desk else DeliveryType.HOME,
        )

        async def work(session: AsyncSession) -> tuple[int, int, int, str, datetime]:
            order = await place_order(session, self.store_id, request, self.key_id)
            assert order.customer_id is not None
            return order.id, order.customer_id, order.total, order.order_number, order.created_at

        result = self.run(self._transaction(work))

        if short is not None:
            assert isinstance(result, InsufficientStock), result
            assert result.field == f"lines[{short}].quantity"
            event("place: insufficient stock")
            self.expect_unchanged = True
            return
        assert not isinstance(result, ApiError), result
        order_id, customer_id, total, number, created_at = result
        assert total == sum(p.price * q for p, q in chosen) + FEES["desk" if desk else "home"]
        match = ORDER_NUMBER.match(number)
        assert match is not None
        assert (int(match.group(1)), match.group(2)) == (self.store_id, f"{created_at:%Y%m%d}")
        event("place: placed")
        assert self.customers.setdefault(normalised, customer_id) == customer_id
        for p, q in sorted(chosen, key=lambda line: line[0].id):
            stock = self._stock(p)
            if p.tracked and stock > p.alert >= stock - q:
                self.stock_low_events.append((p.id, stock - q))
        self.orders[order_id] = ModelOrder(order_id, customer_id, total, created_at, {p.id: q for p, q in chosen})
        self.order_events.append(("order.created", order_id, "pending"))
        self._refresh_fraud(customer_id)

    @precondition(lambda self: bool(self.orders))
    @rule(
        pick=st.integers(0, 1_000),
        status=st.sampled_from([None, *OrderStatus]),
        payment=st.sampled_from([None, *PaymentStatus]),
        note=st.none() | st.just("by the machine"),
    )
    def change(self, pick: int, status: OrderStatus | None, payment: PaymentStatus | None, note: str | None) -> None:
        """Any request, valid or not, for any order."""
        self._change(list(self.orders.values())[pick % len(self.orders)], status, payment, note)

    @precondition(lambda self: any(STATUS_STEPS[o.status] or PAYMENT_STEPS[o.payment] for o in self.orders.values()))
    @rule(
        pick=st.integers(0, 2),
        which=st.integers(0, 3),
        fields=st.sampled_from(["status", "status", "payment", "both"]),
    )
    def advance(self, pick: int, which: int, fields: str) -> None:
        """A valid step for one of the latest orders that can still move, mostly forward, so that runs reach the
        machine's later states (shipped, delivered, refunded) and build long histories."""
        movable = [o for o in self.orders.values() if STATUS_STEPS[o.status] or PAYMENT_STEPS[o.payment]]
        order = movable[-1 - pick % len(movable)]
        statuses, payments = STATUS_FORWARD[order.status], PAYMENT_FORWARD[order.payment]
        if not statuses or (fields == "payment" and payments):
            statuses = []
        elif not payments or fields == "status":
            payments = []
        # Options are listed forward first; the last one (cancelled, failed) is drawn one time in four.
        status = OrderStatus(statuses[min(which // 3, len(statuses) - 1)]) if statuses else None
        payment = PaymentStatus(payments[min(which // 3, len(payments) - 1)]) if payments else None
        self._change(order, status, payment, None)

    def _change(
        self, order: ModelOrder, status: OrderStatus | None, payment: PaymentStatus | None, note: str | None
    ) -> None:
        expected_error: tuple[type[ApiError], str] | None = None
        if status is None and payment is None:
            expected_error = (ValidationFailed, "status")
        elif status is not None and status.value not in STATUS_STEPS[order.status]:
            expected_error = (InvalidStatusTransition, "status")
        elif payment is not None and payment.value not in PAYMENT_STEPS[order.payment]:
            expected_error = (InvalidStatusTransition, "paymentStatus")
        request = StatusChangeRequest(status=status, payment_status=payment, note=note)

        async def work(session: AsyncSession) -> tuple[str, str]:
            changed = await change_order_status(session, self.store_id, order.id, request, self.key_id)
            return changed.order.status, changed.order.payment_status

        result = self.run(self._transaction(work))

        if expected_error is not None:
            kind, field_name = expected_error
            assert isinstance(result, kind), result
            if isinstance(result, InvalidStatusTransition):
                assert result.field == field_name
            else:
                assert [detail.field for detail in result.details] == [field_name]
            event(f"change: refused ({kind.__name__})")
            self.expect_unchanged = True
            return
        assert not isinstance(result, ApiError), result
        if payment is not None:
            order.history["payment_status"].append((order.payment, payment.value))
            order.payment = payment.value
        if status is not None:
            order.history["status"].append((order.status, status.value))
            order.status = status.value
            self.order_events.append((f"order.{status.value}", order.id, status.value))
        assert result == (order.status, order.payment)
        event(f"change: applied (status {status and status.value}, payment {payment and payment.value})")
        if status is OrderStatus.CANCELLED or payment is PaymentStatus.FAILED:
            self._refresh_fraud(order.customer_id)

    # -- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        state = self.run(self._state())
        if self.expect_unchanged:
            assert state == self.last_state
        self.last_state, self.expect_unchanged = state, False
        self._check(state)

    def _check(self, state: dict[str, list[Any]]) -> None:
        orders = {row.id: row for row in state["orders"]}

        # Orders and their lines are the model's; prices are the catalogue's.
        assert {
            order_id: (row.customer_id, row.status, row.payment_status, row.total) for order_id, row in orders.items()
        } == {o.id: (o.customer_id, o.status, o.payment, o.total) for o in self.orders.values()}
        prices = {p.id: p.price for p in self.products}
        lines: dict[int, dict[int, tuple[int, int, int]]] = {}
        for item in state["items"]:
            lines.setdefault(item.order_id, {})[item.product_id] = (item.unit_price, item.quantity, item.total)
        assert lines == {
            o.id: {pid: (prices[pid], q, prices[pid] * q) for pid, q in o.lines.items()} for o in self.orders.values()
        }

        # Customer totals are the aggregates of their non-cancelled orders, in the database and in the model.
        customers = state["customers"]
        assert {row.phone: row.id for row in customers} == self.customers
        for row in customers:
            counted = [o for o in orders.values() if o.customer_id == row.id and o.status != "cancelled"]
            expected = (len(counted), sum(o.total for o in counted), max((o.created_at for o in counted), default=None))
            assert (row.total_orders, row.total_spent, row.last_order_at) == expected, row
            modelled = [o for o in self._customer_orders(row.id) if o.status != "cancelled"]
            assert expected == (
                len(modelled),
                sum(o.total for o in modelled),
                max((o.created_at for o in modelled), default=None),
            )
            assert row.fraud_score == self.fraud[row.id]

        # Stock: the initial stock less what the non-cancelled orders hold, never negative; untracked never moves.
        stock = {row.id: row.stock_quantity for row in state["products"]}
        for product in self.products:
            assert stock[product.id] == self._stock(product)
            assert stock[product.id] >= 0

        # History: one unbroken chain per field, from the first step to the order's current value.
        chains: dict[tuple[int, str], list[tuple[str | None, str]]] = {}
        for step in state["history"]:
            assert step.actor_key_id == self.key_id
            chains.setdefault((step.order_id, step.field), []).append((step.from_status, step.to_status))
        for order in self.orders.values():
            for name, current, first in (("status", order.status, None), ("payment_status", order.payment, "pending")):
                chain = chains.get((order.id, name), [])
                assert chain == order.history[name]
                if chain:
                    assert chain[0][0] == first
                    assert all(chain[n][0] == chain[n - 1][1] for n in range(1, len(chain)))
                    assert chain[-1][1] == current
                else:
                    assert current == "pending"

        # The outbox: exactly the events of the steps that happened, in order.
        events = [(row.event, row.payload) for row in state["events"]]
        assert [(name, body["id"], body["status"]) for name, body in events if name.startswith("order.")] == (
            self.order_events
        )
        assert [(body["id"], body["stock_quantity"]) for name, body in events if name == "product.stock_low"] == (
            self.stock_low_events
        )
        assert {name for name, _ in events} <= {
            "order.created",
            "order.confirmed",
            "order.shipped",
            "order.delivered",
            "order.cancelled",
            "product.stock_low",
        }


def test_orders_and_statuses_keep_the_database_consistent(database_url: str) -> None:
    """Synchronous on purpose: the machine runs its own event loop, which cannot nest in pytest-asyncio's."""

    class Machine(CheckoutMachine):
        pass

    Machine.database_url = database_url
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
