"""The online list element: the distinct names online, and their count."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from app.chat.presence import Presence


class OnlineList(ui.element, component="online_list.js", dependencies=["socket_events.js", "avatar.js"]):
    """Renders the shared presence state; updates come through the room frame. Every list carries the
    presence version, and the browser keeps the newest it has seen, whichever way it came."""

    def __init__(self, presence: Presence) -> None:
        super().__init__()
        self._presence = presence
        self._props["state"] = presence.snapshot().to_wire()

    def refresh_users(self) -> None:
        """Send this tab the current list (after it joined presence, to close the gap since render)."""
        self.run_method("setUsers", self._presence.snapshot().to_wire())

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        names = self._presence.online_users()
        return [*names, f"{len(names)} online"]
