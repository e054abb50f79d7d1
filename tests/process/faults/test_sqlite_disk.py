"""SQLite on a disk that fills up or is read-only: a clear error (the log and the sender's error line, or
one line and exit 1 at start), nothing stored that was answered as not stored, and no corruption: the file
opens and `PRAGMA integrity_check` says ok afterwards.

The tests run as root here, and root ignores permission bits (chmod proves nothing), so the database lives
on a small tmpfs of its own: filled with a file until no byte is left (ENOSPC), or mounted read-only
(EROFS: no write succeeds, root's included). Without the right to mount (not root) they are skipped."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import stored_sends
from tests.support.ports import free_port
from tests.support.server import PATIENT_READY_TIMEOUT, ChatServer
from tests.support.simtab import SimTab

DISK_SIZE = "4m"
MAX_SENDS = 400


@contextlib.contextmanager
def small_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


def integrity(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


async def test_full_disk_refuses_sends_clearly_and_corrupts_nothing(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        database = disk / "chat.db"
        server = ChatServer(
            tmp_path, {"DATABASE_URL": f"sqlite:///{database}"}, ready_timeout=PATIENT_READY_TIMEOUT
        )
        server.start()
        tab = await SimTab(server.url).open()
        answers: dict[str, dict[str, object]] = {}
        try:
            await tab.wait_for(lambda: True, "nothing")
            filler = fill(disk)
            for n in range(MAX_SENDS):  # until a write needs a page the disk does not have
                sent = await tab.send("ann", f"message {n} " + "x" * 900)
                await tab.wait_for(lambda s=sent: s in tab.answers, "an answer")
                answers[sent] = tab.answers[sent]
                if tab.answers[sent]["status"] == "rejected":
                    break
            refused = [cid for cid, answer in answers.items() if answer["status"] == "rejected"]
            assert refused, f"{MAX_SENDS} sends fitted on a full disk"
            assert "cannot store messages right now" in str(answers[refused[0]]["error"])
            assert "database or disk is full" in server.log()
            rows = await asyncio.to_thread(stored_sends, server.database_url)
            ok = {
                cid: answer["message_id"] for cid, answer in answers.items() if answer["status"] == "stored"
            }
            assert rows == ok, "the stored sends, and only they, are rows"
            assert not set(refused) & set(tab.received) and len(tab.received) == len(ok)

            filler.unlink()  # space again: the next send is stored_sends, without a restart
            again = await tab.send("ann", "after the disk was freed")
            await tab.wait_for(lambda: again in tab.answers, "the answer after freeing space")
            assert tab.answers[again]["status"] == "stored"
        finally:
            await tab.close()
            server.stop()
        assert integrity(database) == "ok"
        rows = stored_sends(f"sqlite:///{database}")
        assert set(rows) == {cid for cid, a in tab.answers.items() if a["status"] == "stored"}


def test_read_only_disk_at_start_is_one_clear_line(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        database = disk / "chat.db"
        first = ChatServer(
            tmp_path, {"DATABASE_URL": f"sqlite:///{database}"}, ready_timeout=PATIENT_READY_TIMEOUT
        )
        first.start()
        first.stop()
        remount(disk, "ro")
        env = {key: value for key, value in first.env.items()}
        result = subprocess.run(
            [sys.executable, "-m", "app", "--port", str(free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.startswith("chat:")]
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert str(database) in lines[0]
        remount(disk, "rw")
        assert integrity(database) == "ok"
