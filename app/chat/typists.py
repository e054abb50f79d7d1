"""Who is typing: a tab's signals, limited, and the room's typists, each until its signals stop.

A tab says "typing" at most once per SIGNAL_SECONDS while its person types, and "stopped" when they
send, clear the field or pause (the browser decides the pause; the server only bounds the signals).
Every instance keeps the room's typists from the bus, each tab until EXPIRY_SECONDS after its last
signal (on this instance's clock): a tab that vanished without a "stopped" is gone by then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from app.chat.events import Typing
from app.chat.presence import sorted_names

SIGNAL_SECONDS = 2.0  # a tab's "typing" signals: at most one per this many seconds
EXPIRY_SECONDS = 3.0  # a typist not heard of for this long is no longer typing
ONE = "{} is typing…"
TWO = "{} and {} are typing…"
SEVERAL = "Several people are typing…"


def typing_line(names: Iterable[str], viewer: str | None = None) -> str:
    """The line a tab shows: the typists but the viewer's own name (its own tabs do not show it)."""
    others = [name for name in names if name != viewer]
    if not others:
        return ""
    if len(others) == 1:
        return ONE.format(others[0])
    if len(others) == 2:
        return TWO.format(*others)
    return SEVERAL


def browser_texts() -> dict[str, str]:
    """The wording for the browser, which picks by count: the same texts as `typing_line`."""
    return {"one": ONE, "two": TWO, "several": SEVERAL}


class TypingSignals:
    """One tab's signals: a start is accepted at most once per `every` seconds; a stop only while the
    tab is typing. So a tab costs the bus at most one start and one stop per `every` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, every: float = SIGNAL_SECONDS) -> None:
        self._clock = clock
        self._every = every
        self._last_start: float | None = None
        self.typing = False

    def start(self) -> bool:
        now = self._clock()
        if self._last_start is not None and now - self._last_start < self._every:
            return False
        self._last_start = now
        self.typing = True
        return True

    def stop(self) -> bool:
        was, self.typing = self.typing, False
        return was


class TypingRoom:
    """The typists of the room, from every instance: tab key → (name, when it expires)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, expiry: float = EXPIRY_SECONDS) -> None:
        self._clock = clock
        self._expiry = expiry
        self._tabs: dict[str, tuple[str, float]] = {}
        self.version = 0  # grows with every change of `names`, so a tab keeps the newest it got

    def apply(self, event: Typing) -> bool:
        """Take a signal; True when the names changed."""
        before = self.names()
        if event.stopped:
            self._tabs.pop(event.tab, None)
        else:
            self._tabs[event.tab] = (event.name, self._clock() + self._expiry)
        return self._changed(before)

    def expire(self) -> bool:
        """Forget the typists not heard of in time; True when the names changed."""
        now = self._clock()
        before = self.names()
        for tab in [tab for tab, (_, until) in self._tabs.items() if until <= now]:
            del self._tabs[tab]
        return self._changed(before)

    def now(self) -> float:
        return self._clock()

    def next_expiry(self) -> float | None:
        """When (on the clock) the next typist expires, if any."""
        return min((until for _, until in self._tabs.values()), default=None)

    def names(self) -> tuple[str, ...]:
        """Each typing name once (one person may type in two tabs), sorted as the online list."""
        return sorted_names({name for name, _ in self._tabs.values()})

    def snapshot(self) -> dict[str, object]:
        return {"names": list(self.names()), "version": self.version}

    def _changed(self, before: tuple[str, ...]) -> bool:
        if self.names() == before:
            return False
        self.version += 1
        return True
