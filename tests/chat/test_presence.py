from app.chat.bus import LocalBus
from app.chat.events import Event, PresenceChanged
from app.chat.presence import Presence


def make() -> tuple[Presence, list[tuple[str, ...]]]:
    bus = LocalBus()
    seen: list[tuple[str, ...]] = []

    def record(event: Event) -> None:
        if isinstance(event, PresenceChanged):
            seen.append(event.online)

    bus.subscribe(record)
    return Presence(bus), seen


def test_one_name_in_three_tabs_counts_once() -> None:
    presence, seen = make()
    for _ in range(3):
        presence.join("ann")
    assert presence.online_users() == ("ann",)
    assert presence.tab_count("ann") == 3
    assert seen == [("ann",)]


def test_name_leaves_with_its_last_tab() -> None:
    presence, seen = make()
    presence.join("ann")
    presence.join("ann")
    presence.join("bob")
    presence.leave("ann")
    assert presence.online_users() == ("ann", "bob")
    presence.leave("ann")
    assert presence.online_users() == ("bob",)
    assert seen[-1] == ("bob",)


def test_leave_of_unknown_name_changes_nothing() -> None:
    presence, seen = make()
    presence.leave("ghost")
    assert presence.online_users() == ()
    assert seen == []


def test_rename_moves_the_tab() -> None:
    presence, seen = make()
    presence.rename(None, "ann")
    presence.rename("ann", "anna")
    assert presence.online_users() == ("anna",)
    assert seen == [("ann",), ("anna",)]


def test_rename_keeps_old_name_while_another_tab_uses_it() -> None:
    presence, _ = make()
    presence.join("ann")
    presence.rename(None, "ann")
    presence.rename("ann", "bob")
    assert presence.online_users() == ("ann", "bob")
    assert presence.tab_count("ann") == 1


def test_rename_to_same_name_publishes_nothing() -> None:
    presence, seen = make()
    presence.rename(None, "ann")
    presence.rename("ann", "ann")
    assert seen == [("ann",)]


def test_names_sorted_case_insensitively() -> None:
    presence, _ = make()
    for name in ["bob", "Ann", "carl"]:
        presence.join(name)
    assert presence.online_users() == ("Ann", "bob", "carl")
