"""The composer: wraps the Name and Message inputs and the Send button with browser-side behaviour."""

from __future__ import annotations

from nicegui import ui

from app.chat.rules import MESSAGE_MAX, MESSAGE_MIN

COUNTER_FROM = 900


class Composer(ui.element, component="composer.js"):
    """A form around the composer's inputs. In the browser it tracks the connection (a banner and a
    disabled form while offline), keeps the unsent draft in sessionStorage across reloads, shows a
    counter near the limit, and keeps Send disabled while the text is invalid or a send is in flight.

    The server only has to tell it when a send attempt is settled (`settle`)."""

    def __init__(self) -> None:
        super().__init__()
        self._props["min"] = MESSAGE_MIN
        self._props["max"] = MESSAGE_MAX
        self._props["counterFrom"] = COUNTER_FROM

    def settle(self, *, sent: bool, cleared: bool) -> None:
        """A send attempt is over: stored (`sent`) or rejected by a rule; `cleared` when the server
        emptied the input (it does not when the user has already typed something else)."""
        self.run_method("settle", sent, cleared)
