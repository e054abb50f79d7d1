"""ChatService with flood control, on SQLite and PostgreSQL: counted per browser session and tab,
never per typed name; refusals store nothing, publish nothing and are counted as `rate_limited`."""

from __future__ import annotations

import pytest

from app.chat.bus import LocalBus
from app.chat.events import Event
from app.chat.flood import LOOKUPS_PER_WINDOW, Sender
from app.chat.rules import RuleViolation
from app.chat.service import ChatService
from app.store.messages import MessageStore
from tests.support.fakes import Clock

SEND_ID = "0b5e7c1e-7d0f-4a55-9b7a-2f1d3c4e5a6b"
OTHER_ID = "22222222-2222-4333-8444-555555555555"
ANN = Sender("session-ann", "tab-ann")
ANN_TAB_2 = Sender("session-ann", "tab-ann-2")
MALLORY = Sender("session-mallory", "tab-mallory")


class Counted:
    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []
        self.sent = 0

    def message_sent(self, length: int) -> None:
        self.sent += 1

    def validation_failed(self, field: str, reason: str) -> None:
        self.failures.append((field, reason))

    def presence_changed(self, change: str) -> None:
        pass

    def history_paged(self, direction: str, count: int) -> None:
        pass


def service_on(
    store: MessageStore, *, rate: int, renames: int = 5
) -> tuple[ChatService, list[Event], Counted]:
    bus = LocalBus()
    published: list[Event] = []
    bus.subscribe(published.append)
    metrics = Counted()
    service = ChatService(
        store, bus, history_limit=20, rate_limit=rate, rename_limit=renames, metrics=metrics
    )
    return service, published, metrics


async def test_over_the_limit_nothing_is_stored_and_it_is_counted(store: MessageStore, clock: Clock) -> None:
    service, published, metrics = service_on(store, rate=2)
    await service.post_message("ann", "one", sender=ANN)
    clock.now += 3
    await service.post_message("ann", "two", sender=ANN)
    with pytest.raises(RuleViolation) as caught:
        await service.post_message("ann", "three", sender=ANN)
    assert (caught.value.field, caught.value.reason, caught.value.text) == (
        "message",
        "rate_limited",
        "Slow down: wait 7 s",
    )
    assert [m.text for m in await store.recent(10)] == ["one", "two"]
    assert len(published) == 2 and metrics.sent == 2
    assert metrics.failures == [("message", "rate_limited")]
    clock.now += 7.5
    await service.post_message("ann", "three", sender=ANN)
    assert len(await store.recent(10)) == 3


async def test_rotating_names_does_not_lift_the_limit(store: MessageStore, clock: Clock) -> None:
    service, _, _ = service_on(store, rate=3, renames=0)
    for name in ("a1", "a2", "a3"):
        await service.post_message(name, "hello", sender=ANN)
    for name in ("a4", "a5", "a6"):
        with pytest.raises(RuleViolation):
            await service.post_message(name, "hello", sender=ANN)
    assert len(await store.recent(10)) == 3


async def test_another_tab_of_the_same_browser_shares_the_limit(store: MessageStore, clock: Clock) -> None:
    service, _, _ = service_on(store, rate=1)
    await service.post_message("ann", "from tab 1", sender=ANN)
    with pytest.raises(RuleViolation):
        await service.post_message("ann", "from tab 2", sender=ANN_TAB_2)


async def test_flooding_as_ann_does_not_lock_out_ann(store: MessageStore, clock: Clock) -> None:
    service, _, _ = service_on(store, rate=2)
    await service.post_message("Ann", "flood 1", sender=MALLORY)
    await service.post_message("Ann", "flood 2", sender=MALLORY)
    with pytest.raises(RuleViolation):
        await service.post_message("Ann", "flood 3", sender=MALLORY)
    real = await service.post_message("Ann", "the real Ann", sender=ANN)
    assert real.author == "Ann"


async def test_without_a_sender_nothing_is_limited(store: MessageStore, clock: Clock) -> None:
    service, _, _ = service_on(store, rate=1)
    for n in range(3):
        await service.post_message("ann", f"internal {n}")
    assert len(await store.recent(10)) == 3


async def test_invalid_text_is_refused_before_it_is_counted(store: MessageStore, clock: Clock) -> None:
    service, _, metrics = service_on(store, rate=1)
    with pytest.raises(RuleViolation) as caught:
        await service.post_message("ann", "x", sender=ANN)
    assert caught.value.reason == "too_short"
    await service.post_message("ann", "counted", sender=ANN)
    assert metrics.failures == [("message", "too_short")]


async def test_a_stored_send_retried_over_the_limit_is_answered(store: MessageStore, clock: Clock) -> None:
    service, published, metrics = service_on(store, rate=1)
    first = await service.post_message("ann", "counted", SEND_ID, sender=ANN)
    assert await service.post_message("ann", "counted", SEND_ID, sender=ANN) == first
    assert metrics.failures == []
    with pytest.raises(RuleViolation):
        await service.post_message("ann", "new one", OTHER_ID, sender=ANN)
    assert published == [first]
    assert metrics.failures == [("message", "rate_limited")]
    assert len(await store.recent(10)) == 1


async def test_lookups_of_refused_sends_are_bounded(
    store: MessageStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _, _ = service_on(store, rate=1)
    first = await service.post_message("ann", "counted", SEND_ID, sender=ANN)
    looked_up: list[list[str]] = []
    original = store.by_client_ids

    async def counting(ids: list[str]):  # type: ignore[no-untyped-def]
        looked_up.append(ids)
        return await original(ids)

    monkeypatch.setattr(store, "by_client_ids", counting)
    for _ in range(LOOKUPS_PER_WINDOW):
        assert await service.post_message("ann", "counted", SEND_ID, sender=ANN) == first
    with pytest.raises(RuleViolation):  # the lookups for this tab are used up: refused like any send
        await service.post_message("ann", "counted", SEND_ID, sender=ANN)
    assert len(looked_up) == LOOKUPS_PER_WINDOW


async def test_a_send_under_a_new_name_is_a_rename(store: MessageStore, clock: Clock) -> None:
    service, _, metrics = service_on(store, rate=0, renames=1)
    await service.post_message("bea", "renamed once", sender=ANN, current_name="ann")
    await service.post_message("bea", "same name, free", sender=ANN, current_name="bea")
    with pytest.raises(RuleViolation) as caught:
        await service.post_message("cid", "renamed twice", sender=ANN, current_name="bea")
    assert (caught.value.field, caught.value.reason) == ("name", "rate_limited")
    assert caught.value.text == "Slow down: wait 60 s"
    assert metrics.failures == [("name", "rate_limited")]
    await service.post_message("cid", "first name of another tab", sender=ANN_TAB_2, current_name=None)
    assert len(await store.recent(10)) == 3


async def test_check_rename(store: MessageStore, clock: Clock) -> None:
    service, _, metrics = service_on(store, rate=0, renames=2)
    service.check_rename("tab", None, "ann")  # a first name is free
    service.check_rename("tab", "ann", "ann")  # so is the same name
    service.check_rename("tab", "ann", "bea")
    clock.now += 20
    service.check_rename("tab", "bea", "cid")
    with pytest.raises(RuleViolation) as caught:
        service.check_rename("tab", "cid", "dan")
    assert (caught.value.field, caught.value.reason, caught.value.text) == (
        "name",
        "rate_limited",
        "Slow down: wait 40 s",
    )
    assert metrics.failures == [("name", "rate_limited")]
    service.check_rename("tab", None, "ann")
    service.check_rename("tab", "cid", "cid")
    service.check_rename("other-tab", "cid", "dan")
    clock.now += 40.5
    service.check_rename("tab", "cid", "dan")


async def test_sends_of_a_tab_without_a_name_yet_are_no_renames(store: MessageStore, clock: Clock) -> None:
    service, _, _ = service_on(store, rate=0, renames=1)
    await service.post_message("ann", "first", sender=ANN, current_name=None)
    await service.post_message("bea", "second", sender=ANN, current_name=None)
    await service.post_message("cid", "a rename", sender=ANN, current_name="bea")
    assert len(await store.recent(10)) == 3
