"""SIGTERM with tabs connected and a hung collector: the tabs are told, the process exits 0 within 10 s."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.telemetry.test_wire import KILL_AFTER, SHUTDOWN_LIMIT, chat_as, say
from tests.support.otlp_receiver import OtlpReceiver
from tests.support.ports import free_port
from tests.support.server import ChatServer, telemetry_environment


async def test_sigterm_tells_the_tabs_and_exits_0_in_time_with_a_hung_collector(
    tmp_path: Path, browser: Browser
) -> None:
    receiver = OtlpReceiver(mode="hang")
    endpoint = await receiver.start(free_port())
    server = ChatServer(tmp_path, telemetry_environment(endpoint), cwd=tmp_path)
    try:
        await server.started()
        tabs = [await chat_as(browser, server.url, name) for name in ("Ann", "Bob", "Cy")]
        for tab in tabs:  # note when the server's "restarting" frame arrives
            await tab.evaluate("window.socket.on('chat:restarting', () => { window.heardRestart = true; })")
        await say(tabs[0], "just before the stop")
        for tab in tabs:
            await expect(tab.get_by_label("Messages", exact=True)).to_contain_text("just before the stop")
        assert await server.stopped(KILL_AFTER) == 0, server.output()
        assert server.stop_seconds <= SHUTDOWN_LIMIT, server.output()
        for tab in tabs:
            await expect(tab.get_by_role("status")).to_contain_text("Reconnecting")
            assert await tab.evaluate("window.heardRestart === true")
        assert "Traceback" not in server.output()
    finally:
        await server.stopped(KILL_AFTER)
        await receiver.stop()
