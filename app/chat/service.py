"""ChatService: validate, store, publish."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.chat.bus import Bus
from app.chat.events import ChatMessage, Event, MessagesDeleted
from app.chat.flood import RENAMES_PER_MINUTE, FloodControl, Sender
from app.chat.metrics import ChatMetrics, NoMetrics
from app.chat.rules import RuleViolation, clean_message, clean_name
from app.store.errors import connection_lost
from app.store.messages import MessageStore
from app.store.models import Message, as_utc

log = logging.getLogger(__name__)

# A send whose connection died is tried again after these pauses (the pool replaces the dead connection).
RETRY_DELAYS = (0.1, 0.5, 1.5)
HISTORY_CACHE_SECONDS = 1.0
RECENT_DELETIONS = 1000  # deletions remembered for tabs that reconnect (not reload) after missing them


def to_event(row: Message) -> ChatMessage:
    assert row.id is not None
    return ChatMessage(id=row.id, author=row.author, text=row.text, created_at=as_utc(row.created_at))


@dataclass(frozen=True)
class HistoryPage:
    """A page of stored messages, oldest first; `complete` when it reaches the end it was read towards
    (the beginning of the chat for older messages, the newest message for newer ones)."""

    messages: list[ChatMessage]
    complete: bool


class ChatService:
    """The chat's use cases. Nothing invalid reaches the store or the bus."""

    def __init__(
        self,
        store: MessageStore,
        bus: Bus,
        *,
        history_limit: int,
        rate_limit: int,
        rename_limit: int = RENAMES_PER_MINUTE,
        metrics: ChatMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.bus = bus
        self.history_limit = history_limit
        self.flood = FloodControl(rate_limit, renames=rename_limit)
        self._metrics = metrics or NoMetrics()
        self._clock = clock
        # The history every page load shows, shared: forgotten when a message arrives on the bus, and after
        # HISTORY_CACHE_SECONDS in any case (changes made behind the chat's back show within that time).
        self._history: list[ChatMessage] | None = None
        self._history_until = 0.0
        self._history_version = 0
        self._deleted: deque[int] = deque(maxlen=RECENT_DELETIONS)
        self._deleted_through = 0
        bus.subscribe(self._on_event)

    def check_name(self, name: str | None) -> str:
        """The cleaned name; raises (and counts) RuleViolation for a bad one."""
        return self._counted(clean_name, name)

    def check_rename(self, tab: str, current: str | None, name: str) -> None:
        """Raise (and count) RuleViolation when tab `tab` changes its name from `current` to `name` more
        often than the rename limit allows; a tab's first name and an unchanged name are free."""
        if current is None or name == current:
            return
        wait = self.flood.rename_wait(tab)
        if wait is not None:
            self._metrics.validation_failed("name", "rate_limited")
            raise RuleViolation("name", "rate_limited", wait.text)

    def check_message(self, text: str | None) -> str:
        """The cleaned message; raises (and counts) RuleViolation for a bad one."""
        return self._counted(clean_message, text)

    def _counted(self, rule: Callable[[str | None], str], value: str | None) -> str:
        try:
            return rule(value)
        except RuleViolation as violation:
            self._metrics.validation_failed(violation.field, violation.reason)
            raise

    async def post_message(
        self,
        author: str | None,
        text: str | None,
        client_msg_id: str | None = None,
        *,
        sender: Sender | None = None,
        current_name: str | None = None,
    ) -> ChatMessage:
        """Store a message and publish it; raises RuleViolation for bad input.

        With a `client_msg_id` (the browser's id of the send) it happens once: a repeated send with the
        same id stores and publishes nothing and returns the message stored the first time.
        With a `sender` the flood control applies: sends per browser session and per tab, and, when the
        name differs from the tab's `current_name`, the tab's renames."""
        try:
            name = clean_name(author)
            body = clean_message(text)
            if sender is not None:
                renaming = current_name is not None and name != current_name
                wait = self.flood.send_wait(sender, renaming=renaming)
                if wait is not None:
                    raise RuleViolation(wait.field, "rate_limited", wait.text)
        except RuleViolation as violation:
            # a retry of a send that was stored is answered, not limited
            if (
                violation.reason == "rate_limited"
                and client_msg_id is not None
                and sender is not None
                and self.flood.may_look_up(sender.tab)
            ):
                earlier = await self.store.by_client_ids([client_msg_id])
                if earlier:
                    return to_event(earlier[0])
            self._metrics.validation_failed(violation.field, violation.reason)
            raise
        if client_msg_id is None:
            row, created = await self.store.add(name, body), True
        else:
            row, created = await self._add_once_retrying(name, body, client_msg_id)
        message = to_event(row)
        if created:
            self._metrics.message_sent(len(body))
            self.bus.publish(message)
        return message

    async def _add_once_retrying(self, name: str, body: str, client_msg_id: str) -> tuple[Message, bool]:
        """`add_once`, tried again (with backoff) when the connection died under it: safe, because the send
        id is unique. A try whose connection died may have committed before the answer was lost; the retry
        then finds that row and it counts as stored now (it was published by nobody yet)."""
        failed_before = False
        for delay in RETRY_DELAYS:
            try:
                row, created = await self.store.add_once(name, body, client_msg_id)
                return row, created or failed_before
            except Exception as error:
                if not connection_lost(error):
                    raise
                log.warning(
                    "storing a message lost its database connection (%s); retrying in %.1f s", error, delay
                )
            failed_before = True
            await asyncio.sleep(delay)
        row, created = await self.store.add_once(name, body, client_msg_id)
        return row, created or failed_before

    async def stored_sends(self, client_msg_ids: list[str]) -> dict[str, int]:
        """Which of these sends are stored: send id → message id."""
        rows = await self.store.by_client_ids(client_msg_ids)
        return {row.client_msg_id: row.id for row in rows if row.client_msg_id and row.id is not None}

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ChatMessage | MessagesDeleted):
            self._history = None
            self._history_version += 1
        if isinstance(event, MessagesDeleted):
            self._deleted.extend(event.ids)
            self._deleted_through = max(self._deleted_through, event.through)

    def recent_deletions(self) -> MessagesDeleted:
        """The deletions this process has seen lately, for a tab that reconnects after missing some."""
        return MessagesDeleted(tuple(self._deleted), self._deleted_through)

    async def recent_messages(self, limit: int | None = None) -> list[ChatMessage]:
        """The history a new page shows (by default the shared copy); the bus is told where it ends."""
        if limit is not None and limit != self.history_limit:
            history = [to_event(row) for row in await self.store.recent(limit)]
        elif self._history is not None and self._clock() < self._history_until:
            history = list(self._history)
        else:
            version = self._history_version
            history = [to_event(row) for row in await self.store.recent(self.history_limit)]
            if version == self._history_version:  # no message arrived while we read: the copy is current
                self._history, self._history_until = list(history), self._clock() + HISTORY_CACHE_SECONDS
        self.bus.history_shown(history[-1].id if history else 0)
        return history

    async def messages_after(self, message_id: int, limit: int) -> list[ChatMessage]:
        return [to_event(row) for row in await self.store.after(message_id, limit)]

    async def older_messages(self, before_id: int) -> HistoryPage:
        """The page before `before_id`: the newest `history_limit` messages older than it, oldest first
        (keyset paging by id). One row more is read to know whether the beginning is reached."""
        rows = await self.store.before(before_id, self.history_limit + 1)
        page = HistoryPage(
            [to_event(row) for row in rows[-self.history_limit :]], len(rows) <= self.history_limit
        )
        self._metrics.history_paged("older", len(page.messages))
        return page

    async def newer_messages(self, after_id: int) -> HistoryPage:
        """The page after `after_id`: the oldest `history_limit` messages newer than it, oldest first;
        `complete` when it ends at the newest message."""
        rows = await self.store.following(after_id, self.history_limit + 1)
        page = HistoryPage(
            [to_event(row) for row in rows[: self.history_limit]], len(rows) <= self.history_limit
        )
        self._metrics.history_paged("newer", len(page.messages))
        return page

    async def resume_from(self, last_seen_id: int, limit: int) -> list[ChatMessage]:
        """For a tab that reloaded: what it missed after `last_seen_id`, and before that the history it
        had on screen (the last `history_limit` up to that id), oldest first, at most `limit` in all."""
        missed = await self.store.after(last_seen_id, limit)
        context = await self.store.up_to(last_seen_id, min(self.history_limit, limit - len(missed)))
        return [to_event(row) for row in (*context, *missed)]
