"""The GC policy: freeze after start-up and after tabs connect; thaw and collect once enough tabs left."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from app.gc_policy import MIN_CLOSED, GcPolicy


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_start_freezes_what_is_alive() -> None:
    policy = GcPolicy()
    policy.start()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        await policy.stop()
    assert gc.get_freeze_count() == 0, "stopping hands everything back to the collector"


def test_connected_tabs_are_frozen_at_the_next_check() -> None:
    policy = GcPolicy()
    policy.check()
    assert gc.get_freeze_count() == 0, "nothing connected: nothing to freeze"
    policy.tab_opened("t1")
    tab = [Cycle() for _ in range(100)]
    policy.check()
    frozen = gc.get_freeze_count()
    assert frozen >= 100
    policy.check()
    assert gc.get_freeze_count() == frozen, "no new tab: no new freeze"
    del tab


def test_young_garbage_is_collected_before_a_freeze() -> None:
    policy = GcPolicy()
    policy.tab_opened("t1")
    garbage = Cycle()
    marker = id(garbage)
    del garbage
    policy.check()
    assert all(id(o) != marker for o in gc.get_objects()), "the cycle was frozen instead of collected"


def test_closed_tabs_are_collected_at_a_thaw() -> None:
    policy = GcPolicy()
    for n in range(MIN_CLOSED):
        policy.tab_opened(f"t{n}")
    tabs = [Cycle() for _ in range(MIN_CLOSED)]
    policy.check()  # the tabs' objects are frozen now
    del tabs
    for n in range(MIN_CLOSED - 1):
        policy.tab_closed(f"t{n}")
    policy.check()
    frozen_before = gc.get_freeze_count()
    policy.tab_closed(f"t{MIN_CLOSED - 1}")  # the MIN_CLOSED-th: thaw, collect, freeze again
    policy.check()
    assert gc.get_freeze_count() < frozen_before, "the closed tabs' cycles were collected"


def test_a_thaw_waits_for_a_quarter_of_the_room(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app.gc_policy")
    policy = GcPolicy()
    tabs = [f"t{n}" for n in range(1000)]
    for tab in tabs:
        policy.tab_opened(tab)
    for tab in tabs[:200]:  # a quarter of the 1000 open now: 250
        policy.tab_closed(tab)
    policy.check()
    assert not thaws(caplog), "200 of 1000 closed: no thaw yet"
    for tab in tabs[200:250]:
        policy.tab_closed(tab)
    policy.check()
    assert len(thaws(caplog)) == 1
    for tab in tabs[250:430]:  # 750 open at that thaw: the next one waits for 750 // 4 = 187 closes
        policy.tab_closed(tab)
    policy.check()
    assert len(thaws(caplog)) == 1, "180 of 750 closed: no thaw yet"
    for tab in tabs[430:437]:
        policy.tab_closed(tab)
    policy.check()
    assert len(thaws(caplog)) == 2


def test_page_loads_that_never_connected_do_not_count(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app.gc_policy")
    policy = GcPolicy()
    policy.tab_opened("tab")
    policy.tab_opened("tab")  # a reconnect is the same tab
    for n in range(MIN_CLOSED * 3):
        policy.tab_closed(f"probe{n}")  # GET / without a socket
    policy.tab_closed("tab")
    policy.tab_closed("tab")  # told twice: counted once
    policy.check()
    assert not thaws(caplog)
    for n in range(MIN_CLOSED - 1):
        policy.tab_opened(f"t{n}")
        policy.tab_closed(f"t{n}")
    policy.check()
    assert len(thaws(caplog)) == 1, "the MIN_CLOSED-th connected tab gone: thaw"


def thaws(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("gc thaw")]
