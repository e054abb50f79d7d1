"""The composer: Name, Message and Send, owned by the browser (composer.js)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from app.chat.rules import browser_rules

COUNTER_FROM = 900


class Composer(ui.element, component="composer.js", dependencies=["socket_events.js"]):
    """The browser keeps the draft, validates with the rules' own limits and texts, and sends one
    `send` event per message; the server answers each with `answer`. It also emits `name` (Enter in
    Name, answered with `name_answer`) and `reconcile` (unanswered sends after a reconnect, answered
    with `reconciled`)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._props["rules"] = browser_rules()
        self._props["initialName"] = name
        self._props["counterFrom"] = COUNTER_FROM
        self.error: str | None = None  # the last error answered, for the simulated user in tests

    def answer(self, reply: dict[str, Any]) -> None:
        self.error = reply.get("error")
        self.run_method("answer", reply)

    def name_answer(self, reply: dict[str, Any]) -> None:
        self.error = reply.get("error")
        self.run_method("nameAnswer", reply)

    def reconciled(self, nonce: str | None, ids: list[str], stored: dict[str, int]) -> None:
        self.run_method("reconciled", {"nonce": nonce, "ids": ids, "stored": stored})

    def _displayed_contents(self, *, only_visible: bool) -> list[Any]:
        return [self.error] if self.error else []
