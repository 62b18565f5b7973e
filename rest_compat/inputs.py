"""What each /v1 endpoint accepts: query strings and JSON bodies as pydantic models (the documented bodies, unknown
fields refused).

These models only check the *shape* of a request (known fields, JSON types, ranges that GraphQL's own types would
refuse less clearly); every business rule (blank names, slugs, phone formats, SKUs taken) stays in the domain,
below the GraphQL operation the endpoint runs. Unknown fields are a ``validation_error``. The OpenAPI document's
parameter and request-body schemas are generated from these models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from storegraph.platform.ids import MAX_ID
from storegraph.platform.money import MAX_MONEY
from storegraph.rules.keys import MAX_ALLOWED_ORIGINS
from storegraph.rules.statuses import LandingPageStatus, OrderStatus, PaymentStatus, ProductStatus
from storegraph.rules.tracking.validation import MAX_EVENTS

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_PAGE_SIZE = 200

Money = Annotated[int, Field(ge=0, le=MAX_MONEY, description="An integer amount in the store's currency (DZD).")]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class QueryModel(BaseModel):
    """A query string: values arrive as text and are parsed (``limit=20`` is the integer 20)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BodyModel(BaseModel):
    """A JSON body: JSON types are strict (``"price": "1500"`` is refused); fields left out stay unset."""

    # The handler dumps a body to plain values before it becomes the operation's variables. pydantic reads
    # ``NaN``, ``Infinity`` and ``1e400`` into free-form JSON (settings, metadata, properties) and would dump them
    # as null, which deletes a settings key instead of being refused: "constants" hands them on unchanged, to
    # the same check GraphQL input meets (storegraph/platform/validation.py).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, ser_json_inf_nan="constants")


class Page(QueryModel):
    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE, description="Page size, 1–200.")
    cursor: str | None = Field(default=None, max_length=2048, description="`next_cursor` of the previous page.")


class ProductQuery(Page):
    status: ProductStatus | None = None
    q: str | None = Field(default=None, max_length=200, description="Search in name and SKU.")


class OrderQuery(Page):
    status: OrderStatus | None = None
    since: datetime | None = Field(
        default=None, description="Orders created at or after this moment (ISO 8601 or `YYYY-MM-DD HH:MM:SS`, UTC)."
    )
    customer_id: Id | None = None


class CustomerQuery(Page):
    phone: str | None = Field(default=None, max_length=64, description="Exact match after normalisation.")
    email: str | None = Field(default=None, max_length=254, description="Exact match, case-sensitive.")


class LandingPageQuery(Page):
    pass


class ProductFields(BodyModel):
    name: str | None = None
    price: Money | None = None
    description: str | None = None
    sku: str | None = None
    stock_quantity: Int32 | None = None
    track_stock: bool | None = None
    status: ProductStatus | None = None
    compare_price: Money | None = None
    cost_price: Money | None = None
    low_stock_alert: Int32 | None = None


class CreateProductBody(BodyModel):
    """Seed 004's flat product body."""

    name: str
    price: Money
    description: str | None = None
    sku: str | None = None
    stock_quantity: Int32 = 0
    track_stock: bool = False
    status: ProductStatus = ProductStatus.DRAFT
    compare_price: Money | None = None
    cost_price: Money | None = None
    low_stock_alert: Int32 = 5


class UpdateProductBody(ProductFields):
    """Any subset of the product fields; null clears a field that may be empty."""


class UpdateOrderBody(BodyModel):
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    note: str | None = None


class UpdateStoreBody(BodyModel):
    name: str | None = None
    settings: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class CreateLandingPageBody(BodyModel):
    title: str
    slug: str | None = None
    product_id: Id | None = None
    content: str | None = None
    status: LandingPageStatus = LandingPageStatus.DRAFT


class CreateKeyBody(BodyModel):
    type: str = Field(
        default="platform",
        pattern="^(platform|public)$",
        description="`platform` (Bearer, server-to-server) or `public` (signs POST /v1/signups and /v1/events).",
    )
    # A public key holds tracking:write only, so it is created without scopes.
    scopes: list[str] = Field(default_factory=list, max_length=64)
    name: str | None = None
    env: str | None = Field(default=None, pattern="^(live|test)$", description="`live` or `test`.")
    allowed_origins: list[str] | None = Field(
        default=None,
        max_length=MAX_ALLOWED_ORIGINS,
        description="Public keys: the http(s) origins (`https://shop.example`) whose pages may use the key; "
        "absent or empty: any.",
    )


class CreateWebhookBody(BodyModel):
    url: str = Field(max_length=2048)
    events: list[str] = Field(max_length=16)


class RedeliverWebhookBody(BodyModel):
    delivery_id: str = Field(max_length=40, description="The `delivery_id` of a logged attempt (`X-DZ-Delivery`).")


class TrackSignupBody(BodyModel):
    """POST /v1/signups: an email and/or a phone (tracking/validation.py has the rules)."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    source: str | None = None
    campaign: str | None = None
    metadata: dict[str, Any] | None = Field(default=None, description="A JSON object of at most 16 KB.")


class TrackedEventBody(BodyModel):
    event: str = Field(description="A name such as `page_view`: `[a-z][a-z0-9_.:-]{0,63}`.")
    properties: dict[str, Any] | None = Field(default=None, description="A JSON object of at most 16 KB.")
    occurred_at: datetime | None = Field(
        default=None, description="ISO 8601 or `YYYY-MM-DD HH:MM:SS` (UTC without an offset); default: now."
    )


class TrackEventsBody(BodyModel):
    """POST /v1/events: one event (``event``, ``properties``, ``occurred_at``) or up to 100 in ``events``."""

    event: str | None = Field(default=None, description="A name such as `page_view`.")
    properties: dict[str, Any] | None = None
    occurred_at: datetime | None = None
    events: list[TrackedEventBody] | None = Field(default=None, max_length=MAX_EVENTS)


class EventCountsQuery(QueryModel):
    # ``from`` is a Python keyword: the field is ``from_``, its name in the query string ``from``.
    from_: date | None = Field(
        default=None, alias="from", description="First UTC day (`YYYY-MM-DD`), included; default: 29 days before `to`."
    )
    to: date | None = Field(default=None, description="Last UTC day, included; default: today.")
    event: str | None = Field(default=None, max_length=64, description="Only this event name.")
