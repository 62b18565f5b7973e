"""The GraphiQL page ``GET /graphql`` serves to browsers, with its scripts and styles from this server
(storegraph/platform/http/browser_assets.py): it opens with the ``Authorization`` header ready to fill, takes a key
from the URL (``/graphql#key=...``), and loads the schema as soon as a key is set."""

from __future__ import annotations

from importlib.resources import files
from string import Template

from starlette.responses import HTMLResponse, Response

from storegraph.platform.http.browser_assets import (
    GRAPHIQL_ASSETS,
    GRAPHIQL_CSS,
    GRAPHIQL_JS,
    PAGE_HEADERS,
    REACT,
    REACT_DOM,
    BrowserAssets,
    url_of,
)

PAGE_NAME = "GraphiQL"


def graphiql_url(base_url: str, key: str | None = None) -> str:
    """The page's address on a server, with ``key`` filled in its headers when given."""
    url = f"{base_url.rstrip('/')}/graphql"
    return f"{url}#key={key}" if key else url


class GraphiQLPage:
    def __init__(self, assets: BrowserAssets) -> None:
        self.assets = assets
        template = Template(files("storegraph").joinpath("graphiql_page.html").read_text(encoding="utf-8"))
        self.html = template.substitute(
            graphiql_css=url_of(GRAPHIQL_CSS),
            graphiql_js=url_of(GRAPHIQL_JS),
            react=url_of(REACT),
            react_dom=url_of(REACT_DOM),
        ).encode()

    def response(self) -> Response:
        """The page, or a 503 page naming the files that are not installed."""
        missing = self.assets.missing(GRAPHIQL_ASSETS)
        if missing:
            return self.assets.missing_page(PAGE_NAME, missing)
        return HTMLResponse(self.html, headers=PAGE_HEADERS)
