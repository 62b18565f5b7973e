"""The statements of a customer's erasure, driven by the rules of storegraph/rules/customers/erasure.py: which rows
of a table belong to the customer (``Match``), and how a row's personal columns or JSON payload keys are emptied.

Tables are named, not imported, so that a rule for a new table is one line of data in the rules module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.models import Customer, Order


class Match(StrEnum):
    """How the rows of a table that hold the customer's data are found."""

    # The customer's own row.
    CUSTOMER = "the customer's row"
    # Rows whose ``customer_id`` is the customer's.
    CUSTOMER_ID = "rows whose customer_id is the customer's"
    # Rows whose ``order_id`` is one of the customer's orders.
    CUSTOMER_ORDERS = "rows of the customer's orders"
    # The store's rows whose ``phone`` is the customer's or whose ``email`` is one the customer gave.
    CONTACT = "the store's rows with the customer's phone or one of its emails"
    # Rows whose ``event_id`` is an outbox event whose payload carried the customer's data.
    CUSTOMER_EVENTS = "rows of the events that carried the customer's data"


class Action(StrEnum):
    DELETE = "delete"
    SCRUB = "scrub"


class Placeholder(StrEnum):
    """A replacement computed per customer."""

    # ``erased:<customer id>``: unique per store (the (store_id, phone) index), and never a phone: normalised
    # phones are digits or E.164, so no later checkout can match it.
    ERASED_ID = "erased:<id>"


Replacement = str | None | dict[str, Any] | Placeholder


@dataclass(slots=True)
class Identity:
    """What identifies the customer's data elsewhere, read before anything is emptied."""

    store_id: int
    customer_id: int
    phones: frozenset[str]
    # Lowercased: emails are matched ignoring case.
    emails: frozenset[str]
    # Public ids of the outbox events whose payload was scrubbed (their delivery log is scrubbed too).
    event_ids: set[str] = field(default_factory=set)

    def replacement(self, value: Replacement) -> Any:
        if value is Placeholder.ERASED_ID:
            return f"erased:{self.customer_id}"
        return value


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


async def customer_identity(session: AsyncSession, store_id: int, customer_id: int) -> Identity:
    """The customer's phone and every email it gave (its own, and each one copied onto its orders)."""
    customer = (await session.execute(select(Customer.phone, Customer.email).where(Customer.id == customer_id))).one()
    order_emails = await session.scalars(
        select(Order.customer_email)
        .where(Order.store_id == store_id, Order.customer_id == customer_id, Order.customer_email.is_not(None))
        .distinct()
    )
    emails = {email.lower() for email in [customer.email, *order_emails] if email}
    return Identity(store_id, customer_id, frozenset({customer.phone}), frozenset(emails))


def _rows_of(table: Table, match: Match, who: Identity) -> list[ColumnElement[bool]]:
    c = table.c
    if match is Match.CUSTOMER:
        return [c.id == who.customer_id, c.store_id == who.store_id]
    if match is Match.CUSTOMER_ID:
        return [c.customer_id == who.customer_id]
    if match is Match.CUSTOMER_ORDERS:
        orders = select(Order.id).where(Order.store_id == who.store_id, Order.customer_id == who.customer_id)
        return [c.order_id.in_(orders.scalar_subquery())]
    if match is Match.CONTACT:
        contact = [c.phone.in_(who.phones)] + ([func.lower(c.email).in_(who.emails)] if who.emails else [])
        return [c.store_id == who.store_id, or_(*contact)]
    return [c.store_id == who.store_id, c.event_id.in_(who.event_ids)] if who.event_ids else [false()]


async def erase_rows(
    session: AsyncSession,
    table_name: str,
    match: Match,
    action: Action,
    values: Mapping[str, Replacement],
    who: Identity,
) -> None:
    """Deletes the customer's rows of the table, or sets their personal columns to their replacements."""
    table = _table(table_name)
    where = _rows_of(table, match, who)
    if action is Action.DELETE:
        await session.execute(delete(table).where(*where))
        return
    replaced = {name: who.replacement(value) for name, value in values.items()}
    await session.execute(update(table).where(*where).values(replaced))


@dataclass(frozen=True, slots=True)
class PayloadTable:
    """Where a table keeps its JSON payload, the payload's kind, and the store it belongs to."""

    kind: str
    payload: str = "payload"
    # The store: a column of the table, or else a key of the payload.
    store_column: str | None = None
    store_key: str | None = None
    # The public id recorded as ``Identity.event_ids`` when a row is scrubbed.
    public_id: str | None = None


PAYLOAD_TABLES: dict[str, PayloadTable] = {
    "outbox_events": PayloadTable(kind="event", store_column="store_id", public_id="public_id"),
    "jobs": PayloadTable(kind="kind", store_key="store_id"),
}


class Key(StrEnum):
    """Which of the customer's identifiers a payload key holds."""

    CUSTOMER_ID = "customer_id"
    PHONE = "phone"
    EMAIL = "email"


async def scrub_payloads(
    session: AsyncSession,
    table_name: str,
    kinds: frozenset[str],
    match: Mapping[str, Key],
    scrub: Mapping[str, Replacement],
    who: Identity,
) -> int:
    """Empties the ``scrub`` keys of every payload of one of ``kinds`` in which a ``match`` key holds the customer's
    identifier; the rest of the payload stays. Returns how many rows changed."""
    where = PAYLOAD_TABLES[table_name]
    table = _table(table_name)
    payload = table.c[where.payload]
    conditions: list[ColumnElement[bool]] = [table.c[where.kind].in_(kinds)]
    if where.store_column is not None:
        conditions.append(table.c[where.store_column] == who.store_id)
    if where.store_key is not None:
        conditions.append(payload[where.store_key].as_integer() == who.store_id)
    conditions.append(or_(false(), *(_holds(payload, key, identifier, who) for key, identifier in match.items())))
    columns = [table.c.id, payload] + ([table.c[where.public_id]] if where.public_id else [])
    rows = (await session.execute(select(*columns).where(*conditions))).all()
    for row in rows:
        scrubbed = {**row[1], **{key: who.replacement(value) for key, value in scrub.items() if key in row[1]}}
        await session.execute(update(table).where(table.c.id == row[0]).values({where.payload: scrubbed}))
        if where.public_id is not None:
            who.event_ids.add(row[2])
    return len(rows)


def _holds(payload: Any, key: str, identifier: Key, who: Identity) -> ColumnElement[bool]:
    if identifier is Key.CUSTOMER_ID:
        return payload[key].as_integer() == who.customer_id  # type: ignore[no-any-return]
    if identifier is Key.PHONE:
        return payload[key].as_string().in_(who.phones)  # type: ignore[no-any-return]
    if not who.emails:
        return false()
    return func.lower(payload[key].as_string()).in_(who.emails)
