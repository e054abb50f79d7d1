"""The single-file binary: its size, and the time from start to the first `/healthz` 200, cold and warm.

    .venv/bin/python bench/binary.py [--runs 5] [--no-build] [--binary dist/chat]

Builds with `make binary` (a no-op when it is current), migrates a database in a fresh empty folder, then
starts `dist/chat` there `--runs` times for each mode, in the bare environment of the tests (`env -i PATH HOME
TMPDIR OTEL_SDK_DISABLED=true`), polls `/healthz` every 10 ms and stops it with SIGTERM:

- cold: before each start the page cache is dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`, needs root);
  where that is refused, the binary's own pages are evicted with posix_fadvise(DONTNEED) instead, and the
  output says which was used. Cold includes reading the file from disk and unpacking it (as every start does).
- warm: the same, with the file in the page cache (one unmeasured start first).
- venv: `python -m app` from the checkout's .venv, warm, for comparison.

The machine's load average is printed with the figures: on a shared machine it moves them a lot. The CPU
column (user + system time of the binary's two processes until healthy) moves much less with the load.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.ports import free_port  # noqa: E402

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0


def bare_command(work: Path, home: Path, program: list[str]) -> list[str]:
    return [
        "/usr/bin/env",
        "-i",
        "-C",
        str(work),
        "PATH=/usr/bin:/bin",
        f"HOME={home}",
        f"TMPDIR={home}",
        "OTEL_SDK_DISABLED=true",
        *program,
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its descendants (the binary runs as two processes)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass  # it exited meanwhile
    return total


def time_to_healthy(command: list[str]) -> tuple[float, float]:
    """Seconds from starting `command` (`{port}` filled in) to its first /healthz 200, and its CPU seconds."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [part.format(port=port) for part in command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < READY_TIMEOUT:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started, cpu_seconds(process.pid)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.01)
        raise TimeoutError(f"{command} not healthy in {READY_TIMEOUT} s")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drop_page_cache(binary: Path) -> str:
    """Make the next start read the binary from disk; returns how."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "drop_caches (whole page cache)"
    except OSError:
        fd = os.open(binary, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        return "posix_fadvise DONTNEED (the binary's pages only; drop_caches refused)"


def measure(
    runs: int, command: list[str], before: Callable[[], object] | None = None
) -> list[tuple[float, float]]:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        times.append(time_to_healthy(command))
    return times


def row(label: str, runs: list[tuple[float, float]]) -> str:
    wall = [seconds for seconds, _ in runs]
    cpu = statistics.median(cpu for _, cpu in runs)
    return (
        f"| {label} | {len(runs)} | {min(wall):.2f} | {statistics.median(wall):.2f} | {max(wall):.2f} "
        f"| {cpu:.2f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per mode (default 5)")
    parser.add_argument("--binary", type=Path, default=ROOT / "dist" / "chat")
    parser.add_argument("--no-build", action="store_true", help="do not run `make binary` first")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if not args.no_build:
        subprocess.run(["make", "binary"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = args.binary.resolve()
    if not binary.is_file():
        parser.error(f"no binary at {binary} (run `make binary`)")

    size = binary.stat().st_size
    print(f"binary: {binary} {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB, {size} bytes)")

    with tempfile.TemporaryDirectory(prefix="chat-bench-") as tmp:
        work, home = Path(tmp, "work"), Path(tmp, "home")
        work.mkdir()
        home.mkdir()
        subprocess.run(bare_command(work, home, [str(binary), "migrate"]), check=True, capture_output=True)
        serve = bare_command(work, home, [str(binary), "--port", "{port}"])
        venv = [str(ROOT / ".venv" / "bin" / "python"), "-m", "app", "--port", "{port}"]
        venv_command = bare_command(work, home, venv)

        load_before = os.getloadavg()
        how: list[str] = []
        cold = measure(args.runs, serve, lambda: how.append(drop_page_cache(binary)))
        time_to_healthy(serve)  # the file is in the page cache from here on
        warm = measure(args.runs, serve)
        time_to_healthy(venv_command)
        venv_times = measure(args.runs, venv_command)
        load_after = os.getloadavg()

    print(f"cold means: {how[0]}")
    print(
        f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after; {os.cpu_count()} CPUs"
    )
    print("start to first /healthz 200, seconds (SQLite, migrated database, telemetry off):\n")
    print("| start | runs | min | median | max | CPU s (median) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("`dist/chat`, cold", cold))
    print(row("`dist/chat`, warm", warm))
    print(row("`python -m app` (venv), warm", venv_times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
