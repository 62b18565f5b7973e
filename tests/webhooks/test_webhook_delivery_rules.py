"""The pure rules of webhook delivery: the signature, the delivery id, the body, the retry schedule, which answers
are retried, which target addresses are refused, and when an endpoint's failures disable it."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.queries.webhooks import Event
from storegraph.rules.webhooks.delivery_job import DeliveryJob
from storegraph.rules.webhooks.guard import TargetRefused, TargetUnresolved, address_problem, check_target
from storegraph.rules.webhooks.health import FAILING_LIMIT, after_failure
from storegraph.rules.webhooks.message import delivery_headers, event_body
from storegraph.rules.webhooks.schedule import (
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER,
    RETRY_DELAYS,
    is_exhausted,
    is_retryable_status,
    parse_retry_after,
    retry_delay,
)
from storegraph.rules.webhooks.signing import delivery_id, signature
from tests.webhooks.test_webhook_delivery_support import Received, seed_004_status

EVENT = Event("evt_0123456789abcdef01234567", "order.created", datetime(2026, 4, 30, 10, 15), {"id": 1287})

# --- signing ----------------------------------------------------------------------------------------------------


def test_the_signature_is_seed_004s_hmac_of_timestamp_dot_body_hash():
    body = b'{"id":"evt_1"}'
    expected = hmac.new(
        b"whsec_test", b"1777544100." + hashlib.sha256(body).hexdigest().encode(), hashlib.sha256
    ).hexdigest()
    assert signature("whsec_test", "1777544100", body) == expected
    # A fixed vector computed with openssl (`openssl dgst -sha256 -hmac whsec_test` over "1777544100." and the
    # body's sha256 hex), so a change of algorithm cannot hide behind the same change in the test.
    assert signature("whsec_test", "1777544100", body) == (
        "7ccd7bd3d3065216b1334a2e067273f7d3a5f8aa51c7597827866d162351d3e6"
    )


@given(secret=st.text(min_size=1, max_size=60), body=st.binary(max_size=200))
def test_seed_004s_handler_accepts_what_we_sign_and_nothing_else(secret, body):
    now = 1_777_544_100.0
    headers = delivery_headers(secret=secret, body=body, event="order.created", delivery_id="dlv_1", now=now)
    signed = Received("POST", "/", {name.lower(): value for name, value in headers.items()}, body)
    assert seed_004_status(secret, signed, now=now) == 200
    assert seed_004_status(secret, Received("POST", "/", signed.headers, body + b" "), now=now) == 401
    assert seed_004_status(secret + "x", signed, now=now) == 401
    assert seed_004_status(secret, signed, now=now + 301) == 401


def test_the_headers_of_an_attempt():
    body = event_body(EVENT)
    headers = delivery_headers(secret="s", body=body, event="order.created", delivery_id="dlv_x", now=1700000000.9)
    assert headers == {
        "Content-Type": "application/json",
        "User-Agent": "storegraph-webhooks/1",
        "X-DZ-Timestamp": "1700000000",
        "X-DZ-Signature": signature("s", "1700000000", body),
        "X-DZ-Event": "order.created",
        "X-DZ-Delivery": "dlv_x",
    }


def test_the_body_is_the_contracts_four_fields_with_a_rest_timestamp():
    assert event_body(EVENT) == (
        b'{"id":"evt_0123456789abcdef01234567","event":"order.created","created_at":"2026-04-30 10:15:00",'
        b'"data":{"id":1287}}'
    )
    assert list(orjson.loads(event_body(EVENT))) == ["id", "event", "created_at", "data"]


def test_the_delivery_id_is_derived_from_the_event_and_the_subscription():
    first = delivery_id("evt_a", 1)
    assert first == delivery_id("evt_a", 1)
    assert len({first, delivery_id("evt_a", 2), delivery_id("evt_b", 1)}) == 3
    assert first.startswith("dlv_")
    assert len(first) == 28


def test_a_delivery_job_payload_round_trips_and_foreign_payloads_are_refused():
    job = DeliveryJob.of(5, "evt_a", 9)
    assert DeliveryJob.from_payload(job.payload()) == job
    again = DeliveryJob(5, 9, job.delivery_id, previous_attempts=3)
    assert DeliveryJob.from_payload(again.payload()) == again
    for payload in ({}, {"outbox_event_id": "5", "subscription_id": 9, "delivery_id": "d"}, {"x": 1}):
        with pytest.raises(ValueError):
            DeliveryJob.from_payload(payload)


# --- the schedule -----------------------------------------------------------------------------------------------


def test_the_schedule_spans_about_a_day():
    assert MAX_ATTEMPTS == 10
    assert timedelta(hours=23) < timedelta(seconds=sum(RETRY_DELAYS)) < timedelta(hours=25)
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)
    assert not is_exhausted(MAX_ATTEMPTS - 1)
    assert is_exhausted(MAX_ATTEMPTS)


@pytest.mark.parametrize("attempts", range(1, MAX_ATTEMPTS))
def test_each_delay_is_its_step_within_twenty_percent(attempts):
    step = RETRY_DELAYS[attempts - 1]
    assert retry_delay(attempts, jitter=-1) == pytest.approx(step * 0.8)
    assert retry_delay(attempts, jitter=1) == pytest.approx(step * 1.2)
    assert step * 0.8 <= retry_delay(attempts) <= step * 1.2


def test_retry_after_lengthens_the_wait_within_bounds():
    assert retry_delay(1, jitter=0, retry_after=5) == 30  # never sooner than the schedule
    assert retry_delay(1, jitter=0, retry_after=300) == 300
    assert retry_delay(1, jitter=0, retry_after=10**9) == MAX_RETRY_AFTER


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after(" 7 ", now) == 7
    assert parse_retry_after("Thu, 30 Apr 2026 10:05:00 GMT", now) == 300
    assert parse_retry_after("Thu, 30 Apr 2026 09:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        *[(301, True), (302, True), (400, False), (401, False), (403, False), (404, False), (408, True)],
        *[(410, False), (413, False), (422, False), (429, True), (500, True), (502, True), (503, True), (504, True)],
    ],
)
def test_which_answers_are_retried(status, retried):
    assert is_retryable_status(status) is retried


# --- the target guard -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("8.8.8.8", None),
        ("::ffff:8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_which_addresses_may_be_targets(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "only http and https URLs are delivered to"),
        ("http:///hook", "the URL has no host"),
        ("http://10.0.0.7:8080/hook", "10.0.0.7 is a private address"),
        ("https://[::ffff:169.254.169.254]/latest/meta-data", "::ffff:169.254.169.254 is a link-local address"),
        ("http://localhost:9/hook", "localhost resolves to"),
    ],
)
async def test_refused_targets(url, reason):
    with pytest.raises(TargetRefused) as refused:
        await check_target(url, allow_private=False)
    assert str(refused.value).startswith(reason)


async def test_a_public_address_passes_without_a_lookup_and_the_setting_lets_private_ones_through():
    await check_target("https://8.8.8.8/hook", allow_private=False)
    await check_target("http://127.0.0.1:9/hook", allow_private=True)
    with pytest.raises(TargetRefused):
        await check_target("gopher://127.0.0.1/", allow_private=True)  # the scheme is checked regardless


async def test_a_name_that_does_not_resolve_is_a_retried_failure():
    with pytest.raises(TargetUnresolved):
        await check_target("https://no-such-host.invalid/hook", allow_private=False)


# --- the endpoint's health --------------------------------------------------------------------------------------

NOW = datetime(2026, 5, 2, 12, 0)


def test_a_first_failure_starts_the_clock_without_disabling():
    assert after_failure(None, NOW).failing_since == NOW
    assert after_failure(None, NOW).disabled_reason is None
    assert after_failure(NOW - FAILING_LIMIT + timedelta(seconds=1), NOW).disabled_reason is None


def test_a_day_of_failures_disables_and_says_since_when():
    health = after_failure(NOW - FAILING_LIMIT, NOW)
    assert health.failing_since == NOW - FAILING_LIMIT
    assert health.disabled_reason == (
        "Disabled on 2026-05-02 12:00:00 UTC: every delivery failed for 24 hours "
        "(failing since 2026-05-01 12:00:00 UTC)."
    )
    assert len(health.disabled_reason) <= 255


def test_a_used_up_schedule_disables_only_an_endpoint_that_failed_throughout():
    first_attempt = NOW - timedelta(hours=20)
    throughout = after_failure(first_attempt, NOW, given_up_since=first_attempt)
    assert "a delivery failed all 10 attempts" in str(throughout.disabled_reason)
    # Another delivery succeeded in between (the clock restarted after this one's first attempt): keep it on.
    assert after_failure(NOW - timedelta(hours=2), NOW, given_up_since=first_attempt).disabled_reason is None
