"""Soak: simulated tabs join, chat and leave for a long time against one real server; does anything leak?

Starts `python -m app` (telemetry off, no rate limit, `CHAT_DEBUG_STATS=1`) on a fresh PostgreSQL database
(or SQLite with `--db sqlite`) and keeps about `--tabs` simulated tabs (NiceGUI's socket.io protocol,
tests/simtab.py) open: each lives a random 20 to 120 s, takes a name from a small pool (so names come and go
on the online list and are shared by several tabs), and is replaced by a new tab when it leaves. Messages go
out at `--rate` per second from a random open tab. Every `--sample` seconds it records the server's RSS,
open file descriptors and threads (/proc), its asyncio tasks, pool connections, tabs and NiceGUI clients
(`/debugz`), and the database's backends (pg_stat_activity).

At the end every tab is closed, and it checks:
- every send was answered, and the stored ones are exactly the rows of the message table (ids match);
- each stored message reached every tab that was open from before its send until after its answer, once;
- tasks, threads, pool connections, database backends, tabs and clients are back at their idle values;
- memory: RSS at the start and end of the run's second half (after warm-up) and the slope there.

    .venv/bin/python bench/soak.py                       # 30 minutes, 20 tabs, 2 msg/s, PostgreSQL
    .venv/bin/python bench/soak.py --minutes 2 --tabs 10 --rate 5 --out soak.json

Exit status 1 when a message is unaccounted for or a count did not come back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
import urllib.request
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.support.databases import postgres_database, stored_sends  # noqa: E402
from tests.support.server import ChatServer  # noqa: E402
from tests.support.simtab import SimTab  # noqa: E402

LIFE_SECONDS = (20.0, 120.0)
NAMES = [f"soak{n}" for n in range(12)]
# a stored message must reach a tab that stays open this long after the send was answered
DELIVERY_GRACE = 3.0
ANSWER_TIMEOUT = 30.0
IDLE_TIMEOUT = 60.0
# what may be up at the end without a leak: the thread pool's workers stay (at most 6 on 2 CPUs), and a
# few housekeeping tasks; a leak per tab or per message shows as hundreds after a long run
SLACK = {"tasks": 5, "threads": 6, "os_threads": 6}


@dataclass
class Send:
    tab: int
    sent_at: float
    answered_at: float | None = None
    status: str | None = None
    message_id: int | None = None


@dataclass
class Life:
    number: int
    tab: SimTab
    opened_at: float
    closing_at: float | None = None
    dropped_at: float | None = None  # its socket closed before the soak closed it
    leaving: bool = False
    pending: set[asyncio.Task[None]] = field(default_factory=set)

    def mark_dropped(self) -> None:
        if self.closing_at is None and self.dropped_at is None:
            self.dropped_at = time.perf_counter()


@dataclass
class Soak:
    server: ChatServer
    database_url: str
    tabs: int
    rate: float
    seconds: float
    sample_every: float
    lives: dict[int, Life] = field(default_factory=dict)
    finished: list[Life] = field(default_factory=list)
    sends: dict[str, Send] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    opened: int = 0
    open_failures: int = 0
    send_failures: int = 0
    _next: int = 0

    # --- measuring ---------------------------------------------------------------------------------------
    def proc(self) -> dict[str, int]:
        pid = self.server._process.pid if self.server._process else 0
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {
            "rss_kb": int(fields["VmRSS"].split()[0]),
            "os_threads": int(fields["Threads"].strip()),
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
        }

    def debugz(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.server.url}/debugz", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def backends(self) -> int:
        if not self.database_url.startswith("postgres"):
            return -1
        name = self.database_url.rsplit("/", 1)[1]
        with psycopg.connect(self.database_url.rsplit("/", 1)[0] + "/postgres") as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
            return int(row[0]) if row else -1

    async def sample(self, started: float) -> dict[str, Any]:
        stats = await asyncio.to_thread(self.debugz)
        sample = {
            "t": round(time.perf_counter() - started, 1),
            **self.proc(),
            "tasks": stats["tasks"],
            "task_kinds": stats["task_kinds"],
            "threads": stats["threads"],
            "pool_out": stats["pool"]["checked_out"],
            "pool_idle": stats["pool"]["idle"],
            "tabs": stats["tabs"],
            "clients": stats["clients"],
            "subscribers": stats["bus_subscribers"],
            "backends": await asyncio.to_thread(self.backends),
            "open_here": len(self.lives),
            "sent": len(self.sends),
        }
        self.samples.append(sample)
        return sample

    # --- tabs ----------------------------------------------------------------------------------------------
    async def open_tab(self) -> Life | None:
        number = self._next
        self._next += 1
        try:
            tab = await SimTab(self.server.url).open()
        except Exception as error:
            self.open_failures += 1
            print(f"opening a tab failed: {error!r}", file=sys.stderr)
            return None
        await tab.set_name(random.choice(NAMES))
        life = self.lives[number] = Life(number, tab, time.perf_counter())
        if (
            tab._reader is not None
        ):  # its socket closed by the other end: a browser would reconnect, it does not
            tab._reader.add_done_callback(lambda _: life.mark_dropped())
        self.opened += 1
        return life

    async def close_tab(self, life: Life) -> None:
        life.leaving = True  # no new sends from it
        if life.pending:
            await asyncio.wait(life.pending, timeout=ANSWER_TIMEOUT)
        life.closing_at = time.perf_counter()
        if life.dropped_at is not None:
            print(
                f"tab {life.number}: its socket was closed by the other end before it left", file=sys.stderr
            )
        self.lives.pop(life.number, None)
        await life.tab.close()
        self.finished.append(life)

    async def one_life(self) -> None:
        life = await self.open_tab()
        if life is None:
            return
        await asyncio.sleep(random.uniform(*LIFE_SECONDS))
        await self.close_tab(life)

    async def population(self, until: float) -> None:
        """Keep about `tabs` tabs open, each living its own random while, until `until`."""
        lives: set[asyncio.Task[None]] = set()
        while time.perf_counter() < until:
            while len(lives) < self.tabs:
                task = asyncio.create_task(self.one_life())
                lives.add(task)
                task.add_done_callback(lives.discard)
                await asyncio.sleep(random.uniform(0.05, 0.5))  # tabs arrive one by one, not in a burst
            await asyncio.sleep(0.2)
        for task in list(lives):
            task.cancel()
        await asyncio.gather(*lives, return_exceptions=True)

    # --- messages ------------------------------------------------------------------------------------------
    async def await_answer(self, life: Life, client_msg_id: str) -> None:
        send = self.sends[client_msg_id]
        try:
            await life.tab.wait_for(lambda: client_msg_id in life.tab.answers, "an answer", ANSWER_TIMEOUT)
        except AssertionError:
            return
        answer = life.tab.answers[client_msg_id]
        send.answered_at = time.perf_counter()
        send.status = answer.get("status")
        send.message_id = answer.get("message_id")

    async def chatter(self, until: float) -> None:
        interval = 1.0 / self.rate
        next_at = time.perf_counter()
        count = 0
        while time.perf_counter() < until:
            candidates = [life for life in self.lives.values() if not life.leaving]
            if candidates:
                life = random.choice(candidates)
                count += 1
                sent_at = time.perf_counter()
                try:
                    client_msg_id = await life.tab.send(
                        random.choice(NAMES), f"soak message {count} " + "x" * (count % 50)
                    )
                except Exception as error:  # the tab's socket went away under it: not a send
                    self.send_failures += 1
                    print(f"a send could not leave its tab: {error!r}", file=sys.stderr)
                    continue
                self.sends[client_msg_id] = Send(life.number, sent_at)
                task = asyncio.create_task(self.await_answer(life, client_msg_id))
                life.pending.add(task)
                task.add_done_callback(life.pending.discard)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def sampler(self, started: float, until: float) -> None:
        while time.perf_counter() < until:
            sample = await self.sample(started)
            print(
                f"{sample['t']:7.0f} s  rss {sample['rss_kb'] / 1024:6.1f} MB  fds {sample['fds']:4d}  "
                f"tasks {sample['tasks']:4d}  threads {sample['threads']:3d}  pool {sample['pool_out']}/"
                f"{sample['pool_idle']}  backends {sample['backends']:3d}  tabs {sample['tabs']:3d}  "
                f"clients {sample['clients']:3d}  sent {sample['sent']}",
                flush=True,
            )
            await asyncio.sleep(self.sample_every)

    # --- the run -------------------------------------------------------------------------------------------
    async def wait_idle(self, idle: dict[str, Any]) -> dict[str, Any]:
        """After the last tab left: wait until the server's tabs and clients are gone again."""
        deadline = time.perf_counter() + IDLE_TIMEOUT
        while True:
            stats = await asyncio.to_thread(self.debugz)
            if (stats["tabs"], stats["clients"]) == (0, 0) and stats["tasks"] <= idle["tasks"]:
                return stats
            if time.perf_counter() > deadline:
                return stats
            await asyncio.sleep(0.5)

    async def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        idle = await self.sample(started)
        until = started + self.seconds
        await asyncio.gather(self.population(until), self.chatter(until), self.sampler(started, until))
        for life in list(self.lives.values()):
            await self.close_tab(life)
        await self.wait_idle(idle)
        await asyncio.sleep(2)  # let the pool settle after the last queries
        end = await self.sample(started)
        return self.report(idle, end)

    def report(self, idle: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
        rows = stored_sends(self.database_url)
        stored = {cid: s.message_id for cid, s in self.sends.items() if s.status == "stored"}
        rejected = {cid for cid, s in self.sends.items() if s.status == "rejected"}
        unanswered = {cid for cid, s in self.sends.items() if s.status is None}
        # a send whose tab's socket the server closed before the answer came: a browser would reconcile it
        dropped_tabs = {life.number for life in self.finished if life.dropped_at is not None}
        unanswered_dropped = {cid for cid in unanswered if self.sends[cid].tab in dropped_tabs}
        missing_rows = {cid for cid, mid in stored.items() if rows.get(cid) != mid}
        extra_rows = set(rows) - set(stored) - unanswered
        rejected_but_stored = rejected & set(rows)
        expected_deliveries = missed = repeats = 0
        missed_by_tab: dict[int, int] = {}
        for life in self.finished:
            end_of_life = life.dropped_at or life.closing_at
            got = life.tab.received
            repeats += len(got) - len(set(got))
            seen = set(got)
            assert life.closing_at is not None
            for send in self.sends.values():
                if (
                    send.status == "stored"
                    and send.sent_at >= life.opened_at
                    and send.answered_at is not None
                    and send.answered_at + DELIVERY_GRACE <= end_of_life
                ):
                    expected_deliveries += 1
                    if send.message_id not in seen:
                        missed += 1
                        missed_by_tab[life.number] = missed_by_tab.get(life.number, 0) + 1
        warm = [s for s in self.samples[1:-1] if s["t"] >= self.seconds / 2]
        rss_slope = slope([(s["t"], s["rss_kb"] / 1024) for s in warm])
        result = {
            "seconds": self.seconds,
            "tabs_target": self.tabs,
            "rate": self.rate,
            "tabs_opened": self.opened,
            "tab_open_failures": self.open_failures,
            "send_failures": self.send_failures,
            "sent": len(self.sends),
            "stored": len(stored),
            "rejected": len(rejected),
            "unanswered": len(unanswered - unanswered_dropped),
            "unanswered_on_dropped_tabs": len(unanswered_dropped),
            "rows": len(rows),
            "rows_missing": len(missing_rows),
            "rows_extra": len(extra_rows),
            "rejected_but_stored": len(rejected_but_stored),
            "deliveries_expected": expected_deliveries,
            "deliveries_missed": missed,
            "repeats": repeats,
            "tabs_dropped": sum(1 for life in self.finished if life.dropped_at is not None),
            "missed_by_tab": {
                str(number): [count, any(life.number == number and life.dropped_at for life in self.finished)]
                for number, count in missed_by_tab.items()
            },
            "idle_start": idle,
            "idle_end": end,
            "rss_mb_second_half": [warm[0]["rss_kb"] / 1024, warm[-1]["rss_kb"] / 1024] if warm else None,
            "rss_max_mb": max(s["rss_kb"] for s in self.samples) / 1024,
            "rss_slope_mb_per_hour": rss_slope * 3600 if rss_slope is not None else None,
            "samples": self.samples,
        }
        return result


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x."""
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else None


def leaks(result: dict[str, Any]) -> list[str]:
    """The counts that did not come back to their idle value."""
    start, end = result["idle_start"], result["idle_end"]
    problems = []
    for key in ("tasks", "threads", "pool_out", "tabs", "clients", "subscribers", "os_threads"):
        if end[key] > start[key] + SLACK.get(key, 0):
            problems.append(f"{key}: {start[key]} idle at the start, {end[key]} at the end")
    # the pool keeps up to pool_size idle connections open: backends beyond those are leaked
    if end["backends"] - end["pool_idle"] > start["backends"] - start["pool_idle"]:
        problems.append(
            f"backends: {start['backends']} at the start, {end['backends']} at the end, "
            f"with {start['pool_idle']} and {end['pool_idle']} idle in the pool"
        )
    return problems


def print_summary(result: dict[str, Any]) -> None:
    start, end = result["idle_start"], result["idle_end"]
    print()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(
        f"{result['seconds'] / 60:.0f} min, ~{result['tabs_target']} tabs, {result['rate']} msg/s: "
        f"{result['tabs_opened']} tabs opened ({result['tab_open_failures']} failed to open)"
    )
    print(
        f"sent {result['sent']}, stored {result['stored']}, rejected {result['rejected']}, unanswered "
        f"{result['unanswered']} (+{result['unanswered_on_dropped_tabs']} on tabs the server dropped); "
        f"rows {result['rows']} (missing {result['rows_missing']}, extra "
        f"{result['rows_extra']}, rejected but stored {result['rejected_but_stored']})"
    )
    print(
        f"deliveries expected {result['deliveries_expected']}, missed {result['deliveries_missed']}, "
        f"repeats {result['repeats']}; tabs whose socket the server closed: {result['tabs_dropped']}"
    )
    if result["missed_by_tab"]:
        print(f"missed per tab (count, socket closed by the server): {result['missed_by_tab']}")
    print("| count | idle at start | idle at end |")
    print("| --- | ---: | ---: |")
    for key in (
        "rss_kb",
        "fds",
        "tasks",
        "threads",
        "os_threads",
        "pool_out",
        "pool_idle",
        "backends",
        "tabs",
        "clients",
    ):
        print(f"| {key} | {start[key]} | {end[key]} |")
    kinds = {
        kind: (start["task_kinds"].get(kind, 0), count)
        for kind, count in end["task_kinds"].items()
        if count != start["task_kinds"].get(kind, 0)
    }
    if kinds:
        print(f"tasks that differ (start, end): {kinds}")
    half = result["rss_mb_second_half"]
    if half:
        print(
            f"RSS second half: {half[0]:.1f} → {half[1]:.1f} MB, slope "
            f"{result['rss_slope_mb_per_hour']:.1f} MB/h, max {result['rss_max_mb']:.1f} MB"
        )


async def soak(args: argparse.Namespace, root: Path, database: str) -> dict[str, Any]:
    server = ChatServer(root, {"DATABASE_URL": database, "CHAT_DEBUG_STATS": "1"})
    server.start()
    try:
        return await Soak(server, database, args.tabs, args.rate, args.minutes * 60, args.sample).run()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--tabs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="messages per second, all tabs together")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--out", type=Path, help="write the result and every sample as JSON")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="chat-soak-") as tmp:
        root = Path(tmp)
        database: AbstractContextManager[str] = (
            postgres_database() if args.db == "postgres" else nullcontext(f"sqlite:///{root / 'chat.db'}")
        )
        with database as url:
            result = asyncio.run(soak(args, root, url))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    print_summary(result)
    problems = leaks(result)
    lost = (
        result["rows_missing"] + result["rows_extra"] + result["rejected_but_stored"] + result["unanswered"]
    )
    lost += result["deliveries_missed"] + result["repeats"]
    for problem in problems:
        print(f"LEAK {problem}")
    if lost:
        print(f"UNACCOUNTED: {lost}")
    sys.exit(1 if problems or lost else 0)


if __name__ == "__main__":
    main()
