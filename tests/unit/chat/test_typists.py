"""Who is typing, on a fake clock: a tab's signal budget, expiry, the wording, the viewer left out."""

from __future__ import annotations

import pytest

from app.chat.bus import LocalBus
from app.chat.events import Event, Typing
from app.chat.typists import (
    EXPIRY_SECONDS,
    SIGNAL_SECONDS,
    TypingRoom,
    TypingSignals,
    browser_texts,
    typing_line,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_tab_may_start_once_per_two_seconds() -> None:
    clock = Clock()
    signals = TypingSignals(clock)
    assert SIGNAL_SECONDS == 2.0
    assert signals.start() is True and signals.typing
    clock.now += 1.999
    assert signals.start() is False  # a flood within the window is dropped
    assert signals.start() is False
    clock.now += 0.001
    assert signals.start() is True  # exactly 2 s after the last accepted start
    clock.now += 0.5
    assert signals.start() is False  # measured from the last *accepted* start
    clock.now += 1.5
    assert signals.start() is True


def test_a_stop_counts_only_while_typing_and_does_not_lift_the_budget() -> None:
    clock = Clock()
    signals = TypingSignals(clock)
    assert signals.stop() is False  # never started: nothing to tell
    assert signals.start() is True
    assert signals.stop() is True and not signals.typing
    assert signals.stop() is False  # a second stop: nothing to tell
    clock.now += 1.0
    assert signals.start() is False  # start, stop, start… is still one start a 2 s
    assert not signals.typing
    clock.now += 1.0
    assert signals.start() is True


def test_a_typist_expires_three_seconds_after_their_last_signal() -> None:
    clock = Clock()
    room = TypingRoom(clock)
    assert EXPIRY_SECONDS == 3.0
    assert room.apply(Typing("Ann", "tab-a")) is True
    assert room.next_expiry() == 103.0
    clock.now += 2.0
    assert room.apply(Typing("Ann", "tab-a")) is False  # a keep-alive: same names, later expiry
    assert room.next_expiry() == 105.0
    clock.now += 2.999
    assert room.expire() is False and room.names() == ("Ann",)
    clock.now += 0.001
    assert room.expire() is True and room.names() == ()
    assert room.next_expiry() is None
    assert room.expire() is False


def test_a_stop_removes_the_tab_at_once_and_one_name_in_two_tabs_counts_once() -> None:
    clock = Clock()
    room = TypingRoom(clock)
    room.apply(Typing("Ann", "tab-1"))
    assert room.apply(Typing("Ann", "tab-2")) is False  # the same name in another tab
    assert room.names() == ("Ann",)
    assert room.apply(Typing("Ann", "tab-1", stopped=True)) is False  # still typing in tab-2
    assert room.apply(Typing("Ann", "tab-2", stopped=True)) is True
    assert room.names() == ()
    assert room.apply(Typing("Ann", "tab-3", stopped=True)) is False  # never typing: no change


def test_versions_grow_with_every_change_only() -> None:
    clock = Clock()
    room = TypingRoom(clock)
    assert room.snapshot() == {"names": [], "version": 0}
    room.apply(Typing("bob", "b"))
    room.apply(Typing("bob", "b"))
    room.apply(Typing("Ann", "a"))
    assert room.snapshot() == {"names": ["Ann", "bob"], "version": 2}  # sorted as the online list
    clock.now += EXPIRY_SECONDS
    room.expire()
    assert room.snapshot() == {"names": [], "version": 3}


def test_next_expiry_is_the_earliest_and_expiry_takes_only_the_expired() -> None:
    clock = Clock()
    room = TypingRoom(clock)
    room.apply(Typing("Ann", "a"))
    clock.now += 1.0
    room.apply(Typing("Bob", "b"))
    assert room.next_expiry() == 103.0
    clock.now = 103.0
    assert room.expire() is True
    assert room.names() == ("Bob",)
    assert room.next_expiry() == 104.0
    assert room.now() == 103.0


def test_a_renamed_typist_shows_under_the_new_name() -> None:
    room = TypingRoom(Clock())
    room.apply(Typing("Ann", "a"))
    assert room.apply(Typing("Annie", "a")) is True
    assert room.names() == ("Annie",)


@pytest.mark.parametrize(
    ("names", "viewer", "line"),
    [
        ((), None, ""),
        (("Ann",), None, "Ann is typing…"),
        (("Ann",), "Ann", ""),  # the typist's own tabs do not show themselves
        (("Ann", "Bob"), None, "Ann and Bob are typing…"),
        (("Ann", "Bob"), "Ann", "Bob is typing…"),
        (("Ann", "Bob", "Cid"), "Bob", "Ann and Cid are typing…"),
        (("Ann", "Bob", "Cid"), None, "Several people are typing…"),
        (("Ann", "Bob", "Cid", "Dee"), "Ann", "Several people are typing…"),
        (("{}", "{0}"), None, "{} and {0} are typing…"),  # names are never read as templates
    ],
)
def test_the_line(names: tuple[str, ...], viewer: str | None, line: str) -> None:
    assert typing_line(names, viewer) == line


def test_the_browser_gets_the_same_texts() -> None:
    texts = browser_texts()
    assert texts["one"].format("Ann") == typing_line(["Ann"])
    assert texts["two"].format("Ann", "Bob") == typing_line(["Ann", "Bob"])
    assert texts["several"] == typing_line(["Ann", "Bob", "Cid"])


def test_typing_travels_on_the_local_bus() -> None:
    bus = LocalBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    bus.publish(Typing("Ann", "tab"))
    bus.publish(Typing("Ann", "tab", stopped=True))
    assert seen == [Typing("Ann", "tab"), Typing("Ann", "tab", stopped=True)]
