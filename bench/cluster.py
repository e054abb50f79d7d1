"""Several instances on one PostgreSQL: how long a message takes to reach tabs on the sender's instance
and on the others.

Starts 1, 2 and 3 real servers (`python -m app`, telemetry off, no rate limit) on one fresh PostgreSQL
database, opens simulated tabs (NiceGUI's socket.io protocol, tests/simtab.py) spread evenly over
them, and sends at a fixed rate from one tab per instance in turn. A message's latency in a tab is from
the send event leaving the sender to the room frame holding it arriving in that tab (sender and tabs
share one clock, this process). Same-instance: tabs on the sender's instance; cross-instance: the
others. Then the rate goes up in steps until p99 passes 1 s or a message goes missing.

    .venv/bin/python bench/cluster.py                       # 1, 2, 3 instances, 10 msg/s for 20 s
    .venv/bin/python bench/cluster.py --instances 3 --tabs 6 --seconds 10 --rates 10,50,100,200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.databases import postgres_database  # noqa: E402
from tests.support.server import ChatServer  # noqa: E402
from tests.support.simtab import SimTab  # noqa: E402

DRAIN_SECONDS = 10.0
P99_LIMIT_MS = 1000.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Result:
    same: list[float]
    cross: list[float]
    sent: int
    missing: int
    repeats: int


async def run_rate(
    servers: list[ChatServer], tabs: list[list[SimTab]], rate: float, seconds: float
) -> Result:
    """Send `rate` messages a second for `seconds`, from the first tab of each instance in turn."""
    sent_at: dict[str, tuple[float, int]] = {}  # client_msg_id → (time, sender's instance)
    before = {id(tab): len(tab.received) for group in tabs for tab in group}
    count = int(rate * seconds)
    start = time.perf_counter()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        instance = n % len(servers)
        sent_at[await tabs[instance][0].send(f"bench{instance}", f"bench message {n}")] = (
            time.perf_counter(),
            instance,
        )
    senders = [group[0] for group in tabs]
    ids: dict[str, int] = {}
    deadline = time.perf_counter() + DRAIN_SECONDS
    while time.perf_counter() < deadline:
        ids = {
            cid: answer["message_id"]
            for sender in senders
            for cid, answer in sender.answers.items()
            if cid in sent_at and answer.get("status") == "stored"
        }
        everyone = all(set(ids.values()) <= tab.arrivals.keys() for group in tabs for tab in group)
        if len(ids) == count and everyone:
            break
        await asyncio.sleep(0.05)
    same: list[float] = []
    cross: list[float] = []
    missing = repeats = 0
    for instance, group in enumerate(tabs):
        for tab in group:
            new = tab.received[before[id(tab)] :]
            repeats += len(new) - len(set(new))
            for cid, message_id in ids.items():
                posted, origin = sent_at[cid]
                if message_id not in tab.arrivals:
                    missing += 1
                    continue
                latency = (tab.arrivals[message_id] - posted) * 1000
                (same if origin == instance else cross).append(latency)
    missing += (count - len(ids)) * sum(len(group) for group in tabs)
    return Result(same, cross, count, missing, repeats)


async def bench(instances: int, tabs_per_instance: int, rates: list[float], seconds: float) -> None:
    with tempfile.TemporaryDirectory() as scratch, postgres_database() as url:
        servers = []
        for n in range(instances):
            root = Path(scratch) / f"instance{n}"
            root.mkdir()
            servers.append(
                ChatServer(root, {"DATABASE_URL": url, "CHAT_TAB_MESSAGES": "10000", "CHAT_EVENT_RATE": "0"})
            )
        try:
            for server in servers:
                server.start()
            tabs = [[await SimTab(server.url).open() for _ in range(tabs_per_instance)] for server in servers]
            await run_rate(servers, tabs, 5, 1)  # warm up
            for rate in rates:
                result = await run_rate(servers, tabs, rate, seconds)
                p99 = max(percentile(result.same, 99), percentile(result.cross, 99) if result.cross else 0)
                print(
                    f"| {instances} | {instances * tabs_per_instance} | {rate:g} | {result.sent} "
                    f"| {percentile(result.same, 50):.1f} | {percentile(result.same, 99):.1f} "
                    f"| {percentile(result.cross, 50):.1f} | {percentile(result.cross, 99):.1f} "
                    f"| {result.missing} | {result.repeats} |",
                    flush=True,
                )
                if p99 > P99_LIMIT_MS or result.missing:
                    break
            for group in tabs:
                for tab in group:
                    await tab.close()
        finally:
            for server in servers:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", default="1,2,3", help="instance counts to run, comma-separated")
    parser.add_argument("--tabs", type=int, default=4, help="simulated tabs per instance")
    parser.add_argument("--rates", default="10", help="messages per second, comma-separated, rising")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of sending per rate")
    args = parser.parse_args()
    print(f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    columns = "instances|tabs|msg/s|sent|same p50 ms|same p99 ms|cross p50 ms|cross p99 ms|missing|repeats"
    print("| " + " | ".join(columns.split("|")) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for instances in (int(n) for n in args.instances.split(",")):
        asyncio.run(bench(instances, args.tabs, [float(r) for r in args.rates.split(",")], args.seconds))


if __name__ == "__main__":
    main()
