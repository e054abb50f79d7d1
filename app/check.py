"""`python -m app check`: one line per check, for deploy scripts; exit 0 only when nothing blocks.

The checks: configuration, the storage secret, the database and its migrations, the OTLP collector, and the
insides of each library the chat patches (app/patches/).
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

from app.config import SECRET_FILE, ConfigError, Settings, load_settings, secret_problem
from app.store.sqlite_lock import missing_sqlite_file

OTLP_TIMEOUT_SECONDS = 1.0
EXIT_OK, EXIT_BLOCKED, EXIT_CONFIG = 0, 1, 2

Status = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True)
class Result:
    status: Status
    text: str

    def line(self) -> str:
        return f"{self.status:<5} {self.text}"

    @property
    def blocks(self) -> bool:
        return self.status == "FAIL"


def check_secret(settings: Settings) -> Result | None:
    """Prod: CHAT_STORAGE_SECRET present and strong. Dev: the generated secret file, if any, is usable."""
    if settings.is_prod:
        problem = secret_problem(settings)
        return (
            Result("FAIL", f"secret: {problem}") if problem else Result("ok", "secret (CHAT_STORAGE_SECRET)")
        )
    if settings.storage_secret or not (settings.data_dir / SECRET_FILE).exists():
        return None
    try:
        settings.resolved_storage_secret()
    except ConfigError as error:
        return Result("FAIL", f"secret: {error}")
    return Result("ok", f"secret (generated, {settings.data_dir / SECRET_FILE})")


def check_database(settings: Settings, migrate: bool) -> list[Result]:
    """The database answers; its schema is at the head revision (or gets there with `migrate`)."""
    from app.store.errors import DatabaseUnavailable
    from app.store.migrate import current_revision_sync, pending_count, schema_state, upgrade

    shown = settings.masked_database_url
    if settings.is_sqlite and missing_sqlite_file(settings.sync_url) is not None:
        current = None
        database = Result("ok", f"database {shown} (no file yet: created by migrate or on start)")
    else:
        try:
            current = current_revision_sync(settings.sync_url)
        except DatabaseUnavailable as error:
            return [Result("FAIL", f"database: {error}")]
        database = Result("ok", f"database {shown}")
    state = schema_state(current)
    if state == "ok":
        return [database, Result("ok", "migrations: schema is up to date")]
    if state == "unknown":
        return [
            database,
            Result(
                "FAIL",
                f"migrations: database at revision {current}, unknown to this version (did newer code run?)",
            ),
        ]
    count = pending_count(current)
    if migrate:
        try:
            upgrade(settings.sync_url)
        except DatabaseUnavailable as error:
            return [database, Result("FAIL", f"migrations: {error}")]
        return [database, Result("ok", f"migrations: applied {count}, schema is up to date")]
    advice = "run python -m app migrate, or check --migrate"
    if settings.auto_migrate:
        return [
            database,
            Result(
                "warn",
                f"migrations: {count} pending (applied on start as CHAT_AUTO_MIGRATE is on; or {advice})",
            ),
        ]
    return [database, Result("FAIL", f"migrations: {count} pending ({advice})")]


def check_otlp(settings: Settings) -> Result | None:
    """A TCP connect to the collector, bounded by OTLP_TIMEOUT_SECONDS; never blocks the deploy."""
    if settings.otel_disabled:
        return Result("ok", "telemetry off (OTEL_SDK_DISABLED=true)")
    parts = urlsplit(settings.otel_endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=OTLP_TIMEOUT_SECONDS):
            pass
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else (error.strerror or str(error))
        return Result(
            "warn",
            f"OTLP endpoint {settings.otel_endpoint} unreachable ({reason}; "
            "telemetry will retry; not blocking)",
        )
    return Result("ok", f"OTLP endpoint {settings.otel_endpoint} reachable")


def check_internals() -> list[Result]:
    """One line per library whose insides app/patches/ touches: in place, or what moved (blocks)."""
    from app.patches import report

    return [Result("ok" if row.ok else "FAIL", row.text()) for row in report()]


def run_checks(overrides: dict[str, Any], *, migrate: bool = False, out: TextIO = sys.stdout) -> int:
    """Print one line per check; EXIT_OK, EXIT_BLOCKED (a check failed) or EXIT_CONFIG (bad settings)."""
    try:
        settings = load_settings(require_secret=False, **overrides)
    except ConfigError as error:
        print(Result("FAIL", f"configuration: {error}").line(), file=out)
        return EXIT_CONFIG
    results: list[Result] = []

    def report(result: Result | None) -> None:
        if result is not None:
            print(result.line(), file=out, flush=True)
            results.append(result)

    report(Result("ok", f"configuration ({settings.chat_env})"))
    report(check_secret(settings))
    for result in check_database(settings, migrate):
        report(result)
    report(check_otlp(settings))
    for result in check_internals():
        report(result)
    return EXIT_BLOCKED if any(result.blocks for result in results) else EXIT_OK
