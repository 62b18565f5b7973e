"""``trackSignup`` and ``trackEvents``: what POST /v1/signups and POST /v1/events run (docs/tracking.md).

Only public keys hold their scope (``tracking:write``), and public keys authenticate only those two signed REST
endpoints, so in practice these mutations are reached through REST. Each validates its input, queues one job
and answers the ids at once; the worker stores and counts the work later.
"""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from resolvers.core.context import Info
from resolvers.tracking import track_events, track_signup
from schema.core.payloads import UserError, payload, user_errors_of
from schema.core.scalars import DateTime
from storegraph.platform.errors import ValidationFailed
from storegraph.rules.tracking.validation import EventInput, EventsInput, SignupInput


@strawberry.input(description="A signup: an email and/or a phone, and what the page knows about it.")
class TrackSignupInput:
    email: str | None = None
    phone: str | None = strawberry.field(default=None, description="Normalised like a customer's phone.")
    name: str | None = strawberry.field(default=None, description="At most 200 characters.")
    source: str | None = strawberry.field(default=None, description="Where it came from; at most 100 characters.")
    campaign: str | None = strawberry.field(default=None, description="At most 100 characters.")
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object of at most 16 KB.")


@strawberry.input(description="One event.")
class TrackedEventInput:
    event: str = strawberry.field(description="A name such as `page_view`: `[a-z][a-z0-9_.:-]{0,63}`.")
    properties: JSON | None = strawberry.field(default=None, description="A JSON object of at most 16 KB.")
    occurred_at: DateTime | None = strawberry.field(
        default=None, description="Defaults to now; after 2000 and at most a day ahead."
    )


@strawberry.input(description="One event (`event`, `properties`, `occurredAt`) or up to 100 (`events`), not both.")
class TrackEventsInput:
    event: str | None = None
    properties: JSON | None = None
    occurred_at: DateTime | None = None
    events: list[TrackedEventInput] | None = None


@strawberry.type
class TrackSignupPayload:
    id: str | None = strawberry.field(description="The signup's id (`sgn_...`); null when it was refused.")
    user_errors: list[UserError]


@strawberry.type
class TrackEventsPayload:
    accepted: int = strawberry.field(description="How many events were accepted (all of them, or none).")
    ids: list[str] = strawberry.field(description="The events' ids (`tev_...`), in the order they were sent.")
    user_errors: list[UserError]


@strawberry.type
class TrackingMutations:
    @strawberry.mutation(
        description="Accepts a signup for the worker, which stores it and counts it against the "
        "plan's monthly signups quota (a counted signup fires `signup.counted`)."
    )
    async def track_signup(self, info: Info, input: TrackSignupInput) -> TrackSignupPayload | None:
        raw = SignupInput(
            email=input.email,
            phone=input.phone,
            name=input.name,
            source=input.source,
            campaign=input.campaign,
            metadata=input.metadata,
        )
        try:
            signup_id = await track_signup(info.context, raw)
        except ValidationFailed as error:
            return cast("TrackSignupPayload", payload(id=None, user_errors=user_errors_of(error)))
        return cast("TrackSignupPayload", payload(id=signup_id, user_errors=[]))

    @strawberry.mutation(
        description="Accepts events for the worker, which stores them and adds them to the "
        "store's daily counts (`eventCounts`)."
    )
    async def track_events(self, info: Info, input: TrackEventsInput) -> TrackEventsPayload | None:
        batch = None
        if input.events is not None:
            batch = [EventInput(item.event, item.properties, item.occurred_at) for item in input.events]
        raw = EventsInput(input.event, input.properties, input.occurred_at, batch)
        try:
            ids = await track_events(info.context, raw)
        except ValidationFailed as error:
            return cast("TrackEventsPayload", payload(accepted=0, ids=[], user_errors=user_errors_of(error)))
        return cast("TrackEventsPayload", payload(accepted=len(ids), ids=ids, user_errors=[]))
