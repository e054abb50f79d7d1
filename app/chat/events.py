"""What travels on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A stored message, as every tab sees it."""

    id: int
    author: str
    text: str
    created_at: datetime

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "author": self.author, "text": self.text, "at": self.created_at.isoformat()}


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """The distinct names online after a change, sorted case-insensitively. `version` grows with every
    change, so a tab that gets two lists by different ways keeps the newer one."""

    online: tuple[str, ...]
    version: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"names": list(self.online), "version": self.version}


@dataclass(frozen=True, slots=True)
class Typing:
    """A tab (`tab`: an opaque key, never shown to browsers) of `name` is typing, or `stopped`. Never
    the text. Travels on the bus only, never into the database."""

    name: str
    tab: str
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class MessagesDeleted:
    """Messages removed: these ids, and (retention) every id up to `through`. Tabs drop them; seeing
    one twice changes nothing."""

    ids: tuple[int, ...] = ()
    through: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "through": self.through}


Event = ChatMessage | PresenceChanged | Typing | MessagesDeleted
