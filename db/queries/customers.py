"""Customer statements: the API's reads, the rules' reads and locks, and the writes of checkout, cancellation and
the fraud score. The API's reads never select ``device_fingerprint`` or ``identity_id``, so they cannot leak."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from db.direct_reads import PreparedRead
from db.direct_writes import PreparedWrite
from db.models import Customer, CustomerTag, Order
from db.queries.by_ids import InList, RowsByIds, prepared_with_lists
from db.queries.columns import chosen_columns
from db.queries.customer_tags import TAG_NAMES
from db.queries.executor import Executor, WriteTransaction, core_rows, core_write, fetch_rows
from db.queries.pagination import COUNT_SHAPES, PAGE_SHAPES, Cursor, Ordering, page_parameters, page_statement
from db.queries.slugs import unique_constraint
from db.queries.text import contains_ci, contains_pattern
from storegraph.platform.timestamps import utcnow

CUSTOMER_COLUMNS = tuple(
    column for column in Customer.__table__.c if column.key not in {"device_fingerprint", "identity_id"}
)
# Read only when asked for by name (``wanted``): ``tags``, the customer's tag names, in the customers' statement.
CUSTOMER_COMPUTED: tuple[ColumnElement[Any], ...] = (TAG_NAMES,)

CUSTOMER_ORDERINGS: dict[str, tuple[QueryableAttribute[Any], type]] = {
    "created_at": (Customer.created_at, datetime),
    "updated_at": (Customer.updated_at, datetime),
    "total_spent": (Customer.total_spent, int),
    "total_orders": (Customer.total_orders, int),
    "last_order_at": (Customer.last_order_at, datetime),
    "first_name": (Customer.first_name, str),
}


# Made once per field and direction (a handful): each list request would otherwise build it anew.
@functools.cache
def customer_ordering(field: str, descending: bool) -> Ordering:
    column, kind = CUSTOMER_ORDERINGS[field]
    name = f"customers.{field}:{'desc' if descending else 'asc'}"
    nullable = bool(column.property.columns[0].nullable)
    return Ordering(
        name=name, column=column, id_column=Customer.id, descending=descending, kind=kind, nullable=nullable
    )


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """Every given condition must hold. ``tags`` are lowercased keys (any of them); ``search`` is matched as typed
    on names, email and phone, and ``search_phone`` (the search read as a phone, when it can be) on the phone."""

    phone: str | None = None
    email: str | None = None
    search: str | None = None
    search_phone: str | None = None
    is_banned: bool | None = None
    # Lists show the live customers, or (True) only the archived ones: never both.
    is_archived: bool = False
    tags: tuple[str, ...] | None = None
    min_spent: int | None = None
    max_spent: int | None = None
    has_orders: bool | None = None
    last_order_after: datetime | None = None
    updated_after: datetime | None = None
    created_after: datetime | None = None
    accepts_marketing: bool | None = None

    def shape(self) -> CustomerShape:
        if self is NO_CUSTOMER_FILTER:
            return _NO_CUSTOMER_SHAPE
        searched = bool(self.search)
        return CustomerShape(
            phone=self.phone is not None,
            email=self.email is not None,
            search=searched,
            search_phone=searched and self.search_phone is not None,
            is_banned=self.is_banned,
            is_archived=self.is_archived,
            tags=self.tags is not None,
            min_spent=self.min_spent is not None,
            max_spent=self.max_spent is not None,
            has_orders=self.has_orders,
            last_order_after=self.last_order_after is not None,
            updated_after=self.updated_after is not None,
            created_after=self.created_after is not None,
            accepts_marketing=self.accepts_marketing,
        )

    def parameters(self, store_id: int) -> dict[str, Any]:
        """The values of the shape's parameters, each named as its field."""
        if self is NO_CUSTOMER_FILTER:
            return {"store_id": store_id}
        values: dict[str, Any] = {
            "store_id": store_id,
            "phone": self.phone,
            "email": self.email,
            "min_spent": self.min_spent,
            "max_spent": self.max_spent,
            "last_order_after": self.last_order_after,
            "updated_after": self.updated_after,
            "created_after": self.created_after,
        }
        if self.search:
            values["search"] = contains_pattern(self.search)
            values["search_phone"] = self.search_phone
        if self.tags is not None:
            values["tags"] = list(self.tags)
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class CustomerShape:
    """What makes a customer list's SQL: which conditions a ``CustomerFilter`` sets (True), and the values compared
    as constants (the booleans, and live or archived, which a partial index must see). One statement per shape;
    the filter's other values are its parameters."""

    phone: bool
    email: bool
    search: bool
    search_phone: bool
    is_banned: bool | None
    is_archived: bool
    tags: bool
    min_spent: bool
    max_spent: bool
    has_orders: bool | None
    last_order_after: bool
    updated_after: bool
    created_after: bool
    accepts_marketing: bool | None


# The filter of a list asked for without one (most are), its shape made once (by another, equal filter), and its
# parameters made without a walk over its fields.
NO_CUSTOMER_FILTER = CustomerFilter()
_NO_CUSTOMER_SHAPE = CustomerFilter().shape()


def listed(shape: CustomerShape, in_list: InList) -> list[ColumnElement[bool]]:
    """The conditions of every customer list and count: the store's customers, live or archived as the filter
    says (archived ones leave every list by default), then the filter's conditions.

    Reads by id (``customers_by_ids``), checkout's lookup by phone and the fraud heuristic are not lists: they
    see archived customers too. The live/archived split matches the partial indexes of db/models/customer.py.
    """
    conditions: list[ColumnElement[bool]] = [
        Customer.archived_at.is_not(None) if shape.is_archived else Customer.archived_at.is_(None),
        Customer.store_id == bindparam("store_id"),
    ]
    if shape.phone:
        conditions.append(Customer.phone == bindparam("phone"))
    if shape.email:
        conditions.append(Customer.email == bindparam("email"))
    if shape.search:
        found = contains_ci((Customer.first_name, Customer.last_name, Customer.email, Customer.phone), "search")
        conditions.append(or_(found, Customer.phone == bindparam("search_phone")) if shape.search_phone else found)
    if shape.is_banned is not None:
        conditions.append(Customer.is_banned == shape.is_banned)
    if shape.tags:
        # Read off the (store_id, name_key, customer_id) index alone.
        tagged = select(CustomerTag.customer_id).where(
            CustomerTag.store_id == bindparam("store_id"), in_list(CustomerTag.name_key, "tags")
        )
        conditions.append(Customer.id.in_(tagged))
    return conditions + _profile_conditions(shape)


def _profile_conditions(shape: CustomerShape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.min_spent:
        conditions.append(Customer.total_spent >= bindparam("min_spent"))
    if shape.max_spent:
        conditions.append(Customer.total_spent <= bindparam("max_spent"))
    if shape.has_orders is not None:
        conditions.append(Customer.total_orders > 0 if shape.has_orders else Customer.total_orders == 0)
    if shape.last_order_after:
        conditions.append(Customer.last_order_at >= bindparam("last_order_after"))
    if shape.updated_after:
        conditions.append(Customer.updated_at >= bindparam("updated_after"))
    if shape.created_after:
        conditions.append(Customer.created_at >= bindparam("created_after"))
    if shape.accepts_marketing is not None:
        conditions.append(Customer.accepts_marketing == shape.accepts_marketing)
    return conditions


async def list_customers(
    db: Executor,
    store_id: int,
    where: CustomerFilter,
    ordering: Ordering,
    after: list[Any] | None,
    first: int,
    wanted: frozenset[str] | None = None,
) -> list[Row[Any]]:
    """A page of the store's customers; ``wanted``: the only columns the caller reads (``chosen_columns``), the
    ``CUSTOMER_COMPUTED`` ones among them."""
    cursor, parameters = page_parameters(ordering, after, first)
    page = _customers_page(where.shape(), ordering, cursor, wanted)
    return list(await fetch_rows(db, page, where.parameters(store_id) | parameters))


@functools.lru_cache(maxsize=PAGE_SHAPES)
def _customers_page(
    shape: CustomerShape, ordering: Ordering, cursor: Cursor, wanted: frozenset[str] | None
) -> PreparedRead:
    # The id and the sort column make the page's cursors.
    columns = chosen_columns(CUSTOMER_COLUMNS, wanted, ("id", ordering.sort_attr), CUSTOMER_COMPUTED)
    return prepared_with_lists(
        lambda in_list: page_statement(select(*columns).where(*listed(shape, in_list)), ordering, cursor)
    )


async def count_customers(db: Executor, store_id: int, where: CustomerFilter) -> int:
    rows = await fetch_rows(db, _customers_count(where.shape()), where.parameters(store_id))
    return int(rows[0][0])


@functools.lru_cache(maxsize=COUNT_SHAPES)
def _customers_count(shape: CustomerShape) -> PreparedRead:
    return prepared_with_lists(
        lambda in_list: select(func.count().label("customers")).select_from(Customer).where(*listed(shape, in_list))
    )


customers_by_ids = RowsByIds(CUSTOMER_COLUMNS, Customer.store_id, Customer.id, CUSTOMER_COMPUTED)


async def is_customer_banned(session: AsyncSession, store_id: int, phone: str) -> bool:
    """Whether the store's customer with this phone is banned; ``False`` when there is none."""
    rows = await core_rows(session, _IS_BANNED, {"store_id": store_id, "phone": phone})
    return bool(rows[0][0]) if rows else False


_IS_BANNED = PreparedRead(
    select(Customer.is_banned).where(Customer.store_id == bindparam("store_id"), Customer.phone == bindparam("phone"))
)


async def lock_customer(session: AsyncSession, store_id: int, customer_id: int) -> Customer | None:
    stmt = select(Customer).where(Customer.id == customer_id, Customer.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def count_customers_on_same_device(session: WriteTransaction, store_id: int, customer_id: int) -> int:
    """How many other customers of the store share the customer's device fingerprint; 0 when it has none.

    The fingerprint is read and compared within the one statement, so it never leaves the database."""
    parameters = {"store_id": store_id, "customer_id": customer_id}
    (row,) = await core_rows(session, _SAME_DEVICE, parameters)  # a count: one row
    return int(row[0] or 0)


# NULLIF: an empty fingerprint is none, and a comparison with NULL matches no row.
_SAME_DEVICE = PreparedRead(
    select(func.count())
    .select_from(Customer)
    .where(
        Customer.store_id == bindparam("store_id"),
        Customer.device_fingerprint
        == func.nullif(
            select(Customer.device_fingerprint).where(Customer.id == bindparam("customer_id")).scalar_subquery(), ""
        ),
        Customer.id != bindparam("customer_id"),
    )
)


# --- writes ---

CUSTOMER_PHONE_CONSTRAINT = unique_constraint(Customer, "store_id", "phone")


async def customer_id_with_phone(session: AsyncSession, store_id: int, phone: str) -> int | None:
    stmt = select(Customer.id).where(Customer.store_id == store_id, Customer.phone == phone)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_customer(session: AsyncSession, store_id: int, values: dict[str, Any]) -> Customer:
    """Inserts a customer of ``values`` (its columns by attribute name); a phone the store already has raises the
    unique constraint's ``IntegrityError``."""
    now = utcnow()
    customer = Customer(store_id=store_id, created_at=now, updated_at=now, **values)
    session.add(customer)
    await session.flush()
    return customer


async def update_customer_fields(session: AsyncSession, customer: Customer, values: dict[str, Any]) -> None:
    """Sets ``values`` on ``customer`` and flushes: an UPDATE of the columns that changed."""
    for name, value in values.items():
        setattr(customer, name, value)
    customer.updated_at = utcnow()
    await session.flush()


async def upsert_customer_for_order(
    session: AsyncSession,
    *,
    store_id: int,
    phone: str,
    first_name: str,
    last_name: str,
    email: str | None,
    wilaya_id: int,
    commune: str | None,
    address: str | None,
    device_fingerprint: str | None,
    total: int,
    now: datetime,
) -> int | None:
    """Creates the customer or updates the one with this phone, counting the order in the same statement; an
    archived customer is restored. An erased customer's phone is a placeholder no real phone equals, so an order
    with the phone it had makes a new customer.

    One statement makes concurrent first orders from one phone end as one customer whose totals count every
    order. A banned customer is never updated (the WHERE), and then no row comes back: the result is ``None``.
    """
    parameters = {
        "store_id": store_id,
        "phone": phone,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "wilaya_id": wilaya_id,
        "commune": commune,
        "address": address,
        "device_fingerprint": device_fingerprint,
        "total_orders": 1,
        "total_spent": total,
        "last_order_at": now,
        "fraud_score": 0,
        "is_banned": False,
        "created_at": now,
        "updated_at": now,
    }
    statement = _customer_upsert(session.get_bind().dialect.name)
    rows = await core_write(session, statement, parameters)
    return int(rows[0][0]) if rows else None


# The columns checkout gives a new customer, each a parameter of the same name.
_CHECKOUT_CUSTOMER_COLUMNS = (
    "store_id",
    "phone",
    "first_name",
    "last_name",
    "email",
    "wilaya_id",
    "commune",
    "address",
    "device_fingerprint",
    "total_orders",
    "total_spent",
    "last_order_at",
    "fraud_score",
    "is_banned",
    "created_at",
    "updated_at",
)


@functools.cache
def _customer_upsert(dialect: str) -> PreparedWrite:
    """``upsert_customer_for_order``'s statement, built once per dialect (building it, with its EXCLUDED columns,
    costs more than running it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Customer.__table__
    stmt = insert(Customer).values(
        {name: bindparam(name, type_=table.c[name].type) for name in _CHECKOUT_CUSTOMER_COLUMNS}
    )
    new = stmt.excluded
    return PreparedWrite(
        stmt.on_conflict_do_update(
            index_elements=[Customer.store_id, Customer.phone],
            set_={
                "first_name": new.first_name,
                # A repeat order that leaves the last name out keeps the one the customer gave before.
                "last_name": _coalesce(func.nullif(new.last_name, ""), Customer.last_name),
                "email": _coalesce(new.email, Customer.email),
                "wilaya_id": new.wilaya_id,
                "commune": _coalesce(new.commune, Customer.commune),
                "address": _coalesce(new.address, Customer.address),
                "device_fingerprint": _coalesce(new.device_fingerprint, Customer.device_fingerprint),
                "total_orders": Customer.total_orders + 1,
                "total_spent": Customer.total_spent + new.total_spent,
                "last_order_at": case(
                    (Customer.last_order_at.is_(None), new.last_order_at),
                    (Customer.last_order_at < new.last_order_at, new.last_order_at),
                    else_=Customer.last_order_at,
                ),
                "updated_at": new.updated_at,
                # A checkout brings an archived customer back: archiving is a soft delete that a new order undoes.
                "archived_at": None,
            },
            where=Customer.is_banned.is_(False),
        ).returning(Customer.id)
    )


def _coalesce(preferred: Any, fallback: Any) -> Any:
    return func.coalesce(preferred, fallback)


async def remove_order_from_totals(
    session: WriteTransaction, customer_id: int, total: int, *, cancelled_status: str
) -> None:
    """A counted order was cancelled: take it out of the totals and find the new latest order.

    ``total_orders``, ``total_spent`` and ``last_order_at`` move by atomic increments in the same transaction as
    the order change, never recomputed on read, so concurrent orders cannot lose an update. ``last_order_at``
    becomes the latest of the customer's orders whose status is not ``cancelled_status``.

    The customer row is locked by its own statement first. Under READ COMMITTED the UPDATE's subquery reads
    the snapshot its statement started with; if a concurrent checkout held the row, that snapshot would miss
    the checkout's new order and ``last_order_at`` would go back in time. After the lock, the next statement's
    snapshot sees every order committed before it.
    """
    await session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    latest = (
        select(func.max(Order.created_at))
        .where(Order.customer_id == customer_id, Order.status != cancelled_status)
        .scalar_subquery()
    )
    await session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            total_orders=Customer.total_orders - 1,
            total_spent=Customer.total_spent - total,
            last_order_at=latest,
            updated_at=utcnow(),
        )
    )


async def set_fraud_score(session: WriteTransaction, customer_id: int, score: int) -> None:
    """Sets the score in the database only: no caller holds the customer as an entity it reads afterwards."""
    await core_write(session, _SET_FRAUD_SCORE, {"customer_id": customer_id, "fraud_score": score})


_SET_FRAUD_SCORE = PreparedWrite(
    update(Customer).where(Customer.id == bindparam("customer_id")).values(fraud_score=bindparam("fraud_score"))
)
