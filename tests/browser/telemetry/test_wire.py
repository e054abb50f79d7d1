"""The real server process exports traces, metrics and logs over OTLP/HTTP to a real receiver."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.support.otlp_receiver import OtlpReceiver
from tests.support.server import ChatServer, telemetry_environment
from tests.support.wait import until

SHUTDOWN_LIMIT = 10.0  # seconds from SIGTERM to the exit
KILL_AFTER = 15.0  # then it is killed


async def chat_as(browser: Browser, url: str, name: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(url)
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Name", exact=True).press("Enter")
    return page


async def say(page: Page, text: str) -> None:
    """Type and send as a person would (Send is never disabled while online; sends queue in the composer)."""
    await page.get_by_label("Message", exact=True).fill(text)
    await expect(page.get_by_role("button", name="Send")).to_be_enabled()
    await page.get_by_label("Message", exact=True).press("Enter")


async def test_real_server_exports_all_signals(
    tmp_path: Path, browser: Browser, receiver: tuple[OtlpReceiver, str]
) -> None:
    got, endpoint = receiver
    env = telemetry_environment(
        endpoint, OTEL_SERVICE_NAME="chat-wire-test", OTEL_RESOURCE_ATTRIBUTES="team=chat"
    )
    server = ChatServer(tmp_path, env, cwd=tmp_path)
    try:
        await server.started()
        ann = await chat_as(browser, server.url, "Ann")
        await say(ann, "hello over the wire")
        await expect(ann.get_by_label("Messages", exact=True)).to_contain_text("hello over the wire")

        await until(lambda: "chat.send_message" in got.span_names(), "the handler span", 10)
        wanted_metrics = {
            "chat.messages.sent",
            "chat.message.length",
            "chat.users.online",
            "chat.tabs.connected",
            "chat.event_loop.lag",
            "chat.gc.pause",
            "db.client.connections.usage",
        }
        await until(lambda: wanted_metrics <= got.metric_names(), f"metrics {wanted_metrics}", 10)
        await until(lambda: bool(got.logs), "a log record", 10)

        [send] = [r for r in got.spans if r.item.name == "chat.send_message"]
        children = [r.item for r in got.spans if r.item.parent_span_id == send.item.span_id]
        assert any(c.name.startswith("INSERT") for c in children), [c.name for c in children]
        assert "connect" not in got.span_names()  # no span per pool checkout
        usage = [r.item for r in got.metrics if r.item.name == "db.client.connections.usage"]
        states = {
            (a.key, a.value.string_value) for m in usage for p in m.sum.data_points for a in p.attributes
        }
        assert {("state", "idle"), ("state", "used")} <= states and any(k == "pool.name" for k, _ in states)
        assert not [r for r in got.spans if "/_nicegui_ws" in r.item.name or "/_nicegui/" in r.item.name], (
            sorted({r.item.name for r in got.spans})
        )
        assert any(r.item.name.startswith("GET") for r in got.spans)  # the page request
        for received in (send, got.metrics[0], got.logs[0]):
            resource = received.resource
            assert resource["service.name"] == "chat-wire-test"
            assert resource["service.version"] == "0.1.0"
            assert resource["deployment.environment"] == "dev"
            assert resource["team"] == "chat"
            assert resource["service.instance.id"]
    finally:
        await server.stopped(KILL_AFTER)
    assert server.stop_seconds <= SHUTDOWN_LIMIT, server.output()
    print(sorted(got.span_names()), sorted(got.metric_names()))
