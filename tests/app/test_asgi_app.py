"""The application object enters the app's own middleware directly (storegraph/asgi.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response

from storegraph.asgi import StoregraphApp
from storegraph.platform.http.request_id import RequestIdMiddleware


def layers(app: FastAPI) -> list[type[Any]]:
    stack: Any = app.build_middleware_stack()
    found: list[type[Any]] = []
    while stack is not app.router:
        found.append(type(stack))
        stack = stack.app
    return found


def test_the_app_is_entered_through_the_error_page_then_its_own_middleware(app: FastAPI) -> None:
    found = layers(app)
    assert found[0] is ServerErrorMiddleware
    own: list[Any] = [middleware.cls for middleware in app.user_middleware]
    assert found[1 : 1 + len(own)] == own
    assert found[1] is RequestIdMiddleware


def test_no_layer_of_fastapis_own_comes_between(app: FastAPI) -> None:
    names = [layer.__module__ for layer in layers(app)]
    assert [name for name in names if name.startswith("fastapi.") and "asyncexitstack" not in name] == []


def test_the_exception_handlers_sit_inside_the_middleware(app: FastAPI) -> None:
    found = layers(app)
    assert found[len(app.user_middleware) + 1] is ExceptionMiddleware


def test_fastapis_body_limit_is_refused() -> None:
    app = StoregraphApp(max_body_size=10)
    with pytest.raises(ValueError, match="BodyLimitMiddleware"):
        app.build_middleware_stack()


async def test_an_error_outside_the_apps_middleware_still_gets_a_500() -> None:
    app = StoregraphApp()

    async def broken(_request: Request) -> Response:
        raise RuntimeError("broken")

    app.router.add_route("/", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        response = await http.get("/")
    assert response.status_code == 500


async def test_a_request_answers_through_the_stack(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["x-request-id"]
