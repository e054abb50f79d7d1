"""Database failures in one line a person can act on, instead of a driver traceback."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from app.config import display_url


class DatabaseUnavailable(Exception):
    """The database cannot be used (absent, down, login refused); the message is one readable line."""


class DatabaseUnreachable(DatabaseUnavailable):
    """The database server is down or out of reach (refused, timed out, host unknown for now, going down):
    it may come back by itself, unlike a missing database or a refused login."""


# The driver's words for a server that is not there (yet), as opposed to one that answers "no".
UNREACHABLE = (
    "connection refused",
    "timeout expired",
    "timed out",
    "could not translate host name",
    "failed to resolve host",
    "name or service not known",
    "temporary failure in name resolution",
    "no route to host",
    "network is unreachable",
    "server closed the connection unexpectedly",
    "consuming input failed",
    "connection reset",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "terminating connection",
)


def is_unreachable(error: BaseException) -> bool:
    """Whether `error` says the database server is down or out of reach, rather than refusing us."""
    message = _root_message(error).lower()
    return any(words in message for words in UNREACHABLE)


def _root_message(error: BaseException) -> str:
    """The innermost driver message (SQLAlchemy wraps the driver's exception)."""
    seen: set[int] = set()
    current: BaseException | None = error
    message = str(error)
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        orig = getattr(current, "orig", None)
        message = str(orig if orig is not None else current)
        current = orig if orig is not None else (current.__cause__ or current.__context__)
    return message


def _parts(url: str) -> tuple[str, str, str, str]:
    """(host, port, user, database) of a URL, '' where absent."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "", "", "", ""
    return (parsed.host or "", str(parsed.port or ""), parsed.username or "", parsed.database or "")


def create_db_hint(url: str) -> str:
    host, port, user, database = _parts(url)
    command = ["createdb"]
    for flag, value in (("-h", host), ("-p", port), ("-U", user)):
        if value:
            command += [flag, value]
    command.append(database)
    return f"create it with `{' '.join(command)}` or `python -m app migrate --create-db`"


def describe_db_error(error: BaseException, url: str) -> str:
    """One line that says what is wrong with the database at `url` (password masked) and what to do."""
    shown = display_url(url)
    message = _root_message(error)
    lower = message.lower()
    host, port, user, _ = _parts(url)
    where = f"{host}:{port}" if port else host
    if url.startswith("sqlite"):
        if "unable to open database file" in lower:
            return f"cannot open the SQLite database {shown}: does its directory exist and is it writable?"
        return f"SQLite database {shown}: {_first_line(message)}"
    if match := re.search(r'database "([^"]+)" does not exist', message):
        return f'database "{match.group(1)}" does not exist on {where}; {create_db_hint(url)}'
    if match := re.search(r'role "([^"]+)" does not exist', message):
        return f'login refused by {where}: user "{match.group(1)}" does not exist (check the user in {shown})'
    if "password authentication failed" in lower or "no password supplied" in lower:
        return f'login refused by {where}: wrong or missing password for user "{user}" ({shown})'
    if "no pg_hba.conf entry" in lower or "authentication failed" in lower:
        return f"login refused by {where}: {_detail(message)} ({shown})"
    if "connection refused" in lower:
        return f"database server at {where} refused the connection: is PostgreSQL running there? ({shown})"
    if "server closed the connection unexpectedly" in lower:
        return (
            f"database server at {where} closed the connection at once: is it starting or stopping? ({shown})"
        )
    if "timeout expired" in lower or "timed out" in lower:
        return f"database server at {where} did not answer in time ({shown})"
    if "failed to resolve host" in lower or "could not translate host name" in lower:
        return f'database host "{host}" is unknown ({shown})'
    return f"cannot use the database {shown}: {_detail(message)}"


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def _detail(message: str) -> str:
    """The server's own words without psycopg's 'connection failed: connection to server at … failed:'."""
    line = _first_line(message)
    line = re.sub(r"^connection failed: ", "", line)
    line = re.sub(r'^connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed: ', "", line)
    return re.sub(r"^FATAL:\s+", "", line)


def connection_lost(error: BaseException) -> bool:
    """A query failed because its connection died or the server went away (the pool drops that
    connection), not because the database said no: worth one more try on a fresh connection."""
    if not isinstance(error, DBAPIError):
        return False
    return bool(error.connection_invalidated) or is_unreachable(error)
