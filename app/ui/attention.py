"""The attention element: the unread count in the title, the favicon dot and opt-in desktop notifications."""

from __future__ import annotations

from typing import Any

from nicegui import ui


class Attention(ui.element, component="attention.js"):
    """All in the browser: it hears of new messages from the message list, and sends the server nothing."""

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        return ["Notify me"]
