"""The message list element: a bounded list that grows by appending, in the browser."""

from __future__ import annotations

from collections import deque
from typing import Any

from nicegui import ui

from app.chat.events import ChatMessage, MessagesDeleted
from app.chat.service import HistoryPage


class MessageList(ui.element, component="message_list.js", dependencies=["socket_events.js", "avatar.js"]):
    """One tab's messages. The browser holds the list; the server keeps only references to the
    last `limit` shared message objects (for catch-up bookkeeping and for tests)."""

    def __init__(self, history: list[ChatMessage], limit: int, *, page_size: int | None = None) -> None:
        """`page_size`: how many messages the history holds when the chat has more (CHAT_HISTORY_LIMIT);
        a shorter history is the whole chat, so the list starts at the beginning."""
        super().__init__()
        self._props["messages"] = [message.to_wire() for message in history[-limit:]]
        self._props["limit"] = limit
        self._props["start"] = page_size is not None and len(history) < page_size and len(history) <= limit
        self.shown: deque[ChatMessage] = deque(history, maxlen=limit)

    def remember(self, message: ChatMessage) -> None:
        """Record a message the room frame brings to this tab."""
        self.shown.append(message)

    def forget(self, deleted: MessagesDeleted) -> None:
        """Drop deleted messages from the record (the room frame removes them in the browser)."""
        gone = set(deleted.ids)
        kept = [m for m in self.shown if m.id not in gone and m.id > deleted.through]
        if len(kept) != len(self.shown):
            self.shown = deque(kept, maxlen=self.shown.maxlen)

    def drop(self, deleted: MessagesDeleted) -> None:
        """Tell this tab alone about deletions (it reconnected and may have missed them)."""
        if deleted.ids or deleted.through:
            self.run_method("drop", deleted.to_wire())

    def release_history(self) -> None:
        """Drop the initial history from the props once the browser has it."""
        self._props.pop("messages", None)

    def add(self, messages: list[ChatMessage]) -> None:
        """Send messages to this tab alone (catch-up); the browser ignores ones it already has."""
        if messages:
            self.run_method("add", [message.to_wire() for message in messages])

    def paged(self, request: dict[str, int], page: HistoryPage | None) -> None:
        """Answer a page request (echoing it); no page: refused or failed, the tab may ask again later."""
        answer: dict[str, Any] = dict(request)
        if page is None:
            answer["retry"] = True
        else:
            answer["messages"] = [message.to_wire() for message in page.messages]
            answer["complete"] = page.complete
        self.run_method("paged", answer)

    def set_viewer(self, name: str | None) -> None:
        self.run_method("setMe", name)

    @property
    def last_id(self) -> int:
        return self.shown[-1].id if self.shown else 0

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        return [part for message in self.shown for part in (message.author, message.text)]
