"""The chat page: one view object per tab, composed of the online list, messages and composer."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fastapi import Response
from nicegui import app as nicegui_app
from nicegui import context, ui
from nicegui.client import Client
from nicegui.events import GenericEventArguments
from nicegui.version import __version__ as nicegui_version
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from app.chat.events import ChatMessage, Event, MessagesDeleted, Typing
from app.chat.flood import Sender, TokenBucket
from app.chat.presence import Presence
from app.chat.rules import RuleViolation, clean_name, name_error
from app.chat.service import ChatService
from app.chat.tab_count import TabCount
from app.chat.typists import TypingSignals
from app.patches.nicegui import socket_ids
from app.telemetry import names, traced
from app.telemetry.tracing import page_trace_context, release_page_context
from app.transport.fanout import RoomFanout
from app.transport.slim_request import keep_request_facts
from app.ui.attention import Attention
from app.ui.chat_shell import ChatShell
from app.ui.composer import Composer
from app.ui.message_list import MessageList
from app.ui.online_list import OnlineList
from app.ui.refused import too_many_tabs_page
from app.ui.requests import (
    BadRequest,
    PageRequest,
    SendRequest,
    SyncRequest,
    parse_name,
    parse_reconcile,
    parse_typing,
    raw_send_id,
)
from app.ui.typing_line import TypingLine
from app.ui.unavailable import unavailable_page

log = logging.getLogger(__name__)
TRACER = trace.get_tracer(__name__)

NOT_STORED = "Not sent: the chat cannot store messages right now. Your text is kept; try again."
# The name lives in the browser, so whichever instance serves the next visit knows it.
NAME_COOKIE = "chat_name"
NAME_COOKIE_SECONDS = 365 * 24 * 3600
# at most a few "refused a tab" lines: 3 at once, then one per 10 s
REFUSAL_LOG = TokenBucket(rate=0.1, burst=3)
# a tab reconnecting over and over gets the room at once, but its catch-up queries only at this rate
CATCH_UP_RATE = 0.2
CATCH_UP_BURST = 5
# pages of history a tab may read: one at a time, and at most this rate (a fast scroll to the top included)
PAGE_RATE = 4.0
PAGE_BURST = 20
TOO_SLOW = (
    "Not confirmed: the chat is slow to store messages right now. Your text is kept; sending it again "
    "will not store it twice."
)
NOT_UNDERSTOOD = "Not sent: the page and the server do not agree. Reload the page and try again."
# The page's own head: the stylesheet, and a preload of each module the components share (their
# `dependencies`: socket_events.js, avatar.js). The page preloads the components but not what they import,
# which would otherwise be fetched only once a component is, one round trip later. Relative: the page is
# always `<prefix>/`, whatever path the chat is mounted or proxied at.
HEAD_HTML = "\n".join(
    [
        '<link rel="stylesheet" href="chat-static/chat.css">',
        *(
            f'<link rel="modulepreload" href="_nicegui/{nicegui_version}/libraries/{key}">'
            for key in sorted(
                {
                    library.key
                    for component in (Composer, MessageList, OnlineList, TypingLine)
                    for library in component.exposed_libraries
                }
            )
        ),
    ]
)


def name_cookie_script(name: str, *, secure: bool) -> str:
    """The JavaScript that keeps `name` in the browser for a year, with the session cookie's flags:
    SameSite=Lax, and Secure when the session cookie is (CHAT_COOKIE_SECURE, on by default in prod)."""
    flags = f"; max-age={NAME_COOKIE_SECONDS}; samesite=lax{'; secure' if secure else ''}"
    return (
        f"document.cookie = '{NAME_COOKIE}=' + encodeURIComponent({json.dumps(name)})"
        f" + '; path=' + location.pathname + '{flags}'"
    )


@dataclass(frozen=True)
class ChatParts:
    """What the page needs from the wiring."""

    service: ChatService
    presence: Presence
    fanout: RoomFanout
    tab_messages: int
    tabs: TabCount
    send_timeout: float = 10.0  # seconds a send may take to store before it is answered "not confirmed"
    cookie_secure: bool = False  # the name cookie is Secure, like the session cookie (settings.cookie_secure)


class ChatView:
    """One browser tab: its name, its subscription, its elements."""

    def __init__(self, parts: ChatParts, client: Client, history: list[ChatMessage]) -> None:
        self.parts = parts
        self.client = client
        self.storage = nicegui_app.storage.user  # this browser's storage, captured for later handlers
        # flood control counts per browser session (the signed session cookie) and per tab
        browser_id = nicegui_app.storage.browser.get("id")
        self.sender = Sender(browser_id if isinstance(browser_id, str) else client.id, client.id)
        self.name: str | None = None
        self._cookie_name: str | None = None  # set by this tab since the page was built
        self._initial_last_id = history[-1].id if history else 0
        self._first_id = history[0].id if history else 0
        self._connected_before = False
        self._synced_before = False
        self._page_trace_context = page_trace_context()
        self._sync_due = False  # one `sync` per connection
        self._resumed = False  # one `resume` per view
        self._catch_ups = TokenBucket(CATCH_UP_RATE, CATCH_UP_BURST)  # queries for reconnects
        self._told_dropping = False  # one log line per tab for events dropped as out of place
        self._send_lock = asyncio.Lock()  # one send at a time per tab, stored in the order sent
        self._typing = TypingSignals()  # at most one "typing" a 2 s; its key is never shown to browsers
        self._typing_key = uuid.uuid4().hex
        self._paging = False  # one page of history at a time per tab
        self._pages = TokenBucket(PAGE_RATE, PAGE_BURST)

        with ChatShell("Chat") as shell:
            with shell.header:
                Attention().mark("attention")
            self.messages = MessageList(
                history, parts.tab_messages, page_size=parts.service.history_limit
            ).mark("messages")
            self.typing_line = TypingLine(parts.fanout.typing).mark("typing")
            self.composer = Composer(self._remembered_name() or "").mark("composer")
            with shell.aside:
                self.online = OnlineList(parts.presence).mark("online")

        self.composer.on("send", self.send)
        self.composer.on("name", self.confirm_name)
        self.composer.on("reconcile", self._on_reconcile)
        self.composer.on("typing", self._on_typing)
        self.messages.on("sync", self._on_sync)
        self.messages.on("page", self._on_page)

        self._unsubscribe = parts.service.bus.subscribe(self._on_event)
        client.on_connect(self._on_connect)
        client.on_delete(self._on_delete)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ChatMessage):
            self.messages.remember(event)
        elif isinstance(event, MessagesDeleted):
            self.messages.forget(event)

    @traced(names.CONNECT)
    def _on_connect(self) -> None:
        """The tab's socket is (back) up. It joins the room only when it has told its last shown id
        (`sync`), so no message can slip between the two."""
        self._sync_due = True
        if not self._connected_before:
            self._connected_before = True
            self.messages.release_history()
            keep_request_facts(self.client)
            release_page_context(self._page_trace_context)
            stored = self._remembered_name()
            if stored and name_error(stored) is None and self.name is None:
                self._use_name(clean_name(stored))
        self.online.refresh_users()

    async def _on_sync(self, event: GenericEventArguments) -> None:
        """Put the tab in the room, then send it what was stored after its last shown id; messages
        stored meanwhile may come both ways, and the browser drops the second by id."""
        try:
            request = SyncRequest.parse(event.args)
        except BadRequest as bad:
            self._dropping(f"bad sync ({bad})")
            return
        if not self._sync_due or (request.resume and self._resumed):
            self._dropping("a second sync on one connection" if not self._sync_due else "a second resume")
            return
        self._sync_due = False
        self._resumed = self._resumed or request.resume
        for sid in socket_ids(self.client):
            await self.parts.fanout.join(sid)
        self.typing_line.refresh()
        limit = self.parts.tab_messages
        first = not self._synced_before and not request.resume and request.last_id >= self._initial_last_id
        if not first and not self._catch_ups.take():
            self._dropping("catch-up queries faster than reconnects should need")
            return
        try:
            if request.resume:
                missed = await self.parts.service.resume_from(request.last_id, limit)
            elif first:
                # first connect: what the bus brought since the page was rendered is all there is
                missed = [m for m in self.messages.shown if m.id > request.last_id]
            else:
                missed = await self.parts.service.messages_after(request.last_id, limit)
        except Exception:
            log.exception("catching a tab up failed")  # it still gets what the room brings from now on
            return
        self._synced_before = True
        self.messages.add(missed)
        # deletions it may have missed (those this process saw lately): while it was away, or on a first
        # connect those made between the page's render and now
        deleted = self.parts.service.recent_deletions()
        if first:  # only those within what the page may show
            deleted = MessagesDeleted(tuple(i for i in deleted.ids if i >= self._first_id), deleted.through)
        self.messages.drop(deleted)

    @traced(names.LOAD_HISTORY)
    async def _on_page(self, event: GenericEventArguments) -> None:
        """One page of history for a tab scrolling past either end of what it shows. Every well-formed
        request is answered (with `retry` when refused or failed), so the tab's "Loading…" always ends."""
        try:
            request = PageRequest.parse(event.args)
        except BadRequest as bad:
            self._dropping(f"bad page request ({bad})")
            return
        if self._paging or not self._pages.take():
            # one at a time (a tab that reconnected may ask again while its first is still read), and
            # at most the rate: told to retry, so a real tab is never left "Loading…"
            self.messages.paged(request.key, None)
            return
        self._paging = True
        try:
            with TRACER.start_as_current_span(names.HISTORY_PAGE, attributes=_page_attributes(request)):
                if request.before is not None:
                    page = await self.parts.service.older_messages(request.before)
                else:
                    page = await self.parts.service.newer_messages(request.after or 0)
        except Exception:
            log.exception("reading a page of history failed")
            page = None
        finally:
            self._paging = False
        self.messages.paged(request.key, page)

    async def _on_reconcile(self, event: GenericEventArguments) -> None:
        """Which of the tab's unanswered sends are stored (after a reconnect or reload)."""
        try:
            ids = parse_reconcile(event.args)
        except BadRequest as bad:
            self._dropping(f"bad reconcile ({bad})")
            return
        async with self._send_lock:  # after any send of this tab still being stored
            try:
                stored = await self.parts.service.stored_sends(ids)
            except Exception:
                log.exception("looking up unanswered sends failed")
                stored = {}  # shown as not sent; a retry keeps its id, so it is stored at most once
        nonce = event.args.get("nonce") if isinstance(event.args, dict) else None
        self.composer.reconciled(nonce if isinstance(nonce, str) else None, ids, stored)

    def _dropping(self, what: str) -> None:
        """An event out of place or of the wrong shape is dropped; the log hears of it once per tab."""
        if not self._told_dropping:
            self._told_dropping = True
            log.warning("tab %s: dropping events it should not send (first: %s)", self.client.id, what)

    @traced(names.TYPING)
    def _on_typing(self, event: GenericEventArguments) -> None:
        """The person types (at most one accepted a 2 s) or stopped; a tab without a name cannot say so."""
        try:
            typing = parse_typing(event.args)
        except BadRequest as bad:
            self._dropping(f"bad typing ({bad})")
            return
        if typing:
            if self.name is not None and self._typing.start():
                self.parts.service.bus.publish(Typing(self.name, self._typing_key))
        else:
            self._stop_typing()

    def _stop_typing(self) -> None:
        if self._typing.stop() and self.name is not None:
            self.parts.service.bus.publish(Typing(self.name, self._typing_key, stopped=True))

    @traced(names.DISCONNECT)
    def _on_delete(self) -> None:
        self._stop_typing()
        self._unsubscribe()
        if self.name is not None:
            self.parts.presence.leave(self.name)
            self.name = None

    def _use_name(self, name: str) -> None:
        if name != self.name:
            self._stop_typing()  # under the old name
            self.parts.presence.rename(self.name, name)
            self.name = name
            self.messages.set_viewer(name)
            self.typing_line.set_viewer(name)
        if self._remembered_name() != name:
            self._remember_name(name)
        if self.storage.get("name") != name:  # each write is a file write in NiceGUI's storage
            self.storage["name"] = name  # also here: a browser without the cookie yet, on this instance

    def _remembered_name(self) -> str | None:
        """The name this browser used last: its cookie (any instance), else NiceGUI's per-instance storage
        (browsers from before the cookie)."""
        if self._cookie_name is not None:
            return self._cookie_name
        cookie = self.client.request.cookies.get(NAME_COOKIE) if self.client.request else None
        if cookie:
            return unquote(cookie)
        stored = self.storage.get("name")
        return stored if isinstance(stored, str) else None

    def _remember_name(self, name: str) -> None:
        self._cookie_name = name
        self.client.run_javascript(name_cookie_script(name, secure=self.parts.cookie_secure))

    @traced(names.SET_NAME)
    def confirm_name(self, event: GenericEventArguments) -> None:
        try:
            name = self.parts.service.check_name(parse_name(event.args))
            self.parts.service.check_rename(self.sender.tab, self.name, name)
            self._use_name(name)
        except BadRequest:
            self.composer.name_answer({"status": "rejected", "error": NOT_UNDERSTOOD})
        except RuleViolation as violation:
            self.composer.name_answer({"status": "rejected", "error": violation.text})
        else:
            self.composer.name_answer({"status": "ok"})

    @traced(names.SEND_MESSAGE)
    async def send(self, event: GenericEventArguments) -> None:
        """One send from the browser, answered once: stored (also when this id was stored before) or
        rejected with the text to show under the field."""
        try:
            request = SendRequest.parse(event.args)
        except BadRequest as bad:
            self._dropping(f"bad send ({bad})")
            self.composer.answer(self._rejected(raw_send_id(event.args), "message", NOT_UNDERSTOOD))
            return
        self._stop_typing()  # the line goes as the message comes
        # Stored in its own task, holding the tab's send lock until the database is done with it; the answer
        # waits at most send_timeout. A send that takes longer is answered "not confirmed" and its text is
        # kept; if it commits later it is shown as usual, and sending it again (same id) stores nothing new.
        storing = asyncio.ensure_future(self._store(request))
        try:
            message = await asyncio.wait_for(asyncio.shield(storing), self.parts.send_timeout)
        except TimeoutError:
            log.warning(
                "a send took longer than %.1f s to store; answered as not confirmed", self.parts.send_timeout
            )
            storing.add_done_callback(_log_late_failure)
            self.composer.answer(self._rejected(request.client_msg_id, "message", TOO_SLOW))
            return
        except RuleViolation as violation:
            self.composer.answer(self._rejected(request.client_msg_id, violation.field, violation.text))
            return
        except Exception:
            log.exception("posting a message failed")
            self.composer.answer(self._rejected(request.client_msg_id, "message", NOT_STORED))
            return
        self._use_name(message.author)
        self.composer.answer(
            {"client_msg_id": request.client_msg_id, "status": "stored", "message_id": message.id}
        )

    async def _store(self, request: SendRequest) -> ChatMessage:
        async with self._send_lock:  # one send of this tab at a time, stored in the order sent
            return await self.parts.service.post_message(
                request.name,
                request.text,
                request.client_msg_id,
                sender=self.sender,
                current_name=self.name,
            )

    @staticmethod
    def _rejected(client_msg_id: str | None, field: str, error: str) -> dict[str, Any]:
        return {"client_msg_id": client_msg_id, "status": "rejected", "field": field, "error": error}


def _page_attributes(request: PageRequest) -> dict[str, int]:
    if request.before is not None:
        return {names.HISTORY_BEFORE: request.before}
    return {names.HISTORY_AFTER: request.after or 0}


def _log_late_failure(storing: asyncio.Future[ChatMessage]) -> None:
    """A send answered "not confirmed" that then failed: the log says so (the tab had its answer)."""
    if not storing.cancelled() and storing.exception() is not None:
        log.warning("a slow send failed after its answer: %r", storing.exception())


def chat_page(parts: ChatParts) -> Callable[[], Awaitable[Response | None]]:
    """The root page function for `ui.run` / `ui.run_with`."""

    async def index() -> Response | None:
        client = context.client
        # the peer's address, or the one uvicorn took from X-Forwarded-For (only from FORWARDED_ALLOW_IPS)
        address = client.request.client.host if client.request and client.request.client else "unknown"
        refusal = parts.tabs.admit(address)
        if refusal is not None:
            if REFUSAL_LOG.take():  # a flood of page loads must not become a flood of log lines
                log.warning("refused a tab from %s: too many tabs (%s)", address, refusal)
            return too_many_tabs_page(refusal)
        try:
            history = await parts.service.recent_messages()
        except Exception as error:  # the database is down, refuses us, or has no schema yet
            parts.tabs.leave(address)
            log.warning("the chat page is unavailable: %r", error)
            span = trace.get_current_span()
            span.record_exception(error)
            span.set_status(StatusCode.ERROR, "the chat page is unavailable")
            return unavailable_page()
        ui.page_title("Chat")
        ui.add_head_html(HEAD_HTML)
        client.on_delete(lambda: parts.tabs.leave(address))
        ChatView(parts, client, history)
        return None

    return index
