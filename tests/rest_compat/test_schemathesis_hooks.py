"""The schemathesis hooks (tests/support/schemathesis_hooks.py) change only what they say: a run that passed because
a hook turned failing requests into other requests would prove nothing."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.generation.case import Case

from rest_compat.openapi.document import generated_document
from storegraph.platform import signatures
from tests.support import schemathesis_hooks as hooks

SCHEMA = schemathesis.openapi.from_dict(generated_document())


def case(label: str, **parts: Any) -> Case:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    return operation.Case(**parts)


@pytest.mark.parametrize(
    ("generated", "sent"),
    [
        ("https://user:pw@example.com:8443/hook?x=1#f", "https://127.0.0.1/hook?x=1#f"),
        ("http://a.b/x?y=1", "http://127.0.0.1"),  # never longer than the generated URL, which fitted the document
        ("ftp://example.com/x", "ftp://example.com/x"),  # the server refuses it: no delivery to keep local
        ("http:///no-host", "http:///no-host"),
    ],
)
def test_a_webhook_target_is_moved_to_loopback_and_never_lengthened(generated, sent):
    assert hooks.on_loopback(generated) == sent
    assert len(hooks.on_loopback(generated)) <= max(len(generated), len("https://127.0.0.1"))


def invalid(*problems: tuple[str, str]) -> dict[str, Any]:
    """A ``validation_error`` body naming (field, code) problems."""
    details = [{"field": field, "code": code} for field, code in problems]
    return {"error": {"code": "validation_error", "details": details}}


@pytest.mark.parametrize(
    ("label", "answer"),
    [
        ("GET /v1/products", {"error": {"code": "invalid_cursor", "message": "The cursor is not valid."}}),
        ("GET /v1/events/counts", invalid(("to", "out_of_range"))),
        ("PATCH /v1/orders/{id}", {"error": {"code": "invalid_status_transition"}}),
        ("POST /v1/events", invalid(("events.3.occurred_at", "out_of_range"))),
        ("POST /v1/events", invalid(("events.3.properties.a.b", "invalid"))),
        ("PATCH /v1/store", invalid(("metadata.x[3]", "invalid"), ("settings.y.z", "out_of_range"))),
        ("POST /v1/signups", invalid(("metadata", "too_large"))),
    ],
)
def test_a_refusal_the_document_cannot_predict_is_expected(label, answer):
    assert hooks.is_expected_refusal(label, answer)


@pytest.mark.parametrize(
    ("label", "answer"),
    [
        # the right code on an operation it is not expected of
        ("GET /v1/store", {"error": {"code": "invalid_cursor"}}),
        # an expected problem beside one that is not
        ("POST /v1/signups", invalid(("phone", "invalid_phone"), ("email", "invalid"))),
        # the expected field with another code
        ("GET /v1/events/counts", invalid(("to", "invalid"))),
        ("GET /v1/events/counts", invalid()),
        # free-form JSON's top level is the document's to state
        ("PATCH /v1/store", invalid(("metadata", "invalid"))),
        ("PATCH /v1/store", invalid(("name", "invalid"))),
        ("PATCH /v1/store", invalid(("not_metadata.x", "invalid"))),
        ("GET /v1/products", {"data": {}}),
    ],
)
def test_any_other_refusal_stays_a_failure(label, answer):
    assert not hooks.is_expected_refusal(label, answer)


def test_a_valid_idempotency_key_is_replaced_and_an_invalid_one_kept():
    valid = case("POST /v1/products", headers={"Idempotency-Key": "0"}, body={})
    invalid = case("POST /v1/products", headers={"Idempotency-Key": ""}, body={})

    hooks.before_call(None, valid, {})
    hooks.before_call(None, invalid, {})

    assert valid.headers["Idempotency-Key"] != "0"
    assert invalid.headers["Idempotency-Key"] == ""


def test_the_runs_own_keys_are_never_revoked(monkeypatch):
    monkeypatch.setenv(hooks.KEEP_KEY_IDS_VARIABLE, "7,8")
    own = case("DELETE /v1/keys/{id}", path_parameters={"id": "8"}, headers={"Idempotency-Key": "k"})
    other = case("DELETE /v1/keys/{id}", path_parameters={"id": 9}, headers={"Idempotency-Key": "k"})

    hooks.before_call(None, own, {})
    hooks.before_call(None, other, {})

    assert own.path_parameters == {"id": hooks.ABSENT_ID}
    assert other.path_parameters == {"id": 9}


def test_a_signed_request_is_signed_over_the_bytes_sent(monkeypatch):
    monkeypatch.setattr(hooks, "_signer", hooks.Signer("dzsig_test"))
    signed = case(
        "POST /v1/signups",
        headers={"X-DZ-Timestamp": "1", "X-DZ-Signature": "0" * 64},
        body={"email": "amina@example.com"},
        media_type="application/json",
    )
    kwargs: dict[str, Any] = {}

    hooks.before_call(None, signed, kwargs)

    timestamp = signed.headers["X-DZ-Timestamp"]
    assert kwargs["data"] == b'{"email": "amina@example.com"}'
    assert signed.headers["X-DZ-Signature"] == signatures.sign("dzsig_test", timestamp, kwargs["data"])


def test_the_same_body_is_never_signed_twice_at_the_same_second():
    signer = hooks.Signer("dzsig_test")

    seen = {signer.headers(b"{}")[hooks.SIGNATURE_HEADER] for _ in range(5)}

    assert len(seen) == 5


def test_a_404_naming_only_a_body_field_is_not_about_the_paths_resource():
    redeliver = case("POST /v1/webhooks/{id}/redeliver", path_parameters={"id": 5}, body={"delivery_id": "dlv_x"})
    not_found = {"error": {"code": "not_found", "details": [{"field": "delivery_id", "code": "not_found"}]}}
    gone = {"error": {"code": "not_found", "details": [{"field": "id", "code": "not_found"}]}}

    assert hooks.names_only_body_fields(redeliver, not_found)
    assert not hooks.names_only_body_fields(redeliver, gone)
    assert not hooks.names_only_body_fields(redeliver, {"error": {"code": "not_found"}})
