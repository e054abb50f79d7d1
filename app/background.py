"""What runs beside the requests: the parts a server starts with it and stops before it ends.

Every background part answers the same two calls (`Part`), so the wiring starts them in one order and
stops them in the reverse one without asking what each is. Most of them are loops that have to outlive a
failing database; `BackgroundLoop` is that loop, written once: the task, the wait between runs, the
back-off after a failure, the failure told once per streak, and a stop that returns when the task is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Protocol


class Part(Protocol):
    """Runs in the background while the server serves.

    `start` only schedules (tasks, callbacks): it is called from a synchronous start-up hook and must not
    wait for anything. `stop` returns once the part has ended; it is harmless on a part never started.
    """

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class Closer:
    """A part with nothing to run, only something to close when the server stops (a pool, an exporter)."""

    def __init__(self, close: Callable[[], Awaitable[object]]) -> None:
        self._close = close

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self._close()


def start_all(parts: Sequence[Part]) -> None:
    """Start `parts` in their order."""
    for part in parts:
        part.start()


async def stop_all(parts: Sequence[Part]) -> None:
    """Stop `parts` in the reverse order: a part stops before the ones it was started after."""
    for part in reversed(parts):
        await part.stop()


class Backoff:
    """Waits that double after each failure, from `first` up to `cap`, and start over after a success."""

    def __init__(self, first: float, cap: float) -> None:
        self.first = first
        self.cap = cap
        self.delay = first  # the next wait

    def next(self) -> float:
        """The wait to make now; the one after it is twice as long, up to the cap."""
        delay = self.delay
        self.delay = min(delay * 2, self.cap)
        return delay

    async def sleep(self) -> None:
        """Wait the next delay (as the wait of a loop that backs off before each try)."""
        await asyncio.sleep(self.next())

    def reset(self) -> None:
        self.delay = self.first


async def wait_and_clear(event: asyncio.Event) -> None:
    """The wait of a loop woken by `event`: what sets it while a step runs wakes the next one."""
    await event.wait()
    event.clear()


DONE: Final = object()
"""What a step returns when the loop's work is done (the start-up migration has run): the loop ends."""


class BackgroundLoop:
    """A named task that runs `step` again and again until stopped, or until a step returns `DONE`.

    Before each step it awaits `wait` (a timer, an event; with `wait_first=False` not before the first). A
    step that raises is told to `failed`, inside the `except` (so `log.exception` works): the first
    failure of a streak only, or each one with `each_failure`; each loop keeps its own log line. With a
    `backoff` the loop then sleeps its next delay before going on; a step that succeeds ends the streak and
    resets the back-off. Cancellation is never caught: `stop` cancels the task wherever it waits and returns
    once it has ended.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        *,
        failed: Callable[[Exception], None],
        wait: Callable[[], Awaitable[object]] | None = None,
        wait_first: bool = True,
        backoff: Backoff | None = None,
        each_failure: bool = False,
    ) -> None:
        self.name = name
        self._step = step
        self._failed = failed
        self._wait = wait
        self._wait_first = wait_first
        self._backoff = backoff
        self._each_failure = each_failure
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def run(self) -> None:
        """The loop itself, in the caller's task (`start` runs it in a task of its own)."""
        failing = False
        wait = self._wait if self._wait_first else None
        while True:
            if wait is not None:
                await wait()
            wait = self._wait
            try:
                if await self._step() is DONE:
                    return
            except Exception as error:
                if self._each_failure or not failing:
                    self._failed(error)
                failing = True
                if self._backoff is not None:
                    await asyncio.sleep(self._backoff.next())
                continue
            failing = False
            if self._backoff is not None:
                self._backoff.reset()
