"""One server per SQLite file: SQLite has no bus between processes, so a second server on the same file
would share the stored messages but not live messages or the online list. The first server holds an
exclusive lock on `<database>.server-lock` for as long as it runs; a second one is refused."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from app.store.errors import DatabaseUnavailable


class DatabaseInUse(DatabaseUnavailable):
    """Another chat server already serves this SQLite file."""


def sqlite_file(sync_url: str) -> Path | None:
    """The database file of a SQLite URL (None for an in-memory database)."""
    database = make_url(sync_url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).resolve()


def missing_sqlite_file(sync_url: str) -> Path | None:
    """The database file of a SQLite URL when it does not exist (yet): nothing to read, nothing to make."""
    path = sqlite_file(sync_url)
    return path if path is not None and not path.exists() else None


def hold_server_lock(database: Path) -> int | None:
    """Take the lock for this process's lifetime (the kernel releases it when the process ends, however it
    ends); returns its file descriptor. Raises DatabaseInUse when another server holds it. Where no lock
    file can be made (no such directory, read-only), it checks nothing: opening the database says why."""
    path = database.with_name(database.name + ".server-lock")
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise DatabaseInUse(
            f"another chat server is already serving {database}: SQLite serves one instance; "
            "stop the other one, or use PostgreSQL to run several (see 'Running several instances')"
        ) from None
    return descriptor
