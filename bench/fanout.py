"""Fan-out benchmark: N simulated tabs, messages at R msg/s, delivery latency to every tab.

Starts the real server (and the textbook baseline, `bench/baseline.py`) as separate processes with fresh
databases, connects simulated tabs that speak NiceGUI's browser protocol (see `harness.py`), posts messages
through the same UI events a browser sends, and prints one row per (app, tabs, rate).

    .venv/bin/python bench/fanout.py                       # defaults: tabs 10,100,500,1000; rates 1,5,10,20
    .venv/bin/python bench/fanout.py --tabs 10,100 --rates 1,5 --apps chat
    .venv/bin/python bench/fanout.py --tabs 100 --rates 10 --apps chat-otel-deployed,chat-otel-off  # OTel
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support, here and in the workers
sys.path.insert(0, str(Path(__file__).parent))
from harness import worker_main
from server_stats import OtlpSink, discover_assets

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent

TICKS = os.sysconf("SC_CLK_TCK")
CONNECT_AT_ONCE = 2  # tabs connecting at the same time, as a crowd arriving one by one would
N_WORKERS = 4


@dataclass
class Server:
    app: str
    process: subprocess.Popen[bytes]
    base: str

    @classmethod
    def start(cls, app: str, workdir: Path, extra_env: dict[str, str]) -> Server:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            CHAT_DATA_DIR=str(workdir / "data"),
            DATABASE_URL=f"sqlite:///{workdir / 'chat.db'}",
            CHAT_RATE_LIMIT="0",
            CHAT_MAX_TABS_PER_IP="0",  # every simulated tab comes from 127.0.0.1
            CHAT_MAX_TABS="0",
            PYTHONUNBUFFERED="1",
            **extra_env,
        )
        if app.startswith("chat"):
            command = [sys.executable, "-m", "app", "--port", str(port)]
        else:
            command = [sys.executable, str(ROOT / "bench" / "baseline.py"), str(port)]
        log = open(workdir / f"{app}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=log, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    return cls(app, process, base)
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"{app} did not start; see {workdir / (app + '.log')}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def profile(self, path: str) -> subprocess.Popen[bytes]:
        """Attach py-spy to the server (collapsed stacks in `path`); stop it with SIGINT."""
        command = ["py-spy", "record", "--format", "raw", "--rate", "50", "--pid", str(self.pid), "-o", path]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def bytes_written(self) -> int:
        """Bytes the server handed to write()/send(): websocket frames, plus a little logging and SQLite."""
        for line in Path(f"/proc/{self.pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


class Workers:
    def __init__(self, base: str, count: int, counted_events: tuple[str, ...], assets: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(
                target=worker_main, args=(child, base, counted_events, assets), daemon=True
            )
            process.start()
            child.close()  # so a worker that dies shows up as EOFError here, not as a hang
            self.pipes.append(parent)
            self.processes.append(process)

    def call_all(self, command: str, args: list[object]) -> list[object]:
        for pipe, arg in zip(self.pipes, args, strict=True):
            pipe.send((command, arg))
        return [pipe.recv() for pipe in self.pipes]

    def open(self, add: int) -> tuple[int, int]:
        """Connect `add` more tabs, CONNECT_AT_ONCE at a time (one per worker in a group); returns the
        tabs connected in all and the bytes their page loads took."""
        share = [
            add // len(self.pipes) + (1 if i < add % len(self.pipes) else 0) for i in range(len(self.pipes))
        ]
        total, loaded = 0, 0
        for group in range(0, len(self.pipes), CONNECT_AT_ONCE):
            members = range(group, min(group + CONNECT_AT_ONCE, len(self.pipes)))
            for i in members:
                self.pipes[i].send(("open", (share[i], 1)))
            for i in members:
                count, page_bytes = self.pipes[i].recv()
                total, loaded = total + count, loaded + page_bytes
        return total, loaded

    def stop(self) -> None:
        self.call_all("stop", [None] * len(self.pipes))
        for process in self.processes:
            process.join(timeout=10)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def get_latencies(base: str, until: float) -> list[float]:
    """GET / twice a second while a phase runs (what a newcomer's page load feels like)."""
    times = []
    with httpx.Client(timeout=30) as client:
        while time.time() < until:
            start = time.perf_counter()
            client.get(base + "/")
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(0.5)
    return times


def run_app(
    app: str, tab_steps: list[int], rates: list[float], phase: float, senders: int, drain: float
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    counted = ("chat:messages", "run_javascript") if app.startswith("chat") else ("update",)
    with tempfile.TemporaryDirectory(prefix=f"bench-{app}-") as tmp:
        sink = OtlpSink() if app in ("chat", "chat-otel-deployed") else None
        extra_env = sink.server_env() if sink else {}
        if app == "chat-otel-deployed":  # metrics at the SDK's 60 s, as deployed (no stall figures then)
            extra_env = {"OTEL_EXPORTER_OTLP_ENDPOINT": extra_env["OTEL_EXPORTER_OTLP_ENDPOINT"]}
        if app == "chat-otel-off":  # the same server with OTEL_SDK_DISABLED: what telemetry costs
            extra_env = {"OTEL_SDK_DISABLED": "true"}
        server = Server.start(app, Path(tmp), extra_env)
        assets = discover_assets(server.base)
        print(f"# {app}: a fresh browser loads the page and {len(assets)} assets", flush=True)
        workers = Workers(server.base, N_WORKERS, counted, assets)
        profile = os.environ.get("BENCH_PROFILE")  # a path: py-spy's collapsed stacks of the whole run
        profiler = server.profile(f"{profile}.{app}") if profile else None
        try:
            httpx.get(server.base + "/", timeout=10)
            rss_base = server.rss_kb()
            token = 0
            connected = prev = 0
            for tabs in tab_steps:
                started, connect_cpu = time.time(), server.cpu_seconds()
                connected, page_bytes = workers.open(tabs - connected)
                connect_s = time.time() - started
                connect_cpu = server.cpu_seconds() - connect_cpu
                new = max(1, connected - prev)
                print(
                    f"# {app}: {connected} tabs connected, {new} new in {connect_s:.1f} s"
                    f" ({new / connect_s:.1f} tabs/s, {page_bytes / new / 1024:.0f} KiB loaded per tab,"
                    f" server CPU {connect_cpu * 1000 / new:.1f} ms per new tab)",
                    flush=True,
                )
                prev = connected
                workers.call_all("collect", [None] * N_WORKERS)  # drop what arrived while connecting
                rss_first: int | None = None
                for rate in rates:
                    count = max(1, round(rate * phase))
                    t0 = time.time() + 0.5
                    schedule = [(token + i, t0 + i / rate, 60) for i in range(count)]
                    token += count
                    cpu0 = server.cpu_seconds()
                    wchar0 = server.bytes_written()
                    cell_start = time.time()
                    gen_cpu0 = sum(float(c) for c in workers.call_all("cpu", [None] * N_WORKERS))  # type: ignore[arg-type]
                    workers.pipes[0].send(("post", (schedule, senders, drain + phase)))
                    get_times = get_latencies(server.base, t0 + phase) if rate == rates[0] else []
                    posted: dict[int, float] = workers.pipes[0].recv()
                    # wait until every tab has every message, or the drain time is up
                    arrivals: dict[int, list[float]] = {}
                    repeats = 0
                    deadline = time.time() + drain
                    while True:
                        for got, reps, _ in workers.call_all("collect", [None] * N_WORKERS):  # type: ignore[misc]
                            for key, values in got.items():
                                arrivals.setdefault(key, []).extend(values)
                            repeats += reps
                        complete = all(len(arrivals.get(k, [])) >= connected for k in posted)
                        if complete or time.time() > deadline:
                            break
                        time.sleep(0.25)
                    cpu = server.cpu_seconds() - cpu0
                    wire = server.bytes_written() - wchar0
                    stalls = sink.stalls(cell_start, time.time()) if sink else None
                    gen_cpu = sum(float(c) for c in workers.call_all("cpu", [None] * N_WORKERS)) - gen_cpu0  # type: ignore[arg-type]
                    latencies = [
                        (at - posted[k]) * 1000
                        for k, times in arrivals.items()
                        if k in posted
                        for at in times
                    ]
                    expected = len(posted) * connected
                    lost = expected - len(latencies)
                    rss = server.rss_kb()
                    rss_first = rss_first or rss
                    rows.append(
                        {
                            "app": app,
                            "tabs": connected,
                            "rate": rate,
                            "sent": len(posted),
                            "p50": percentile(latencies, 0.5),
                            "p99": percentile(latencies, 0.99),
                            "max": max(latencies, default=float("nan")),
                            "lost": lost,
                            "dup": repeats if app.startswith("chat") else "-",
                            "rss_tab_kb": (rss - rss_base) / connected,
                            "cpu_msg_ms": cpu / max(1, len(posted)) * 1000,
                            "gen_cpu": gen_cpu,
                            "get_p99": percentile(get_times, 0.99) if get_times else None,
                            "connect_s": connect_s,
                            "wire_b": wire / max(1, len(posted) * connected),
                            "lag_p99": stalls.lag_p99 if stalls else None,
                            "gc_max": stalls.longest_gc if stalls else None,
                        }
                    )
                    print_row(rows[-1], flush=True)
        finally:
            if profiler:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            workers.stop()
            server.stop()
            if sink:
                sink.stop()
            if os.environ.get("BENCH_LOG"):
                print(Path(tmp, f"{app}.log").read_text()[-20000:], file=sys.stderr)
    return rows


HEADER = (
    f"{'app':<9}{'tabs':>6}{'rate':>6}{'sent':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'lost':>7}{'dup':>5}"
    f"{'KB/tab':>8}{'CPU ms/msg':>11}{'gen CPU s':>10}{'GET/ p99':>9}{'B/msg/tab':>10}"
    f"{'lag p99':>8}{'GC max':>7}"
)


def _figure(value: object) -> str:
    return "" if value is None else format(value, ".0f")


def print_row(row: dict[str, object], flush: bool = False) -> None:
    get = row["get_p99"]
    print(
        f"{row['app']:<9}{row['tabs']:>6}{row['rate']:>6g}{row['sent']:>6}{row['p50']:>9.0f}{row['p99']:>9.0f}"
        f"{row['max']:>9.0f}{row['lost']:>7}{row['dup']!s:>5}{row['rss_tab_kb']:>8.0f}{row['cpu_msg_ms']:>11.1f}"
        f"{row['gen_cpu']:>10.1f}{_figure(get):>9}{row['wire_b']:>10.0f}{_figure(row['lag_p99']):>8}"
        f"{_figure(row['gc_max']):>7}",
        flush=flush,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tabs", default="10,100,500,1000")
    parser.add_argument("--rates", default="1,5,10,20")
    parser.add_argument("--apps", default="chat,baseline")
    parser.add_argument("--phase", type=float, default=6.0, help="seconds of sending per (tabs, rate)")
    parser.add_argument("--drain", type=float, default=8.0, help="seconds to wait for stragglers")
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    tabs = [int(t) for t in args.tabs.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("latency = post (UI event sent) -> message reaches a tab; lost = (messages x tabs) not delivered")
    print(HEADER, flush=True)
    results = []
    for app in args.apps.split(","):
        results += run_app(app, tabs, rates, args.phase, args.senders, args.drain)
    chat = {(r["tabs"], r["rate"]): r for r in results if r["app"] == "chat"}
    base = {(r["tabs"], r["rate"]): r for r in results if r["app"] == "baseline"}
    if chat and base:
        print("\nratio baseline/chat (p99 latency, CPU per message):")
        for key in sorted(chat.keys() & base.keys()):
            c, b = chat[key], base[key]
            print(
                f"  tabs {key[0]:>5} rate {key[1]:>4g}: p99 x{b['p99'] / max(c['p99'], 1):.1f}"  # type: ignore[operator]
                f", CPU x{b['cpu_msg_ms'] / max(c['cpu_msg_ms'], 0.01):.1f}"  # type: ignore[operator]
                f", KB/tab x{b['rss_tab_kb'] / max(c['rss_tab_kb'], 1):.1f}"  # type: ignore[operator]
            )
    untraced = {(r["tabs"], r["rate"]): r for r in results if r["app"] == "chat-otel-off"}
    deployed = {(r["tabs"], r["rate"]): r for r in results if r["app"] == "chat-otel-deployed"}
    for label, traced in (("metrics every second", chat), ("metrics every 60 s, as deployed", deployed)):
        if not (traced and untraced):
            continue
        print(f"\ntelemetry on (every span, {label}) vs OTEL_SDK_DISABLED, server CPU per message:")
        for key in sorted(traced.keys() & untraced.keys()):
            on, off = traced[key]["cpu_msg_ms"], untraced[key]["cpu_msg_ms"]
            print(f"  tabs {key[0]:>5} rate {key[1]:>4g}: {off:.1f} -> {on:.1f} ms, {on / off - 1:+.1%}")  # type: ignore[operator]
    print(f"\nmedian p99 across rows: {statistics.median([r['p99'] for r in results]):.0f} ms")  # type: ignore[misc]


if __name__ == "__main__":
    main()
