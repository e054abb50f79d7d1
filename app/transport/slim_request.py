"""A tab keeps the facts of its page request, not the request's whole middleware chain.

NiceGUI keeps each page's Starlette request for the tab's lifetime: on its client (cookies, the session of
`app.storage`, the peer's address), on every event listener (made the current request while its handler
runs), and in the context of every task started while the page was built (the tab's outbox loop, its
socket task). Those requests hold the ASGI `receive` and `send` of the page load, and through them every
middleware's per-request state: memory streams, events, the GZip responder, the HTTP cycle, FastAPI's exit
stack (about 18 KiB per open tab, traced). Once the page is in the browser
only the scope's plain facts are read again, so each of those request objects is cut down in place (a
task's context cannot be changed from outside, the objects it refers to can).
"""

from __future__ import annotations

from typing import Any

from nicegui.client import Client
from nicegui.storage import request_contextvar
from starlette.requests import Request

from app.patches.nicegui import event_listeners, page_request
from app.patches.starlette import forget_channels

KEPT = (
    "type",
    "asgi",
    "http_version",
    "method",
    "scheme",
    "server",
    "client",
    "root_path",
    "path",
    "raw_path",
    "query_string",
    "headers",
    "path_params",
    "app",
    "router",  # request.url_for
    "session",  # app.storage.user and .browser
    "state",  # NiceGUI's `request.state.responded`
    "nicegui_page_path",
)


def cut_down(request: Request) -> None:
    """Keep the request's facts (headers, cookies, session, client, path); drop its ASGI channels."""
    request.scope = {key: request.scope[key] for key in KEPT if key in request.scope}
    forget_channels(request)


def keep_request_facts(client: Client) -> None:
    """For a tab whose page is in the browser (its first connect): cut down every request object it holds."""
    requests = {id(request): request for request in _held(client)}
    for request in requests.values():
        cut_down(request)


def _held(client: Client) -> list[Request]:
    held: list[Any] = [page_request(client), request_contextvar.get()]
    held += [
        listener.request for element in client.elements.values() for listener in event_listeners(element)
    ]
    return [request for request in held if isinstance(request, Request)]
