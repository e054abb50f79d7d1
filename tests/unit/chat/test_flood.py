"""FloodControl and TokenBucket with a fake clock: `limits` reads `time.time`, which the test moves."""

from __future__ import annotations

import pytest

from app.chat.flood import (
    LOOKUPS_PER_WINDOW,
    RENAMES_PER_MINUTE,
    FloodControl,
    Sender,
    TokenBucket,
    Wait,
    slow_down,
)
from tests.support.fakes import Clock

ANN = Sender("session-ann", "tab-ann-1")
ANN_TAB_2 = Sender("session-ann", "tab-ann-2")
BOB = Sender("session-bob", "tab-bob-1")


def sends(flood: FloodControl, sender: Sender, count: int) -> list[Wait | None]:
    return [flood.send_wait(sender) for _ in range(count)]


def test_slow_down_shows_whole_seconds_at_least_one() -> None:
    assert slow_down(3.2) == "Slow down: wait 4 s"
    assert slow_down(4.0) == "Slow down: wait 4 s"
    assert slow_down(0.01) == "Slow down: wait 1 s"
    assert slow_down(0.0) == "Slow down: wait 1 s"
    assert Wait("message", 2.5).text == "Slow down: wait 3 s"


def test_sends_per_session_over_the_limit_wait_for_the_oldest(clock: Clock) -> None:
    flood = FloodControl(3, window=10)
    assert sends(flood, ANN, 3) == [None, None, None]
    clock.now += 4
    assert flood.send_wait(ANN) == Wait("message", 6.0)
    clock.now += 5.5
    assert flood.send_wait(ANN) == Wait("message", 0.5)  # refusals are not counted
    clock.now += 0.6
    assert sends(flood, ANN, 3) == [None, None, None]  # all three earlier ones have left the window
    wait = flood.send_wait(ANN)
    assert wait is not None and wait.seconds == pytest.approx(10.0)


def test_more_tabs_of_one_browser_share_its_limit(clock: Clock) -> None:
    flood = FloodControl(2, window=10)
    assert flood.send_wait(ANN) is None
    assert flood.send_wait(ANN_TAB_2) is None
    assert flood.send_wait(ANN) is not None
    assert flood.send_wait(ANN_TAB_2) is not None
    assert flood.send_wait(BOB) is None  # another browser is not affected


def test_one_tab_is_limited_even_with_a_new_session_per_send(clock: Clock) -> None:
    flood = FloodControl(2, window=10)
    assert flood.send_wait(Sender("s1", "tab")) is None
    assert flood.send_wait(Sender("s2", "tab")) is None
    wait = flood.send_wait(Sender("s3", "tab"))
    assert wait is not None and wait.field == "message"
    assert flood.send_wait(Sender("s3", "other-tab")) is None  # s3 itself was not counted when refused


def test_a_refusal_by_the_tab_counts_nothing_for_the_session(clock: Clock) -> None:
    flood = FloodControl(2, window=10)
    flood.send_wait(Sender("s1", "tab"))
    flood.send_wait(Sender("s1", "tab"))
    assert flood.send_wait(Sender("s1", "tab")) is not None
    clock.now += 10.5
    assert sends(flood, Sender("s1", "tab-2"), 2) == [None, None]


def test_the_wait_is_the_longest_of_the_full_windows(clock: Clock) -> None:
    flood = FloodControl(2, window=10)
    flood.send_wait(Sender("s", "t1"))
    clock.now += 3
    flood.send_wait(Sender("s", "t2"))
    clock.now += 1
    flood.send_wait(Sender("other", "t2"))  # t2 now full since t=3; session s full since t=0
    wait = flood.send_wait(Sender("s", "t2"))
    assert wait == Wait("message", 9.0)  # t2's oldest (t=3) frees at 13; now is 4


def test_zero_sends_means_no_limit(clock: Clock) -> None:
    flood = FloodControl(0)
    assert all(wait is None for wait in sends(flood, ANN, 500))


def test_renames_per_tab(clock: Clock) -> None:
    flood = FloodControl(0, renames=2, rename_window=60)
    assert flood.rename_wait("tab") is None
    clock.now += 10
    assert flood.rename_wait("tab") is None
    assert flood.rename_wait("tab") == Wait("name", 50.0)
    assert flood.rename_wait("other-tab") is None
    clock.now += 50.5
    assert flood.rename_wait("tab") is None


def test_default_renames_are_five_a_minute(clock: Clock) -> None:
    flood = FloodControl(0)
    assert [flood.rename_wait("tab") for _ in range(RENAMES_PER_MINUTE)] == [None] * RENAMES_PER_MINUTE
    wait = flood.rename_wait("tab")
    assert wait is not None and wait.field == "name" and wait.seconds == pytest.approx(60.0)


def test_zero_renames_means_no_limit(clock: Clock) -> None:
    flood = FloodControl(1, renames=0)
    assert all(flood.rename_wait("tab") is None for _ in range(100))
    assert flood.send_wait(ANN, renaming=True) is None  # only the send counts
    assert flood.send_wait(ANN, renaming=True) == Wait("message", 10.0)


def test_a_send_that_renames_counts_as_both(clock: Clock) -> None:
    flood = FloodControl(5, window=10, renames=1, rename_window=60)
    assert flood.send_wait(ANN, renaming=True) is None
    assert flood.rename_wait(ANN.tab) == Wait("name", 60.0)
    assert flood.send_wait(ANN, renaming=True) == Wait("name", 60.0)
    assert flood.send_wait(ANN) is None  # the refused send counted nothing: 2 of 5 sent


def test_a_send_over_both_limits_reports_the_rename(clock: Clock) -> None:
    flood = FloodControl(1, window=10, renames=1, rename_window=60)
    assert flood.send_wait(ANN, renaming=True) is None
    assert flood.send_wait(ANN, renaming=True) == Wait("name", 60.0)


def test_a_send_refused_for_its_rename_counts_no_send(clock: Clock) -> None:
    flood = FloodControl(2, window=10, renames=1, rename_window=60)
    flood.rename_wait(ANN.tab)
    assert flood.send_wait(ANN, renaming=True) == Wait("name", 60.0)
    assert sends(flood, ANN, 2) == [None, None]


def test_a_renaming_send_refused_as_too_fast_counts_no_rename(clock: Clock) -> None:
    flood = FloodControl(1, window=10, renames=1, rename_window=60)
    flood.send_wait(ANN)
    assert flood.send_wait(ANN, renaming=True) == Wait("message", 10.0)
    assert flood.rename_wait(ANN.tab) is None


def test_at_the_exact_end_of_a_window(clock: Clock) -> None:
    flood = FloodControl(1, window=10)
    assert flood.send_wait(ANN) is None
    clock.now += 10  # `limits`' check lets it go, its hit still holds the entry: refused, wait 0
    assert flood.send_wait(ANN) == Wait("message", 0.0)
    clock.now += 0.001
    assert flood.send_wait(ANN) is None
    assert flood.send_wait(ANN) == Wait("message", pytest.approx(10.0))  # type: ignore[arg-type]


def test_lookups_of_refused_retries_are_bounded_per_tab(clock: Clock) -> None:
    flood = FloodControl(1, window=10)
    assert [flood.may_look_up("tab") for _ in range(LOOKUPS_PER_WINDOW + 1)] == [
        True
    ] * LOOKUPS_PER_WINDOW + [False]
    assert flood.may_look_up("other-tab")
    clock.now += 10.5
    assert flood.may_look_up("tab")


def test_token_bucket_bursts_then_refills_at_its_rate() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now = 0.4  # 0.8 of a token
    assert not bucket.take()
    clock.now = 0.5  # 1.0 token
    assert bucket.take()
    assert not bucket.take()
    clock.now = 100.0  # never more than the burst
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_token_bucket_refusals_cost_nothing() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock)
    assert bucket.take()
    for step in range(1, 10):
        clock.now = step * 0.1
        assert not bucket.take()
    clock.now = 1.0
    assert bucket.take()


def test_token_bucket_keeps_its_settings() -> None:
    bucket = TokenBucket(rate=2.5, burst=7)
    assert (bucket.rate, bucket.burst) == (2.5, 7)
    assert sum(bucket.take() for _ in range(20)) == 7
