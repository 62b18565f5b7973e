"""The address book's mutations (customers:write): add, update, delete, and make an address the default."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry

from db.queries.addresses import addresses_by_ids
from db.queries.customers import customers_by_ids
from resolvers.core.context import Info
from schema.core.payloads import UserError, given, payload, run_mutation, written_row
from schema.customers.addresses import CustomerAddress
from schema.customers.types import Customer
from storegraph.platform.countries import DEFAULT_COUNTRY
from storegraph.platform.ids import parse_id
from storegraph.rules.customers.addresses import (
    AddressChanges,
    AddressWrite,
    add_address,
    delete_address,
    set_default_address,
    update_address,
)

Owner = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="When given, the address must be this customer's (`not_found` otherwise), as /v1's paths say."
    ),
]


@strawberry.input(description="A DZ address needs `wilayaId` (1–58); an address elsewhere has none.")
class AddCustomerAddressInput:
    customer_id: strawberry.ID
    line1: str = strawberry.field(description="Street and number, at most 255 characters.")
    label: str | None = strawberry.field(default=None, description="`Home`, `Work`...: at most 50 characters.")
    line2: str | None = None
    wilaya_id: int | None = strawberry.field(default=None, description="Algerian wilaya, 1–58.")
    commune: str | None = None
    postal_code: str | None = None
    country: str = strawberry.field(default=DEFAULT_COUNTRY, description="ISO 3166-1 alpha-2 code.")
    phone: str | None = strawberry.field(default=None, description="Normalised like a customer's phone.")
    is_default: bool = strawberry.field(
        default=False, description="Make it the default (the customer's first address always is)."
    )


@strawberry.input(description="Fields left out stay as they are; null clears a nullable field.")
class UpdateCustomerAddressInput:
    id: strawberry.ID
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="When given, the address must be this customer's (`not_found` otherwise); an address never "
        "moves to another customer.",
    )
    label: str | None = strawberry.UNSET
    line1: str | None = strawberry.UNSET
    line2: str | None = strawberry.UNSET
    wilaya_id: int | None = strawberry.UNSET
    commune: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    is_default: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="`true` makes it the default; the default cannot be unset, only replaced by another.",
    )


@strawberry.type
class CustomerAddressPayload:
    address: CustomerAddress | None
    customer: Customer | None = strawberry.field(description="The address's customer, with its book as it is now.")
    user_errors: list[UserError]


@strawberry.type
class DeleteCustomerAddressPayload:
    deleted_id: strawberry.ID | None
    customer: Customer | None = strawberry.field(description="The customer, with the default that was promoted.")
    user_errors: list[UserError]


def _changes(data: AddCustomerAddressInput | UpdateCustomerAddressInput) -> AddressChanges:
    return AddressChanges(
        label=given(data.label),
        line1=given(data.line1),
        line2=given(data.line2),
        wilaya_id=given(data.wilaya_id),
        commune=given(data.commune),
        postal_code=given(data.postal_code),
        country=given(data.country),
        phone=given(data.phone),
        is_default=given(data.is_default),
    )


def _owner(raw: strawberry.ID | None) -> int | None:
    return None if raw is None else parse_id(raw, "customerId")


async def _address_payload(info: Info, written: AddressWrite | None, errors: list[UserError]) -> Any:
    address = await written_row(info, addresses_by_ids, written.address_id if written else None)
    customer = await written_row(info, customers_by_ids, written.customer_id if written else None)
    return payload(address=address, customer=customer, user_errors=errors)


@strawberry.type
class CustomerAddressMutations:
    @strawberry.mutation(
        description="Adds an address to a customer's book (at most 20: `conflict` on `customerId`). The first "
        "address becomes the default; `isDefault: true` moves the default to the new one."
    )
    async def add_customer_address(self, info: Info, input: AddCustomerAddressInput) -> CustomerAddressPayload | None:
        context = info.context
        region = context.principal.phone_region
        written, errors = await run_mutation(
            info,
            lambda s: add_address(
                s, context.store_id, parse_id(input.customer_id, "customerId"), _changes(input), region
            ),
        )
        return cast("CustomerAddressPayload", await _address_payload(info, written, errors))

    @strawberry.mutation(description="Changes some fields of an address; `isDefault: true` makes it the default.")
    async def update_customer_address(
        self, info: Info, input: UpdateCustomerAddressInput
    ) -> CustomerAddressPayload | None:
        context = info.context
        region = context.principal.phone_region
        written, errors = await run_mutation(
            info,
            lambda s: update_address(
                s,
                context.store_id,
                parse_id(input.id),
                _changes(input),
                region,
                customer_id=_owner(input.customer_id),
            ),
        )
        return cast("CustomerAddressPayload", await _address_payload(info, written, errors))

    @strawberry.mutation(description="Makes the address its customer's default, the old default no longer.")
    async def set_default_customer_address(
        self, info: Info, id: strawberry.ID, customer_id: Owner = None
    ) -> CustomerAddressPayload | None:
        store_id = info.context.store_id
        written, errors = await run_mutation(
            info, lambda s: set_default_address(s, store_id, parse_id(id), customer_id=_owner(customer_id))
        )
        return cast("CustomerAddressPayload", await _address_payload(info, written, errors))

    @strawberry.mutation(
        description="Deletes an address; when it was the default, the newest remaining address becomes the default."
    )
    async def delete_customer_address(
        self, info: Info, id: strawberry.ID, customer_id: Owner = None
    ) -> DeleteCustomerAddressPayload | None:
        store_id = info.context.store_id
        written, errors = await run_mutation(
            info, lambda s: delete_address(s, store_id, parse_id(id), customer_id=_owner(customer_id))
        )
        customer = await written_row(info, customers_by_ids, written.customer_id if written else None)
        deleted = str(written.address_id) if written else None
        return cast("DeleteCustomerAddressPayload", payload(deleted_id=deleted, customer=customer, user_errors=errors))
