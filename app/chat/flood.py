"""Flood control: how often a browser session and a tab may send, and how often a tab may rename.

Sends are counted per browser session (the id in NiceGUI's signed session cookie) and per tab (the
connection), never per typed name: a name costs nothing to change, and counting by name would let
anyone who floods as "Ann" lock the real Ann out. All tabs of one browser share the session's
window, so opening more tabs does not multiply the limit; a client that drops its cookie gets a new
session per page load, and then each of its tabs is still limited on its own (and their number per
address by `TabCount`).

The windows are the `limits` package's moving window over its `MemoryStorage`: exact counts, memory
bounded by the sessions and tabs active within one window (expired entries are swept by the storage),
and a few microseconds per check. `limits` reads the wall clock (`time.time`), so tests move that clock.

`TokenBucket` is the cheaper bound a tab puts on every socket event it sends (one object per tab,
O(1), no shared storage), for the guard in app/transport/event_guard.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.chat.rules import Field

SEND_WINDOW_SECONDS = 10
RENAMES_PER_MINUTE = 5
RENAME_WINDOW_SECONDS = 60
LOOKUPS_PER_WINDOW = 5  # per tab per SEND_WINDOW_SECONDS: retries looked up while over the send limit


def slow_down(wait: float) -> str:
    """What the user sees when over a limit: the whole seconds to wait, at least 1."""
    return f"Slow down: wait {max(1, math.ceil(wait))} s"


@dataclass(frozen=True)
class Wait:
    """A refusal: which limit (`name`: renames, `message`: sends) and the seconds until it lifts."""

    field: Field
    seconds: float

    @property
    def text(self) -> str:
        return slow_down(self.seconds)


@dataclass(frozen=True)
class Sender:
    """Who sends, as far as the server can tell without accounts: the browser session and the tab."""

    session: str
    tab: str


class FloodControl:
    """`sends` messages per `window` seconds per browser session and per tab (`0`: no limit), and
    `renames` name changes per tab per `rename_window` seconds (`0`: no limit)."""

    def __init__(
        self,
        sends: int,
        *,
        window: int = SEND_WINDOW_SECONDS,
        renames: int = RENAMES_PER_MINUTE,
        rename_window: int = RENAME_WINDOW_SECONDS,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._send = RateLimitItemPerSecond(sends, window) if sends > 0 else None
        self._rename = RateLimitItemPerSecond(renames, rename_window) if renames > 0 else None
        self._lookup = RateLimitItemPerSecond(LOOKUPS_PER_WINDOW, window)

    def send_wait(self, sender: Sender, *, renaming: bool = False) -> Wait | None:
        """None when the send may go: it is then counted for its session and its tab (and, when it
        changes the tab's name, as a rename). Otherwise how long to wait, and nothing is counted."""
        checks: list[tuple[Field, RateLimitItem, tuple[str, str]]] = []
        if renaming and self._rename is not None:
            checks.append(("name", self._rename, ("rename-tab", sender.tab)))
        if self._send is not None:
            checks.append(("message", self._send, ("send-session", sender.session)))
            checks.append(("message", self._send, ("send-tab", sender.tab)))
        return self._take(checks)

    def rename_wait(self, tab: str) -> Wait | None:
        """None when the tab may change its name (counted); otherwise how long to wait."""
        if self._rename is None:
            return None
        return self._take([("name", self._rename, ("rename-tab", tab))])

    def may_look_up(self, tab: str) -> bool:
        """Whether a send refused as too fast may still be looked up as a retry of a stored one: a
        few per tab per window, so a flood of refused sends cannot turn into a flood of queries."""
        return self._limiter.hit(self._lookup, "lookup-tab", tab)

    def _take(self, checks: list[tuple[Field, RateLimitItem, tuple[str, str]]]) -> Wait | None:
        full = [check for check in checks if not self._limiter.test(check[1], *check[2])]
        if not full:
            full = [check for check in checks if not self._limiter.hit(check[1], *check[2])]
            if not full:
                return None
            # only at the exact end of a window, where `test` and `hit` disagree by one
        field = full[0][0]
        now = time.time()
        seconds = max(
            self._limiter.get_window_stats(item, *key).reset_time - now
            for kind, item, key in full
            if kind == field
        )
        return Wait(field, max(seconds, 0.0))


class TokenBucket:
    """On average `rate` events per second, in bursts of up to `burst`: O(1) per event."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
