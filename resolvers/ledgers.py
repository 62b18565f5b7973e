"""The customers' ledgers as connections: a customer's loyalty or house-account entries, newest first, batched
across all customers of a level (one statement for the pages, one for the counts when ``totalCount`` is asked)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.models import HouseAccountTransaction, LoyaltyTransaction
from db.queries.executor import Executor
from db.queries.ledgers import (
    LedgerModel,
    ledger_counts_for_customers,
    ledger_entries_by_ids,
    ledger_pages_for_customers,
    newest_first,
)
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page

LOYALTY = LoyaltyTransaction
HOUSE_ACCOUNT = HouseAccountTransaction
# The list names cursors are bound to (a loyalty cursor is refused by the house-account list).
LIST_NAMES: dict[LedgerModel, str] = {LOYALTY: "loyalty_transactions", HOUSE_ACCOUNT: "house_account_transactions"}


@dataclass(frozen=True, slots=True)
class LedgerPageKey:
    """One customer's page of one ledger; keys that differ only in ``customer_id`` share one query."""

    customer_id: int
    after: tuple[Any, ...] | None
    first: int


def _page_loader(model: LedgerModel) -> type[DataLoader[LedgerPageKey, list[Row[Any]]]]:
    class PageLoader(DataLoader[LedgerPageKey, list[Row[Any]]]):
        def __init__(self, db: Executor, store_id: int) -> None:
            async def load(keys: list[LedgerPageKey]) -> list[list[Row[Any]]]:
                groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
                for key in keys:
                    groups[(key.after, key.first)].append(key.customer_id)
                pages: dict[tuple[Any, ...], dict[int, list[Row[Any]]]] = {}
                for (after, first), customer_ids in groups.items():
                    pages[(after, first)] = await ledger_pages_for_customers(
                        db, model, store_id, customer_ids, list(after) if after else None, first
                    )
                return [pages[(key.after, key.first)].get(key.customer_id, []) for key in keys]

            super().__init__(load_fn=load)

    return PageLoader


def _count_loader(model: LedgerModel) -> type[DataLoader[int, int]]:
    class CountLoader(DataLoader[int, int]):
        def __init__(self, db: Executor, store_id: int) -> None:
            async def load(customer_ids: list[int]) -> list[int]:
                counts = await ledger_counts_for_customers(db, model, store_id, customer_ids)
                return [counts.get(customer_id, 0) for customer_id in customer_ids]

            super().__init__(load_fn=load)

    return CountLoader


PAGE_LOADERS = {model: _page_loader(model) for model in LIST_NAMES}
COUNT_LOADERS = {model: _count_loader(model) for model in LIST_NAMES}


async def ledger_page(
    context: Context, model: LedgerModel, customer_id: int, first: int, after: str | None
) -> PageSource:
    """A customer's page of a ledger, batched across the customers of the level by a DataLoader."""
    check_first(first)
    ordering = newest_first(model)
    position = decode_after(context, LIST_NAMES[model], ordering, after)
    key = LedgerPageKey(customer_id=customer_id, after=tuple(position) if position else None, first=first)
    rows = await context.loaders.get(PAGE_LOADERS[model]).load(key)
    count = COUNT_LOADERS[model]
    return make_page(
        context,
        LIST_NAMES[model],
        ordering,
        rows,
        first,
        position,
        lambda: context.loaders.get(count).load(customer_id),
    )


async def ledger_pages(
    context: Context, model: LedgerModel, customer_ids: Sequence[int], first: int, after: str | None
) -> list[PageSource]:
    """``ledger_page`` for a whole level of customers in the one statement its DataLoader would batch them into."""
    check_first(first)
    ordering = newest_first(model)
    position = decode_after(context, LIST_NAMES[model], ordering, after)
    pages = await ledger_pages_for_customers(
        context.db, model, context.store_id, list(dict.fromkeys(customer_ids)), position, first
    )
    count = COUNT_LOADERS[model]

    def counter(customer_id: int) -> Any:
        return lambda: context.loaders.get(count).load(customer_id)

    return [
        make_page(
            context, LIST_NAMES[model], ordering, pages.get(customer_id, []), first, position, counter(customer_id)
        )
        for customer_id in customer_ids
    ]


async def ledger_entry(context: Context, model: LedgerModel, entry_id: int | None) -> Row[Any] | None:
    """A ledger row a mutation just wrote, as the reads show it."""
    if entry_id is None:
        return None
    rows = await ledger_entries_by_ids(context.db, model, context.store_id, [entry_id])
    return rows[0] if rows else None
