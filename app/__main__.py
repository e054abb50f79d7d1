"""The command line: `python -m app` serves the chat, `python -m app migrate` upgrades the schema."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from app.config import ConfigError, Settings, load_settings

FROZEN = bool(getattr(sys, "frozen", False))  # the single-file binary (`make binary`)


def parse_args(argv: list[str]) -> argparse.Namespace:
    prog = "chat" if FROZEN else "python -m app"
    parser = argparse.ArgumentParser(prog=prog, description="Real-time guest chat.")
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve", "migrate"],
        default="serve",
        help="serve the chat (default) or bring the database schema up to date",
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
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {"host": args.host, "port": args.port, "database_url": args.db}
    return load_settings(**{key: value for key, value in overrides.items() if value is not None})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = settings_from(args)
    except ConfigError as error:
        print(f"chat: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("NICEGUI_STORAGE_PATH", str(settings.data_dir / "nicegui"))
    if FROZEN:
        args.reload = False  # nothing to reload in the binary, and its files are unpacked in a temp folder
    if args.command == "migrate":
        from app.store.migrate import upgrade

        upgrade(settings.sync_url)
        print(f"chat: database schema is up to date ({settings.database_url})")
        return 0
    from app.main import serve

    serve(settings, reload=bool(args.reload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
