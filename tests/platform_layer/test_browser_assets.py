"""GraphiQL and Swagger UI without the network: the files they load are served under /static from the installed
npm packages, with their licences, and a page whose files are not installed says so (tests/app/test_browser_pages.py
runs both pages in a browser). Which ``GET /graphql`` is the GraphiQL page, and which a GraphQL request."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from storegraph.app import create_app
from storegraph.platform.http.browser_assets import ASSETS, INSTALL_COMMAND, LICENSES, STATIC_PREFIX
from tests.conftest import app_settings, services_of
from tests.support.factories import Key, create_key, create_store

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VIEWER = "{ viewer { storeName } }"
PAGES = ["/graphql", "/docs"]


@pytest.fixture
async def key(session) -> Key:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return key


@pytest.fixture
async def bare_app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """An app whose assets directory is empty, as before `npm ci --prefix ui` ran."""
    application = create_app(app_settings(database_url, ui_assets_dir=tmp_path / "node_modules"))
    yield application
    await services_of(application).engine.dispose()


@pytest.fixture
async def bare_client(bare_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=bare_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        yield http


# --- the files ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ASSETS))
async def test_every_asset_of_the_pages_is_served(client, name):
    response = await client.get(STATIC_PREFIX + name)

    assert response.status_code == 200
    assert len(response.content) > 0
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_scripts_are_served_as_javascript(client):
    response = await client.get(STATIC_PREFIX + "graphiql/graphiql.min.js")

    assert response.headers["content-type"] == "text/javascript; charset=utf-8"


@pytest.mark.parametrize("name", sorted(LICENSES))
async def test_the_licences_are_served_beside_the_files_as_text(client, name):
    response = await client.get(STATIC_PREFIX + name)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_a_licence_names_its_licence(client):
    response = await client.get(STATIC_PREFIX + "graphiql/LICENSE")

    assert "MIT License" in response.text


@pytest.mark.parametrize(
    "name", ["graphiql/package.json", "graphql/index.js", "%2E%2E/package-lock.json", "graphiql/LICENSE/x"]
)
async def test_nothing_else_of_node_modules_is_served(client, name):
    response = await client.get(STATIC_PREFIX + name)

    assert response.status_code == 404


# --- the pages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_loads_nothing_from_another_server(client, path):
    response = await client.get(path, headers={"Accept": BROWSER})

    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", response.text)
    assert sources
    assert all(source.startswith((STATIC_PREFIX, "data:")) for source in sources), sources


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_lets_the_browser_reach_this_server_only(client, path):
    response = await client.get(path, headers={"Accept": BROWSER})

    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "connect-src 'self'" in response.headers["content-security-policy"]


async def test_graphiql_asks_for_the_authorization_header(client):
    response = await client.get("/graphql", headers={"Accept": BROWSER})

    assert "Authorization" in response.text
    assert 'fragment.get("key")' in response.text


async def test_swagger_ui_sends_the_document_to_no_validator(client):
    response = await client.get("/docs")

    assert '"validatorUrl": null' in response.text


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_whose_files_are_not_installed_says_how_to_install_them(bare_client, path):
    response = await bare_client.get(path, headers={"Accept": BROWSER})

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert INSTALL_COMMAND in response.text
    assert "UI_ASSETS_DIR" in response.text


async def test_a_file_not_installed_is_not_found(bare_client):
    response = await bare_client.get(STATIC_PREFIX + "graphiql/graphiql.min.js")

    assert response.status_code == 404


# --- GET /graphql: the page or a GraphQL request -------------------------------------------------------------------


async def test_a_browser_reloading_graphiql_with_its_editors_in_the_url_gets_the_page_without_a_key(client):
    response = await client.get("/graphql", params={"q": VIEWER, "variables": "{}"}, headers={"Accept": BROWSER})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_a_client_that_does_not_prefer_html_gets_no_page_for_a_query_string_without_query(client):
    response = await client.get("/graphql", params={"q": VIEWER}, headers={"Accept": "*/*"})

    assert response.status_code == 401


async def test_a_query_parameter_is_a_graphql_request_even_from_a_browser(client):
    response = await client.get("/graphql", params={"query": VIEWER}, headers={"Accept": BROWSER})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")


async def test_a_client_still_runs_a_query_over_get(client, key):
    response = await client.get("/graphql", params={"query": VIEWER}, headers=key.headers)

    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["storeName"]
