from __future__ import annotations

from typing import cast

import strawberry

from schema.context import Info
from schema.enums import LandingPageStatus
from schema.scalars import DateTime
from schema.types.product import Product


@strawberry.type
class LandingPage:
    id: strawberry.ID
    title: str
    slug: str
    product_id: strawberry.ID | None
    content: str | None
    status: LandingPageStatus
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        if self.product_id is None:
            return None
        return cast("Product | None", await info.context.loaders.product_by_id.load(int(self.product_id)))
