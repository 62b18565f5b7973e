from __future__ import annotations

from typing import Any, cast

import strawberry

from db.queries.landing_pages import landing_pages_by_ids
from domain.landing_pages import LandingPageChanges, create_landing_page, update_landing_page
from resolvers.ids import parse_id
from schema.context import Info
from schema.enums import LandingPageStatus
from schema.mutations.common import UserError, given, payload, run_mutation
from schema.types.landing_page import LandingPage


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


def _changes(data: CreateLandingPageInput | UpdateLandingPageInput) -> LandingPageChanges:
    return LandingPageChanges(
        title=given(data.title),
        slug=given(data.slug),
        product_id=_product_id(data.product_id),
        content=given(data.content),
        status=given(data.status),
    )


async def _landing_page_payload(info: Info, page_id: int | None, errors: list[UserError]) -> LandingPagePayload | None:
    rows = await landing_pages_by_ids(info.context.db, info.context.store_id, [page_id]) if page_id else []
    return cast("LandingPagePayload", payload(landing_page=rows[0] if rows else None, user_errors=errors))


@strawberry.type
class LandingPageMutations:
    @strawberry.mutation(
        description="Creates a landing page. Without a slug, one is derived from the title, unique per store; "
        "a slug already used in the store is `conflict`."
    )
    async def create_landing_page(self, info: Info, input: CreateLandingPageInput) -> LandingPagePayload | None:
        store_id = info.context.store_id
        page, errors = await run_mutation(info, lambda s: create_landing_page(s, store_id, _changes(input)))
        return await _landing_page_payload(info, page.id if page else None, errors)

    @strawberry.mutation
    async def update_landing_page(self, info: Info, input: UpdateLandingPageInput) -> LandingPagePayload | None:
        store_id = info.context.store_id
        page, errors = await run_mutation(
            info, lambda s: update_landing_page(s, store_id, parse_id(input.id), _changes(input))
        )
        return await _landing_page_payload(info, page.id if page else None, errors)
