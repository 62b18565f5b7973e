"""The browser assets of the two pages for people, GraphiQL (``/graphql``) and Swagger UI (``/docs``), served by
storegraph itself under ``/static`` so that both pages work with no network beyond the server.

The files come from the npm packages pinned in ``ui/package-lock.json``, installed with ``npm ci --prefix ui``
into ``ui/node_modules`` (or wherever ``UI_ASSETS_DIR`` points). Only the files named here are served, with
their packages' licences beside them: the rest of ``node_modules`` is never reachable over HTTP.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

STATIC_PREFIX = "/static/"
INSTALL_COMMAND = "npm ci --prefix ui"
# The packages are pinned, but a new pin keeps the same URLs: a browser checks back within the hour.
CACHE_CONTROL = "public, max-age=3600"
# Both pages load scripts, styles and images from this server only, and talk to this server only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {"content-security-policy": CONTENT_SECURITY_POLICY}

# Served name (under /static/) → the file under the installed node_modules.
REACT = "react/react.production.min.js"
REACT_DOM = "react-dom/react-dom.production.min.js"
GRAPHIQL_JS = "graphiql/graphiql.min.js"
GRAPHIQL_CSS = "graphiql/graphiql.min.css"
SWAGGER_UI_JS = "swagger-ui/swagger-ui-bundle.js"
SWAGGER_UI_CSS = "swagger-ui/swagger-ui.css"
SWAGGER_UI_FAVICON = "swagger-ui/favicon-32x32.png"
ASSETS: dict[str, str] = {
    REACT: "react/umd/react.production.min.js",
    REACT_DOM: "react-dom/umd/react-dom.production.min.js",
    GRAPHIQL_JS: "graphiql/graphiql.min.js",
    GRAPHIQL_CSS: "graphiql/graphiql.min.css",
    SWAGGER_UI_JS: "swagger-ui-dist/swagger-ui-bundle.js",
    SWAGGER_UI_CSS: "swagger-ui-dist/swagger-ui.css",
    SWAGGER_UI_FAVICON: "swagger-ui-dist/favicon-32x32.png",
}
LICENSES: dict[str, str] = {
    "react/LICENSE": "react/LICENSE",
    "react-dom/LICENSE": "react-dom/LICENSE",
    "graphiql/LICENSE": "graphiql/LICENSE",
    "swagger-ui/LICENSE": "swagger-ui-dist/LICENSE",
    "swagger-ui/NOTICE": "swagger-ui-dist/NOTICE",
    # The licences of what the minified bundle was built from.
    "swagger-ui/swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt",
}
SERVED = {**ASSETS, **LICENSES}
GRAPHIQL_ASSETS = (REACT, REACT_DOM, GRAPHIQL_JS, GRAPHIQL_CSS)
SWAGGER_UI_ASSETS = (SWAGGER_UI_JS, SWAGGER_UI_CSS, SWAGGER_UI_FAVICON)
_TEXT = "text/plain; charset=utf-8"
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}


def url_of(name: str) -> str:
    return STATIC_PREFIX + name


@dataclass(frozen=True, slots=True)
class BrowserAssets:
    """The installed ``node_modules`` directory the served files are read from."""

    directory: Path

    def path_of(self, name: str) -> Path:
        return self.directory / SERVED[name]

    def missing(self, names: Iterable[str]) -> list[str]:
        """Which of ``names`` are not installed (looked up at each call: installing them needs no restart)."""
        return [name for name in names if not self.path_of(name).is_file()]

    def routes(self) -> list[Route]:
        async def serve(request: Request) -> Response:
            name: str = request.path_params["name"]
            if name not in SERVED or not self.path_of(name).is_file():
                raise HTTPException(404)
            media_type = _MEDIA_TYPES.get(Path(name).suffix, _TEXT)
            headers = {"cache-control": CACHE_CONTROL, "x-content-type-options": "nosniff"}
            return FileResponse(self.path_of(name), media_type=media_type, headers=headers)

        return [Route(STATIC_PREFIX + "{name:path}", serve, methods=["GET"])]

    def missing_page(self, page: str, missing: Iterable[str]) -> HTMLResponse:
        """What a page answers when its assets are not installed: a 503 that says which files and how to install
        them, rather than a page that stays blank."""
        files = "".join(f"<li><code>{html.escape(str(self.path_of(name)))}</code></li>" for name in missing)
        body = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(page)}: assets not installed</title></head><body>"
            f"<h1>{html.escape(page)} cannot be shown: its browser assets are not installed</h1>"
            f"<p>storegraph serves {html.escape(page)} from files installed with npm, and these are missing:</p>"
            f"<ul>{files}</ul>"
            f"<p>Install them from the repository with <code>{INSTALL_COMMAND}</code>, or set "
            "<code>UI_ASSETS_DIR</code> to the <code>node_modules</code> directory they were installed in "
            "(docs/running.md). The API itself works without them.</p></body></html>"
        )
        return HTMLResponse(body, status_code=503, headers={"retry-after": "60", **PAGE_HEADERS})
