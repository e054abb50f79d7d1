"""SQLite has no bus between processes: a second server on the same file is refused with a clear message,
and the file is free again once the first one is gone (however it went)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import ChatServer


def test_a_second_server_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    roots = [tmp_path / "first", tmp_path / "second"]
    for root in roots:
        root.mkdir()
    first, second = (ChatServer(root, {"DATABASE_URL": database}) for root in roots)
    first.start()
    try:
        with pytest.raises(RuntimeError) as refused:
            second.start()
        assert "another chat server is already serving" in str(refused.value)
        assert "use PostgreSQL to run several" in str(refused.value)
        first.kill()  # no clean-up: the kernel releases the lock with the process
        second.start()
    finally:
        first.stop()
        second.stop()
