"""Differential test: for random customers with random orders (statuses, totals, times, lines over live, renamed
and deleted products, cancellations), the SQL aggregates behind ``Customer.analytics`` answer what a plain Python
reference computes from the same rows, for a whole page of customers at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.analytics import STATUSES, Line, add_order, ref_order, reference_analytics
from tests.support.factories import create_customer, create_key, create_product, create_store

BASE = datetime(2025, 6, 1, 8, 0, 0)
CUSTOMERS = 3
LIVE_PRODUCTS = 3
GONE_NAMES = ("Gone robe", "Gone scarf")
PAGE = (
    "query($limit: Int) { customers(first: 50) { nodes { id analytics { totalOrders totalSpent averageOrder "
    "firstOrderAt lastOrderAt ordersByStatus { status count } topProducts(limit: $limit) { productId productName "
    "quantity orderCount } } } } }"
)

lines = st.lists(
    st.tuples(
        st.integers(0, LIVE_PRODUCTS + len(GONE_NAMES) - 1),  # beyond the live products: a deleted one
        st.integers(1, 20),
        st.booleans(),  # a live product's line copied another name (it was renamed since)
    ),
    max_size=3,
)
orders = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.sampled_from(STATUSES),
        st.integers(0, 10**12),
        st.integers(0, 60 * 24 * 30),
        lines,
    ),
    max_size=14,
)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    # Each example makes its own store: nothing is shared between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=orders, limit=st.integers(1, 6))
async def test_the_sql_aggregates_answer_what_the_python_reference_computes(gql, sessionmaker, drawn, limit):
    async with sessionmaker() as session:
        store = await create_store(session)
        key = await create_key(session, store)
        products = [await create_product(session, store, name=f"Product {number}") for number in range(3)]
        customers = [await create_customer(session, store) for _ in range(CUSTOMERS)]
        written: dict[int, list] = {customer.id: [] for customer in customers}
        for customer_index, status, total, minutes, order_lines in drawn:
            customer = customers[customer_index]
            order = await add_order(
                session,
                store,
                customer,
                total=total,
                status=status,
                created_at=BASE + timedelta(minutes=minutes),
                lines=tuple(_line(products, product, quantity, renamed) for product, quantity, renamed in order_lines),
            )
            written[customer.id].append(await ref_order(session, order))
        await session.commit()

    payload = await gql.query(PAGE, {"limit": limit}, headers=key.headers)

    assert "errors" not in payload, payload
    answered = {int(node["id"]): node["analytics"] for node in payload["data"]["customers"]["nodes"]}
    assert answered == {customer_id: reference_analytics(refs, limit) for customer_id, refs in written.items()}


def _line(products, product: int, quantity: int, renamed: bool) -> Line:
    if product >= len(products):
        return Line(None, quantity, name=GONE_NAMES[product - len(products)])
    return Line(products[product], quantity, name=f"{products[product].name} (old name)" if renamed else None)
