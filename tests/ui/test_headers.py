"""The security headers middleware and the sessionless paths, on a small Starlette app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from app.web.headers import SECURITY_HEADERS, harden, relative_path


def page(request: Request) -> Response:
    request.session["id"] = "someone"  # as NiceGUI's request tracking does on every request it sees
    return PlainTextResponse("page")


def framed(request: Request) -> Response:
    request.session["id"] = "someone"
    return PlainTextResponse("framed", headers={"X-Frame-Options": "SAMEORIGIN"})


def health(request: Request) -> Response:
    return PlainTextResponse("ok")


def chat_app() -> Starlette:
    routes = [Route("/", page), Route("/framed", framed), Route("/healthz", health)]
    app = Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, secret_key="x" * 32)])
    harden(app, sessionless=("/healthz",))
    return app


def test_every_response_has_the_headers_and_keeps_its_own() -> None:
    client = TestClient(chat_app())
    for path in ("/", "/healthz", "/missing"):
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
    assert client.get("/framed").headers["X-Frame-Options"] == "SAMEORIGIN"


def test_sessionless_paths_set_no_cookie_others_do() -> None:
    client = TestClient(chat_app())
    assert "set-cookie" in client.get("/").headers
    assert "set-cookie" not in client.get("/healthz").headers


def test_mounted_under_a_path_only_the_chat_is_touched() -> None:
    host = Starlette(routes=[Route("/", health), Mount("/chat", chat_app())])
    client = TestClient(host)
    assert "content-security-policy" not in client.get("/").headers
    chat = client.get("/chat/healthz")
    assert chat.text == "ok" and "set-cookie" not in chat.headers
    assert chat.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert "set-cookie" in client.get("/chat/").headers


def test_relative_path() -> None:
    assert relative_path({"path": "/chat/healthz", "root_path": "/chat"}) == "/healthz"
    assert relative_path({"path": "/healthz", "root_path": ""}) == "/healthz"
    assert relative_path({"path": "/healthz"}) == "/healthz"
