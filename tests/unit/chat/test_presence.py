import pytest

from app.chat.bus import LocalBus
from app.chat.events import Event, PresenceChanged
from app.chat.presence import Presence, sorted_names
from tests.support.fakes import RecordingMetrics


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


def make_counted() -> tuple[Presence, list[PresenceChanged], RecordingMetrics]:
    bus, metrics = LocalBus(), RecordingMetrics()
    seen: list[PresenceChanged] = []
    bus.subscribe(lambda event: seen.append(event) if isinstance(event, PresenceChanged) else None)
    return Presence(bus, metrics), seen, metrics


def test_join_publishes_and_counts_only_the_first_tab_of_a_name() -> None:
    presence, seen, metrics = make_counted()
    presence.join("ann")
    presence.join("ann")
    presence.join("bob")
    assert seen == [PresenceChanged(("ann",), 1), PresenceChanged(("ann", "bob"), 2)]
    assert metrics.calls == [("presence", "join"), ("presence", "join")]
    assert (presence.tab_count("ann"), presence.tab_count("bob"), presence.tab_count("carl")) == (2, 1, 0)


def test_leave_publishes_and_counts_only_with_the_last_tab() -> None:
    presence, seen, metrics = make_counted()
    for _ in range(3):
        presence.join("ann")
    presence.leave("ann")
    presence.leave("ann")
    assert presence.tab_count("ann") == 1
    assert len(seen) == 1 and metrics.calls == [("presence", "join")]
    presence.leave("ann")
    assert presence.tab_count("ann") == 0
    assert seen[-1] == PresenceChanged((), 2)
    assert metrics.calls == [("presence", "join"), ("presence", "leave")]
    presence.leave("ann")  # one leave too many: nothing more
    assert len(seen) == 2 and len(metrics.calls) == 2
    presence.join("ann")
    assert presence.tab_count("ann") == 1 and seen[-1] == PresenceChanged(("ann",), 3)


def test_a_name_never_joined_leaves_no_trace() -> None:
    presence, seen, metrics = make_counted()
    presence.leave("ghost")
    presence.join("ann")
    assert presence.snapshot() == PresenceChanged(("ann",), 1)
    assert seen == [PresenceChanged(("ann",), 1)]
    assert metrics.calls == [("presence", "join")]


@pytest.mark.parametrize("old", [None, "ghost"], ids=["a new tab", "a name not counted"])
def test_rename_from_no_counted_name_only_joins(old: str | None) -> None:
    presence, seen, metrics = make_counted()
    presence.rename(old, "ann")
    assert seen == [PresenceChanged(("ann",), 1)]
    assert metrics.calls == [("presence", "join")]
    assert (presence.tab_count("ann"), presence.tab_count("ghost")) == (1, 0)


@pytest.mark.parametrize(
    ("joined", "tabs", "published", "calls"),
    [
        pytest.param(
            ["ann"], (0, 1), [("ann",), ("bob",)], ["join", "leave", "join"], id="the last tab of a name"
        ),
        pytest.param(
            ["ann", "ann"], (1, 1), [("ann",), ("ann", "bob")], ["join", "join"], id="a shared name"
        ),
        pytest.param(
            ["ann", "bob"],
            (0, 2),
            [("ann",), ("ann", "bob"), ("bob",)],
            ["join", "join", "leave"],
            id="to a name online",
        ),
    ],
)
def test_rename_from_ann_to_bob_publishes_once_what_changed(
    joined: list[str], tabs: tuple[int, int], published: list[tuple[str, ...]], calls: list[str]
) -> None:
    """The last tab of a name to a new name: the list changes once; away from a shared name: Bob joins;
    the last tab to a name already online: Ann leaves."""
    presence, seen, metrics = make_counted()
    for name in joined:
        presence.join(name)
    presence.rename("ann", "bob")
    assert (presence.tab_count("ann"), presence.tab_count("bob")) == tabs
    assert seen == [PresenceChanged(names, version) for version, names in enumerate(published, 1)]
    assert metrics.calls == [("presence", call) for call in calls]
    assert presence.online_users() == published[-1]


def test_rename_between_two_names_that_stay_online_publishes_nothing() -> None:
    presence, seen, metrics = make_counted()
    for name in ("ann", "ann", "bob"):
        presence.join(name)
    before = (list(seen), list(metrics.calls))
    presence.rename("ann", "bob")
    assert (presence.tab_count("ann"), presence.tab_count("bob")) == (1, 2)
    assert (seen, metrics.calls) == before
    assert presence.snapshot() == PresenceChanged(("ann", "bob"), 2)


def test_rename_to_the_same_name_changes_nothing() -> None:
    presence, seen, metrics = make_counted()
    presence.join("ann")
    presence.rename("ann", "ann")
    assert presence.tab_count("ann") == 1
    assert len(seen) == 1 and len(metrics.calls) == 1


def test_snapshot_and_version() -> None:
    presence, seen, _ = make_counted()
    assert presence.snapshot() == PresenceChanged((), 0)
    presence.join("b")
    presence.join("a")
    assert presence.snapshot() == PresenceChanged(("a", "b"), 2) == seen[-1]
    assert presence.local_users() == ("a", "b")


def test_names_equal_but_for_case_sort_upper_case_first() -> None:
    assert sorted_names(["b", "a", "B", "A"]) == ("A", "a", "B", "b")
    assert sorted_names(["Ann", "bob", "ann"]) == ("Ann", "ann", "bob")


def test_presence_counts_nothing_without_metrics() -> None:
    presence = Presence(LocalBus())
    presence.join("ann")
    presence.rename("ann", "bob")
    presence.leave("bob")
    assert presence.online_users() == ()


def test_rename_away_from_a_name_with_three_tabs_leaves_two() -> None:
    presence, seen, _ = make_counted()
    for _ in range(3):
        presence.join("ann")
    presence.rename("ann", "bob")
    assert (presence.tab_count("ann"), presence.tab_count("bob")) == (2, 1)
    presence.leave("ann")
    presence.leave("ann")
    assert seen[-1] == PresenceChanged(("bob",), 3)
