"""The bodies of the customer profile endpoints (POST and PATCH /v1/customers, the tag endpoints), in the style of
rest_compat/inputs.py: the domain's constants, unknown fields refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from rest_compat.input_types import (
    CUSTOMER_TAG,
    EMAIL_OR_BLANK,
    NOT_BLANK,
    WHOLE_NUMBER,
    Day,
    FreeJsonObject,
    Money,
    text,
)
from rest_compat.inputs import JSON_OBJECT, BodyModel, left_out
from storegraph.platform.money import MAX_MONEY
from storegraph.platform.phones import MAX_PHONE_LENGTH
from storegraph.platform.validation import MAX_EMAIL
from storegraph.rules.customers import editing, loyalty
from storegraph.rules.customers.profile import MAX_NOTES
from storegraph.rules.customers.tags import MAX_TAG, MAX_TAGS
from storegraph.rules.statuses import Gender

Phone = Annotated[str, text(MAX_PHONE_LENGTH, NOT_BLANK)]
Name = Annotated[str, text(editing.MAX_NAME)]
Email = Annotated[str, text(MAX_EMAIL, EMAIL_OR_BLANK)]
Locale = Annotated[str, text(editing.MAX_LOCALE)]
# At most MAX_TAG characters as sent: the schema cannot say "once trimmed", so whitespace around a tag counts here.
Tag = Annotated[str, text(MAX_TAG, CUSTOMER_TAG)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Wilaya = Annotated[int, Field(ge=1, le=58), WHOLE_NUMBER]

PHONE = "Normalised like checkout's (`0555 00 00 00` is `0555000000`); a phone the store already has is `conflict`."
TAGS = f"Trimmed, 1–{MAX_TAG} characters without commas, unique per customer ignoring case; at most {MAX_TAGS}."
BIRTH_DATE = "`YYYY-MM-DD`, from 1900-01-01 up to today."
LOCALE = "A BCP 47 language tag: `fr`, `ar`, `fr-DZ`."
METADATA = f"At most {editing.MAX_METADATA_KEYS} keys of 1–{editing.MAX_METADATA_KEY} characters. {JSON_OBJECT}"


class CreateCustomerBody(BodyModel):
    phone: Phone = Field(description=PHONE)
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = Field(default=None, description="Blank means none.")
    gender: Gender | None = None
    birth_date: Day | None = Field(default=None, description=BIRTH_DATE)
    locale: Locale | None = Field(default=None, description=LOCALE)
    accepts_marketing: bool = False
    tags: Tags | None = Field(default=None, description=TAGS)
    metadata: FreeJsonObject | None = Field(default=None, description=METADATA)
    notes: Annotated[str, text(MAX_NOTES)] | None = None
    wilaya_id: Wilaya | None = None
    commune: Annotated[str, text(editing.MAX_COMMUNE)] | None = None
    address: Annotated[str, text(editing.MAX_ADDRESS)] | None = None


class UpdateCustomerBody(BodyModel):
    """Any subset of the profile: a field left out keeps its value, null clears one that may be empty; `metadata` is
    merged key by key (a key set to null is deleted), `tags` replaces the set."""

    partial = True

    phone: Phone = left_out(PHONE)
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = Field(default=None, description="Blank or null clears it.")
    gender: Gender | None = None
    birth_date: Day | None = Field(default=None, description=BIRTH_DATE)
    locale: Locale | None = Field(default=None, description=LOCALE)
    accepts_marketing: bool = left_out()
    tags: Tags = left_out(f"Replaces the set. {TAGS}")
    metadata: FreeJsonObject = left_out(f"Merged key by key; a key set to null is deleted. {METADATA}")
    notes: Annotated[str, text(MAX_NOTES)] | None = None
    wilaya_id: Wilaya | None = None
    commune: Annotated[str, text(editing.MAX_COMMUNE)] | None = None
    address: Annotated[str, text(editing.MAX_ADDRESS)] | None = None
    is_loyalty_enabled: bool = left_out("Off: the customer earns no points and cannot be given any.")
    is_house_account_enabled: bool = left_out("On: orders can be charged to the house account.")
    house_account_limit: Money | None = Field(
        default=None, description="The most the customer may owe; null removes the limit."
    )


class CustomerTagsBody(BodyModel):
    tags: Tags = Field(min_length=1, description=TAGS)


Reason = Annotated[str, text(loyalty.MAX_REASON, NOT_BLANK)]
REASON = f"Why, for the ledger: 1–{loyalty.MAX_REASON} characters."


class AdjustLoyaltyBody(BodyModel):
    delta: Annotated[
        int,
        Field(ge=-loyalty.MAX_DELTA, le=loyalty.MAX_DELTA, json_schema_extra={"not": {"const": 0}}),
        WHOLE_NUMBER,
    ] = Field(
        description="Points to add (positive) or take (negative), not zero; below zero is `insufficient_balance`."
    )
    reason: Reason = Field(description=REASON)


class HouseAccountPaymentBody(BodyModel):
    amount: Annotated[int, Field(ge=1, le=MAX_MONEY), WHOLE_NUMBER] = Field(
        description="More than zero and at most what the customer owes (`validation_error` otherwise)."
    )
    reason: Reason = Field(description=REASON)
