"""placeOrder (contract §4): customer dedup by normalised phone, prices from the catalogue, atomic stock, banned
customers, userErrors that change nothing, order numbers, delivery fees, status history and the outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from db.models import Customer, Order, OrderItem, OrderStatusChange, OutboxEvent, Product
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from tests.support.factories import create_customer, create_key, create_product, create_store
from tests.support.mutation_helpers import (
    assert_insufficient_scope,
    count_rows,
    result_of,
    snapshot,
    succeeded,
    user_errors,
)
from tests.support.phone_spellings import spellings

PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order {
      id orderNumber status paymentStatus paymentMethod customerId customerName customerPhone customerEmail
      wilayaId commune address deliveryType subtotal deliveryFee total notes createdAt updatedAt
      items { productId productName sku unitPrice quantity total }
      statusHistory { field fromStatus toStatus note actorKeyId }
    }
    customer { id firstName lastName phone email wilayaId commune address totalOrders totalSpent lastOrderAt }
    userErrors { field code message }
  }
}
"""
REST_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def buyer(phone: str = "0555 00 00 00", **fields: Any) -> dict[str, Any]:
    return {"firstName": "Amine", "lastName": "Benali", "phone": phone, "wilayaId": 16, **fields}


def line(product: Product | int | str, quantity: int = 1) -> dict[str, Any]:
    product_id = product.id if isinstance(product, Product) else product
    return {"productId": str(product_id), "quantity": quantity}


async def place(gql, key, lines: list[dict[str, Any]], customer: dict[str, Any] | None = None, **extra: Any):
    return await gql.query(
        PLACE, {"input": {"lines": lines, "customer": customer or buyer(), **extra}}, headers=key.headers
    )


async def database_state(sessionmaker, store_id: int) -> dict[str, Any]:
    """Everything checkout can write for one store, as committed."""
    async with sessionmaker() as session:

        async def rows(stmt) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in (await session.execute(stmt)).all()]

        store_orders = select(Order.id).where(Order.store_id == store_id)
        return {
            "orders": await rows(select(Order.id, Order.status, Order.total).where(Order.store_id == store_id)),
            "items": await rows(select(OrderItem.id).where(OrderItem.order_id.in_(store_orders))),
            "history": await rows(select(OrderStatusChange.id).where(OrderStatusChange.order_id.in_(store_orders))),
            "events": await rows(select(OutboxEvent.id, OutboxEvent.event).where(OutboxEvent.store_id == store_id)),
            "customers": await rows(
                select(*Customer.__table__.columns).where(Customer.store_id == store_id).order_by(Customer.id)
            ),
            "products": await rows(
                select(*Product.__table__.columns).where(Product.store_id == store_id).order_by(Product.id)
            ),
        }


async def events_of(sessionmaker, store_id: int, name: str) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        stmt = (
            select(OutboxEvent.payload)
            .where(OutboxEvent.store_id == store_id, OutboxEvent.event == name)
            .order_by(OutboxEvent.id)
        )
        return list((await session.execute(stmt)).scalars())


async def stock_of(sessionmaker, product: Product) -> int:
    return int((await snapshot(sessionmaker, Product, product.id))["stock_quantity"])


@pytest.fixture
async def shop(session):
    """A store with fees configured, a full-scope key and two active tracked products."""
    store = await create_store(session)
    store.settings = {"delivery_fees": {"home": 600, "desk": 300}}
    key = await create_key(session, store)
    first = await create_product(session, store, name="Robe kabyle", price=1250)
    second = await create_product(session, store, name="Burnous", price=3990)
    await session.commit()
    return store, key, first, second


@pytest.fixture
async def banned_shop(session):
    """A store whose one customer, 0540123456, is banned, with a full-scope key and a tracked product."""
    store = await create_store(session)
    key = await create_key(session, store)
    robe = await create_product(session, store, name="Robe kabyle", price=1250)
    await create_customer(session, store, phone="0540123456", is_banned=True)
    await session.commit()
    return store, key, robe


async def test_three_formats_of_one_phone_are_one_customer(gql, sessionmaker, shop):
    store, key, product, _ = shop
    first = succeeded(
        await place(
            gql,
            key,
            [line(product, 1)],
            buyer("0555 00 00 00", email="amine@example.dz", address="1 rue Didouche", commune="Alger Centre"),
        ),
        "placeOrder",
    )
    second = succeeded(
        await place(
            gql,
            key,
            [line(product, 2)],
            buyer("0555000000", firstName="Amina", email="amina@example.dz", wilayaId=31, address="Hai Es Salam"),
        ),
        "placeOrder",
    )
    third = succeeded(
        await place(
            gql,
            key,
            [line(product, 3)],
            buyer("+213555000000", firstName="Yacine", lastName="Haddad", wilayaId=9, address="Cité 500 logements"),
        ),
        "placeOrder",
    )

    ids = {payload["customer"]["id"] for payload in (first, second, third)}
    assert len(ids) == 1
    assert {payload["order"]["customerId"] for payload in (first, second, third)} == ids
    totals = [payload["order"]["total"] for payload in (first, second, third)]
    assert totals == [1250 + 600, 2 * 1250 + 600, 3 * 1250 + 600]
    assert third["customer"]["totalOrders"] == 3
    assert third["customer"]["totalSpent"] == sum(totals)

    [customer] = (await database_state(sessionmaker, store.id))["customers"]
    row = await snapshot(sessionmaker, Customer, customer[0])
    assert row["phone"] == "0555000000"
    assert (row["total_orders"], row["total_spent"]) == (3, sum(totals))
    # The last order's name, wilaya and address win; its missing email keeps the previous one.
    assert (row["first_name"], row["last_name"]) == ("Yacine", "Haddad")
    assert (row["wilaya_id"], row["address"]) == (9, "Cité 500 logements")
    assert row["email"] == "amina@example.dz"
    assert row["commune"] == "Alger Centre"
    assert all(payload["order"]["customerPhone"] == "0555000000" for payload in (first, second, third))
    last_order = await snapshot(sessionmaker, Order, int(third["order"]["id"]))
    assert row["last_order_at"] == last_order["created_at"]


async def test_email_is_not_used_to_find_the_customer(gql, sessionmaker, shop):
    store, key, product, _ = shop

    first = succeeded(
        await place(gql, key, [line(product)], buyer("0555 11 22 33", email="same@example.dz")), "placeOrder"
    )
    second = succeeded(
        await place(gql, key, [line(product)], buyer("0661 11 22 33", email="same@example.dz")), "placeOrder"
    )

    assert first["customer"]["id"] != second["customer"]["id"]
    customers = (await database_state(sessionmaker, store.id))["customers"]
    assert len(customers) == 2
    assert first["customer"]["totalOrders"] == second["customer"]["totalOrders"] == 1


async def test_prices_and_totals_come_from_the_catalogue(gql, sessionmaker, shop):
    _store, key, robe, burnous = shop

    data = succeeded(
        await place(gql, key, [line(robe, 2), line(burnous, 3)], deliveryType="DESK", notes=" fragile "),
        "placeOrder",
    )

    order = data["order"]
    assert [(item["productId"], item["unitPrice"], item["quantity"], item["total"]) for item in order["items"]] == [
        (str(robe.id), 1250, 2, 2500),
        (str(burnous.id), 3990, 3, 11970),
    ]
    assert [(item["productName"], item["sku"]) for item in order["items"]] == [
        ("Robe kabyle", robe.sku),
        ("Burnous", burnous.sku),
    ]
    assert (order["subtotal"], order["deliveryFee"], order["total"]) == (14470, 300, 14770)
    assert (order["deliveryType"], order["notes"], order["status"], order["paymentStatus"]) == (
        "DESK",
        "fragile",
        "PENDING",
        "PENDING",
    )
    assert data["customer"]["totalSpent"] == 14770
    row = await snapshot(sessionmaker, Order, int(order["id"]))
    assert (row["subtotal"], row["delivery_fee"], row["total"]) == (14470, 300, 14770)


async def test_a_client_cannot_send_a_price(gql, sessionmaker, shop):
    store, key, robe, _ = shop
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, key, [{"productId": str(robe.id), "quantity": 1, "unitPrice": 1}])

    assert payload.get("data") is None
    assert "unitPrice" in payload["errors"][0]["message"]
    assert await database_state(sessionmaker, store.id) == before


async def test_two_lines_of_one_product_are_one_line(gql, shop):
    _store, key, robe, _ = shop

    order = succeeded(await place(gql, key, [line(robe, 1), line(robe, 2)]), "placeOrder")["order"]

    assert [(item["productId"], item["quantity"], item["total"]) for item in order["items"]] == [
        (str(robe.id), 3, 3750)
    ]


async def test_delivery_fee_is_free_when_the_store_has_none(gql, session, sessionmaker):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, price=990)
    await session.commit()

    order = succeeded(await place(gql, key, [line(product, 2)]), "placeOrder")["order"]

    assert (order["subtotal"], order["deliveryFee"], order["total"]) == (1980, 0, 1980)


async def test_a_banned_customer_is_refused_and_nothing_is_written(gql, session, sessionmaker, shop):
    store, key, robe, _ = shop
    customer = await create_customer(session, store, phone="0555123456", total_orders=2, total_spent=4000)
    customer.is_banned = True
    await session.commit()
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, key, [line(robe, 2)], buyer("+213 555 12 34 56", email="new@example.dz"))

    assert user_errors(payload, "placeOrder") == [(None, "customer_banned")]
    assert result_of(payload, "placeOrder")["order"] is None
    assert await database_state(sessionmaker, store.id) == before


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    # The store, its banned customer and its product are made once: every example must leave them as they were.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(spelling=spellings("0540123456"))
async def test_no_spelling_of_a_banned_customers_number_places_an_order(gql, sessionmaker, banned_shop, spelling):
    store, key, robe = banned_shop

    payload = await place(gql, key, [line(robe)], buyer(spelling.text))

    expected = ("customer.phone", "invalid_phone") if spelling.has_extension else (None, "customer_banned")
    assert user_errors(payload, "placeOrder") == [expected], spelling
    assert await count_rows(sessionmaker, Order, store.id) == 0
    assert await count_rows(sessionmaker, Customer, store.id) == 1


async def test_insufficient_stock_on_a_later_line_returns_the_earlier_lines_stock(gql, session, sessionmaker, shop):
    store, key, robe, burnous = shop
    robe.stock_quantity, burnous.stock_quantity = 5, 1
    session.add_all([robe, burnous])
    await session.commit()
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, key, [line(robe, 2), line(burnous, 3)])

    assert user_errors(payload, "placeOrder") == [("lines[1].quantity", "insufficient_stock")]
    assert await stock_of(sessionmaker, robe) == 5
    assert await stock_of(sessionmaker, burnous) == 1
    assert await database_state(sessionmaker, store.id) == before


async def test_untracked_products_are_never_out_of_stock(gql, session, sessionmaker, shop):
    _store, key, robe, _ = shop
    robe.track_stock, robe.stock_quantity = False, 0
    session.add(robe)
    await session.commit()

    succeeded(await place(gql, key, [line(robe, 7)]), "placeOrder")

    assert await stock_of(sessionmaker, robe) == 0


@pytest.mark.parametrize("which", ["unknown", "other_store"])
async def test_unknown_or_foreign_product_is_not_found(gql, session, sessionmaker, shop, which):
    store, key, robe, _ = shop
    if which == "unknown":
        missing = str(2**62)
    else:
        other = await create_store(session)
        missing = str((await create_product(session, other)).id)
        await session.commit()
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, key, [line(robe, 1), line(missing, 1)])

    assert user_errors(payload, "placeOrder") == [("lines[1].productId", "not_found")]
    assert await database_state(sessionmaker, store.id) == before


@pytest.mark.parametrize("status", ["draft", "archived"])
async def test_a_product_not_for_sale_is_unavailable(gql, session, sessionmaker, shop, status):
    store, key, robe, burnous = shop
    burnous.status = status
    session.add(burnous)
    await session.commit()
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, key, [line(robe, 1), line(burnous, 1)])

    assert user_errors(payload, "placeOrder") == [("lines[1].productId", "unavailable")]
    assert await database_state(sessionmaker, store.id) == before


VALID_LINE = object()  # replaced by a line of the shop's first product

INVALID_INPUTS = {
    "name_too_long": ({"customer": buyer(firstName="x" * 101)}, "customer.firstName", "too_long"),
    "name_blank": ({"customer": buyer(firstName="   ")}, "customer.firstName", "blank"),
    "last_name_too_long": ({"customer": buyer(lastName="y" * 101)}, "customer.lastName", "too_long"),
    "phone_invalid": ({"customer": buyer("12345")}, "customer.phone", "invalid_phone"),
    "phone_letters": ({"customer": buyer("call me")}, "customer.phone", "invalid_phone"),
    "email_invalid": ({"customer": buyer(email="amine@nowhere")}, "customer.email", "invalid_email"),
    "wilaya_0": ({"customer": buyer(wilayaId=0)}, "customer.wilayaId", "out_of_range"),
    "wilaya_59": ({"customer": buyer(wilayaId=59)}, "customer.wilayaId", "out_of_range"),
    "address_too_long": ({"customer": buyer(address="a" * 256)}, "customer.address", "too_long"),
    "quantity_0": ({"lines": [VALID_LINE, ("quantity", 0)]}, "lines[1].quantity", "out_of_range"),
    "quantity_negative": ({"lines": [("quantity", -3)]}, "lines[0].quantity", "out_of_range"),
    "quantity_too_large": ({"lines": [("quantity", 1001)]}, "lines[0].quantity", "out_of_range"),
    "product_id_not_an_id": ({"lines": [{"productId": "abc", "quantity": 1}]}, "lines[0].productId", "invalid"),
    "product_id_beyond_64_bits": (
        {"lines": [{"productId": str(2**63), "quantity": 1}]},
        "lines[0].productId",
        "invalid",
    ),
    "too_many_lines": ({"lines": [VALID_LINE] * 51}, "lines", "too_long"),
    "no_lines": ({"lines": []}, "lines", "blank"),
    "notes_too_long": ({"notes": "n" * 1001}, "notes", "too_long"),
}


@pytest.mark.parametrize(("changes", "field", "code"), INVALID_INPUTS.values(), ids=INVALID_INPUTS.keys())
async def test_invalid_input_is_a_user_error_and_changes_nothing(gql, sessionmaker, shop, changes, field, code):
    store, key, robe, _ = shop

    def resolve(item: Any) -> dict[str, Any]:
        if item is VALID_LINE:
            return line(robe, 1)
        if isinstance(item, tuple):
            return {**line(robe), item[0]: item[1]}
        return dict(item)

    variables: dict[str, Any] = {"lines": [line(robe, 1)], "customer": buyer(), **changes}
    variables["lines"] = [resolve(item) for item in variables["lines"]]
    before = await database_state(sessionmaker, store.id)

    payload = await gql.query(PLACE, {"input": variables}, headers=key.headers)

    assert user_errors(payload, "placeOrder") == [(field, code)]
    assert result_of(payload, "placeOrder")["order"] is None
    assert await database_state(sessionmaker, store.id) == before


async def test_every_problem_is_reported_at_once(gql, sessionmaker, shop):
    _store, key, robe, _ = shop

    payload = await place(gql, key, [line(robe, 0)], buyer("1", firstName="", email="nope", wilayaId=99))

    assert sorted(user_errors(payload, "placeOrder")) == sorted(
        [
            ("customer.firstName", "blank"),
            ("customer.phone", "invalid_phone"),
            ("customer.email", "invalid_email"),
            ("customer.wilayaId", "out_of_range"),
            ("lines[0].quantity", "out_of_range"),
        ]
    )


async def test_order_number_history_and_created_event(gql, sessionmaker, shop):
    store, key, robe, burnous = shop

    data = succeeded(
        await place(gql, key, [line(robe, 1), line(burnous, 2)], buyer(email="a@example.dz", commune="Kouba")),
        "placeOrder",
    )

    order = data["order"]
    assert re.fullmatch(rf"ORD-{store.id}-\d{{8}}-[0-9A-F]{{4}}", order["orderNumber"])
    row = await snapshot(sessionmaker, Order, int(order["id"]))
    assert order["orderNumber"] == f"ORD-{store.id}-{row['created_at']:%Y%m%d}-{order['orderNumber'][-4:]}"
    assert order["statusHistory"] == [
        {"field": "status", "fromStatus": None, "toStatus": "pending", "note": None, "actorKeyId": str(key.id)}
    ]
    [created] = await events_of(sessionmaker, store.id, "order.created")
    timestamp = row["created_at"].strftime("%Y-%m-%d %H:%M:%S")
    assert created == {
        "id": int(order["id"]),
        "order_number": order["orderNumber"],
        "status": "pending",
        "payment_status": "pending",
        "payment_method": "cod",
        "customer_id": int(data["customer"]["id"]),
        "customer_name": "Amine Benali",
        "customer_phone": "0555000000",
        "wilaya_id": 16,
        "commune": "Kouba",
        "delivery_type": "home",
        "subtotal": 1250 + 2 * 3990,
        "delivery_fee": 600,
        "total": 1250 + 2 * 3990 + 600,
        "items": [
            {
                "product_id": robe.id,
                "product_name": "Robe kabyle",
                "sku": robe.sku,
                "unit_price": 1250,
                "quantity": 1,
                "total": 1250,
            },
            {
                "product_id": burnous.id,
                "product_name": "Burnous",
                "sku": burnous.sku,
                "unit_price": 3990,
                "quantity": 2,
                "total": 7980,
            },
        ],
        "created_at": timestamp,
        "updated_at": timestamp,
    }
    assert REST_TIMESTAMP.match(created["created_at"])
    # Only order.created: neither product crossed its low-stock alert.
    assert [event for _, event in (await database_state(sessionmaker, store.id))["events"]] == ["order.created"]


async def test_order_numbers_are_unique_per_store(gql, shop):
    _store, key, robe, _ = shop

    numbers = [succeeded(await place(gql, key, [line(robe)]), "placeOrder")["order"]["orderNumber"] for _ in range(5)]

    assert len(set(numbers)) == 5


async def test_a_key_without_orders_write_cannot_place_an_order(gql, session, sessionmaker, shop):
    store, _key, robe, _ = shop
    reader = await create_key(session, store, scopes=tuple(s for s in ALL_SCOPES if s is not Scope.ORDERS_WRITE))
    await session.commit()
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, reader, [line(robe)])

    assert_insufficient_scope(payload, "placeOrder", "orders:write")
    assert await database_state(sessionmaker, store.id) == before


async def test_an_orders_only_key_gets_the_order_but_never_the_customer_from_place_order(gql, session, shop):
    store, _key, product, _ = shop
    key = await create_key(session, store, scopes=(Scope.ORDERS_WRITE,))
    await session.commit()

    payload = await place(gql, key, [line(product)], buyer("0555 44 33 22"))

    assert payload["data"]["placeOrder"]["order"]["customerId"] is not None
    assert payload["data"]["placeOrder"]["customer"] is None
    [error] = payload["errors"]
    assert error["path"] == ["placeOrder", "customer"]
    assert error["extensions"]["code"] == "insufficient_scope"
    assert "customers:read" in error["message"]


async def test_a_key_with_orders_write_and_customers_write_gets_the_customer_from_place_order(gql, session, shop):
    store, _key, product, _ = shop
    key = await create_key(session, store, scopes=(Scope.ORDERS_WRITE, Scope.CUSTOMERS_WRITE))
    await session.commit()

    placed = succeeded(await place(gql, key, [line(product)], buyer("0555 44 33 21")), "placeOrder")

    assert placed["customer"]["phone"] == "0555443321"


async def test_stock_low_fires_once_when_the_alert_is_crossed(gql, session, sessionmaker, shop):
    store, key, robe, _ = shop
    robe.stock_quantity, robe.low_stock_alert = 8, 5
    session.add(robe)
    await session.commit()

    succeeded(await place(gql, key, [line(robe, 2)]), "placeOrder")  # 8 → 6: above the alert
    assert await events_of(sessionmaker, store.id, "product.stock_low") == []
    succeeded(await place(gql, key, [line(robe, 2)]), "placeOrder")  # 6 → 4: crosses it
    succeeded(await place(gql, key, [line(robe, 1)]), "placeOrder")  # 4 → 3: already below

    assert await events_of(sessionmaker, store.id, "product.stock_low") == [
        {"id": robe.id, "name": "Robe kabyle", "sku": robe.sku, "stock_quantity": 4, "low_stock_alert": 5}
    ]
    assert await stock_of(sessionmaker, robe) == 3


async def test_landing_exactly_on_the_alert_is_a_crossing(gql, session, sessionmaker, shop):
    store, key, robe, _ = shop
    robe.stock_quantity, robe.low_stock_alert = 6, 5
    session.add(robe)
    await session.commit()

    succeeded(await place(gql, key, [line(robe, 1)]), "placeOrder")
    succeeded(await place(gql, key, [line(robe, 1)]), "placeOrder")

    assert [event["stock_quantity"] for event in await events_of(sessionmaker, store.id, "product.stock_low")] == [5]


async def test_stock_low_is_not_recorded_when_the_order_fails(gql, session, sessionmaker, shop):
    store, key, robe, burnous = shop
    robe.stock_quantity, robe.low_stock_alert = 6, 5
    burnous.stock_quantity = 0
    session.add_all([robe, burnous])
    await session.commit()

    payload = await place(gql, key, [line(robe, 3), line(burnous, 1)])

    assert user_errors(payload, "placeOrder") == [("lines[1].quantity", "insufficient_stock")]
    assert await events_of(sessionmaker, store.id, "product.stock_low") == []
    assert await stock_of(sessionmaker, robe) == 6


async def test_phone_is_unique_per_store_not_globally(gql, session, sessionmaker, shop):
    _store, key, robe, _ = shop
    other = await create_store(session)
    other_key = await create_key(session, other)
    other_product = await create_product(session, other)
    await session.commit()

    mine = succeeded(await place(gql, key, [line(robe)]), "placeOrder")
    theirs = succeeded(await place(gql, other_key, [line(other_product)]), "placeOrder")

    assert mine["customer"]["id"] != theirs["customer"]["id"]
    assert mine["customer"]["totalOrders"] == theirs["customer"]["totalOrders"] == 1
    async with sessionmaker() as check:
        count = await check.scalar(select(func.count()).select_from(Customer).where(Customer.phone == "0555000000"))
    assert count is not None
    assert count >= 2


async def test_errors_name_the_line_as_the_client_sent_it_when_a_product_repeats(gql, session, sessionmaker, shop):
    store, key, robe, burnous = shop
    burnous.stock_quantity = 0
    session.add(burnous)
    await session.commit()
    before = await database_state(sessionmaker, store.id)

    short = await place(gql, key, [line(robe, 1), line(robe, 1), line(burnous, 1)])
    unknown = await place(gql, key, [line(robe, 1), line(robe, 1), line(2**40, 1)])

    assert user_errors(short, "placeOrder") == [("lines[2].quantity", "insufficient_stock")]
    assert user_errors(unknown, "placeOrder") == [("lines[2].productId", "not_found")]
    assert await database_state(sessionmaker, store.id) == before


async def test_an_order_total_above_the_money_bound_is_refused_and_nothing_is_written(gql, session, sessionmaker, shop):
    store, key, _, _ = shop
    products = [await create_product(session, store, name=f"Or {n}", price=10**12) for n in range(2)]
    for product in products:
        product.track_stock = False
    await session.commit()
    before = await database_state(sessionmaker, store.id)

    payload = await place(gql, key, [line(product, 1000) for product in products])

    assert user_errors(payload, "placeOrder") == [("lines", "out_of_range")]
    assert await database_state(sessionmaker, store.id) == before
