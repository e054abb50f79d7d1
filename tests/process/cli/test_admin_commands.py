"""`python -m app delete-message` and `list-messages` as processes, on SQLite and PostgreSQL: output,
exit codes, and every kind of bad value."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.store.models import Message
from tests.support.databases import store_on

TIMEOUT = 60


def chat(
    *args: str, url: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OTEL_SDK_DISABLED": "true", **(env or {})}
    if url is not None:
        environment["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=environment, capture_output=True, text=True, timeout=TIMEOUT
    )


def seed(url: str, rows: list[tuple[str, str, datetime]]) -> list[int]:
    async def insert() -> list[int]:
        ids = []
        async with store_on(url) as store, store._sessions() as session:
            for author, text, at in rows:
                message = Message(author=author, text=text, created_at=at)
                session.add(message)
                await session.flush()
                assert message.id is not None
                ids.append(message.id)
            await session.commit()
        return ids

    return asyncio.run(insert())


def test_list_messages_is_tab_separated_oldest_first(db_url: str) -> None:
    now = datetime.now(UTC)
    ids = seed(
        db_url,
        [
            ("ann", "old news", now - timedelta(days=3)),
            ("bob", "two\nlines\tand a tab \\ backslash", now - timedelta(minutes=50)),
            ("ann", "recent", now - timedelta(minutes=10)),
            ("Ann", "another Ann", now - timedelta(minutes=5)),
        ],
    )
    everything = chat("list-messages", url=db_url)
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(i) for i in ids]
    fields = lines[1].split("\t")
    assert fields[2:] == ["bob", "two\\nlines\\tand a tab \\\\ backslash"]
    assert datetime.fromisoformat(fields[1]).tzinfo is not None and fields[1].endswith("Z")

    by_ann = chat("list-messages", "--author", "ann", "--since", "1h", url=db_url)
    assert [line.split("\t")[3] for line in by_ann.stdout.splitlines()] == ["recent"]
    assert chat("list-messages", "--since", "2d", "--limit", "1", url=db_url).stdout.split("\t")[3] == (
        "another Ann\n"
    )
    iso = (now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(chat("list-messages", "--since", iso, url=db_url).stdout.splitlines()) == 2
    assert chat("list-messages", "--author", "nobody", url=db_url).stdout == ""


def test_delete_message_then_again_then_unknown(db_url: str) -> None:
    [first, second] = seed(db_url, [("eve", "abuse", datetime.now(UTC)), ("ann", "fine", datetime.now(UTC))])
    deleted = chat("delete-message", str(first), "--reason", "abuse", url=db_url)
    assert (deleted.returncode, deleted.stdout) == (0, f"deleted {first}\n"), deleted.stderr
    again = chat("delete-message", str(first), url=db_url)
    assert (again.returncode, again.stdout) == (0, f"already deleted {first}\n"), again.stderr
    unknown = chat("delete-message", str(second + 100), url=db_url)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == f"chat: no message {second + 100}\n"
    listed = chat("list-messages", url=db_url).stdout.splitlines()
    assert [line.split("\t")[0] for line in listed] == [str(second)]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["delete-message", "abc"], "a message id is a whole number"),
        (["delete-message", "-5"], "a message id is a whole number"),
        (["delete-message", "0"], "a message id is a whole number"),
        (["delete-message", "1.5"], "a message id is a whole number"),
        (["delete-message", "99999999999999999999"], "a message id is a whole number"),
        (["delete-message"], "the following arguments are required: ID"),
        (["delete-message", "1", "2"], "unrecognized arguments"),
        (["list-messages", "--since", "yesterday"], "expected a duration like 30m"),
        (["list-messages", "--since=-1h"], "expected a duration like 30m"),
        (["list-messages", "--since", "1w"], "expected a duration like 30m"),
        (["list-messages", "--limit", "0"], "expected a whole number from 1"),
        (["list-messages", "--limit", "many"], "expected a whole number from 1"),
        (["list-messages", "--author", ""], "not a possible name"),
    ],
)
def test_bad_values_exit_2_with_a_usage_line(tmp_path: Path, args: list[str], complaint: str) -> None:
    result = chat(*args, url=f"sqlite:///{tmp_path / 'chat.db'}")
    assert result.returncode == 2
    assert result.stdout == "" and complaint in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: python -m app ")
    assert not (tmp_path / "chat.db").exists()


@pytest.mark.parametrize("command", [["list-messages"], ["delete-message", "1"], ["--port", "0"]])
def test_a_bad_retention_setting_exits_2(tmp_path: Path, command: list[str]) -> None:
    result = chat(*command, url=f"sqlite:///{tmp_path / 'chat.db'}", env={"CHAT_RETENTION_DAYS": "0"})
    assert result.returncode == 2
    assert "CHAT_RETENTION_DAYS" in result.stderr and "Traceback" not in result.stderr


def test_no_database_or_no_schema_exits_1(tmp_path: Path) -> None:
    missing = chat("delete-message", "1", url=f"sqlite:///{tmp_path / 'chat.db'}")
    assert missing.returncode == 1 and "no database at" in missing.stderr
    assert not (tmp_path / "chat.db").exists()
    import sqlite3

    sqlite3.connect(tmp_path / "chat.db").close()  # a file without the schema
    unmigrated = chat("list-messages", url=f"sqlite:///{tmp_path / 'chat.db'}")
    assert unmigrated.returncode == 1 and "run python -m app migrate" in unmigrated.stderr
    refused = chat("list-messages", "--db", "postgresql://postgres@127.0.0.1:1/chat")
    assert (
        refused.returncode == 1 and refused.stderr.startswith("chat: ") and "Traceback" not in refused.stderr
    )
