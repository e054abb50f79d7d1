"""The "is typing" line: who else is writing a message right now."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from app.chat.typists import TypingRoom, browser_texts, typing_line


class TypingLine(ui.element, component="typing_line.js", dependencies=["socket_events.js"]):
    """Shows the room's typists but the viewer's own name. Updates come through the room frame
    (`chat:typing`); each carries a version, and the browser keeps the newest, whichever way it came."""

    def __init__(self, room: TypingRoom) -> None:
        super().__init__()
        self._room = room
        self._viewer: str | None = None
        self._props["texts"] = browser_texts()
        self._props["typing"] = room.snapshot()

    def refresh(self) -> None:
        """Send this tab the typists now (after it joined the room, to close the gap since render)."""
        self.run_method("setTypists", self._room.snapshot())

    def set_viewer(self, name: str | None) -> None:
        self._viewer = name
        self.run_method("setViewer", name)

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        line = typing_line(self._room.names(), self._viewer)
        return [line] if line else []
