"""GraphiQL (``/graphql``) and Swagger UI (``/docs``) in a real browser against a real server, with every request
that leaves the server refused and recorded: both pages must work from what storegraph serves itself.

The browser is Debian's Chromium at /usr/bin/chromium (scripts/test.sh installs it), driven by Playwright's
Python client; without it these tests fail rather than skip.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Route, async_playwright, expect

from db.session import begin_write, create_engine, create_sessionmaker
from tests.support.factories import Key, create_customer, create_key, create_store
from tests.support.live_server import start_api, wait_until_up
from tests.support.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
# Generous: a page's first load parses some megabytes of script on a machine shared with other work.
WAIT_MS = 30_000
VIEWER_QUERY = "query { viewer { storeName plan } }"

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Offline:
    """What the browser tried to fetch from anywhere but the server: refused, and listed here. The pages' own
    Content-Security-Policy stops such a request before it is routed, so what it refused is listed too (and
    anything else it refused, which would break the page)."""

    refused: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(message.text)

    async def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
            return
        self.refused.append(route.request.url)
        await route.abort()


@dataclass(frozen=True)
class Server:
    url: str


@pytest.fixture(scope="module")
async def key(database_url: str) -> Key:
    """The module's store, with a key and a customer, written before its server starts (``server`` needs it).

    Once the server runs, it writes too (a key's last use, the usage counters every second), and on SQLite a
    transaction that reads before it writes (a new store's free slug) fails at once with "database is locked" when
    another connection wrote in between: the busy timeout does not apply to that upgrade. The transaction also
    takes the write lock first, so that it would queue behind another writer rather than race it."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await begin_write(session)
            store = await create_store(session, name="Browser Test Store")
            made = await create_key(session, store)
            await create_customer(session, store)
            await session.commit()
    finally:
        await engine.dispose()
    return made


@pytest.fixture(scope="module")
def server(key: Key, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Swagger UI sends "Try it out" to the document's server, so the document must name this one.
    env = {**os.environ, "DATABASE_URL": database_url, "PUBLIC_BASE_URL": url, "SECRET_KEY": "test-secret"}
    log = tmp_path_factory.mktemp("api") / "api.log"
    process = start_api(port, env, log)
    try:
        wait_until_up(url, process, log)
        yield Server(url)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def offline() -> AsyncIterator[Offline]:
    recorder = Offline()
    yield recorder
    assert recorder.refused == [], "the pages reached beyond the server"


@pytest.fixture
def chromium() -> Path:
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: scripts/test.sh installs it (apt-get install chromium)"
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path, tmp_path: Path, offline: Offline) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile",  # a fresh profile: nothing cached or stored from another run
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        await context.route("**/*", offline.route)
        context.on("page", offline.watch)
        try:
            yield context
        finally:
            await context.close()


async def _graphiql(browser: BrowserContext, url: str) -> Page:
    page = await browser.new_page()
    await page.goto(url)
    await expect(page.locator(".graphiql-container")).to_be_visible(timeout=WAIT_MS)
    return page


async def _run_and_read(page: Page) -> str:
    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".result-window")
    await expect(result).to_contain_text("storeName", timeout=WAIT_MS)
    return await result.inner_text()


async def _headers_editor_text(page: Page) -> str:
    await page.get_by_role("button", name="Headers").click()
    editor = page.locator(".graphiql-editor-tool .graphiql-editor").last
    return await editor.inner_text()


async def test_graphiql_opens_with_an_authorization_header_ready_to_fill(server, browser):
    page = await _graphiql(browser, f"{server.url}/graphql")

    assert '"Authorization": "Bearer "' in await _headers_editor_text(page)


async def test_graphiql_runs_a_query_with_the_key_from_its_url(server, key, browser):
    page = await _graphiql(browser, f"{server.url}/graphql?q={quote(VIEWER_QUERY)}#key={key.token}")

    assert "Browser Test Store" in await _run_and_read(page)


async def test_graphiql_loads_the_schema_once_a_key_is_typed_into_its_headers(server, key, browser):
    page = await _graphiql(browser, f"{server.url}/graphql?q={quote(VIEWER_QUERY)}")
    await _headers_editor_text(page)
    editor = page.locator(".graphiql-editor-tool .graphiql-editor .CodeMirror").last
    await editor.click()
    await page.keyboard.press("ControlOrMeta+A")
    await page.keyboard.type(f'{{"Authorization": "Bearer {key.token}"}}')

    # The documentation explorer lists the root types only once the schema was fetched with the key.
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    await expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query", timeout=WAIT_MS)
    assert "Browser Test Store" in await _run_and_read(page)


async def test_graphiql_keeps_its_query_and_key_through_a_reload(server, key, browser):
    page = await _graphiql(browser, f"{server.url}/graphql?q={quote(VIEWER_QUERY)}#key={key.token}")
    await page.reload()
    await expect(page.locator(".graphiql-container")).to_be_visible(timeout=WAIT_MS)

    assert "Browser Test Store" in await _run_and_read(page)


async def test_swagger_ui_authorizes_and_runs_a_request(server, key, browser):
    page = await browser.new_page()
    await page.goto(f"{server.url}/docs")
    await page.locator("button.authorize").first.click(timeout=WAIT_MS)
    dialog = page.locator(".modal-ux")
    bearer = dialog.locator("form").filter(has_text="bearerAuth")
    await bearer.locator("input").fill(key.token)
    await bearer.locator("button.authorize").click()
    await bearer.locator("button.btn-done").click()
    operation = page.locator(".opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/v1/customers']")
    )
    await operation.locator(".opblock-summary").first.click()
    await operation.locator(".try-out__btn").click()
    await operation.locator("button.execute").click()

    status = operation.locator(".live-responses-table .response .response-col_status")
    await expect(status).to_have_text("200", timeout=WAIT_MS)
