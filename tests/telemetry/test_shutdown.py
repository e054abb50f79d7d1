"""SIGTERM with tabs connected and a hung collector: the tabs are told, the process exits 0 within 10 s."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.telemetry.receiver import OtlpReceiver
from tests.telemetry.server import ChatServer, free_port
from tests.telemetry.test_wire import SHUTDOWN_LIMIT, chat_as, say


async def test_sigterm_tells_the_tabs_and_exits_0_in_time_with_a_hung_collector(
    tmp_path: Path, browser: Browser
) -> None:
    receiver = OtlpReceiver(mode="hang")
    endpoint = await receiver.start(free_port())
    server = ChatServer(tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    try:
        await server.ready()
        tabs = [await chat_as(browser, server.url, name) for name in ("Ann", "Bob", "Cy")]
        for tab in tabs:  # note when the server's "restarting" frame arrives
            await tab.evaluate("window.socket.on('chat:restarting', () => { window.heardRestart = true; })")
        await say(tabs[0], "just before the stop")
        for tab in tabs:
            await expect(tab.get_by_label("Messages", exact=True)).to_contain_text("just before the stop")
        took = await server.stop()
        assert server.process.returncode == 0, server.output()
        assert took <= SHUTDOWN_LIMIT, server.output()
        for tab in tabs:
            await expect(tab.get_by_role("status")).to_contain_text("Reconnecting")
            assert await tab.evaluate("window.heardRestart === true")
        assert "Traceback" not in server.output()
    finally:
        await server.stop()
        await receiver.stop()
