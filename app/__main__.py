"""The command line: `python -m app` serves the chat; `migrate` upgrades the schema and `check` checks."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from app.config import ConfigError, Settings, load_settings
from app.log_format import configure_logging
from app.patches import InternalsMoved
from app.store.errors import DatabaseUnavailable

EXIT_FAILED, EXIT_CONFIG = 1, 2

FROZEN = bool(getattr(sys, "frozen", False))  # the single-file binary (`make binary`)
ADMIN_COMMANDS = ("delete-message", "list-messages")  # see app/admin.py
# Every command with its one-line purpose, as `--help` lists them; the operator commands (ADMIN_COMMANDS)
# have their own options, shown by `COMMAND --help`.
COMMANDS = {
    "serve": "serve the chat (the default)",
    "migrate": "bring the database schema up to date (--create-db: create the database first)",
    "check": "check configuration, database, migrations and telemetry; exit 0 when nothing blocks",
    "delete-message": "delete a message from every open tab and from history: ID [--reason TEXT]",
    "list-messages": "list messages, tab-separated: [--author NAME] [--since 1h] [--limit N]",
}


def commands_section() -> str:
    """The `commands:` part of `--help`: one line per command, its name and its purpose."""
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {purpose}" for name, purpose in COMMANDS.items()]
    return "commands:\n" + "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    prog = "chat" if FROZEN else "python -m app"
    parser = argparse.ArgumentParser(
        prog=prog,
        description=f"Real-time guest chat.\n\n{commands_section()}",
        epilog=f"Each operator command has its own help, e.g. {prog} delete-message --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=[name for name in COMMANDS if name not in ADMIN_COMMANDS],
        default="serve",
        metavar="COMMAND",
        help="one of the commands above (default: serve)",
    )
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1, env HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080, env PORT)")
    parser.add_argument("--db", metavar="URL", help="database URL (overrides DATABASE_URL)")
    parser.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="restart on code changes (default: off)",
    )
    parser.add_argument(
        "--create-db",
        action="store_true",
        help="with migrate: create the PostgreSQL database first if it does not exist",
    )
    parser.add_argument("--migrate", action="store_true", help="with check: apply pending migrations")
    args = parser.parse_args(argv)
    if args.create_db and args.command != "migrate":
        parser.error("--create-db goes with migrate: python -m app migrate --create-db")
    if args.migrate and args.command != "check":
        parser.error("--migrate goes with check: python -m app check --migrate")
    return args


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    overrides = {"host": args.host, "port": args.port, "database_url": args.db}
    return {key: value for key, value in overrides.items() if value is not None}


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(**overrides_from(args))


def fail(message: object, code: int) -> int:
    print(f"chat: {message}", file=sys.stderr)
    return code


def migrate(settings: Settings, *, create_db: bool) -> int:
    from app.store.migrate import create_database, upgrade

    if create_db and create_database(settings.sync_url):
        print(f"chat: created the database {settings.masked_database_url}")
    upgrade(settings.sync_url)
    print(f"chat: database schema is up to date ({settings.masked_database_url})")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ADMIN_COMMANDS:
        from app.admin import run_admin

        return run_admin(argv, "chat" if FROZEN else "python -m app")
    args = parse_args(argv)
    if args.command == "check":
        from app.check import run_checks

        return run_checks(overrides_from(args), migrate=args.migrate)
    try:
        settings = settings_from(args)
        configure_logging(settings)
        settings.prepare_data_dir()
        if args.command == "serve":
            settings.resolved_storage_secret()  # a broken secret file stops here, not mid-start
    except ConfigError as error:
        return fail(error, EXIT_CONFIG)
    os.environ.setdefault("NICEGUI_STORAGE_PATH", str(settings.storage_path))
    if FROZEN:
        args.reload = False  # nothing to reload in the binary, and its files are unpacked in a temp folder
    try:
        if args.command == "migrate":
            return migrate(settings, create_db=args.create_db)
        from app.main import serve

        serve(settings, reload=bool(args.reload))
    except (DatabaseUnavailable, InternalsMoved) as error:
        return fail(error, EXIT_FAILED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
