"""Delivers bus events to every connected tab: serialised once, one socket.io frame per batch."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.background import BackgroundLoop, wait_and_clear
from app.chat.bus import Bus
from app.chat.events import ChatMessage, Event, MessagesDeleted, PresenceChanged, Typing
from app.chat.typists import TypingRoom
from app.patches.engineio import message_packet
from app.patches.socketio import encode_event, require_socketio_internals, room_members, room_sockets
from app.telemetry.broadcast import BroadcastTimer

log = logging.getLogger(__name__)

ROOM = "chat"
MIN_FRAME_SECONDS = 0.016
# Frames to a big room are spaced by this much per tab (1000 tabs: at most 5 message frames a second).
# Writing one frame costs ~0.1 ms of CPU per tab (the socket's writer, the websocket framing, the write
# call): at 1000 tabs and 10 msg/s one frame per message would take the whole core, while batching the
# messages of 200 ms costs a message at most that long. Rooms up to 80 tabs keep 16 ms.
FRAME_SECONDS_PER_TAB = 0.0002
PRESENCE_MIN_SECONDS = 0.25  # presence frames at most 4 per second; the newest state always goes out
MESSAGES_EVENT = "chat:messages"
PRESENCE_EVENT = "chat:presence"
TYPING_MIN_SECONDS = 0.25  # "is typing" frames at most 4 per second, unless they go with messages
TYPING_SECONDS_PER_TAB = 0.001  # and in a room of more than 250 tabs, spaced by this much per tab
TYPING_EVENT = "chat:typing"
RESTART_EVENT = "chat:restarting"
DELETED_EVENT = "chat:deleted"


class FrameGate:
    """When the next frame of one kind (presence, typing) may go out; a frame that has to wait gets one
    wake-up of the fan-out at that time."""

    def __init__(self, wake: asyncio.Event) -> None:
        self.due = 0.0  # loop time before which no frame of this kind goes out
        self._wake = wake
        self._timer: asyncio.TimerHandle | None = None

    def open(self, now: float) -> bool:
        if now >= self.due:
            return True
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(self.due, self._on_time)
        return False

    def _on_time(self) -> None:
        self._timer = None
        self._wake.set()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class RoomFanout:
    """Sends messages and presence to the socket.io room every chat tab joins.

    Messages that arrive while a frame is being sent are coalesced into the next frame, so the
    work per message does not grow with the number of tabs and nothing is dropped under load.
    Presence changes are coalesced too, to at most one frame per PRESENCE_MIN_SECONDS: a burst of joins
    and renames costs each tab a few frames, the last one with the newest list.
    The typists (`typing`, fed by the bus) go the same way, at most one frame per TYPING_MIN_SECONDS,
    except that a change goes out at once, before them, with a frame of messages: the sender's
    "is typing" line is gone when their message shows.
    """

    def __init__(
        self, bus: Bus, sio: Any, timer: BroadcastTimer | None = None, typing: TypingRoom | None = None
    ) -> None:
        require_socketio_internals(sio)  # fail at start-up, not by delivering nothing
        self._sio = sio
        self._timer = timer or BroadcastTimer()
        self._messages: list[dict[str, Any]] = []
        self._online: PresenceChanged | None = None
        self._deleted: MessagesDeleted | None = None  # deletions coalesced until the next frame
        self.typing = typing or TypingRoom()
        self._typing_changed = False
        self._expiry_timer: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._presence_gate = FrameGate(self._wake)
        self._typing_gate = FrameGate(self._wake)
        # the last frame: when it started, and how long the next one waits at least after that
        self._last_frame: tuple[float, float] | None = None
        self._frames = BackgroundLoop(
            "chat fan-out",
            self._send_frame,
            wait=self._next_frame,
            failed=lambda _: log.exception("fan-out to the chat room failed"),
            each_failure=True,
        )
        self._unsubscribe = bus.subscribe(self._on_event)

    def start(self) -> None:
        self._frames.start()

    async def stop(self) -> None:
        self._unsubscribe()
        self._presence_gate.cancel()
        self._typing_gate.cancel()
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        await self._frames.stop()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ChatMessage):
            self._messages.append(event.to_wire())
            self._timer.published()
        elif isinstance(event, PresenceChanged):
            self._online = event
        elif isinstance(event, Typing):
            self._typing_changed = self.typing.apply(event) or self._typing_changed
            self._schedule_expiry()
        elif isinstance(event, MessagesDeleted):
            before = self._deleted or MessagesDeleted()
            self._deleted = MessagesDeleted(before.ids + event.ids, max(before.through, event.through))
        self._wake.set()

    def _schedule_expiry(self) -> None:
        """One timer, at the next typist's expiry."""
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        due = self.typing.next_expiry()
        if due is not None:
            delay = max(0.0, due - self.typing.now())
            self._expiry_timer = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry_timer = None
        if self.typing.expire():
            self._typing_changed = True
            self._wake.set()
        self._schedule_expiry()

    async def _next_frame(self) -> None:
        """Coalesce: after a frame, wait at least as long as it took, so fan-out never takes more than half
        of the event loop (page loads and handlers keep their share) and frames grow under load; and in a
        big room at least FRAME_SECONDS_PER_TAB per tab, for the writing that follows. Then wait for
        something to send."""
        if self._last_frame is not None:
            started, spacing = self._last_frame
            await asyncio.sleep(0)  # the tabs' socket writers run now, before we look at the clock
            await asyncio.sleep(max(spacing, asyncio.get_running_loop().time() - started))
        await wait_and_clear(self._wake)

    async def _send_frame(self) -> None:
        """One frame of each kind that has something to send (a failed one is logged, then the next)."""
        started = asyncio.get_running_loop().time()
        messages, self._messages = self._messages, []
        online = self._take_presence(started)
        typing = self._take_typing(started, with_messages=bool(messages))
        deleted, self._deleted = self._deleted, None
        tabs = self.tab_count() if messages or typing is not None else 0
        self._last_frame = (
            started,
            max(MIN_FRAME_SECONDS, tabs * FRAME_SECONDS_PER_TAB if messages else 0.0),
        )
        if typing is not None:  # first: a sender's line goes before their message shows
            await self._emit_to_room(TYPING_EVENT, typing)
            # a big room gets fewer of them (1000 tabs: one a second)
            self._typing_gate.due = started + max(TYPING_MIN_SECONDS, tabs * TYPING_SECONDS_PER_TAB)
        if messages:
            with self._timer.broadcasting(tabs):
                await self._emit_to_room(MESSAGES_EVENT, messages)
        if deleted is not None:  # after the messages of this frame: a message and its deletion
            await self._emit_to_room(DELETED_EVENT, deleted.to_wire())
        if online is not None:
            await self._emit_to_room(PRESENCE_EVENT, online.to_wire())

    def _take_presence(self, now: float) -> PresenceChanged | None:
        """The pending presence state if its frame may go out now; otherwise it waits, with a wake-up."""
        if self._online is None or not self._presence_gate.open(now):
            return None
        online, self._online = self._online, None
        self._presence_gate.due = now + PRESENCE_MIN_SECONDS
        return online

    def _take_typing(self, now: float, *, with_messages: bool) -> dict[str, Any] | None:
        """The typists, if they changed and their frame may go out now (always with messages)."""
        if not self._typing_changed or not (with_messages or self._typing_gate.open(now)):
            return None
        self._typing_changed = False
        self._typing_gate.due = now + TYPING_MIN_SECONDS
        return self.typing.snapshot()

    async def _emit_to_room(self, event: str, data: Any) -> None:
        """One encoded packet, queued on every room member's socket without a task per member
        (python-socketio's room emit creates one task per recipient)."""
        frame = message_packet(encode_event(self._sio, event, data))
        for socket in room_sockets(self._sio, ROOM):
            await socket.send(frame)

    async def announce_restart(self) -> None:
        """Tell every tab the server is stopping; they show "Reconnecting…" and come back by themselves."""
        await self._emit_to_room(RESTART_EVENT, None)

    async def join(self, sid: str) -> None:
        await self._sio.enter_room(sid, ROOM)

    def tab_count(self) -> int:
        """Tabs in the room: each connected chat tab joins it once."""
        return sum(1 for _ in room_members(self._sio, ROOM))
