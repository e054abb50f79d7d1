"""A collector that refuses, hangs or fails: the chat works as before, logs one warning, stops in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.telemetry.test_wire import KILL_AFTER, SHUTDOWN_LIMIT, chat_as, say
from tests.support.otlp_receiver import Mode, OtlpReceiver
from tests.support.ports import free_port
from tests.support.server import ChatServer, telemetry_environment
from tests.support.wait import until

OUTAGE_WARNING = "is failing"


@pytest.fixture(params=["refused", "hang", "error"])
async def dead_endpoint(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "refused":
        yield f"http://127.0.0.1:{free_port()}"  # nothing listens there
        return
    mode: Mode = request.param
    receiver = OtlpReceiver(mode=mode)
    url = await receiver.start(free_port())
    yield url
    await receiver.stop()


async def test_chat_works_and_stops_in_time_without_a_collector(
    tmp_path: Path, browser: Browser, dead_endpoint: str
) -> None:
    server = ChatServer(tmp_path, telemetry_environment(dead_endpoint), cwd=tmp_path)
    try:
        await server.started()
        ann = await chat_as(browser, server.url, "Ann")
        bob = await chat_as(browser, server.url, "Bob")
        bob_sees = bob.get_by_label("Messages", exact=True)
        await say(ann, "first, while the exporters find out")
        await expect(bob_sees).to_contain_text("first, while the exporters find out")
        await until(lambda: OUTAGE_WARNING in server.output(), "the outage warning", 15, poll=0.1)
        for n in range(5):
            await say(ann, f"during the outage {n}")
            await expect(bob_sees).to_contain_text(f"during the outage {n}")
        await expect(ann.get_by_label("Online users")).to_contain_text("2 online")
    finally:
        await server.stopped(KILL_AFTER)
    output = server.output()
    assert server.stop_seconds <= SHUTDOWN_LIMIT, output
    for signal in ("traces", "metrics", "logs"):  # one warning per failing signal, not one per batch
        assert output.count(f"telemetry export of {signal} to {dead_endpoint}/v1/{signal} is failing") <= 1, (
            output
        )
    assert "Traceback" not in output, output
    assert " opentelemetry." not in output, output  # the exporters' per-batch errors are not logged


async def test_each_signal_reports_its_own_recovery(tmp_path: Path) -> None:
    """A collector that fails, then answers again: traces and metrics each say they work again, whether or
    not the logs signal (exported only when the chat logs) has had a chance to recover."""
    receiver = OtlpReceiver(mode="error")
    endpoint = await receiver.start(free_port())
    server = ChatServer(tmp_path, telemetry_environment(endpoint), cwd=tmp_path)
    signals = ("traces", "metrics")
    try:
        await server.started()  # its /healthz requests make spans
        for signal in signals:
            failing = f"telemetry export of {signal} to {endpoint}/v1/{signal} is failing"
            await until(
                lambda failing=failing: failing in server.output(), f"the {signal} warning", 15, poll=0.1
            )
        receiver.mode = "ok"
        deadline = time.monotonic() + 15
        async with httpx.AsyncClient() as client:
            while not all(
                f"export of {s} to {endpoint}/v1/{s} works again" in server.output() for s in signals
            ):
                assert time.monotonic() < deadline, f"no recovery reported:\n{server.output()}"
                await client.get(f"{server.url}/healthz", timeout=2)  # more spans to export
                await asyncio.sleep(0.1)
    finally:
        await server.stopped(KILL_AFTER)
        await receiver.stop()
    output = server.output()
    for signal in signals:
        assert output.count(f"telemetry export of {signal} to {endpoint}/v1/{signal} is failing") == 1, output
    assert f"traces: otlp {endpoint}/v1/traces, metrics: otlp {endpoint}/v1/metrics" in output
