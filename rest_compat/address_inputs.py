"""The bodies of the address book and delivery zone endpoints, in the style of rest_compat/inputs.py: the domain's
constants, unknown fields refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from rest_compat.input_types import NOT_BLANK, Country, Money, Wilaya, text
from rest_compat.inputs import BodyModel, left_out
from storegraph.platform.countries import COUNTRY_CODES, DEFAULT_COUNTRY
from storegraph.platform.phones import MAX_PHONE_LENGTH
from storegraph.platform.validation import WILAYAS
from storegraph.rules import delivery
from storegraph.rules.customers import addresses

AddressLine = Annotated[str, text(addresses.MAX_LINE, NOT_BLANK)]
AddressPhone = Annotated[str, text(MAX_PHONE_LENGTH)]
ADDRESS_PHONE = "A valid number, normalised like a customer's (`0555 00 00 00` is `0555000000`); blank means none."
COUNTRY = "ISO 3166-1 alpha-2 code. An address in DZ needs `wilaya_id`; an address elsewhere has none."
ABROAD = [code for code in COUNTRY_CODES if code != DEFAULT_COUNTRY]


class AddCustomerAddressBody(BodyModel):
    # In DZ (the default country) with a wilaya, or elsewhere without one.
    schema_rules = {
        "anyOf": [
            {
                "required": ["wilaya_id"],
                "properties": {"country": {"const": DEFAULT_COUNTRY}, "wilaya_id": {"type": "integer"}},
            },
            {"required": ["country"], "properties": {"country": {"enum": ABROAD}, "wilaya_id": {"type": "null"}}},
        ]
    }

    line1: AddressLine = Field(description="Street and number.")
    label: Annotated[str, text(addresses.MAX_LABEL)] | None = Field(default=None, description="`Home`, `Work`...")
    line2: Annotated[str, text(addresses.MAX_LINE)] | None = None
    wilaya_id: Wilaya | None = None
    commune: Annotated[str, text(addresses.MAX_COMMUNE)] | None = None
    postal_code: Annotated[str, text(addresses.MAX_POSTAL_CODE)] | None = None
    country: Country = Field(default=DEFAULT_COUNTRY, description=COUNTRY)
    phone: AddressPhone | None = Field(default=None, description=ADDRESS_PHONE)
    is_default: bool = Field(default=False, description="Make it the default (a customer's first address always is).")


class UpdateCustomerAddressBody(BodyModel):
    """Any subset of the address fields. Whether `wilaya_id` may be set or null depends on the country the address
    has when the body names none: a DZ address always has one, an address abroad none (moving it abroad drops it)."""

    partial = True

    line1: AddressLine = left_out("Street and number.")
    label: Annotated[str, text(addresses.MAX_LABEL)] | None = None
    line2: Annotated[str, text(addresses.MAX_LINE)] | None = None
    wilaya_id: Wilaya | None = None
    commune: Annotated[str, text(addresses.MAX_COMMUNE)] | None = None
    postal_code: Annotated[str, text(addresses.MAX_POSTAL_CODE)] | None = None
    country: Country = left_out(COUNTRY)
    phone: AddressPhone | None = Field(default=None, description=ADDRESS_PHONE)
    is_default: Literal[True] = left_out(
        "`true` makes it the default. The default is never unset: make another address the default instead."
    )


ZoneWilayas = Annotated[list[Wilaya], Field(min_length=1, max_length=WILAYAS)]
ZONE_WILAYAS = "Each wilaya in at most one zone of the store (`conflict` otherwise)."


class CreateDeliveryZoneBody(BodyModel):
    name: Annotated[str, text(delivery.MAX_ZONE_NAME, NOT_BLANK)] = Field(description="Unique in the store.")
    wilaya_ids: ZoneWilayas = Field(description=ZONE_WILAYAS)
    home_fee: Money
    desk_fee: Money


class UpdateDeliveryZoneBody(BodyModel):
    partial = True

    name: Annotated[str, text(delivery.MAX_ZONE_NAME, NOT_BLANK)] = left_out("Unique in the store.")
    wilaya_ids: ZoneWilayas = left_out(f"Replaces the zone's wilayas. {ZONE_WILAYAS}")
    home_fee: Money = left_out()
    desk_fee: Money = left_out()
