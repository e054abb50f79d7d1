"""The single-file binary (`make binary`): built once, run from an empty folder with a bare environment.

`env -i` leaves the binary nothing but PATH, HOME, TMPDIR and OTEL_SDK_DISABLED: no Python, no venv, no
DATABASE_URL. TMPDIR points at a folder of the test, so what the binary unpacks at start (PyInstaller's
`sys._MEIPASS`) can be checked: only the binary's own files, and gone after it exits.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.support import ROOT
from tests.support.databases import postgres_database
from tests.support.http import health
from tests.support.otlp_receiver import OtlpReceiver
from tests.support.page import expect_message, join, messages, open_chat, send
from tests.support.ports import free_port
from tests.support.server import ChatServer

BINARY = ROOT / "dist" / "chat"
BUILD_TIMEOUT = (
    900  # a cold build takes minutes on a busy 2-core machine; `make binary` is a no-op when current
)
RUN_TIMEOUT = 120
TEST_TIMEOUT = BUILD_TIMEOUT + 300
# the binary unpacks itself at each start: on a busy machine that can take longer than the default 30 s
BINARY_READY_TIMEOUT = 120.0
STORE_TIMEOUT = 10.0
# what serving the chat may leave in the working directory: the default SQLite database and its WAL files
# the database, its WAL files, and the lock that keeps a second server off the same file
DATABASE_FILES = {"chat.db", "chat.db-wal", "chat.db-shm", "chat.db.server-lock"}
TELEMETRY_OFF = {"OTEL_SDK_DISABLED": "true"}
EXPORT_TIMEOUT = (
    30.0  # spans are sent every 200 ms and metrics every 500 ms (below); generous for a busy machine
)
RECEIVER_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def binary() -> Path:
    result = subprocess.run(
        ["make", "binary"], cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    assert result.returncode == 0, f"make binary failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert BINARY.is_file()
    return BINARY


class Sandbox:
    """An empty working directory, HOME and TMPDIR, and the bare environment to run the binary in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work = root / "work"
        self.home = root / "home"
        self.unpack = root / "tmp"
        for folder in (self.work, self.home, self.unpack):
            folder.mkdir()

    @property
    def data_dir(self) -> Path:
        """Where `python -m app` keeps the generated secret and NiceGUI's storage without CHAT_DATA_DIR."""
        return self.home / ".local" / "share" / "chat"

    def command(self, binary: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
        """`env`: the variables besides PATH, HOME and TMPDIR (default: telemetry off)."""
        variables = TELEMETRY_OFF if env is None else env
        return [
            "/usr/bin/env",
            "-i",
            "-C",
            str(self.work),
            "PATH=/usr/bin:/bin",
            f"HOME={self.home}",
            f"TMPDIR={self.unpack}",
            *(f"{name}={value}" for name, value in variables.items()),
            str(binary),
            *args,
        ]

    def run(self, binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(binary, *args), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
        )

    def server(self, binary: Path, *args: str, env: dict[str, str] | None = None) -> ChatServer:
        log_dir = self.root / "server"
        log_dir.mkdir(exist_ok=True)
        command = self.command(binary, "--port", "{port}", *args, env=env)
        return ChatServer(log_dir, command=command, ready_timeout=BINARY_READY_TIMEOUT)

    def unpacked(self) -> list[Path]:
        """The folders the running binary unpacked itself into (PyInstaller's _MEI…)."""
        return sorted(self.unpack.glob("_MEI*"))


def bundled_names(binary: Path) -> set[str]:
    """The names of the files inside the binary, as PyInstaller unpacks them."""
    from PyInstaller.archive.readers import CArchiveReader

    return set(CArchiveReader(str(binary)).toc)


def written_into(folder: Path, bundled: set[str]) -> list[str]:
    """Files in the unpacked folder that were not unpacked from the binary, i.e. written by the program."""
    names = (str(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir())
    return sorted(name for name in names if name not in bundled)


def stored_messages(url: str) -> list[tuple[str, str]]:
    """The messages in the database, once there are any (the page may show a send before it commits)."""
    deadline = time.monotonic() + STORE_TIMEOUT
    while True:
        with psycopg.connect(url) as connection:
            rows = connection.execute("SELECT author, text FROM message ORDER BY id").fetchall()
        if rows or time.monotonic() > deadline:
            return [(author, text) for author, text in rows]
        time.sleep(0.05)  # polling a condition with a deadline, not a fixed wait


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[OtlpReceiver, str]]:
    """The telemetry tests' OTLP/HTTP receiver, on an event loop of its own thread (these tests are sync)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="otlp receiver", daemon=True)
    thread.start()
    receiver = OtlpReceiver()
    try:
        url = asyncio.run_coroutine_threadsafe(receiver.start(free_port()), loop).result(RECEIVER_TIMEOUT)
        yield receiver, url
    finally:
        asyncio.run_coroutine_threadsafe(receiver.stop(), loop).result(RECEIVER_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(RECEIVER_TIMEOUT)
        loop.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = EXPORT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)  # polling a condition with a deadline, not a fixed wait


def pool_states(receiver: OtlpReceiver) -> set[tuple[str, str]]:
    """The attributes (key, string value) of the `db.client.connections.usage` points received."""
    usage = [r.item for r in list(receiver.metrics) if r.item.name == "db.client.connections.usage"]
    return {(a.key, a.value.string_value) for m in usage for p in m.sum.data_points for a in p.attributes}


@pytest.mark.slow
@pytest.mark.timeout(TEST_TIMEOUT)
def test_binary_serves_the_chat_on_sqlite_from_an_empty_folder(
    binary: Path, sandbox: Sandbox, new_context: Callable[..., BrowserContext]
) -> None:
    usage = sandbox.run(binary, "--help")
    assert usage.returncode == 0, usage.stderr
    assert usage.stdout.startswith("usage: chat")

    for _ in range(2):  # idempotent
        migrated = sandbox.run(binary, "migrate")
        assert migrated.returncode == 0, migrated.stderr
    assert (sandbox.work / "chat.db").is_file()

    server = sandbox.server(binary)
    server.start()
    try:
        assert health(server.url) == (200, {"status": "ok", "database": "ok", "schema": "ok"})
        alice = open_chat(new_context(), server.url)
        bob = open_chat(new_context(), server.url)
        join(alice, "Alice")
        join(bob, "Bob")
        send(alice, "hello from the binary")
        expect_message(bob, "hello from the binary")
        send(bob, "and back")
        expect_message(alice, "and back")

        listed = sandbox.run(binary, "list-messages", "--author", "Alice")  # the operator commands are inside
        assert listed.returncode == 0, listed.stderr
        [line] = listed.stdout.splitlines()
        message_id, _at, author, text = line.split("\t")
        assert (author, text) == ("Alice", "hello from the binary")
        deleted = sandbox.run(binary, "delete-message", message_id)
        assert (deleted.returncode, deleted.stdout) == (0, f"deleted {message_id}\n"), deleted.stderr
        expect(messages(bob).locator(".chat-text")).to_have_text(["and back"])

        [unpacked] = sandbox.unpacked()
        assert written_into(unpacked, bundled_names(binary)) == []
    finally:
        code = server.stop()
    assert code == 0, server.log()  # stop() waits 10 s for the exit after SIGTERM, then kills (None)

    assert sandbox.unpacked() == [], "the binary left its unpacked files behind"
    assert {path.name for path in sandbox.work.iterdir()} <= DATABASE_FILES
    assert [path.name for path in sandbox.home.iterdir()] == [".local"]
    assert (sandbox.data_dir / "storage-secret").is_file()
    assert list((sandbox.data_dir / "nicegui").glob("storage-user-*.json")), "NiceGUI's storage is elsewhere"


@pytest.mark.slow
@pytest.mark.timeout(TEST_TIMEOUT)
def test_binary_serves_the_chat_on_postgresql(
    binary: Path, sandbox: Sandbox, new_context: Callable[..., BrowserContext]
) -> None:
    with postgres_database() as url:
        migrated = sandbox.run(binary, "--db", url, "migrate")
        assert migrated.returncode == 0, migrated.stderr

        server = sandbox.server(binary, "--db", url)
        server.start()
        try:  # on PostgreSQL the LISTEN/NOTIFY bus is chosen, and reported
            expected = {"status": "ok", "database": "ok", "schema": "ok", "bus": "ok"}
            assert health(server.url) == (200, expected)
            alice = open_chat(new_context(), server.url)
            join(alice, "Alice")
            send(alice, "stored in PostgreSQL")
            expect_message(alice, "stored in PostgreSQL")
            assert stored_messages(url) == [("Alice", "stored in PostgreSQL")]
            bob = open_chat(new_context(), server.url)  # a new tab loads it from the database
            expect_message(bob, "stored in PostgreSQL")
        finally:
            code = server.stop()
        assert code == 0, server.log()
    assert {path.name for path in sandbox.work.iterdir()} == set(), "nothing is written next to the binary"


@pytest.mark.slow
@pytest.mark.timeout(TEST_TIMEOUT)
def test_binary_exports_database_telemetry(
    binary: Path,
    sandbox: Sandbox,
    new_context: Callable[..., BrowserContext],
    otlp_receiver: tuple[OtlpReceiver, str],
) -> None:
    """The SQLAlchemy instrumentation works inside the binary: it needs SQLAlchemy's dist-info to run."""
    got, endpoint = otlp_receiver
    telemetry = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
    }
    migrated = sandbox.run(binary, "migrate")
    assert migrated.returncode == 0, migrated.stderr

    server = sandbox.server(binary, env=telemetry)
    server.start()
    try:
        alice = open_chat(new_context(), server.url)
        join(alice, "Alice")
        send(alice, "traced in the binary")
        expect_message(alice, "traced in the binary")

        def database_spans() -> set[str]:
            return {name.split()[0] for name in got.span_names()} & {"INSERT", "SELECT"}

        wait_for(lambda: database_spans() == {"INSERT", "SELECT"}, "INSERT and SELECT spans")
        wait_for(lambda: {("state", "idle"), ("state", "used")} <= pool_states(got), "the pool metric")
        assert any(key == "pool.name" for key, _ in pool_states(got))
    finally:
        code = server.stop()
    assert code == 0, server.log()
    output = server.log_path.read_text(errors="replace")
    assert "opentelemetry.instrumentation.instrumentor" not in output, output
    assert "no installed version was found" not in output, output
