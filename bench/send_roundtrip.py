"""Send round trip: from a click on Send to the browser holding the server's "stored" answer.

Starts the real server (`python -m app`, telemetry off, no rate limit) on SQLite and on PostgreSQL, opens
the page in Chromium (Playwright, `/usr/bin/chromium` or CHAT_CHROMIUM), and sends messages one after
another by fill + click. In the page, a click listener notes the time of the click and an observer of
Send's `aria-busy` the time the answer came back (nothing is waiting to be sent): that span covers the event
over the websocket, validation, the INSERT and its commit, the answer, and the browser's own work.

    .venv/bin/python bench/send_roundtrip.py                  # 200 sends per database, after 20 to warm up
    .venv/bin/python bench/send_roundtrip.py --sends 500 --databases sqlite
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.databases import database_url  # noqa: E402
from tests.e2e.server import ChatServer  # noqa: E402

CHROMIUM = os.environ.get("CHAT_CHROMIUM", "/usr/bin/chromium")
WARM_UP = 20

PROBE = """() => {
    window.roundTrips = [];
    const button = document.querySelector(".chat-send");
    let clicked = null;
    button.addEventListener("click", () => (clicked = performance.now()), true);
    new MutationObserver(() => {
        if (clicked !== null && button.getAttribute("aria-busy") === "false") {
            window.roundTrips.push(performance.now() - clicked);
            clicked = null;
        }
    }).observe(button, { attributes: true, attributeFilter: ["aria-busy"] });
}"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(page: Page, sends: int) -> list[float]:
    page.evaluate(PROBE)
    message = page.get_by_label("Message", exact=True)
    button = page.get_by_role("button", name="Send")
    for i in range(WARM_UP + sends):
        message.fill(f"round trip {i}")
        button.click()
        page.wait_for_function("(n) => window.roundTrips.length === n", arg=i + 1)
    times: list[float] = page.evaluate("() => window.roundTrips")
    return times[WARM_UP:]


def run(kind: str, sends: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp, ExitStack() as stack:
        url = stack.enter_context(database_url(kind, Path(tmp)))
        server = ChatServer(Path(tmp), {"DATABASE_URL": url})
        server.start()
        stack.callback(server.stop)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(server.url)
            page.wait_for_function("() => window.did_handshake === true")
            page.get_by_label("Name", exact=True).fill("Bench")
            page.get_by_label("Name", exact=True).press("Enter")
            times = measure(page, sends)
            browser.close()
        return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sends", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, telemetry off"
    )
    print("| database | sends | p50 ms | p99 ms | max ms | mean ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in args.databases.split(","):
        times = run(kind, args.sends)
        print(
            f"| {kind} | {len(times)} | {percentile(times, 50):.1f} | {percentile(times, 99):.1f} "
            f"| {max(times):.1f} | {statistics.mean(times):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
