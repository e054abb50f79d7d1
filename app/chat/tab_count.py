"""How many tabs the chat holds, per client address and in all, and whether one more may open."""

from __future__ import annotations

from typing import Literal

Refusal = Literal["address", "total"]


class TabCount:
    """At most `per_address` tabs per client address and `total` in all (`0`: no limit).

    A tab counts from its page load until the server lets it go (closed, or never connected);
    memory is one counter per address with open tabs."""

    def __init__(self, per_address: int, total: int) -> None:
        self.per_address = per_address
        self.total = total
        self._open: dict[str, int] = {}
        self._count = 0

    def admit(self, address: str) -> Refusal | None:
        """Count one more tab for `address`, or say which limit refuses it (nothing counted)."""
        if self.total and self._count >= self.total:
            return "total"
        if self.per_address and self._open.get(address, 0) >= self.per_address:
            return "address"
        self._open[address] = self._open.get(address, 0) + 1
        self._count += 1
        return None

    def leave(self, address: str) -> None:
        """One tab of `address` is gone (a second call for a tab never counted changes nothing)."""
        held = self._open.get(address, 0)
        if held == 0:
            return
        if held == 1:
            del self._open[address]
        else:
            self._open[address] = held - 1
        self._count -= 1

    def open_tabs(self, address: str | None = None) -> int:
        """Tabs open from `address`, or in all."""
        return self._count if address is None else self._open.get(address, 0)
