"""Schemathesis hooks for a run against a real storegraph server, loaded with
``SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks`` (tests/rest_compat/test_rest_schemathesis_cli.py).

Every generated request is sent, in every phase (examples, coverage, fuzzing, stateful). Just before it goes, the
``before_call`` hook makes two values valid the way a client makes them, and keeps two things from being fuzzed;
it touches a value only when the value fits the document, so one missing or malformed on purpose (a negative case,
a missing-header probe) still goes as generated and its refusal is still checked:

- ``Idempotency-Key`` on a write (POST, PATCH, DELETE) becomes a fresh UUID. Generated keys repeat (``"0"`` many
  times over), and a repeated key replays the first answer or is refused as reused: idempotency at work, not the
  operation under test.
- The signed tracking endpoints (``POST /v1/signups``, ``POST /v1/events``) are signed with the run's public key:
  the body is serialized here, to the exact bytes sent, at a timestamp no request of the run used with the same
  bytes, since a signature is accepted once. (``X-DZ-Key`` is schemathesis's own, from
  tests/support/schemathesis.toml, so that it knows the key for a credential and checks requests without it.)
- Not fuzzed: webhook targets off loopback. A subscription's ``url`` that is an http(s) URL gets its host replaced
  by ``127.0.0.1`` (scheme, path and query kept, never longer than it was), so that no delivery the server attempts
  can reach another machine, whatever host was generated. The server refuses loopback targets by default, so those
  deliveries are logged as refused; a ``url`` that is not an http(s) URL is left for the server to refuse.
- Not fuzzed: revoking the run's own keys. ``DELETE /v1/keys/{id}`` of the platform key the run calls with, or of
  its public key, would turn every later request into a 401; the id becomes one no key has (a 404).

Nothing else is excluded. The ``filter_failure`` hook answers two questions schemathesis cannot, and drops a failure
only then; the request was still sent, and every other check still judged its answer:

- Which refusals of a schema-valid request are right although the document cannot predict them: a
  ``positive_data_acceptance`` failure whose answer names only problems listed in ``EXPECTED_REFUSALS`` below (each
  with its reason), or whose path id schemathesis itself sent as ``null``.
- Whether a 404 is about the resource a request's path names: ``ensure_resource_availability`` takes any 404 after
  a create for "the created resource is gone", but ``POST /v1/webhooks/{id}/redeliver`` answers 404 for an unknown
  ``delivery_id`` in its body too, naming that field (the subscription it was created with exists: an unknown one
  is a 404 naming ``id``). Such a failure is dropped when the 404 names only fields that are not path parameters.

Any other failure of any check fails the run.

The environment a run sets: ``STOREGRAPH_FUZZ_KEY`` (a platform key with every scope) and
``STOREGRAPH_FUZZ_PUBLIC_KEY`` (a public key), which tests/support/schemathesis.toml reads, and for these hooks
``STOREGRAPH_FUZZ_SIGNING_SECRET`` (the public key's signing secret) and ``STOREGRAPH_FUZZ_KEEP_KEY_IDS`` (the
comma-separated ids of the two keys, never to be revoked).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jsonschema_rs
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import HookContext
from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.openapi.checks import EnsureResourceAvailability, RejectedPositiveData

from storegraph.platform import signatures
from storegraph.platform.auth.signed_paths import is_signed_request

# The credentials, read by tests/support/schemathesis.toml (the two keys) and by these hooks.
KEY_VARIABLE = "STOREGRAPH_FUZZ_KEY"
PUBLIC_KEY_VARIABLE = "STOREGRAPH_FUZZ_PUBLIC_KEY"
SIGNING_SECRET_VARIABLE = "STOREGRAPH_FUZZ_SIGNING_SECRET"
KEEP_KEY_IDS_VARIABLE = "STOREGRAPH_FUZZ_KEEP_KEY_IDS"

WRITES = frozenset({"POST", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
TIMESTAMP_HEADER = "X-DZ-Timestamp"
SIGNATURE_HEADER = "X-DZ-Signature"
LOOPBACK = "127.0.0.1"
# The largest id the document allows (a signed 64-bit integer): no row has it.
ABSENT_ID = 2**63 - 1
LISTS = (
    "GET /v1/customers",
    "GET /v1/customers/{id}/orders",
    "GET /v1/customers/{id}/loyalty",
    "GET /v1/customers/{id}/house-account",
    "GET /v1/keys",
    "GET /v1/landing-pages",
    "GET /v1/orders",
    "GET /v1/products",
    "GET /v1/reviews",
    "GET /v1/webhooks",
    "GET /v1/webhooks/{id}/deliveries",
)


@dataclass(frozen=True)
class Refusal:
    """A refusal a schema-valid request may get: the error ``code``, and for a ``validation_error`` the detail's
    ``field`` (a suffix: ``events.3.occurred_at`` ends with ``occurred_at``) and code."""

    code: str
    field: str | None = None
    detail_code: str | None = None
    reason: str = ""
    # The detail names a value inside the free-form JSON field ``field`` (``metadata.a[3]``) rather than ``field``.
    inside: bool = False

    def covers(self, detail: dict[str, Any]) -> bool:
        named = str(detail.get("field", ""))
        if self.inside:
            within = re.search(rf"(?:^|\.){re.escape(str(self.field))}[.\[]", named) is not None
        else:
            within = named.endswith(str(self.field))
        return within and detail.get("code") == self.detail_code


# The document states the rule of free-form JSON (no control characters in strings and keys, numbers in the signed
# 64-bit range) for a value's top level only: a schema naming itself, which the rule at every depth needs, is one
# client generators cannot read. Deeper, and for depth and size, the fields' descriptions say it.
def _free_form(field: str) -> tuple[Refusal, ...]:
    nested = (
        Refusal("validation_error", field, code, inside=True, reason=f"{field}: the JSON rule below its top level")
        for code in ("invalid", "out_of_range", "too_deep")
    )
    too_large = Refusal(
        "validation_error", field, "too_large", reason=f"{field}: at most 16 KB, JSON Schema can't count"
    )
    return (*nested, too_large)


_PHONE = Refusal(
    "validation_error",
    field="phone",
    detail_code="invalid_phone",
    reason="whether a string is a phone number is the numbering plan's to say",
)
# What a customer profile's schema cannot say: the numbering plan, the language tables, the clock, the metadata's
# keys, the phones the store has.
_CUSTOMER_PROFILE: tuple[Refusal, ...] = (
    *_free_form("metadata"),
    Refusal("validation_error", "metadata", "invalid", reason="metadata keys are 1 to 40 characters"),
    Refusal("validation_error", "metadata", "too_many", reason="at most 50 metadata keys, merged with the stored"),
    Refusal(
        "validation_error",
        field="phone",
        detail_code="invalid_phone",
        reason="whether a string is a phone number is the numbering plan's to say",
    ),
    Refusal("validation_error", "locale", "invalid", reason="a language tag's codes are ISO 639's and 3166's"),
    Refusal("validation_error", "birth_date", "out_of_range", reason="a birth date is not in the future"),
    Refusal("conflict", reason="a phone the store already has"),
)

EXPECTED_REFUSALS: dict[str, tuple[Refusal, ...]] = {
    **{
        label: (
            Refusal(
                "invalid_cursor",
                reason="a cursor is valid only if the server issued it (it is signed), whatever its shape",
            ),
        )
        for label in LISTS
    },
    "GET /v1/events/counts": (
        Refusal(
            "validation_error",
            field="from",
            detail_code="out_of_range",
            reason="from after to: a rule across two parameters",
        ),
        Refusal(
            "validation_error",
            field="to",
            detail_code="out_of_range",
            reason="more than 366 days from from to to (to defaults to today): a rule across two parameters",
        ),
    ),
    "GET /v1/reviews": (
        Refusal("invalid_cursor", reason="a cursor is valid only if the server issued it (it is signed)"),
        Refusal(
            "validation_error", field="from", detail_code="out_of_range", reason="from after to: across two parameters"
        ),
        Refusal(
            "validation_error",
            field="max_rating",
            detail_code="out_of_range",
            reason="max_rating below min_rating: a rule across two parameters",
        ),
    ),
    "GET /v1/reviews/stats": (
        Refusal(
            "validation_error", field="from", detail_code="out_of_range", reason="from after to: across two parameters"
        ),
    ),
    "POST /v1/reviews": (
        Refusal("order_not_delivered", reason="whether an order may be reviewed depends on its status"),
    ),
    "PATCH /v1/orders/{id}": (
        Refusal(
            "invalid_status_transition",
            reason="which status and payment status an order may take depends on the ones it has",
        ),
    ),
    "POST /v1/signups": (*_free_form("metadata"), _PHONE),
    "PATCH /v1/store": (*_free_form("metadata"), *_free_form("settings")),
    "POST /v1/customers/{id}/addresses": (_PHONE,),
    "PATCH /v1/customers/{id}/addresses/{address_id}": (
        _PHONE,
        *(
            Refusal(
                "validation_error",
                field="wilaya_id",
                detail_code=code,
                reason="a body without a country is judged by the country the address has: a DZ address needs a "
                "wilaya, one abroad has none",
            )
            for code in ("blank", "invalid")
        ),
    ),
    "POST /v1/customers": _CUSTOMER_PROFILE,
    "PATCH /v1/customers/{id}": _CUSTOMER_PROFILE,
    "POST /v1/customers/{id}/tags": (
        Refusal("validation_error", "tags", "too_many", reason="at most 50 tags per customer, with those it has"),
    ),
    "POST /v1/customers/{id}/loyalty/adjust": (
        Refusal("insufficient_balance", reason="whether a deduction fits depends on the balance the customer has"),
        Refusal("loyalty_disabled", reason="whether a customer takes points depends on their loyalty switch"),
    ),
    "POST /v1/customers/{id}/house-account/payments": (
        Refusal(
            "validation_error",
            field="amount",
            detail_code="out_of_range",
            reason="a payment is at most what the customer owes, which depends on their account",
        ),
    ),
    "POST /v1/events": (
        *_free_form("properties"),
        Refusal(
            "validation_error",
            field="occurred_at",
            detail_code="out_of_range",
            reason="an event's time is at most a day ahead of the server's clock",
        ),
    ),
}
# A time must fall within the years 1 to 9999 once converted to UTC, which its offset can move past either end
# (``0001-01-01T00:30:00+01:00``); the parameters' descriptions say so, JSON Schema's ``date-time`` can't bound it.
_TIMES = {
    "GET /v1/customers": ("created_after", "updated_after", "last_order_after"),
    "GET /v1/orders": ("since",),
}
for _label, _fields in _TIMES.items():
    EXPECTED_REFUSALS[_label] = (
        *EXPECTED_REFUSALS.get(_label, ()),
        *(
            Refusal("validation_error", field, "out_of_range", reason="a time within years 1 to 9999 in UTC")
            for field in _fields
        ),
    )


class Signer:
    """Signs bodies with timestamps near the clock, never the same (timestamp, body) twice: the server refuses a
    signature it has seen. Counting back one second per repeat stays within its five minutes' tolerance for any
    body repeated fewer than 300 times a run."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._used: set[tuple[int, bytes]] = set()
        self._lock = threading.Lock()  # schemathesis may run workers in threads

    def headers(self, body: bytes) -> dict[str, str]:
        with self._lock:
            timestamp = int(time.time())
            while (timestamp, body) in self._used:
                timestamp -= 1
            self._used.add((timestamp, body))
        return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signatures.sign(self.secret, str(timestamp), body)}


_signer: Signer | None = None


def signer() -> Signer:
    global _signer
    if _signer is None:
        _signer = Signer(os.environ[SIGNING_SECRET_VARIABLE])
    return _signer


def kept_key_ids() -> frozenset[str]:
    # As text: the coverage phase sends some path parameters as strings.
    return frozenset(part.strip() for part in os.environ.get(KEEP_KEY_IDS_VARIABLE, "").split(",") if part.strip())


def fits(case: Case, location: str, name: str, value: Any) -> bool:
    """Whether ``value`` is a valid value of the operation's parameter ``name`` in ``location``, by the document."""
    if value is None:
        return False
    for parameter in case.operation.iter_parameters():
        if parameter.location.value == location and parameter.name.lower() == name.lower():
            return jsonschema_rs.is_valid(parameter.definition.get("schema", {}), value)
    return False


def on_loopback(url: str) -> str:
    """``url`` with its host replaced by the loopback address and no longer than it was, or ``url`` itself when it
    is not an http(s) URL with a host (the server refuses those)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    moved = urlunsplit((parts.scheme, LOOPBACK, parts.path, parts.query, parts.fragment))
    # The document caps the url's length; cutting the end off keeps a URL that fitted within the cap.
    return moved if len(moved) <= len(url) else moved[: max(len(url), len(f"{parts.scheme}://{LOOPBACK}"))]


def serialized_body(case: Case) -> bytes:
    """The exact bytes a case's body is sent as: JSON as ``requests`` writes it, or the generated bytes."""
    if case.body is NOT_SET:
        return b""
    sent = case.as_transport_kwargs()
    if "json" in sent:
        return json.dumps(sent["json"], allow_nan=False).encode()
    data = sent.get("data")
    if isinstance(data, str):
        return data.encode()
    return data if isinstance(data, bytes) else b""


def keep_webhooks_on_loopback(case: Case) -> None:
    if case.method.upper() == "POST" and case.path == "/v1/webhooks" and isinstance(case.body, dict):
        url = case.body.get("url")
        if isinstance(url, str):
            case.body["url"] = on_loopback(url)


def keep_own_keys(case: Case) -> None:
    if case.method.upper() == "DELETE" and case.path == "/v1/keys/{id}":
        parameters = case.path_parameters or {}
        if str(parameters.get("id")) in kept_key_ids():
            case.path_parameters = {**parameters, "id": ABSENT_ID}


def sign(case: Case, headers: MutableMapping[str, Any], kwargs: dict[str, Any]) -> None:
    """Signs the body exactly as sent (handed to the transport as those bytes)."""
    body = serialized_body(case)
    signature = signer().headers(body)
    for name in (TIMESTAMP_HEADER, SIGNATURE_HEADER):
        if fits(case, "header", name, headers.get(name)):
            headers[name] = signature[name]
    if case.body is not NOT_SET:
        kwargs["data"] = body


@schemathesis.hook
def before_call(context: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    method = case.method.upper()
    headers = case.headers if case.headers is not None else CaseInsensitiveDict()
    if method in WRITES and fits(case, "header", IDEMPOTENCY_HEADER, headers.get(IDEMPOTENCY_HEADER)):
        headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
    keep_webhooks_on_loopback(case)
    keep_own_keys(case)
    if is_signed_request(method, case.path):
        sign(case, headers, kwargs)
    case.headers = headers


def is_expected_refusal(label: str, answer: Any) -> bool:
    """Whether ``answer`` (an error body) refuses only for reasons ``EXPECTED_REFUSALS`` gives ``label``."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return False
    expected = [refusal for refusal in EXPECTED_REFUSALS.get(label, ()) if refusal.code == error.get("code")]
    if error.get("code") != "validation_error":
        return bool(expected)
    details = error.get("details") or []
    return bool(details) and all(any(refusal.covers(detail) for refusal in expected) for detail in details)


def names_only_body_fields(case: Case, answer: Any) -> bool:
    """Whether ``answer`` (an error body) names fields, none of them a path parameter of the case's operation."""
    error = answer.get("error") if isinstance(answer, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list) or not details:
        return False
    path = {parameter.name for parameter in case.operation.iter_parameters() if parameter.location.value == "path"}
    return all(isinstance(detail, dict) and detail.get("field") not in path for detail in details)


def error_body(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: Case, response: Response) -> bool:
    """``False`` (drop it) only for the two cases of the module's docstring."""
    if isinstance(failure, EnsureResourceAvailability):
        return not names_only_body_fields(case, error_body(response))
    if not isinstance(failure, RejectedPositiveData):
        return True
    # schemathesis 4.32's inferred links pick among a list's values (`items/*/product_id`) nulls included, and send a
    # null as the text "None" (a null from a single value it skips): not a request made from the document.
    if any(value is None for value in (case.path_parameters or {}).values()):
        return False
    return not is_expected_refusal(case.operation.label, error_body(response))
