"""createCustomer, updateCustomer, addCustomerTags and removeCustomerTags: the merchant's edits of a profile."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import strawberry
from strawberry.scalars import JSON

from resolvers.core.context import Info
from schema.core.enums import Gender
from schema.core.payloads import given, run_mutation
from schema.core.scalars import Money
from schema.customers.mutations import CustomerPayload, customer_payload
from storegraph.platform.ids import parse_id
from storegraph.rules.customers.editing import CustomerChanges, create_customer, update_customer
from storegraph.rules.customers.tags import MAX_TAG, MAX_TAGS, add_customer_tags, remove_customer_tags

TAGS = (
    f"Trimmed, 1–{MAX_TAG} characters without commas, unique per customer ignoring case; at most {MAX_TAGS} per "
    "customer."
)


@strawberry.input(description="A customer the merchant adds by hand; the phone must be new to the store.")
class CreateCustomerInput:
    phone: str = strawberry.field(description="Normalised like checkout's; a phone the store has is `conflict`.")
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    gender: Gender | None = None
    birth_date: date | None = strawberry.field(default=None, description="From 1900-01-01 up to today.")
    locale: str | None = strawberry.field(default=None, description="A BCP 47 language tag: fr, ar, fr-DZ.")
    accepts_marketing: bool = False
    tags: list[str] | None = strawberry.field(default=None, description=TAGS)
    metadata: JSON | None = strawberry.field(
        default=None, description="At most 50 keys of 1–40 characters, 16 KB of JSON in all."
    )
    notes: str | None = None
    wilaya_id: int | None = None
    commune: str | None = None
    address: str | None = None


@strawberry.input(
    description="Fields left out stay as they are; null clears a nullable field. `metadata` is merged key by key (a "
    "key set to null is deleted); `tags` replaces the set."
)
class UpdateCustomerInput:
    id: strawberry.ID
    phone: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    locale: str | None = strawberry.UNSET
    accepts_marketing: bool | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    wilaya_id: int | None = strawberry.UNSET
    commune: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    is_loyalty_enabled: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Off: the customer earns no points and cannot be given any."
    )
    is_house_account_enabled: bool | None = strawberry.field(
        default=strawberry.UNSET, description="On: orders can be charged to the account (`HOUSE_ACCOUNT`)."
    )
    house_account_limit: Money | None = strawberry.field(
        default=strawberry.UNSET,
        description="The most the customer may owe; null removes the limit. A limit below the balance stops "
        "further charges until the customer pays.",
    )


def _changes(data: CreateCustomerInput | UpdateCustomerInput) -> CustomerChanges:
    if isinstance(data, UpdateCustomerInput):
        return replace(
            _profile_changes(data),
            is_loyalty_enabled=given(data.is_loyalty_enabled),
            is_house_account_enabled=given(data.is_house_account_enabled),
            house_account_limit=given(data.house_account_limit),
        )
    return _profile_changes(data)


def _profile_changes(data: CreateCustomerInput | UpdateCustomerInput) -> CustomerChanges:
    return CustomerChanges(
        first_name=given(data.first_name),
        last_name=given(data.last_name),
        phone=given(data.phone),
        email=given(data.email),
        gender=given(data.gender),
        birth_date=given(data.birth_date),
        locale=given(data.locale),
        accepts_marketing=given(data.accepts_marketing),
        tags=given(data.tags),
        metadata=given(data.metadata),
        notes=given(data.notes),
        wilaya_id=given(data.wilaya_id),
        commune=given(data.commune),
        address=given(data.address),
    )


@strawberry.type
class CustomerProfileMutations:
    @strawberry.mutation(description="Adds a customer; a phone the store already has is `conflict` on `phone`.")
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload | None:
        store_id, region = info.context.store_id, info.context.principal.phone_region
        changes = _changes(input)
        customer, errors = await run_mutation(info, lambda s: create_customer(s, store_id, region, changes))
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(description="Changes some fields of a customer's profile.")
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload | None:
        store_id, region = info.context.store_id, info.context.principal.phone_region
        changes = _changes(input)
        customer, errors = await run_mutation(
            info, lambda s: update_customer(s, store_id, region, parse_id(input.id), changes)
        )
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(description=f"Adds tags the customer does not have yet. {TAGS}")
    async def add_customer_tags(self, info: Info, id: strawberry.ID, tags: list[str]) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(info, lambda s: add_customer_tags(s, store_id, parse_id(id), tags))
        return await customer_payload(info, customer.id if customer else None, errors)

    @strawberry.mutation(description="Removes tags, in any case; a tag the customer does not have is no error.")
    async def remove_customer_tags(self, info: Info, id: strawberry.ID, tags: list[str]) -> CustomerPayload | None:
        store_id = info.context.store_id
        customer, errors = await run_mutation(info, lambda s: remove_customer_tags(s, store_id, parse_id(id), tags))
        return await customer_payload(info, customer.id if customer else None, errors)
