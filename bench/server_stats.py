"""What the benchmark learns from the server: the assets a real browser fetches, and the stalls the server
reports over OTLP (`chat.event_loop.lag`, `chat.gc.pause`), as an operator's collector would see them."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.chromium import CHROMIUM  # noqa: E402
from tests.support.otlp_receiver import OtlpReceiver  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

ASSET = re.compile(r'(?:src|href)="(/[^"]+|chat-static/[^"]+)"')


def discover_assets(base: str) -> list[str]:
    """The same-origin paths a real Chromium fetches to show the page (scripts, styles, components, fonts),
    without the page itself and the websocket. Without Chromium: what the HTML references."""
    try:
        from playwright.sync_api import sync_playwright

        paths: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            page.on("requestfinished", lambda request: paths.append(urlsplit(request.url).path))
            page.goto(base + "/")
            page.wait_for_selector("text=Online", timeout=30_000)
            page.wait_for_load_state("networkidle")
            browser.close()
        return [p for p in dict.fromkeys(paths) if p != "/" and "socket.io" not in p]
    except Exception as error:  # no Chromium: the HTML's own references
        print(f"# assets from the HTML ({error!r})", file=sys.stderr)
        html = httpx.get(base + "/").text
        return ["/" + p.lstrip("/") for p in dict.fromkeys(ASSET.findall(html))]


@dataclass
class Stalls:
    lag_p99: float | None  # ms, upper bound of the bucket holding the 99th percentile
    longest_gc: float | None  # ms


class OtlpSink:
    """An OTLP/HTTP receiver in a thread; the server exports metrics to it every second, as deltas."""

    def __init__(self) -> None:
        self._receiver = OtlpReceiver()
        self._loop = asyncio.new_event_loop()
        self._port = free_port()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.endpoint = asyncio.run_coroutine_threadsafe(
            self._receiver.start(self._port), self._loop
        ).result()

    def server_env(self) -> dict[str, str]:
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.endpoint,
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        }

    def stalls(self, start: float, end: float) -> Stalls:
        """Loop lag p99 and the longest GC pause among the exports covering [start, end] (wall clock, s)."""
        points = []
        for received in list(self._receiver.metrics):
            metric = received.item
            if metric.name not in ("chat.event_loop.lag", "chat.gc.pause"):
                continue
            for point in metric.histogram.data_points:
                if point.time_unix_nano / 1e9 > start + 0.5 and point.start_time_unix_nano / 1e9 < end:
                    points.append((metric.name, point))
        self._receiver.spans.clear()  # only the metrics are read; keep memory flat
        lag = [p for name, p in points if name == "chat.event_loop.lag"]
        gc_max = max((p.max for name, p in points if name == "chat.gc.pause" and p.count), default=None)
        return Stalls(_p99(lag), gc_max)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._receiver.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)


def _p99(points: list) -> float | None:  # type: ignore[type-arg]
    if not points:
        return None
    bounds = list(points[0].explicit_bounds)
    counts = [0] * (len(bounds) + 1)
    for point in points:
        for i, count in enumerate(point.bucket_counts):
            counts[i] += count
    total = sum(counts)
    if not total:
        return None
    seen = 0
    for i, count in enumerate(counts):
        seen += count
        if seen >= 0.99 * total:
            return bounds[i] if i < len(bounds) else max(p.max for p in points)
    return None
