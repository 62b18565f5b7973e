from __future__ import annotations

from typing import Any, cast

import strawberry

from db.queries.catalog import landing_pages_by_ids, products_by_ids
from resolvers.core.context import Info
from schema.catalog.types import LandingPage, Product
from schema.core.enums import LandingPageStatus, ProductStatus
from schema.core.payloads import UserError, given, payload, run_mutation, run_mutation_on_driver, written_row
from schema.core.scalars import Money
from storegraph.platform.ids import parse_id
from storegraph.rules.catalog.landing_pages import LandingPageChanges, create_landing_page, update_landing_page
from storegraph.rules.catalog.products import ProductChanges, create_product, delete_product, update_product


@strawberry.input
class CreateProductInput:
    name: str
    price: Money
    description: str | None = None
    sku: str | None = None
    stock_quantity: int = 0
    track_stock: bool = False
    status: ProductStatus = ProductStatus.DRAFT
    compare_price: Money | None = None
    cost_price: Money | None = None
    low_stock_alert: int = 5


@strawberry.input(description="Fields left out stay as they are; null clears a nullable field.")
class UpdateProductInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    price: Money | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    sku: str | None = strawberry.UNSET
    stock_quantity: int | None = strawberry.UNSET
    track_stock: bool | None = strawberry.UNSET
    status: ProductStatus | None = strawberry.UNSET
    compare_price: Money | None = strawberry.UNSET
    cost_price: Money | None = strawberry.UNSET
    low_stock_alert: int | None = strawberry.UNSET


@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class DeleteProductPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


def _product_changes(data: CreateProductInput | UpdateProductInput) -> ProductChanges:
    return ProductChanges(
        name=given(data.name),
        description=given(data.description),
        price=given(data.price),
        compare_price=given(data.compare_price),
        cost_price=given(data.cost_price),
        sku=given(data.sku),
        track_stock=given(data.track_stock),
        stock_quantity=given(data.stock_quantity),
        low_stock_alert=given(data.low_stock_alert),
        status=given(data.status),
    )


async def _product_payload(info: Info, product_id: int | None, errors: list[UserError]) -> ProductPayload | None:
    product = await written_row(info, products_by_ids, product_id)
    return cast("ProductPayload", payload(product=product, user_errors=errors))


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Creates a product; its slug is derived from the name, unique per store.")
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload | None:
        store_id = info.context.store_id
        # The insert answers the row as the reads by id do: no second select.
        product, errors = await run_mutation_on_driver(
            info, lambda s: create_product(s, store_id, _product_changes(input))
        )
        return cast("ProductPayload", payload(product=product, user_errors=errors))

    @strawberry.mutation
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload | None:
        store_id = info.context.store_id
        product, errors = await run_mutation(
            info, lambda s: update_product(s, store_id, parse_id(input.id), _product_changes(input))
        )
        return await _product_payload(info, product.id if product else None, errors)

    @strawberry.mutation(description="Deletes a product. Orders keep their copy of its name, SKU and price.")
    async def delete_product(self, info: Info, id: strawberry.ID) -> DeleteProductPayload | None:
        store_id = info.context.store_id
        deleted, errors = await run_mutation(info, lambda s: delete_product(s, store_id, parse_id(id)))
        return cast("DeleteProductPayload", payload(deleted_id=deleted, user_errors=errors))


@strawberry.input
class CreateLandingPageInput:
    title: str
    slug: str | None = strawberry.field(
        default=None, description="Lowercase letters, digits and dashes; derived from the title when left out."
    )
    product_id: strawberry.ID | None = None
    content: str | None = None
    status: LandingPageStatus = LandingPageStatus.DRAFT


@strawberry.input(description="Fields left out stay as they are; null clears a nullable field.")
class UpdateLandingPageInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    product_id: strawberry.ID | None = strawberry.UNSET
    content: str | None = strawberry.UNSET
    status: LandingPageStatus | None = strawberry.UNSET


@strawberry.type
class LandingPagePayload:
    landing_page: LandingPage | None
    user_errors: list[UserError]


def _product_id(value: Any) -> Any:
    if value is strawberry.UNSET or value is None:
        return given(value)
    return parse_id(value, "productId")


def _landing_page_changes(data: CreateLandingPageInput | UpdateLandingPageInput) -> LandingPageChanges:
    return LandingPageChanges(
        title=given(data.title),
        slug=given(data.slug),
        product_id=_product_id(data.product_id),
        content=given(data.content),
        status=given(data.status),
    )


async def _landing_page_payload(info: Info, page_id: int | None, errors: list[UserError]) -> LandingPagePayload | None:
    page = await written_row(info, landing_pages_by_ids, page_id)
    return cast("LandingPagePayload", payload(landing_page=page, user_errors=errors))


@strawberry.type
class LandingPageMutations:
    @strawberry.mutation(
        description="Creates a landing page. Without a slug, one is derived from the title, unique per store; "
        "a slug already used in the store is `conflict`."
    )
    async def create_landing_page(self, info: Info, input: CreateLandingPageInput) -> LandingPagePayload | None:
        store_id = info.context.store_id
        page, errors = await run_mutation(
            info, lambda s: create_landing_page(s, store_id, _landing_page_changes(input))
        )
        return await _landing_page_payload(info, page.id if page else None, errors)

    @strawberry.mutation
    async def update_landing_page(self, info: Info, input: UpdateLandingPageInput) -> LandingPagePayload | None:
        store_id = info.context.store_id
        page, errors = await run_mutation(
            info, lambda s: update_landing_page(s, store_id, parse_id(input.id), _landing_page_changes(input))
        )
        return await _landing_page_payload(info, page.id if page else None, errors)
