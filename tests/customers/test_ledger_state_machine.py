"""A stateful property test of the ledgers against a pure-Python model.

Hypothesis drives random loyalty adjustments, loyalty switched off and on, orders paid in cash or on the house
account, confirmations, shipments, deliveries, cancellations and house-account payments, through the domain
functions on a real database, one committed transaction per step. After every step each balance must equal the sum
of its ledger and the model's balance, each ledger row must carry the running balance, loyalty never goes below
zero nor a house account over its limit, and each delivered order earned exactly once (and no other order did).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from db.models import Customer, HouseAccountTransaction, LoyaltyTransaction
from db.session import begin_write
from storegraph.platform.errors import (
    ApiError,
    HouseAccountDisabled,
    HouseAccountLimitExceeded,
    InsufficientBalance,
    LoyaltyDisabled,
    ValidationFailed,
)
from storegraph.rules.customers.editing import CustomerChanges, update_customer
from storegraph.rules.customers.house_account import record_house_account_payment
from storegraph.rules.customers.loyalty import adjust_loyalty_points
from storegraph.rules.orders.checkout import CheckoutCustomer, CheckoutLine, CheckoutRequest, place_order
from storegraph.rules.orders.status import StatusChangeRequest, change_order_status
from storegraph.rules.statuses import OrderStatus, PaymentMethod
from tests.support.factories import create_customer, create_key, create_product, create_store
from tests.support.machines import DatabaseMachine

T = TypeVar("T")

RATE = 3  # loyalty_points_per_100
PRICE = 750
# (house account enabled, limit): a customer with a limit, one without, one with no account.
ACCOUNTS = [(True, 4000), (True, None), (False, None)]
NEXT_STATUS = {"pending": "confirmed", "confirmed": "shipped", "shipped": "delivered"}


@dataclass
class ModelCustomer:
    id: int
    phone: str
    house_enabled: bool
    limit: int | None
    loyalty_enabled: bool = True
    points: int = 0
    owed: int = 0


@dataclass
class ModelOrder:
    id: int
    customer: int  # index in the machine's customers
    total: int
    on_account: bool
    status: str = "pending"
    earned: int = 0


class LedgerMachine(DatabaseMachine):
    def __init__(self) -> None:
        super().__init__()
        self.customers: list[ModelCustomer] = []
        self.orders: list[ModelOrder] = []
        self.run(self._arrange())

    async def _arrange(self) -> None:
        async with self.sessionmaker() as session:
            store = await create_store(session, name=f"Ledgers {secrets.token_hex(4)}")
            store.settings = {"loyalty_points_per_100": RATE}
            key = await create_key(session, store)
            product = await create_product(session, store, price=PRICE)
            product.track_stock = False
            for enabled, limit in ACCOUNTS:
                customer = await create_customer(session, store)
                customer.is_house_account_enabled, customer.house_account_limit = enabled, limit
                self.customers.append(ModelCustomer(customer.id, customer.phone, enabled, limit))
            await session.commit()
        self.store_id, self.key_id, self.product_id = store.id, key.id, product.id

    def _transaction(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        """One committed transaction, begun as the app begins its writes; an expected error rolls it back."""

        async def attempt() -> Any:
            async with self.sessionmaker() as session:
                await begin_write(session)
                try:
                    result = await work(session)
                except ApiError as error:
                    await session.rollback()
                    return error
                await session.commit()
                return result

        return self.run(attempt())

    # -- rules ------------------------------------------------------------------------------------------------

    @rule(who=st.integers(0, len(ACCOUNTS) - 1), delta=st.integers(-400, 400).filter(bool))
    def adjust(self, who: int, delta: int) -> None:
        customer = self.customers[who]
        result = self._transaction(
            lambda s: adjust_loyalty_points(s, self.store_id, customer.id, delta, "machine", self.key_id)
        )
        if not customer.loyalty_enabled:
            assert isinstance(result, LoyaltyDisabled), result
        elif customer.points + delta < 0:
            assert isinstance(result, InsufficientBalance), result
        else:
            assert not isinstance(result, ApiError), result
            assert (result.previous_balance, result.new_balance) == (customer.points, customer.points + delta)
            customer.points += delta

    @rule(who=st.integers(0, len(ACCOUNTS) - 1), enabled=st.booleans())
    def switch_loyalty(self, who: int, enabled: bool) -> None:
        customer = self.customers[who]
        changes = CustomerChanges(is_loyalty_enabled=enabled)
        result = self._transaction(lambda s: update_customer(s, self.store_id, "DZ", customer.id, changes))
        assert not isinstance(result, ApiError), result
        customer.loyalty_enabled = enabled

    @rule(who=st.integers(0, len(ACCOUNTS) - 1), quantity=st.integers(1, 4), on_account=st.booleans())
    def place(self, who: int, quantity: int, on_account: bool) -> None:
        customer = self.customers[who]
        total = PRICE * quantity
        request = CheckoutRequest(
            lines=[CheckoutLine(product_id=str(self.product_id), quantity=quantity)],
            customer=CheckoutCustomer(first_name="Machine", phone=customer.phone, wilaya_id=16),
            payment_method=PaymentMethod.HOUSE_ACCOUNT if on_account else PaymentMethod.COD,
        )
        result = self._transaction(lambda s: place_order(s, self.store_id, request, self.key_id))
        if on_account and not customer.house_enabled:
            assert isinstance(result, HouseAccountDisabled), result
            return
        if on_account and customer.limit is not None and customer.owed + total > customer.limit:
            assert isinstance(result, HouseAccountLimitExceeded), result
            return
        assert not isinstance(result, ApiError), result
        if on_account:
            customer.owed += total
        self.orders.append(ModelOrder(result.id, who, total, on_account))

    @precondition(lambda self: any(order.status in NEXT_STATUS for order in self.orders))
    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from([order for order in self.orders if order.status in NEXT_STATUS]))
        self._change_status(order, NEXT_STATUS[order.status])

    @precondition(lambda self: any(order.status in ("pending", "confirmed") for order in self.orders))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from([o for o in self.orders if o.status in ("pending", "confirmed")]))
        self._change_status(order, "cancelled")

    def _change_status(self, order: ModelOrder, status: str) -> None:
        request = StatusChangeRequest(status=OrderStatus(status))
        result = self._transaction(lambda s: change_order_status(s, self.store_id, order.id, request, self.key_id))
        assert not isinstance(result, ApiError), result
        order.status = status
        customer = self.customers[order.customer]
        if status == "delivered" and customer.loyalty_enabled:
            order.earned = (order.total // 100) * RATE
            customer.points += order.earned
        if status == "cancelled" and order.on_account:
            customer.owed -= min(order.total, customer.owed)

    @rule(who=st.integers(0, len(ACCOUNTS) - 1), amount=st.integers(1, 5000))
    def pay(self, who: int, amount: int) -> None:
        customer = self.customers[who]
        result = self._transaction(
            lambda s: record_house_account_payment(s, self.store_id, customer.id, amount, "machine", self.key_id)
        )
        if amount > customer.owed:
            assert isinstance(result, ValidationFailed), result
            assert result.details[0].field == "amount"
        else:
            assert not isinstance(result, ApiError), result
            customer.owed -= amount

    # -- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def balances_are_their_ledgers(self) -> None:
        state = self.run(self._state())
        for customer in self.customers:
            points, owed, limit = state["customers"][customer.id]
            assert (points, owed) == (customer.points, customer.owed)
            assert points >= 0
            assert owed >= 0
            assert limit is None or owed <= limit
            for model, amount in ((LoyaltyTransaction, "delta"), (HouseAccountTransaction, "amount")):
                running = 0
                for entry in state[model.__tablename__].get(customer.id, []):
                    running += getattr(entry, amount)
                    assert entry.balance_after == running
                balance = points if model is LoyaltyTransaction else owed
                assert running == balance

    @invariant()
    def delivered_orders_earned_exactly_once(self) -> None:
        state = self.run(self._state())
        earnings: dict[int, list[int]] = {}
        for entries in state["loyalty_transactions"].values():
            for entry in entries:
                if entry.kind == "earning":
                    earnings.setdefault(entry.order_id, []).append(entry.delta)
        expected = {order.id: [order.earned] for order in self.orders if order.earned}
        assert earnings == expected

    async def _state(self) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            ids = [customer.id for customer in self.customers]
            columns = (
                Customer.id,
                Customer.loyalty_balance,
                Customer.house_account_balance,
                Customer.house_account_limit,
            )
            customers = {
                row.id: (row.loyalty_balance, row.house_account_balance, row.house_account_limit)
                for row in (await session.execute(select(*columns).where(Customer.id.in_(ids)))).all()
            }
            state: dict[str, Any] = {"customers": customers}
            for model in (LoyaltyTransaction, HouseAccountTransaction):
                stmt = select(*model.__table__.c).where(model.customer_id.in_(ids)).order_by(model.id)
                grouped: dict[int, list[Any]] = {}
                for row in (await session.execute(stmt)).all():
                    grouped.setdefault(row.customer_id, []).append(row)
                state[model.__tablename__] = grouped
            return state


def test_ledgers_stay_equal_to_their_balances(database_url: str) -> None:
    """Synchronous on purpose: the machine runs its own event loop, which cannot nest in pytest-asyncio's."""

    class Machine(LedgerMachine):
        pass

    Machine.database_url = database_url
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
