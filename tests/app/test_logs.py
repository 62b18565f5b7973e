"""Logs: one line per record (JSON or text), the request id on each, an access line per request naming its route
template, and never a customer's phone, email, name or address, nor a key's secret, whatever the traffic."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from opentelemetry.sdk.trace import TracerProvider

from storegraph.platform.observability.logs import JsonFormatter, RecordMaker, TextFormatter, logging_config
from storegraph.platform.observability.scrub import scrub
from tests.orders.test_checkout import PLACE, line
from tests.support.factories import create_key, create_product, create_store
from tests.support.rest_calls import writing

CHECKOUT_PHONE = "0555 71 82 93"
CREATED_PHONE = "0661 24 35 46"
EMAILS = ("lina.haddad@example.com", "karim.ouali@example.org")
NAMES = ("Haddad", "Ouali")
ADDRESS = "12 rue Didouche Mourad"
# Every spelling of the two phones a line could carry: as sent, normalised, international, digits only.
PHONES = (
    CHECKOUT_PHONE,
    "0555718293",
    "+213555718293",
    "555718293",
    CREATED_PHONE,
    "0661243546",
    "+213661243546",
    "661243546",
)
LOGGERS = ("storegraph", "storegraph.access", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def captured(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def traffic(client, gql, session) -> None:
    """Checkouts, a customer created and looked up over /v1, and requests that fail with the values in them."""
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, name="Robe kabyle", price=2500)
    await session.commit()
    buyer = {
        "firstName": "Lina",
        "lastName": NAMES[0],
        "phone": CHECKOUT_PHONE,
        "email": EMAILS[0],
        "wilayaId": 16,
        "address": ADDRESS,
    }
    for _ in range(2):
        placed = await gql.query(PLACE, {"input": {"lines": [line(product)], "customer": buyer}}, headers=key.headers)
        assert placed["data"]["placeOrder"]["userErrors"] == []
    created = {"phone": CREATED_PHONE, "first_name": "Karim", "last_name": NAMES[1], "email": EMAILS[1]}
    assert (await client.post("/v1/customers", json=created, headers=writing(key))).status_code == 201
    assert (await client.post("/v1/customers", json=created, headers=writing(key))).status_code == 409
    assert (await client.get("/v1/customers", params={"phone": CREATED_PHONE}, headers=key.headers)).status_code == 200
    bad = {**created, "email": f"not-an-email {EMAILS[1]}"}
    assert (await client.post("/v1/customers", json=bad, headers=writing(key))).status_code == 422
    assert (await client.get(f"/v1/nowhere/{EMAILS[0]}", params={"p": CREATED_PHONE})).status_code in (401, 404)


def all_text(records: list[logging.LogRecord]) -> str:
    """Each record as it could reach a log: its message, its fields, and both formatters' lines."""
    json_formatter, text_formatter = JsonFormatter(), TextFormatter()
    parts = []
    for record in records:
        parts += [record.getMessage(), repr(record.__dict__), json_formatter.format(record)]
        parts.append(text_formatter.format(record))
    return "\n".join(parts)


async def test_no_phone_email_name_or_address_reaches_any_log_line(captured, client, gql, session):
    await traffic(client, gql, session)

    text = all_text(captured.records)
    assert captured.records  # the traffic was logged: the access lines at least
    for value in (*PHONES, *EMAILS, *NAMES, ADDRESS):
        assert value not in text
    assert not re.search(r"dzpk_(live|test)_[0-9a-f]{16}\.[A-Za-z0-9_-]{10}", text)


async def test_each_request_gets_one_access_line_with_its_id_route_status_and_duration(captured, client, session):
    key = await create_key(session, await create_store(session))
    await session.commit()

    response = await client.get("/v1/customers/12345", headers=key.headers)

    access = [record for record in captured.records if record.name == "storegraph.access"]
    assert len(access) == 1
    line_ = json.loads(JsonFormatter().format(access[0]))
    assert line_["request_id"] == response.headers["x-request-id"]
    assert (line_["method"], line_["route"], line_["status"]) == ("GET", "/v1/customers/{id}", 404)
    assert line_["duration_ms"] >= 0
    assert line_["level"] == "info"
    assert "12345" not in line_["message"]


def test_a_json_line_is_one_line_even_with_a_stack():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        record = logging.LogRecord("storegraph.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())

    formatted = JsonFormatter().format(record)

    assert "\n" not in formatted
    assert json.loads(formatted)["exc"].endswith("ValueError: first line\nsecond line")


@pytest.mark.parametrize(
    "text",
    [
        "call 0555 71 82 93",
        "+213555718293 called",
        "from lina.haddad@example.com",
        "key dzpk_live_0123456789abcdef.s3cr3t",
    ],
)
def test_the_scrubber_masks_what_slips_into_free_text(text):
    scrubbed = scrub(text)

    assert "***" in scrubbed
    assert not any(secret in scrubbed for secret in ("71 82 93", "555718293", "lina.haddad", "s3cr3t"))


def test_the_scrubber_leaves_ids_timestamps_and_durations_alone():
    text = "order 1234567890 at 2026-12-07T05:15:39 took 12.5 ms (req_0a1b2c3d4e5f60718293a4b5)"

    assert scrub(text) == text


def test_debug_logging_keeps_the_loggers_that_write_bound_values_quiet():
    config = logging_config("json", "debug")

    assert config["root"]["level"] == "DEBUG"
    for name in ("sqlalchemy.engine", "aiosqlite", "uvicorn.access"):
        assert config["loggers"][name]["level"] == "WARNING"


def test_text_logs_are_chosen_by_log_format():
    config = logging_config("text", "info")

    assert config["formatters"]["storegraph"]["()"].endswith("TextFormatter")


def test_a_line_written_inside_a_span_names_its_trace():
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("request") as span:
        record = logging.LogRecord("storegraph.test", logging.INFO, __file__, 1, "inside", None, None)
        line_ = json.loads(JsonFormatter().format(record))

    assert line_["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line_["span_id"] == format(span.get_span_context().span_id, "016x")


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_made_record_has_what_a_logged_record_has_and_goes_through_the_loggers_filters():
    logger = logging.getLogger("storegraph.tests.made")
    maker = RecordMaker(logger, source=__file__, function="access")
    logged = logger.makeRecord(logger.name, logging.INFO, __file__, 0, "%s took %d", ("GET", 5), None, "access")

    made = maker.make(logging.INFO, "%s took %d", ("GET", 5), {"route": "/graphql"})
    again = maker.make(logging.INFO, "%s took %d", ("POST", 7), {})

    assert made.__dict__.keys() == logged.__dict__.keys() | {"route"}
    for name in ("name", "levelno", "levelname", "pathname", "module", "funcName", "process", "thread", "threadName"):
        assert getattr(made, name) == getattr(logged, name)
    assert (made.getMessage(), getattr(made, "route", None), again.getMessage()) == (
        "GET took 5",
        "/graphql",
        "POST took 7",
    )
    assert not hasattr(again, "route")  # each record its own fields, never the previous one's
    assert abs(made.created - logged.created) < 5
    assert made.msecs == int((made.created % 1) * 1000)
    handler = Collected()
    logger.addHandler(handler)
    logger.addFilter(lambda record: record.getMessage().startswith("GET"))
    try:
        logger.handle(made)
        logger.handle(again)
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()
    assert handler.records == [made]


@pytest.mark.parametrize("late", [False, True])
def test_a_json_line_times_its_record_in_utc_to_the_millisecond(late):
    formatter = JsonFormatter()  # one formatter: lines in the same second and in the next
    times = {
        1_780_000_000.0: "2026-05-28T20:26:40.000+00:00",
        1_780_000_000.9996: "2026-05-28T20:26:40.999+00:00",
        1_780_000_001.9999997: "2026-05-28T20:26:42.000+00:00",  # rounded to the microsecond first, as datetime does
        1_780_000_059.25: "2026-05-28T20:27:39.250+00:00",
        1_780_000_060.5: "2026-05-28T20:27:40.500+00:00",
        1_780_000_060.007: "2026-05-28T20:27:40.007+00:00",
    }
    for created, expected in sorted(times.items(), reverse=late):
        record = logging.LogRecord("storegraph.test", logging.INFO, __file__, 1, "at", None, None)
        record.created = created

        assert json.loads(formatter.format(record))["ts"] == expected
