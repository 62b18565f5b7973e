"""``GET /openapi.json`` and ``GET /docs`` (Swagger UI over it, its files served by storegraph itself:
storegraph/platform/http/browser_assets.py). Neither needs a key: the auth middleware only guards /v1 and /graphql,
and the document describes the API, not a store's data."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.openapi.docs import get_swagger_ui_html
from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from rest_compat.compile import CompiledEndpoint
from rest_compat.openapi.common import MEDIA_TYPE
from rest_compat.openapi.document import build_document, openapi_json_bytes
from storegraph.platform.http.browser_assets import (
    PAGE_HEADERS,
    SWAGGER_UI_ASSETS,
    SWAGGER_UI_CSS,
    SWAGGER_UI_FAVICON,
    SWAGGER_UI_JS,
    BrowserAssets,
    url_of,
)

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
DOCS_TITLE = "storegraph REST /v1"
DOCS_PAGE_NAME = "The API docs (Swagger UI)"
# Swagger UI would otherwise send the document to an online validator for a badge. The key given to Authorize is
# not kept in the browser's storage (no persistAuthorization), as GraphiQL keeps none.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def openapi_routes(
    schema: GraphQLSchema, endpoints: Sequence[CompiledEndpoint], server_url: str, assets: BrowserAssets
) -> list[Route]:
    """The two routes, with the document built and serialized once, when the app is built. Its server is
    ``server_url`` (``PUBLIC_BASE_URL``), not the request's Host: a proxy in front may rewrite the Host, and a
    document built per request from a header the client chooses would name whatever server the client likes."""
    body = openapi_json_bytes(build_document(schema, endpoints, server_url))

    async def openapi_json(_request: Request) -> Response:
        return Response(body, media_type=MEDIA_TYPE)

    async def docs(_request: Request) -> HTMLResponse:
        missing = assets.missing(SWAGGER_UI_ASSETS)
        if missing:
            return assets.missing_page(DOCS_PAGE_NAME, missing)
        page = get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=DOCS_TITLE,
            swagger_js_url=url_of(SWAGGER_UI_JS),
            swagger_css_url=url_of(SWAGGER_UI_CSS),
            swagger_favicon_url=url_of(SWAGGER_UI_FAVICON),
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
        page.headers.update(PAGE_HEADERS)
        return page

    return [Route(OPENAPI_PATH, openapi_json, methods=["GET"]), Route(DOCS_PATH, docs, methods=["GET"])]
