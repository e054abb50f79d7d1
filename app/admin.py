"""Operator commands: `python -m app delete-message ID` and `python -m app list-messages`.

Plain, scriptable output on stdout (one line per message or per delete); errors are one line on stderr
starting with `chat:`. Exit codes: 0 done, 1 failed (unknown id, database unusable), 2 bad usage or setting.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta

from app.chat.moderation import delete_message
from app.chat.rules import RuleViolation, clean_name
from app.config import ConfigError, Settings, load_settings
from app.store.database import create_engine
from app.store.errors import describe_db_error
from app.store.messages import DeleteOutcome, MessageStore
from app.store.migrate import current_revision_sync, schema_state
from app.store.models import DELETED_REASON_LENGTH, Message, as_utc
from app.store.sqlite_lock import missing_sqlite_file

EXIT_FAILED, EXIT_USAGE = 1, 2
MAX_ID = 2**63 - 1
DEFAULT_LIMIT = 100
MAX_LIMIT = 100_000
RELATIVE = re.compile(r"(\d{1,6})([smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def message_id(value: str) -> int:
    if not re.fullmatch(r"\d{1,19}", value.strip()) or not 0 < int(value) <= MAX_ID:
        raise argparse.ArgumentTypeError(f"a message id is a whole number from 1 up, got {value!r}")
    return int(value)


def limit(value: str) -> int:
    if not re.fullmatch(r"\d{1,7}", value.strip()) or not 0 < int(value) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_LIMIT}, got {value!r}")
    return int(value)


def since(value: str, now: datetime | None = None) -> datetime:
    """`30m`, `1h`, `2d`, `90s` ago, or an ISO-8601 time (UTC when it names no offset)."""
    relative = RELATIVE.fullmatch(value.strip())
    if relative:
        amount, unit = relative.groups()
        return (now or datetime.now(UTC)) - timedelta(**{UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration like 30m, 1h, 2d or an ISO-8601 time like 2026-11-29T14:00, got {value!r}"
        ) from None
    return as_utc(moment)


def author(value: str) -> str:
    try:
        return clean_name(value)
    except RuleViolation as violation:
        raise argparse.ArgumentTypeError(f"not a possible name: {violation.text}") from None


def parse_args(argv: list[str], prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description="Operator commands of the chat.")
    commands = parser.add_subparsers(dest="command", required=True)
    delete = commands.add_parser(
        "delete-message",
        help="delete a message: gone from every open tab and from history",
        description="Delete a message: it disappears from every open tab (every instance) and from history; "
        "its row stays as a tombstone with the time and reason, its text erased. "
        "Prints `deleted ID` (exit 0); `already deleted ID` (exit 0); an unknown id exits 1.",
    )
    delete.add_argument("id", type=message_id, metavar="ID", help="the message id (see list-messages)")
    delete.add_argument(
        "--reason",
        metavar="TEXT",
        help=f"why, kept with the tombstone (at most {DELETED_REASON_LENGTH} characters)",
    )
    delete.add_argument("--db", metavar="URL", help="database URL (overrides DATABASE_URL)")
    listing = commands.add_parser(
        "list-messages",
        help="list messages, tab-separated: id, time (UTC), author, text",
        description="One line per message, oldest first, tab-separated: id, time (ISO-8601, UTC), author, "
        "text (backslash, tab, line feed and carriage return escaped as \\\\, \\t, \\n, \\r). "
        "Deleted messages are not listed.",
    )
    listing.add_argument("--author", type=author, metavar="NAME", help="only this name (exact, case matters)")
    listing.add_argument(
        "--since",
        type=since,
        metavar="WHEN",
        help="only messages since: 30m, 1h, 2d, 90s, or an ISO-8601 time",
    )
    listing.add_argument(
        "--limit",
        type=limit,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most the newest N of them (default {DEFAULT_LIMIT})",
    )
    listing.add_argument("--db", metavar="URL", help="database URL (overrides DATABASE_URL)")
    return parser.parse_args(argv)


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def line(message: Message) -> str:
    at = as_utc(message.created_at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{message.id}\t{at}\t{escape(message.author)}\t{escape(message.text)}"


def fail(message: object, code: int = EXIT_FAILED) -> int:
    print(f"chat: {message}", file=sys.stderr)
    return code


def schema_problem(settings: Settings) -> str | None:
    """Why the database cannot be used as is, before touching it (a missing SQLite file is not created)."""
    if settings.is_sqlite and (path := missing_sqlite_file(settings.sync_url)) is not None:
        return f"no database at {path} (start the chat once, or run python -m app migrate)"
    state = schema_state(current_revision_sync(settings.sync_url))
    if state == "pending":
        where = settings.masked_database_url
        return f"the database schema is not up to date ({where}): run python -m app migrate"
    if state == "unknown":
        return f"the database {settings.masked_database_url} has a schema newer than this version of the chat"
    return None


async def run_delete(settings: Settings, args: argparse.Namespace) -> int:
    from opentelemetry import trace

    from app.telemetry import names, start_telemetry
    from app.telemetry.pipeline import ONE_SHOT

    telemetry = start_telemetry(settings, ONE_SHOT)  # waits at most a second for a collector at exit
    store = MessageStore(create_engine(settings.async_url))
    store.notify_deletions = settings.cluster  # the servers' bus listeners hear of it at once
    try:
        tracer = trace.get_tracer(__name__)
        with tracer.start_as_current_span(
            names.DELETE_MESSAGE, attributes={names.MESSAGE_ID: args.id}
        ) as span:
            outcome: DeleteOutcome = await delete_message(
                store, args.id, args.reason, telemetry.chat_metrics()
            )
            span.set_attribute(names.DELETE_OUTCOME, outcome)
    finally:
        await store.engine.dispose()
        await asyncio.to_thread(telemetry.shutdown)
    if outcome == "unknown":
        return fail(f"no message {args.id}")
    print(f"{outcome} {args.id}")
    return 0


async def run_list(settings: Settings, args: argparse.Namespace) -> int:
    store = MessageStore(create_engine(settings.async_url))
    try:
        rows = await store.listing(author=args.author, since=args.since, limit=args.limit)
    finally:
        await store.engine.dispose()
    for row in rows:
        print(line(row))
    return 0


def run_admin(argv: list[str], prog: str) -> int:
    args = parse_args(argv, prog)  # exits 2 on bad usage, like argparse does
    overrides = {"database_url": args.db} if args.db else {}
    try:
        settings = load_settings(require_secret=False, **overrides)
    except ConfigError as error:
        return fail(error, EXIT_USAGE)
    command = run_delete if args.command == "delete-message" else run_list
    try:
        problem = schema_problem(settings)
        if problem:
            return fail(problem)
        return asyncio.run(command(settings, args))
    except Exception as error:  # the database refused or is away: one line, no traceback
        return fail(describe_db_error(error, settings.sync_url))
