"""What each /v1 endpoint accepts: query strings and JSON bodies as pydantic models (the documented bodies, unknown
fields refused).

Each field carries the constraints the domain puts on it, read from the rule's own constants through the value
types of rest_compat/input_types.py: lengths, ranges, patterns, closed sets, whether it may be null. The OpenAPI
document's parameter and request-body schemas are generated from these models, so what it publishes is what is
enforced here, before any work. The domain keeps its own checks (GraphQL calls it directly) and every rule JSON
Schema cannot state: rules across fields, a phone its region can read, a product of the store. Those are in the
endpoint's description (rest_compat/rows/) and, where JSON Schema can say them, in the model's ``schema_rules``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from db.models.review import MAX_RATING, MAX_REVIEW_TEXT, MIN_RATING
from db.queries.slugs import MAX_SLUG
from resolvers.core.filters import MAX_FILTER_TEXT
from resolvers.core.pagination import MAX_PAGE_SIZE
from rest_compat.input_types import (
    EMAIL,
    EMAIL_OR_BLANK,
    HTTP_ORIGIN,
    HTTP_URL,
    JSON_KEYS,
    LANDING_PAGE_SLUG,
    NOT_BLANK,
    TRACKED_EVENT_NAME,
    WHOLE_NUMBER,
    CustomerSortParameter,
    Day,
    FreeJsonObject,
    FreeJsonValue,
    Id,
    Moment,
    Money,
    Stock,
    TagList,
    text,
)
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.origins import MAX_ORIGIN_LENGTH
from storegraph.platform.auth.scopes import INTERNAL_SCOPES, PUBLIC_KEY_SCOPES, Scope
from storegraph.platform.phones import MAX_PHONE_LENGTH
from storegraph.platform.validation import MAX_EMAIL, MAX_JSON_BYTES, MAX_JSON_DEPTH
from storegraph.rules import stores
from storegraph.rules.catalog import landing_pages, products
from storegraph.rules.customers import loyalty
from storegraph.rules.customers.analytics import DEFAULT_TOP_PRODUCTS, MAX_TOP_PRODUCTS
from storegraph.rules.keys import MAX_ALLOWED_ORIGINS, MAX_KEY_NAME
from storegraph.rules.orders.status import MAX_NOTE
from storegraph.rules.outbox import EventName
from storegraph.rules.statuses import LandingPageStatus, OrderStatus, PaymentStatus, ProductStatus
from storegraph.rules.tracking import validation as tracking
from storegraph.rules.webhooks.subscriptions import MAX_DELIVERY_ID, MAX_URL

# Bounds of the request alone, which no rule needs: a cursor longer than any the API writes, more scopes or
# webhook events than there are (duplicates are merged).
MAX_CURSOR = 2048
MAX_SCOPES_LISTED = 64
MAX_WEBHOOK_EVENTS = 16

MOMENT = "ISO 8601 (`2026-04-30T14:22:10Z`) or `YYYY-MM-DD HH:MM:SS` in UTC; within the years 1 to 9999 once in UTC."

# Said of every free-form object: its schema states the rest, not its size and depth.
JSON_OBJECT = (
    f"A JSON object of at most {MAX_JSON_BYTES // 1024} KB, nested at most {MAX_JSON_DEPTH} levels, without "
    "control characters in its keys and strings, its numbers in the signed 64-bit range."
)


def _published(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The model's JSON Schema as the document publishes it: no default where leaving a field out does not give
    it one (every field of a partial update; ``null`` on a field that cannot be null), and the model's
    ``schema_rules`` across its fields."""
    partial = getattr(model, "partial", False)
    for field in schema.get("properties", {}).values():
        if "default" in field and (partial or (field["default"] is None and not _nullable(field))):
            del field["default"]
    schema.update(getattr(model, "schema_rules", {}))


def left_out(description: str | None = None) -> Any:
    """The default of a field that may be left out but may not be null: the ``None`` it holds then is never
    dumped (the handler dumps the fields that were sent), and pydantic does not check it against the type."""
    return Field(default=None, description=description)


def _nullable(schema: dict[str, Any]) -> bool:
    types = schema.get("type")
    return (
        {"type": "null"} in schema.get("anyOf", ()) or types == "null" or (isinstance(types, list) and "null" in types)
    )


class QueryModel(BaseModel):
    """A query string: values arrive as text and are parsed (``limit=20`` is the integer 20)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BodyModel(BaseModel):
    """A JSON body: JSON types are strict (``"price": "1500"`` is refused); fields left out stay unset."""

    # The handler dumps a body to plain values before it becomes the operation's variables. pydantic reads
    # ``NaN``, ``Infinity`` and ``1e400`` into free-form JSON (settings, metadata, properties) and would dump them
    # as null, which deletes a settings key instead of being refused: "constants" hands them on unchanged, to
    # the same check GraphQL input meets (storegraph/platform/validation.py).
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, ser_json_inf_nan="constants", json_schema_extra=_published
    )

    # A partial update (PATCH): a field left out keeps its value, so no field has a default. A field that cannot
    # be null is declared without ``None`` and defaults to ``left_out()``.
    partial: ClassVar[bool] = False
    # JSON Schema keywords about several fields at once, enforced by the domain.
    schema_rules: ClassVar[dict[str, Any]] = {}


# --- query strings -----------------------------------------------------------------------------------------------

FilterText = Annotated[str, text(MAX_FILTER_TEXT)]


class Page(QueryModel):
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE), WHOLE_NUMBER] = Field(
        default=50, description=f"Page size, 1–{MAX_PAGE_SIZE}."
    )
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR, description="`next_cursor` of the previous page.")


class ProductQuery(Page):
    status: ProductStatus | None = None
    q: FilterText | None = Field(default=None, description="Case-insensitive search in name, SKU and description.")


class OrderQuery(Page):
    status: OrderStatus | None = None
    since: Moment | None = Field(
        default=None,
        description="Orders created at or after this moment: ISO 8601 (`2026-04-30T14:22:10Z`) or "
        "`YYYY-MM-DD HH:MM:SS` in UTC.",
    )
    customer_id: Id | None = None


class CustomerQuery(Page):
    phone: FilterText | None = Field(default=None, description="Exact match after normalisation.")
    email: FilterText | None = Field(default=None, description="Exact match, case-sensitive.")
    q: FilterText | None = Field(
        default=None,
        description="Case-insensitive search in first name, last name, email and phone; a whole phone number in any "
        "spelling finds its customer too.",
    )
    tag: TagList | None = Field(
        default=None,
        description="Customers with any of these tags, comma-separated (`vip,wholesale`), case-insensitive.",
    )
    min_spent: Money | None = Field(default=None, description="`total_spent` at least this.")
    max_spent: Money | None = Field(default=None, description="`total_spent` at most this.")
    has_orders: bool | None = Field(default=None, description="With at least one order that is not cancelled, or none.")
    last_order_after: Moment | None = Field(default=None, description=f"`last_order_at` at or after this. {MOMENT}")
    updated_after: Moment | None = Field(default=None, description=f"`updated_at` at or after this. {MOMENT}")
    created_after: Moment | None = Field(default=None, description=f"`created_at` at or after this. {MOMENT}")
    accepts_marketing: bool | None = None
    sort: CustomerSortParameter | None = Field(
        default=None,
        description="`field:direction`, e.g. `total_spent:desc`; the direction defaults to `desc`; default "
        "`created_at:desc`. By `last_order_at`, customers without an order sort as the latest.",
    )
    is_archived: bool = Field(
        default=False, description="`false` (default): the customers that are not archived; `true`: only the archived."
    )


class CustomerAnalyticsQuery(QueryModel):
    top_products_limit: Annotated[int, Field(ge=1, le=MAX_TOP_PRODUCTS), WHOLE_NUMBER] = Field(
        default=DEFAULT_TOP_PRODUCTS, description=f"How many products `top_products` lists, 1–{MAX_TOP_PRODUCTS}."
    )


class LandingPageQuery(Page):
    pass


class EventCountsQuery(QueryModel):
    # ``from`` is a Python keyword: the field is ``from_``, its name in the query string ``from``.
    from_: Day | None = Field(
        default=None, alias="from", description="First UTC day (`YYYY-MM-DD`), included; default: 29 days before `to`."
    )
    to: Day | None = Field(default=None, description="Last UTC day (`YYYY-MM-DD`), included; default: today.")
    event: Annotated[str, text(None, TRACKED_EVENT_NAME)] | None = Field(default=None, description="Only this event.")


Rating = Annotated[int, Field(ge=MIN_RATING, le=MAX_RATING), WHOLE_NUMBER]


class ReviewDays(QueryModel):
    # ``from`` is a Python keyword: the field is ``from_``, its name in the query string ``from``.
    from_: Day | None = Field(default=None, alias="from", description="First UTC day (`YYYY-MM-DD`), included.")
    to: Day | None = Field(default=None, description="Last UTC day (`YYYY-MM-DD`), included; not before `from`.")


class ReviewQuery(Page, ReviewDays):
    is_approved: bool | None = None
    min_rating: Rating | None = Field(default=None, description=f"Rating at least this, {MIN_RATING}–{MAX_RATING}.")
    max_rating: Rating | None = Field(
        default=None, description=f"Rating at most this, {MIN_RATING}–{MAX_RATING}; not below `min_rating`."
    )
    customer_id: Id | None = None
    order_id: Id | None = None


# --- products and landing pages ----------------------------------------------------------------------------------

ProductName = Annotated[str, text(products.MAX_NAME, NOT_BLANK)]
Description = Annotated[str, text(products.MAX_DESCRIPTION)]
Sku = Annotated[str, text(products.MAX_SKU)]
SKU = "Unique per store; blank means none."


class CreateProductBody(BodyModel):
    """Seed 004's flat product body."""

    name: ProductName
    price: Money
    description: Description | None = None
    sku: Sku | None = Field(default=None, description=SKU)
    stock_quantity: Stock = 0
    track_stock: bool = False
    status: ProductStatus = ProductStatus.DRAFT
    compare_price: Money | None = None
    cost_price: Money | None = None
    low_stock_alert: Stock = 5


class UpdateProductBody(BodyModel):
    """Any subset of the product fields: one left out keeps its value, null clears one that may be empty."""

    partial = True

    name: ProductName = left_out()
    price: Money = left_out()
    description: Description | None = None
    sku: Sku | None = Field(default=None, description=SKU)
    stock_quantity: Stock = left_out()
    track_stock: bool = left_out()
    status: ProductStatus = left_out()
    compare_price: Money | None = None
    cost_price: Money | None = None
    low_stock_alert: Stock = left_out()


class CreateLandingPageBody(BodyModel):
    title: Annotated[str, text(landing_pages.MAX_TITLE, NOT_BLANK)]
    slug: Annotated[str, text(MAX_SLUG, LANDING_PAGE_SLUG)] | None = Field(
        default=None, description="Derived from the title when left out or null."
    )
    product_id: Id | None = Field(default=None, description="A product of the store.")
    content: Annotated[str, text(landing_pages.MAX_CONTENT)] | None = None
    status: LandingPageStatus = LandingPageStatus.DRAFT


# --- orders and the store ----------------------------------------------------------------------------------------


class UpdateOrderBody(BodyModel):
    partial = True
    schema_rules = {"anyOf": [{"required": ["status"]}, {"required": ["payment_status"]}]}

    status: OrderStatus = left_out()
    payment_status: PaymentStatus = left_out()
    note: Annotated[str, text(MAX_NOTE)] | None = Field(default=None, description="Kept with the change.")


class DeliveryFeesBody(BodyModel):
    """What checkout adds to an order's total for each delivery type."""

    partial = True

    home: Money = left_out()
    desk: Money = left_out()


class StoreSettingsBody(BodyModel):
    """Settings keys to set (a key set to null is deleted); any key besides the ones named here is free-form."""

    model_config = ConfigDict(extra="allow")
    partial = True
    schema_rules = JSON_KEYS

    # Any other key: a free-form value, checked by the domain.
    __pydantic_extra__: dict[str, FreeJsonValue]

    delivery_fees: DeliveryFeesBody | None = Field(default=None, description="Replaces the delivery fees whole.")
    loyalty_points_per_100: Annotated[int, Field(ge=0, le=loyalty.MAX_RATE), WHOLE_NUMBER] | None = Field(
        default=None,
        description="Loyalty points a delivered order earns per 100 of its total (rounded down); 0 earns none.",
    )


class UpdateStoreBody(BodyModel):
    partial = True

    name: Annotated[str, text(stores.MAX_NAME, NOT_BLANK)] = left_out()
    settings: StoreSettingsBody = left_out(
        f"Merged key by key into the settings; a key set to null is deleted. {JSON_OBJECT}"
    )
    metadata: FreeJsonObject = left_out(
        f"Merged key by key into the metadata; a key set to null is deleted. {JSON_OBJECT}"
    )


# --- reviews -----------------------------------------------------------------------------------------------------

ReviewText = Annotated[str, text(MAX_REVIEW_TEXT)]
# Named outside the body below, whose field ``text`` would hide the function in its annotations.
ResponseText = Annotated[str, text(MAX_REVIEW_TEXT, NOT_BLANK)]


class CreateReviewBody(BodyModel):
    order_id: Id = Field(description="A delivered order of the store.")
    rating: Rating
    product_rating: Rating | None = None
    delivery_rating: Rating | None = None
    packaging_rating: Rating | None = None
    comment: ReviewText | None = Field(default=None, description="Blank means none.")
    is_public: bool = True


class ModerateReviewBody(BodyModel):
    partial = True

    is_approved: bool = left_out()
    is_public: bool = left_out()
    is_featured: bool = left_out()


class RespondToReviewBody(BodyModel):
    text: ResponseText = Field(description="Replaces any earlier response.")


# --- keys and webhooks -------------------------------------------------------------------------------------------

_PUBLIC_SCOPES = sorted(PUBLIC_KEY_SCOPES)
_PLATFORM_SCOPES = [scope.value for scope in Scope if scope not in INTERNAL_SCOPES]


class CreateKeyBody(BodyModel):
    schema_rules = {
        "anyOf": [
            # A public key holds tracking:write only: created without scopes, or naming just that one.
            {
                "required": ["type"],
                "properties": {"type": {"const": KeyType.PUBLIC.value}, "scopes": {"items": {"enum": _PUBLIC_SCOPES}}},
            },
            # A platform key names at least one scope a platform key can hold, and no origins.
            {
                "required": ["scopes"],
                "properties": {
                    "type": {"const": KeyType.PLATFORM.value},
                    "scopes": {"minItems": 1, "items": {"enum": _PLATFORM_SCOPES}},
                    "allowed_origins": {"anyOf": [{"type": "null"}, {"maxItems": 0}]},
                },
            },
        ]
    }

    type: KeyType = Field(
        default=KeyType.PLATFORM,
        description="`platform` (Bearer, server-to-server) or `public` (signs POST /v1/signups and /v1/events).",
    )
    scopes: list[Scope] = Field(
        default_factory=list,
        max_length=MAX_SCOPES_LISTED,
        description="A platform key's scopes: at least one, each held by the calling key. A public key holds "
        "`tracking:write` only: leave it empty.",
    )
    name: Annotated[str, text(MAX_KEY_NAME)] | None = None
    env: KeyEnv | None = Field(
        default=None, description="Default: the calling key's. A test key cannot create a live key."
    )
    allowed_origins: list[Annotated[str, text(MAX_ORIGIN_LENGTH, HTTP_ORIGIN)]] | None = Field(
        default=None,
        max_length=MAX_ALLOWED_ORIGINS,
        description="Public keys: the http(s) origins (`https://shop.example`) whose pages may use the key; "
        "absent or empty: any.",
    )


class CreateWebhookBody(BodyModel):
    url: Annotated[str, text(MAX_URL, HTTP_URL)] = Field(description="An http or https URL with a host.")
    events: list[EventName] = Field(min_length=1, max_length=MAX_WEBHOOK_EVENTS)


class RedeliverWebhookBody(BodyModel):
    delivery_id: Annotated[str, text(MAX_DELIVERY_ID, NOT_BLANK)] = Field(
        description="The `delivery_id` of a logged attempt (`X-DZ-Delivery`)."
    )


# --- tracking ----------------------------------------------------------------------------------------------------

TrackedEventName = Annotated[str, text(None, TRACKED_EVENT_NAME)]
TRACKED_PROPERTIES = f"What the page knows about the event. {JSON_OBJECT}"
OCCURRED_AT = (
    "ISO 8601 (`2026-04-30T14:22:10Z`) or `YYYY-MM-DD HH:MM:SS` in UTC, after 2000-01-01 and at most a day ahead "
    "of now; default: now."
)


class TrackSignupBody(BodyModel):
    """POST /v1/signups: an email and/or a phone (storegraph/rules/tracking/validation.py has the rules)."""

    schema_rules = {
        "anyOf": [
            {"required": ["email"], "properties": {"email": {"type": "string", "pattern": EMAIL.pattern}}},
            {"required": ["phone"], "properties": {"phone": {"type": "string", "pattern": NOT_BLANK.pattern}}},
        ]
    }

    email: Annotated[str, text(MAX_EMAIL, EMAIL_OR_BLANK)] | None = Field(default=None, description="Blank means none.")
    phone: Annotated[str, text(MAX_PHONE_LENGTH)] | None = Field(
        default=None,
        description="A valid number, normalised like a customer's (`0555 00 00 00` is `0555000000`); blank means none.",
    )
    name: Annotated[str, text(tracking.MAX_NAME)] | None = None
    source: Annotated[str, text(tracking.MAX_LABEL)] | None = None
    campaign: Annotated[str, text(tracking.MAX_LABEL)] | None = None
    metadata: FreeJsonObject | None = Field(default=None, description=JSON_OBJECT)


class TrackedEventBody(BodyModel):
    event: TrackedEventName = Field(description="A name such as `page_view`.")
    properties: FreeJsonObject | None = Field(default=None, description=TRACKED_PROPERTIES)
    occurred_at: Moment | None = Field(default=None, description=OCCURRED_AT)


class TrackEventsBody(BodyModel):
    """POST /v1/events: one event (`event`, `properties`, `occurred_at`) or up to 100 in `events`, not both."""

    schema_rules = {
        "anyOf": [
            {"required": ["event"], "properties": {"event": {"type": "string"}, "events": {"type": "null"}}},
            {
                "required": ["events"],
                "properties": {
                    # ``items: {}`` says nothing more than ``events`` itself does, but client generators
                    # (openapi-python-client) refuse an array without ``items`` in a union.
                    "events": {"type": "array", "items": {}},
                    **{name: {"type": "null"} for name in ("event", "properties", "occurred_at")},
                },
            },
        ]
    }

    event: TrackedEventName | None = Field(default=None, description="A name such as `page_view`.")
    properties: FreeJsonObject | None = Field(default=None, description=TRACKED_PROPERTIES)
    occurred_at: Moment | None = Field(default=None, description=OCCURRED_AT)
    events: list[TrackedEventBody] | None = Field(default=None, min_length=1, max_length=tracking.MAX_EVENTS)
