"""Starlette: a request's ASGI channels, and an app's list of added middleware.

A `Request` keeps the ASGI `receive` and `send` it was made with in `_receive` and `_send`
(`forget_channels`: app/transport/slim_request.py drops them from the page requests a tab holds). An app
keeps the middleware added to it in `user_middleware` (each a `Middleware` with `cls`, `args` and
`kwargs`, newest first) until its first request builds the stack from it: app/web/headers.py rewraps
NiceGUI's session middleware there, and app/transport/socket_lane.py finds the send-queue bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request, empty_receive, empty_send
from starlette.types import ASGIApp, Receive, Scope, Send

from app.patches.moved import names_used, require

LIBRARY = "starlette"
PINNED = "1.10.0"
USES = "Request._receive, Request._send, Starlette.user_middleware, Middleware.cls/args/kwargs"


def forget_channels(request: Request) -> None:
    """The request no longer refers to the ASGI receive and send of its connection."""
    request._receive = empty_receive
    request._send = empty_send


def added_middleware(app: Starlette) -> list[Middleware]:
    """The middleware added to `app` (outermost first), not yet built into its stack."""
    return list(app.user_middleware)


def replace_added_middleware(app: Starlette, middleware: Sequence[Middleware]) -> None:
    """Before the app's first request: it builds its stack from `middleware` instead."""
    app.user_middleware = list(middleware)


async def _receive() -> Any:
    return {}


async def _send(message: Any) -> None:
    return None


class _Probe:
    """A middleware that does nothing, added to a throwaway app."""

    def __init__(self, app: ASGIApp, label: str = "") -> None:
        self.app, self.label = app, label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def problems() -> list[str]:
    found = []
    request: Any = Request({"type": "http"}, _receive, _send)
    if getattr(request, "_receive", None) is not _receive or getattr(request, "_send", None) is not _send:
        found.append("Request._receive/_send no longer hold the request's ASGI channels")
    elif request.receive is not _receive:
        found.append("Request.receive no longer returns Request._receive")
    app = Starlette()
    if not isinstance(getattr(app, "user_middleware", None), list):
        found.append("Starlette.user_middleware is gone")
    else:
        if "user_middleware" not in names_used(Starlette.build_middleware_stack):
            found.append("Starlette.build_middleware_stack no longer reads Starlette.user_middleware")
        app.add_middleware(_Probe)
        app.add_middleware(_Probe, "first")
        entry: Any = app.user_middleware[0] if app.user_middleware else None
        if not (
            getattr(entry, "cls", None) is _Probe
            and getattr(entry, "args", None) == ("first",)
            and getattr(entry, "kwargs", None) == {}
        ):
            found.append("Starlette.add_middleware no longer puts Middleware(cls, args, kwargs) first")
    return found


def check() -> None:
    require(LIBRARY, PINNED, problems())
