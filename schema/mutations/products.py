from __future__ import annotations

from typing import cast

import strawberry

from db.queries.products import products_by_ids
from domain.products import ProductChanges, create_product, delete_product, update_product
from resolvers.ids import parse_id
from schema.context import Info
from schema.enums import ProductStatus
from schema.mutations.common import UserError, given, payload, run_mutation
from schema.scalars import Money
from schema.types.product import Product


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


def _changes(data: CreateProductInput | UpdateProductInput) -> ProductChanges:
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
    rows = await products_by_ids(info.context.db, info.context.store_id, [product_id]) if product_id else []
    return cast("ProductPayload", payload(product=rows[0] if rows else None, user_errors=errors))


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Creates a product; its slug is derived from the name, unique per store.")
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload | None:
        store_id = info.context.store_id
        product, errors = await run_mutation(info, lambda s: create_product(s, store_id, _changes(input)))
        return await _product_payload(info, product.id if product else None, errors)

    @strawberry.mutation
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload | None:
        store_id = info.context.store_id
        product, errors = await run_mutation(
            info, lambda s: update_product(s, store_id, parse_id(input.id), _changes(input))
        )
        return await _product_payload(info, product.id if product else None, errors)

    @strawberry.mutation(description="Deletes a product. Orders keep their copy of its name, SKU and price.")
    async def delete_product(self, info: Info, id: strawberry.ID) -> DeleteProductPayload | None:
        store_id = info.context.store_id
        deleted, errors = await run_mutation(info, lambda s: delete_product(s, store_id, parse_id(id)))
        return cast("DeleteProductPayload", payload(deleted_id=deleted, user_errors=errors))
