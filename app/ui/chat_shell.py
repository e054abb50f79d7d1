"""The page's frame: header with the heading, the main column and the aside, as one element."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.slot import Slot


class ChatShell(ui.element, component="chat_shell.js"):
    """Children go in the main column (`with shell:`), in `header` (after the heading) or in `aside`.

    Phone: header, messages, composer in one column, the aside a drop-down in the header. From md (768px):
    the aside is a side column. Landmarks: NiceGUI's page is the one `main`; the heading is its `h1`."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self._props["title"] = title
        self.header: Slot = self.add_slot("header")
        self.aside: Slot = self.add_slot("aside")

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        return [self._props["title"]]
