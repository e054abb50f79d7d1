"""Stalls an operator should see: event-loop lag and garbage-collector pauses.

The loop is sampled every 100 ms: how late a 100 ms sleep wakes up is how long every tab waited for
anything at that moment. GC pauses are timed with `gc.callbacks`; the callback only notes the time
(it runs at arbitrary points, where taking the SDK's locks could deadlock) and the sampler records them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import MeterProvider

from app.background import BackgroundLoop
from app.telemetry import names

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 0.1
LONG_PAUSE_MS = 50.0
STALL_BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class RuntimeMonitor:
    """Records `chat.event_loop.lag`, `chat.gc.pause` and `chat.gc.long_pauses`."""

    def __init__(
        self, meter_provider: MeterProvider | None = None, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self._clock = clock
        meter = metrics.get_meter("app.runtime", meter_provider=meter_provider)
        self._lag = meter.create_histogram(
            names.EVENT_LOOP_LAG, unit="ms", description="How late the event loop ran a 100 ms timer"
        )
        self._pause = meter.create_histogram(
            names.GC_PAUSE, unit="ms", description="Garbage-collector pauses"
        )
        self._long = meter.create_counter(
            names.GC_LONG_PAUSES, unit="{pause}", description=f"GC pauses over {LONG_PAUSE_MS:g} ms"
        )
        self._started: float | None = None
        self._pauses: list[tuple[int, float]] = []  # (generation, ms), appended by the GC callback
        self._sampler = BackgroundLoop(
            "runtime monitor",
            self._sample,
            failed=lambda error: log.warning("sampling the event loop failed (%r); sampling on", error),
        )

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._sampler.start()

    async def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        await self._sampler.stop()

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = self._clock()
        elif self._started is not None:
            self._pauses.append((int(info["generation"]), (self._clock() - self._started) * 1000))
            self._started = None

    async def _sample(self) -> None:
        """One sample: the sleep is the measurement, so it is the step and not the loop's wait."""
        loop = asyncio.get_running_loop()
        before = loop.time()
        await asyncio.sleep(SAMPLE_SECONDS)
        self._lag.record(max(0.0, (loop.time() - before - SAMPLE_SECONDS) * 1000))
        pauses, self._pauses = self._pauses, []
        for generation, ms in pauses:
            attributes = {names.GC_GENERATION: generation}
            self._pause.record(ms, attributes)
            if ms > LONG_PAUSE_MS:
                self._long.add(1, attributes)
