"""A webhook URL's credentials and token never reach the logs: deliveries that succeed, fail, are retried or cannot
connect, through httpx's own request log, the worker's and the delivery's lines, at any level."""

from __future__ import annotations

import logging

import httpx
import pytest

from storegraph.platform.jobs.worker import _describe
from storegraph.platform.redaction import redact_url, redact_urls, redact_urls_in_logs
from tests.support.factories import create_key, create_product, create_store
from tests.webhooks.test_webhook_delivery import place_order, subscribe
from tests.webhooks.test_webhook_delivery_support import Answer, draining_worker, receiver

PASSWORD = "s3cr3t-pass"
TOKEN = "tok-0123456789abcdef"


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, name="Robe kabyle", price=2500)
    await session.commit()
    return store, key, product


def leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every captured line, exception text included, that shows the password or the token."""
    lines = []
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        if PASSWORD in text or TOKEN in text:
            lines.append(f"{record.name}: {text}")
    return lines


@pytest.mark.parametrize("answers", [[200], [500, 500, 200], [Answer(503, headers={"Retry-After": "1"}), 200]])
async def test_deliveries_to_a_url_with_credentials_and_a_token_never_log_them(app, gql, shop, caplog, answers):
    caplog.set_level(logging.DEBUG)
    _store, key, product = shop
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(*answers)
        url = f"http://user:{PASSWORD}@127.0.0.1:{hooks.port}/hook?token={TOKEN}"
        await subscribe(gql, key, url, ["order.created"])
        await place_order(gql, key, product)

        await worker.run()

    assert len(hooks.requests) == len(answers)
    assert any("127.0.0.1" in record.getMessage() for record in caplog.records if record.name == "httpx")
    assert leaks(caplog) == []


async def test_a_delivery_that_cannot_connect_never_logs_the_url(app, gql, shop, caplog):
    caplog.set_level(logging.DEBUG)
    _store, key, product = shop
    async with draining_worker(app) as worker:
        await subscribe(gql, key, f"http://user:{PASSWORD}@127.0.0.1:1/hook?token={TOKEN}", ["order.created"])
        await place_order(gql, key, product)

        await worker.run_once()
        await worker.run_once()

    assert "retry" in worker.outcomes
    assert leaks(caplog) == []


# --- the helper ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pass@host/hook?token=abc", "http://***@host/hook?***"),
        ("https://hooks.example.com:8443/dz/1", "https://hooks.example.com:8443/dz/1"),
        ("https://token@hooks.example.com/x#secret", "https://***@hooks.example.com/x?***"),
        ("https://a:b@[::1]:8080/p?q=1", "https://***@[::1]:8080/p?***"),
        ("http://[::1/broken?token=abc", "http://***"),
    ],
)
def test_a_url_loses_its_userinfo_query_and_fragment(url, shown):
    assert redact_url(url) == shown


def test_every_url_in_a_text_is_redacted():
    text = "failed: POST 'http://u:p@a.example/h?t=1' then https://b.example/x?k=2, done"

    assert redact_urls(text) == "failed: POST 'http://***@a.example/h?***' then https://b.example/x?***, done"


def test_a_logger_with_the_filter_redacts_messages_arguments_and_exceptions(caplog):
    logger = logging.getLogger("tests.redaction")
    redact_urls_in_logs(logger)
    url = httpx.URL(f"http://user:{PASSWORD}@host/hook?token={TOKEN}")

    logger.warning("sent to %s", url)
    logger.warning("sent to %(url)s", {"url": str(url)})
    logger.warning(f"inline {url}")
    try:
        raise RuntimeError(f"could not reach {url}")
    except RuntimeError:
        logger.exception("delivery failed")

    assert [record.getMessage() for record in caplog.records][:3] == [
        "sent to http://***@host/hook?***",
        "sent to http://***@host/hook?***",
        "inline http://***@host/hook?***",
    ]
    assert "http://***@host/hook?***" in caplog.text
    assert leaks(caplog) == []


def test_a_job_failure_kept_on_the_job_has_its_urls_redacted():
    described = _describe(RuntimeError(f"could not reach http://user:{PASSWORD}@host/hook?token={TOKEN}"))

    assert described == "RuntimeError: could not reach http://***@host/hook?***"
