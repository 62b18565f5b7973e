from __future__ import annotations

from typing import cast

import strawberry

from db.queries.customers import customers_by_ids
from resolvers.core.context import Info
from schema.core.payloads import UserError, payload, run_mutation, written_row
from schema.customers.types import Customer
from storegraph.platform.ids import parse_id
from storegraph.rules.customers.erasure import erase_customer
from storegraph.rules.customers.lifecycle import archive_customer, restore_customer
from storegraph.rules.customers.profile import ban_customer, unban_customer, update_customer_notes


@strawberry.input
class BanCustomerInput:
    id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Merchant-private, at most 255 characters.")


@strawberry.input
class UpdateCustomerNotesInput:
    id: strawberry.ID
    notes: str | None = strawberry.field(default=None, description="At most 5000 characters; null clears the notes.")


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.type
class EraseCustomerPayload:
    erased_id: strawberry.ID | None = strawberry.field(description="The erased customer's id; null on an error.")
    customer: Customer | None = strawberry.field(
        description="The customer as it is now: no personal data left, `erasedAt` set (needs `customers:read`)."
    )
    user_errors: list[UserError]


async def customer_payload(info: Info, customer_id: int | None, errors: list[UserError]) -> CustomerPayload | None:
    customer = await written_row(info, customers_by_ids, customer_id)
    return cast("CustomerPayload", payload(customer=customer, user_errors=errors))


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Bans a customer: their new orders are refused with `customer_banned`.")
    async def ban_customer(self, info: Info, input: BanCustomerInput) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(
            info, lambda s: ban_customer(s, store_id, parse_id(input.id), input.reason)
        )
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(description="Lifts a ban, clearing its reason and time.")
    async def unban_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(info, lambda s: unban_customer(s, store_id, parse_id(id)))
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(description="Replaces the merchant's private notes on a customer.")
    async def update_customer_notes(self, info: Info, input: UpdateCustomerNotesInput) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(
            info, lambda s: update_customer_notes(s, store_id, parse_id(input.id), input.notes)
        )
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(
        description="Archives a customer (a soft delete): it leaves every list unless `filter.isArchived` is true, "
        "`customer(id:)` still answers, and a new order with its phone restores it. Archiving again keeps the "
        "first time."
    )
    async def archive_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(info, lambda s: archive_customer(s, store_id, parse_id(id)))
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(description="Brings an archived customer back to the lists (clears `archivedAt`).")
    async def restore_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(info, lambda s: restore_customer(s, store_id, parse_id(id)))
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(
        description="The right to erasure (scope `customers:erase`, never a default): removes every copy of the "
        "customer's personal data (its own fields, its orders' copies, signups, queued jobs, webhook events) "
        "and keeps its totals and its orders' amounts and items; sets `erasedAt`; frees its phone; fires "
        "`customer.erased`. Irreversible: a later change is `customer_erased`. docs/erasure.md lists the cascade."
    )
    async def erase_customer(self, info: Info, id: strawberry.ID) -> EraseCustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(info, lambda s: erase_customer(s, store_id, parse_id(id)))
        erased_id = customer.id if customer else None
        row = await written_row(info, customers_by_ids, erased_id)
        return cast(
            "EraseCustomerPayload",
            payload(erased_id=None if erased_id is None else str(erased_id), customer=row, user_errors=errors),
        )
