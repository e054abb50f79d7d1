"""A tab keeps its page request's facts (cookies, session, address) but not the page load's ASGI chain."""

from __future__ import annotations

from typing import Any

from nicegui import Client
from starlette.requests import Request, empty_receive, empty_send

from app.main import Chat
from app.transport.slim_request import KEPT, cut_down
from tests.support.users import NewUser, join, until


async def page_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


def test_cut_down_keeps_the_facts_and_drops_the_channels() -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"a=1",
        "headers": [(b"cookie", b"chat_name=Ann"), (b"host", b"chat.example")],
        "client": ("10.0.0.7", 5555),
        "session": {"id": "s1"},
        "state": {"responded": True},
        "fastapi_astack": object(),  # per-request state of the middleware chain
        "endpoint": object(),
    }
    request = Request(scope, page_receive)
    cut_down(request)
    assert set(request.scope) <= set(KEPT)
    assert request.cookies == {"chat_name": "Ann"}
    assert (
        request.session == {"id": "s1"} and request.client is not None and request.client.host == "10.0.0.7"
    )
    assert request.url.path == "/" and request.query_params["a"] == "1"
    assert request.state.responded is True
    assert request._receive is empty_receive and request._send is empty_send


async def test_a_connected_tab_holds_only_cut_down_requests(new_user: NewUser, chat: Chat) -> None:
    ann = new_user()
    await join(ann, "Ann")
    await until(lambda: chat.presence.tab_count("Ann") == 1)
    [client] = [c for c in Client.instances.values() if c.has_socket_connection]
    held = [client.request] + [
        listener.request
        for element in client.elements.values()
        for listener in element._event_listeners.values()
    ]
    assert held and all(request is not None and set(request.scope) <= set(KEPT) for request in held)
    assert all(request is not None and request._receive is empty_receive for request in held)
    # what the tab reads later still works: the browser's storage (its session) and a second tab by name
    await ann.open("/")
    await until(lambda: chat.presence.tab_count("Ann") == 2)
