"""Customer address book reads: every book of a level of customers in one statement, shared by ``addresses`` and
``defaultAddress`` (both load through the same DataLoader)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.addresses import addresses_for_customers
from db.queries.executor import Executor
from resolvers.core.context import Context


class AddressesByCustomerLoader(DataLoader[int, list[Row[Any]]]):
    """Books of customers the caller already holds (so already checked to be of its store), in book order."""

    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(customer_ids: list[int]) -> list[list[Row[Any]]]:
            books = await addresses_for_customers(db, store_id, customer_ids)
            return [books.get(customer_id, []) for customer_id in customer_ids]

        super().__init__(load_fn=load)


async def address_books(context: Context, customer_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return list(await context.loaders.get(AddressesByCustomerLoader).load_many(list(customer_ids)))


def default_of(book: list[Row[Any]]) -> Row[Any] | None:
    """The book's default: its first address, since a book reads default first."""
    return book[0] if book and book[0].is_default else None
