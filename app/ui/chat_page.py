"""The chat page: one view object per tab, composed of the online list, messages and composer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Response
from nicegui import app as nicegui_app
from nicegui import context, core, ui
from nicegui.client import Client
from nicegui.events import GenericEventArguments
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from app.chat.events import ChatMessage, Event
from app.chat.presence import Presence
from app.chat.rules import MESSAGE_MAX, NAME_MAX, RuleViolation, clean_name, message_error, name_error
from app.chat.service import ChatService
from app.telemetry import names, traced
from app.ui.composer import Composer
from app.ui.fanout import RoomFanout
from app.ui.message_list import MessageList
from app.ui.online_list import OnlineList
from app.ui.unavailable import unavailable_page

log = logging.getLogger(__name__)

CATCH_UP_TIMEOUT = 5.0


@dataclass(frozen=True)
class ChatParts:
    """What the page needs from the wiring."""

    service: ChatService
    presence: Presence
    fanout: RoomFanout
    tab_messages: int


class ChatView:
    """One browser tab: its name, its subscription, its elements."""

    def __init__(self, parts: ChatParts, client: Client, history: list[ChatMessage]) -> None:
        self.parts = parts
        self.client = client
        self.storage = nicegui_app.storage.user  # this browser's storage, captured for later handlers
        self.name: str | None = None
        self._initial_last_id = history[-1].id if history else 0
        self._connected_before = False
        self._send_lock = asyncio.Lock()

        # Phone: header, messages, composer in one column, the online list a drop-down in the header.
        # From md (768px): the online list is a side column. (`flex-nowrap`: Quasar's `.flex` wraps.)
        with ui.element("div").classes(
            "chat-shell relative flex flex-col flex-nowrap h-dvh w-full overflow-hidden"
        ):
            with ui.element("header").classes("chat-header flex flex-nowrap items-center h-12 shrink-0 px-4"):
                ui.label("Chat").classes("chat-title")
            with ui.element("div").classes("flex flex-nowrap flex-1 min-h-0"):
                with ui.element("main").classes("flex flex-col flex-nowrap flex-1 min-w-0"):
                    self.messages = MessageList(history, parts.tab_messages).mark("messages")
                    with Composer() as self.composer:
                        self.name_input = (
                            ui.input(placeholder="Your name", value=self.storage.get("name", ""))
                            .props(
                                f"aria-label=Name maxlength={NAME_MAX * 2} autocomplete=nickname"
                                " outlined dense hide-bottom-space prefix=@"
                            )
                            .classes("chat-name-field")
                            .mark("name")
                        )
                        self.message_input = (
                            ui.input(placeholder="Write a message…")
                            .props(
                                f"aria-label=Message maxlength={MESSAGE_MAX * 2} autocomplete=off"
                                " outlined dense hide-bottom-space autofocus"
                            )
                            .classes("chat-message-field")
                            .mark("message")
                        )
                        self.send_button = (
                            ui.button("Send", icon="send", on_click=self.send)
                            .props('unelevated no-caps :disable="!window.chatComposerState?.canSend"')
                            .classes("chat-send")
                            .mark("send")
                        )
                with ui.element("aside").classes(
                    "chat-aside absolute top-0 right-0 z-20 md:static md:w-64 md:shrink-0"
                ):
                    self.online = OnlineList(parts.presence).mark("online")

        self.name_input.on("keydown.enter", self.confirm_name)
        self.name_input.on_value_change(self._recheck_name)
        self.message_input.on("keydown.enter", self.send)
        self.message_input.on_value_change(self._recheck_message)
        self.messages.on("resume", self._on_resume)

        self._unsubscribe = parts.service.bus.subscribe(self._on_event)
        client.on_connect(self._on_connect)
        client.on_delete(self._on_delete)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ChatMessage):
            self.messages.remember(event)

    @traced(names.CONNECT)
    async def _on_connect(self) -> None:
        for sid, _ in core.sio.manager.get_participants("/", self.client.id):
            await self.parts.fanout.join(sid)
        if not self._connected_before:
            self._connected_before = True
            self.messages.add([m for m in self.messages.shown if m.id > self._initial_last_id])
            self.messages.release_history()
            stored = self.storage.get("name")
            if stored and name_error(stored) is None and self.name is None:
                self._use_name(clean_name(stored))
            # after the restored name joined: this snapshot goes through NiceGUI's outbox and can arrive
            # after the room's presence frame, so it must not be older (a lone tab missed its own name)
            self.online.refresh_users()
        else:
            self.online.refresh_users()
            await self._catch_up()

    async def _catch_up(self) -> None:
        """After a reconnect: send what the room delivered while this tab was away."""
        last_id = await self.messages.run_method("lastId", timeout=CATCH_UP_TIMEOUT)
        if isinstance(last_id, int):
            self.messages.add(await self.parts.service.messages_after(last_id, self.parts.tab_messages))

    async def _on_resume(self, event: GenericEventArguments) -> None:
        """After a reload (server restart, long drop): send what the tab missed since its last shown id."""
        if isinstance(event.args, int) and event.args >= 0:
            self.messages.add(await self.parts.service.resume_from(event.args, self.parts.tab_messages))

    @traced(names.DISCONNECT)
    def _on_delete(self) -> None:
        self._unsubscribe()
        if self.name is not None:
            self.parts.presence.leave(self.name)
            self.name = None

    def _use_name(self, name: str) -> None:
        if name != self.name:
            self.parts.presence.rename(self.name, name)
            self.name = name
            self.messages.set_viewer(name)
        self.storage["name"] = name
        self.name_input.error = None

    @traced(names.SET_NAME)
    def confirm_name(self) -> None:
        try:
            self._use_name(self.parts.service.check_name(self.name_input.value))
        except RuleViolation as violation:
            self.name_input.error = violation.text
            return
        self.message_input.run_method("focus")

    @traced(names.SEND_MESSAGE)
    async def send(self) -> None:
        """Validate, clear the input, then post; a send that fails puts the text back with the reason.

        The composer is always told how the attempt ended, so its Send button comes back."""
        sent = False
        try:
            try:
                name = self.parts.service.check_name(self.name_input.value)
            except RuleViolation as violation:
                self.name_input.error = violation.text
                return
            text = self.message_input.value or ""
            try:
                self.parts.service.check_message(text)
            except RuleViolation as violation:
                self.message_input.error = violation.text
                return
            self._use_name(name)
            # cleared before the message goes out, so that text typed meanwhile is not wiped afterwards
            self.message_input.value = ""
            self.message_input.error = None
            async with self._send_lock:  # one send at a time per tab, in the order they were made
                try:
                    await self.parts.service.post_message(name, text)
                    sent = True
                except RuleViolation as violation:
                    self._restore(text, violation.text)
                except Exception:
                    log.exception("posting a message failed")
                    self._restore(text, "Not sent: the server could not store the message. Try again.")
            self.message_input.run_method("focus")
        finally:
            self.composer.settle(sent=sent, cleared=sent and not self.message_input.value)

    def _restore(self, text: str, reason: str) -> None:
        if not self.message_input.value:
            self.message_input.value = text
        self.message_input.error = reason

    def _recheck_name(self) -> None:
        if self.name_input.error and name_error(self.name_input.value) is None:
            self.name_input.error = None

    def _recheck_message(self) -> None:
        if self.message_input.error and message_error(self.message_input.value) is None:
            self.message_input.error = None


def chat_page(parts: ChatParts) -> Callable[[], Awaitable[Response | None]]:
    """The root page function for `ui.run` / `ui.run_with`."""

    async def index() -> Response | None:
        try:
            history = await parts.service.recent_messages()
        except Exception as error:  # the database is down, refuses us, or has no schema yet
            log.warning("the chat page is unavailable: %r", error)
            span = trace.get_current_span()
            span.record_exception(error)
            span.set_status(StatusCode.ERROR, "the chat page is unavailable")
            return unavailable_page()
        ui.page_title("Chat")
        # relative: the page is always `<prefix>/`, whatever path the chat is mounted or proxied at
        ui.add_head_html('<link rel="stylesheet" href="chat-static/chat.css">')
        ChatView(parts, context.client, history)
        return None

    return index
