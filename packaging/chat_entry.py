"""The program inside the single-file binary (`make binary`): the command line of `python -m app`."""

import multiprocessing
import sys


def bundled_by_name() -> None:
    """Never called: it only shows PyInstaller modules the chat imports by name at run time.

    The database URL picks the driver and SQLAlchemy dialect (aiosqlite or psycopg, which loads psycopg_binary),
    and the production log setup may name its JSON formatter; PyInstaller bundles only what it sees imported.
    """
    import aiosqlite  # noqa: F401
    import psycopg  # noqa: F401
    import psycopg_binary  # noqa: F401
    import pythonjsonlogger.json  # noqa: F401
    import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
    import sqlalchemy.dialects.sqlite.aiosqlite  # noqa: F401
    import sqlalchemy.dialects.sqlite.pysqlite  # noqa: F401


if __name__ == "__main__":
    multiprocessing.freeze_support()  # first: a child process started by the binary must not run the command line

    from app.__main__ import main

    sys.exit(main())
