"""The background loop helper: a failure told once per streak (or each time), the back-off that doubles to
its cap and starts over after a success, a stop that ends the task wherever it waits; and the parts'
start/stop order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest

from app import background
from app.background import DONE, BackgroundLoop, Backoff, Closer, start_all, stop_all, wait_and_clear

WAIT_SECONDS = 10.0
real_sleep = asyncio.sleep  # the `sleeps` fixture replaces asyncio.sleep for the loop


async def until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await real_sleep(0)

    await asyncio.wait_for(poll(), WAIT_SECONDS)


class Script:
    """A step that fails or succeeds as scripted (True: succeeds), then waits on `more` for ever."""

    def __init__(self, *outcomes: bool) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0
        self.more = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        if not self.outcomes:
            await self.more.wait()
            return
        if not self.outcomes.pop(0):
            raise RuntimeError(f"run {self.runs}")


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """asyncio.sleep as the loop sees it: records the delay and returns at once (no time passes)."""
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(background.asyncio, "sleep", sleep)
    yield slept


def test_backoff_doubles_to_its_cap_and_starts_over() -> None:
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.delay == 0.5 and backoff.next() == 0.5


async def test_a_failure_is_told_once_per_streak_and_the_backoff_resets_on_success(
    sleeps: list[float],
) -> None:
    script = Script(False, False, False, False, True, False, False)
    told: list[str] = []
    loop = BackgroundLoop(
        "test loop", script, failed=lambda error: told.append(str(error)), backoff=Backoff(1, 4)
    )
    loop.start()
    try:
        await until(lambda: script.runs == 8)
    finally:
        await loop.stop()
    assert told == ["run 1", "run 6"]  # the first of each streak
    assert sleeps == [1, 2, 4, 4, 1, 2]  # doubling to the cap; after the success from the first again


async def test_each_failure_is_told_when_asked(sleeps: list[float]) -> None:
    script = Script(False, False, True, False)
    told: list[str] = []
    loop = BackgroundLoop("test loop", script, failed=lambda e: told.append(str(e)), each_failure=True)
    await run_until(loop, lambda: script.runs == 5)
    assert told == ["run 1", "run 2", "run 4"]
    assert sleeps == []  # no back-off: the next step follows at once


async def test_the_wait_comes_before_each_step_or_only_between_steps() -> None:
    order: list[str] = []

    async def wait() -> None:
        order.append("wait")

    async def step() -> object:
        order.append("step")
        return DONE if order.count("step") == 2 else None

    await BackgroundLoop("x", step, failed=print, wait=wait).run()
    assert order == ["wait", "step", "wait", "step"]
    order.clear()
    await BackgroundLoop("x", step, failed=print, wait=wait, wait_first=False).run()
    assert order == ["step", "wait", "step"]


async def test_failed_is_told_inside_the_except_so_a_traceback_can_be_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = Script(False)
    log = logging.getLogger("tests.background")
    loop = BackgroundLoop("x", script, failed=lambda _: log.exception("the step failed"))
    with caplog.at_level(logging.ERROR, logger="tests.background"):
        await run_until(loop, lambda: script.runs == 2)
    [record] = caplog.records
    assert record.getMessage() == "the step failed" and record.exc_info is not None
    assert str(record.exc_info[1]) == "run 1"


@pytest.mark.parametrize("where", ["step", "wait", "backoff"])
async def test_stop_ends_the_task_wherever_it_waits(where: str) -> None:
    never = asyncio.Event()
    reached = asyncio.Event()  # set once the loop is where it will stay

    async def hang() -> None:
        reached.set()
        await never.wait()

    async def fail() -> None:
        if where == "backoff":
            reached.set()  # the loop's task goes on into the back-off before this test runs again
        raise RuntimeError("the database is away")

    loop = BackgroundLoop(
        "a loop",
        hang if where == "step" else fail,
        failed=lambda _: None,
        wait=hang if where == "wait" else None,  # failed once, it waits for ever before the next step
        wait_first=False,
        backoff=Backoff(3600, 3600) if where == "backoff" else None,
    )
    loop.start()
    task = loop.task
    assert task is not None and task.get_name() == "a loop"
    await asyncio.wait_for(reached.wait(), WAIT_SECONDS)
    await asyncio.wait_for(loop.stop(), WAIT_SECONDS)
    assert task.cancelled() and loop.task is None
    await loop.stop()  # twice: harmless


async def test_a_loop_never_started_stops() -> None:
    loop = BackgroundLoop("idle", Script(), failed=lambda _: None)
    await asyncio.wait_for(loop.stop(), WAIT_SECONDS)
    assert loop.task is None


async def test_wait_and_clear_wakes_once_per_set() -> None:
    event = asyncio.Event()
    event.set()
    await asyncio.wait_for(wait_and_clear(event), WAIT_SECONDS)
    assert not event.is_set()


async def test_parts_start_in_order_and_stop_in_reverse() -> None:
    calls: list[str] = []

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        def start(self) -> None:
            calls.append(f"start {self.name}")

        async def stop(self) -> None:
            calls.append(f"stop {self.name}")

    async def close() -> None:
        calls.append("close")

    parts = (Closer(close), Fake("a"), Fake("b"))
    start_all(parts)
    await stop_all(parts)
    assert calls == ["start a", "start b", "stop b", "stop a", "close"]


async def run_until(loop: BackgroundLoop, condition: Callable[[], bool]) -> None:
    loop.start()
    try:
        await until(condition)
    finally:
        await loop.stop()


async def test_debugz_tells_the_loops_apart_by_their_names() -> None:
    from app.debug_stats import task_kind

    loop = BackgroundLoop("chat fan-out", asyncio.Event().wait, failed=lambda _: None)
    loop.start()
    try:
        assert loop.task is not None and task_kind(loop.task) == "BackgroundLoop.run chat fan-out"
    finally:
        await loop.stop()
