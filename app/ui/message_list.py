"""The message list element: a bounded list that grows by appending, in the browser."""

from __future__ import annotations

from collections import deque
from typing import Any

from nicegui import ui

from app.chat.events import ChatMessage


class MessageList(ui.element, component="message_list.js"):
    """One tab's messages. The browser holds the list; the server keeps only references to the
    last `limit` shared message objects (for catch-up bookkeeping and for tests)."""

    def __init__(self, history: list[ChatMessage], limit: int) -> None:
        super().__init__()
        self._props["messages"] = [message.to_wire() for message in history[-limit:]]
        self._props["limit"] = limit
        self.shown: deque[ChatMessage] = deque(history, maxlen=limit)

    def remember(self, message: ChatMessage) -> None:
        """Record a message the room frame brings to this tab."""
        self.shown.append(message)

    def release_history(self) -> None:
        """Drop the initial history from the props once the browser has it."""
        self._props.pop("messages", None)

    def add(self, messages: list[ChatMessage]) -> None:
        """Send messages to this tab alone (catch-up); the browser ignores ones it already has."""
        if messages:
            self.run_method("add", [message.to_wire() for message in messages])

    def set_viewer(self, name: str | None) -> None:
        self.run_method("setMe", name)

    @property
    def last_id(self) -> int:
        return self.shown[-1].id if self.shown else 0

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        return [part for message in self.shown for part in (message.author, message.text)]
