"""Who is online: names with a count of the tabs that use them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from app.chat.bus import Bus
from app.chat.events import PresenceChanged
from app.chat.metrics import ChatMetrics, NoMetrics


class Presence:
    """Per-name tab reference counts; publishes the online list whenever the set of names changes."""

    def __init__(self, bus: Bus, metrics: ChatMetrics | None = None) -> None:
        self._bus = bus
        self._tabs: Counter[str] = Counter()
        self._metrics = metrics or NoMetrics()
        self._version = 0

    def join(self, name: str) -> None:
        self._tabs[name] += 1
        if self._tabs[name] == 1:
            self._metrics.presence_changed("join")
            self._publish()

    def leave(self, name: str) -> None:
        if self._tabs[name] <= 1:
            if self._tabs.pop(name, None) is not None:
                self._metrics.presence_changed("leave")
                self._publish()
            return
        self._tabs[name] -= 1

    def rename(self, old: str | None, new: str) -> None:
        """Move one tab from `old` (None: the tab had no name) to `new`, publishing at most once."""
        if old == new:
            return
        if old is not None and self._tabs[old] > 1:
            self._tabs[old] -= 1
            changed = False  # pragma: no mutate (None is as false: an equivalent mutant)
        else:
            changed = old is not None and self._tabs.pop(old, None) is not None
        if changed:
            self._metrics.presence_changed("leave")
        self._tabs[new] += 1
        if self._tabs[new] == 1:
            self._metrics.presence_changed("join")
        if changed or self._tabs[new] == 1:
            self._publish()

    def online_users(self) -> tuple[str, ...]:
        return self.local_users()

    def local_users(self) -> tuple[str, ...]:
        """The names of this process's tabs (`online_users` adds other instances' in a cluster)."""
        return sorted_names(self._tabs)

    def tab_count(self, name: str) -> int:
        return self._tabs[name]

    def snapshot(self) -> PresenceChanged:
        """The online list now, with its version."""
        return PresenceChanged(self.online_users(), self._version)

    def _publish(self) -> None:
        self._version += 1
        self._bus.publish(self.snapshot())


def sorted_names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(names, key=lambda name: (name.casefold(), name)))
