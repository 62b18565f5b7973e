"""The address book endpoints, under their customer: the path's customer must own the address (`not_found`
otherwise), which the operations check through their `customerId` argument."""

from __future__ import annotations

from rest_compat import address_inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ADDRESS = "Customer address"
BOOK_RULES = (
    "At most 20 addresses per customer (`conflict` on `id` once the book is full). While a customer has addresses, "
    "exactly one is the default: the first one added, or the last one made the default."
)

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListCustomerAddresses",
        method="GET",
        path="/v1/customers/{id}/addresses",
        scope=Scope.CUSTOMERS_READ,
        summary="A customer's address book: the default first, then newest first",
        description="All of them (at most 20), each with the delivery zone holding its wilaya.",
        operation="query ListCustomerAddresses($id: ID!) { customer(id: $id) { addresses { ...CustomerAddress } } }",
        result="customer.addresses",
        result_kind="all",
        fragment="CustomerAddress",
        resource="Customer",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="AddCustomerAddress",
        method="POST",
        path="/v1/customers/{id}/addresses",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Add an address to a customer's book",
        description=f"{BOOK_RULES} `is_default: true` moves the default to the new address.",
        operation=(
            "mutation AddCustomerAddress($input: AddCustomerAddressInput!) "
            f"{{ addCustomerAddress(input: $input) {{ address {{ ...CustomerAddress }} {USER_ERRORS} }} }}"
        ),
        result="addCustomerAddress.address",
        user_errors="addCustomerAddress.userErrors",
        fragment="CustomerAddress",
        resource="Customer",
        status=201,
        path_vars={"id": "input.customerId"},
        body=address_inputs.AddCustomerAddressBody,
        body_var="input",
    ),
    Endpoint(
        name="UpdateCustomerAddress",
        method="PATCH",
        path="/v1/customers/{id}/addresses/{address_id}",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Change some fields of an address",
        description="`is_default: true` makes it the default; the default cannot be unset, only replaced by "
        "making another address the default.",
        operation=(
            "mutation UpdateCustomerAddress($input: UpdateCustomerAddressInput!) "
            f"{{ updateCustomerAddress(input: $input) {{ address {{ ...CustomerAddress }} {USER_ERRORS} }} }}"
        ),
        result="updateCustomerAddress.address",
        user_errors="updateCustomerAddress.userErrors",
        fragment="CustomerAddress",
        resource=ADDRESS,
        path_vars={"id": "input.customerId", "address_id": "input.id"},
        body=address_inputs.UpdateCustomerAddressBody,
        body_var="input",
    ),
    Endpoint(
        name="SetDefaultCustomerAddress",
        method="POST",
        path="/v1/customers/{id}/addresses/{address_id}/default",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Make an address its customer's default",
        description="The old default is no longer one.",
        operation=(
            "mutation SetDefaultCustomerAddress($id: ID!, $customerId: ID) "
            "{ setDefaultCustomerAddress(id: $id, customerId: $customerId) "
            f"{{ address {{ ...CustomerAddress }} {USER_ERRORS} }} }}"
        ),
        result="setDefaultCustomerAddress.address",
        user_errors="setDefaultCustomerAddress.userErrors",
        fragment="CustomerAddress",
        resource=ADDRESS,
        path_vars={"id": "customerId", "address_id": "id"},
    ),
    Endpoint(
        name="DeleteCustomerAddress",
        method="DELETE",
        path="/v1/customers/{id}/addresses/{address_id}",
        scope=Scope.CUSTOMERS_WRITE,
        summary="Delete an address",
        description="When it was the default, the newest remaining address becomes the default.",
        operation=(
            "mutation DeleteCustomerAddress($id: ID!, $customerId: ID) "
            "{ deleteCustomerAddress(id: $id, customerId: $customerId) "
            f"{{ ...DeletedCustomerAddress {USER_ERRORS} }} }}"
        ),
        result="deleteCustomerAddress",
        user_errors="deleteCustomerAddress.userErrors",
        fragment="DeletedCustomerAddress",
        resource=ADDRESS,
        path_vars={"id": "customerId", "address_id": "id"},
    ),
)
