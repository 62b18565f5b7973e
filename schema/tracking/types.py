"""What the worker stored of tracked signups and events (docs/tracking.md). Signups hold emails and phones, so
they need ``customers:read``; event counts are usage (``usage:read``)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from schema.core.scalars import DateTime


@strawberry.type(description="A signup tracked through a public key (POST /v1/signups), as the worker stored it.")
class Signup:
    public_id: strawberry.Private[str]
    email: str | None
    phone: str | None = strawberry.field(description="Normalised: national digits for the store's region, else E.164.")
    name: str | None
    source: str | None
    campaign: str | None
    metadata: JSON
    counted: bool = strawberry.field(
        description="False when the plan's monthly signups quota was used up: kept, but no `signup.counted` webhook."
    )
    accepted_at: DateTime = strawberry.field(description="When the API accepted it (its 202).")
    created_at: DateTime = strawberry.field(description="When the worker stored it.")

    @strawberry.field(description="The id the 202 answered (`sgn_...`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.public_id)


@strawberry.type(description="How many events of one name the store logged on one day (UTC).")
class EventCount:
    event: str
    day: str = strawberry.field(description="The UTC day, `YYYY-MM-DD`.")
    count: int


@strawberry.type(description="The store's daily event counts over a range of days (UTC), by day then event name.")
class EventCounts:
    from_: str = strawberry.field(name="from", description="The first day counted, `YYYY-MM-DD`.")
    to: str = strawberry.field(description="The last day counted, `YYYY-MM-DD` (included).")
    total: int = strawberry.field(description="The sum of `counts`.")
    counts: list[EventCount] = strawberry.field(description="Only days and events with at least one event.")
