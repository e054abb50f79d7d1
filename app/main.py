"""Wiring: settings → store → domain → UI, and the server.

The chat is a FastAPI app built by `mount_chat`: `python -m app` serves it with uvicorn (`serve`), and a team
that already runs a FastAPI service mounts it into theirs with the same call. One code path for both.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from opentelemetry import trace

from app.chat.bus import Bus, LocalBus
from app.chat.cluster_presence import EXPIRY_SECONDS, ClusterPresence, instance_id
from app.chat.moderation import (
    RETENTION_INTERVAL_SECONDS,
    WATCH_SECONDS_CLUSTER,
    WATCH_SECONDS_LOCAL,
    DeletionWatch,
    Retention,
    every,
)
from app.chat.pg_bus import PgBus
from app.chat.presence import Presence
from app.chat.service import ChatService
from app.chat.tab_count import TabCount
from app.config import Settings, load_settings
from app.debug_stats import debug_stats
from app.gc_policy import GcPolicy
from app.log_format import configure_logging
from app.patches import InternalsMoved, check_all
from app.patches.engineio import limit_http_buffer
from app.store.database import create_engine
from app.store.errors import DatabaseUnavailable, DatabaseUnreachable
from app.store.messages import MessageStore
from app.store.migrate import upgrade
from app.store.migrate_later import MigrateLater
from app.store.presence import PresenceStore
from app.store.sqlite_lock import hold_server_lock, sqlite_file
from app.telemetry import Telemetry, names, start_telemetry
from app.transport import outbox_wakeup
from app.transport.event_guard import EventGuard
from app.transport.fanout import RoomFanout
from app.transport.send_queue import ConnectionCutter, SendQueueBound
from app.transport.socket_lane import SocketLane, socket_lane
from app.ui.chat_page import ChatParts, chat_page
from app.web.assets import serve_precompressed_assets
from app.web.headers import harden
from app.web.health import health
from app.web.server import ChatServer, exit_cleanly, uvicorn_options

log = logging.getLogger(__name__)

APP_DIR = Path(__file__).parent
STATIC_DIR = APP_DIR / "ui" / "static"
# after the "restarting" frame is queued, the sockets' writers get this long to put it on the wire
ANNOUNCE_SECONDS = 0.3


@dataclass
class Chat:
    """Everything one process runs, built from the settings."""

    settings: Settings
    store: MessageStore
    bus: Bus
    presence: Presence
    service: ChatService
    deletion_watch: DeletionWatch
    retention: Retention | None = None
    _tasks: tuple[asyncio.Task[None], ...] = ()

    async def start(self) -> None:
        if isinstance(self.bus, PgBus):
            self.bus.start()
        if isinstance(self.presence, ClusterPresence):
            self.presence.start()
        loop = asyncio.get_running_loop()
        watch_seconds = WATCH_SECONDS_CLUSTER if self.settings.cluster else WATCH_SECONDS_LOCAL
        watching = every(watch_seconds, self.deletion_watch.check, "looking for deleted messages")
        self._tasks = (loop.create_task(watching, name="chat deletion watch"),)
        if self.retention is not None:
            retention = every(RETENTION_INTERVAL_SECONDS, self._expire, "deleting old messages (retention)")
            self._tasks += (loop.create_task(retention, name="chat retention"),)

    async def _expire(self) -> None:
        assert self.retention is not None
        tracer = trace.get_tracer(__name__)
        with tracer.start_as_current_span(
            names.RETENTION, attributes={names.RETENTION_DAYS: self.retention.days}
        ):
            removed = await self.retention.run_once()
        if removed:
            log.info("retention: deleted %d messages older than %d days", removed, self.retention.days)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = ()
        if isinstance(self.presence, ClusterPresence):
            await self.presence.stop()
        if isinstance(self.bus, PgBus):
            await self.bus.stop()


def build_chat(settings: Settings, telemetry: Telemetry | None = None) -> Chat:
    """The one place that chooses the bus: PostgreSQL's LISTEN/NOTIFY and the presence table when the
    database is PostgreSQL (unless CHAT_BUS=local), the in-process bus otherwise."""
    telemetry = telemetry or Telemetry()
    engine = create_engine(settings.async_url)
    telemetry.instrument_engine(engine)
    metrics = telemetry.chat_metrics()
    store = MessageStore(engine)
    bus: Bus
    presence: Presence
    if settings.cluster:
        pg_bus = PgBus(store, settings.async_url, metrics, telemetry.trace_propagation())
        store.announce = pg_bus.payload  # every INSERT notifies, in its own transaction
        presence = ClusterPresence(
            pg_bus,
            PresenceStore(engine, EXPIRY_SECONDS),
            instance_id(settings.port, settings.data_dir),
            metrics,
        )
        bus = pg_bus
    else:
        bus = LocalBus()
        presence = Presence(bus, metrics)
    service = ChatService(
        store,
        bus,
        history_limit=settings.history_limit,
        rate_limit=settings.rate_limit,
        rename_limit=settings.rename_limit,
        metrics=metrics,
    )
    retention = None
    if settings.retention_days is not None:
        retention = Retention(store, bus, settings.retention_days, metrics)
    return Chat(
        settings=settings,
        store=store,
        bus=bus,
        presence=presence,
        service=service,
        deletion_watch=DeletionWatch(store, bus),
        retention=retention,
    )


def install(chat: Chat, telemetry: Telemetry | None = None) -> ChatParts:
    """Register the HTTP routes, static files and lifecycle hooks on NiceGUI's app."""
    from nicegui import app, core

    telemetry = telemetry or Telemetry()
    fanout = RoomFanout(chat.bus, core.sio, telemetry.broadcast_timer())
    send_queues = SendQueueBound(core.sio.eio, chat.settings.ws_queue_bytes)
    send_queues.install()
    outbox_wakeup.install()
    app.add_middleware(ConnectionCutter, bound=send_queues)
    limit_http_buffer(core.sio.eio, chat.settings.ws_max_message_bytes)  # also a long-poll POST's body
    telemetry.instrument_app(app)
    telemetry.observe(
        lambda: len(chat.presence.local_users()),
        fanout.tab_count,
        (lambda: len(chat.presence.online_users())) if isinstance(chat.presence, ClusterPresence) else None,
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return await health(chat.store, chat.bus)

    if chat.settings.debug_stats:

        @app.get("/debugz", include_in_schema=False)
        async def debugz() -> JSONResponse:
            return JSONResponse(debug_stats(chat.store.engine, fanout, chat.bus))

    app.add_static_files("/chat-static", STATIC_DIR)
    EventGuard(core.sio, event_rate=chat.settings.event_rate).install()
    app.on_startup(fanout.start)
    app.on_startup(chat.start)
    monitor = telemetry.runtime_monitor()
    if monitor:
        app.on_startup(monitor.start)
    gc_policy = GcPolicy()
    app.on_connect(lambda client: gc_policy.tab_opened(client.id))
    app.on_delete(lambda client: gc_policy.tab_closed(client.id))
    app.on_startup(gc_policy.start)

    async def shutdown() -> None:
        await gc_policy.stop()
        if monitor:
            await monitor.stop()
        await fanout.stop()
        await chat.stop()
        await chat.store.engine.dispose()

    app.on_shutdown(shutdown)
    tabs = TabCount(chat.settings.max_tabs_per_ip, chat.settings.max_tabs)
    return ChatParts(
        chat.service, chat.presence, fanout, chat.settings.tab_messages, tabs, chat.settings.send_timeout
    )


@dataclass(frozen=True)
class MountedChat:
    """What `mount_chat` leaves behind: the hook a server calls before it closes the tabs' connections."""

    parts: ChatParts

    async def announce_shutdown(self) -> None:
        """Tell every connected tab that the server is going away, so it shows "Reconnecting…" at once."""
        try:
            await self.parts.fanout.announce_restart()
            await asyncio.sleep(ANNOUNCE_SECONDS)
        except Exception:  # a failed notice must not stop the shutdown
            log.exception("telling the tabs about the shutdown failed")


def migrate_on_start(settings: Settings) -> None:
    """Migrate before serving. A database that is merely out of reach does not stop the start: the server
    serves "unavailable" (503) and migrates in the background as soon as the database answers. A missing
    database or a refused login is a mistake in the settings: DatabaseUnavailable, the start stops."""
    from nicegui import app

    try:
        upgrade(settings.sync_url)
    except DatabaseUnreachable as error:
        log.warning(
            "%s; serving anyway: /healthz answers 503 and the page says the chat is unavailable until the "
            "database answers, then the start-up migration runs by itself",
            error,
        )
        later = MigrateLater(settings.sync_url)
        app.on_startup(later.start)
        app.on_shutdown(later.stop)


def mount_chat(host: FastAPI, settings: Settings | None = None, *, path: str | None = None) -> MountedChat:
    """Mount the chat into the FastAPI app `host` at `path` (default: `CHAT_ROOT_PATH`, or `/`).

    Migrates first (unless CHAT_AUTO_MIGRATE=0), starts telemetry, and serves the page, its static files,
    the websocket and `/healthz` under the path. Call it once per process, before the app starts.
    """
    from nicegui import app, ui
    from nicegui.version import __version__ as nicegui_version

    check_all()  # every library whose insides app/patches/ touches, before anything is installed
    settings = settings or load_settings()
    mount_path = path if path is not None else settings.root_path or "/"
    settings.prepare_data_dir()
    if settings.auto_migrate:
        migrate_on_start(settings)
    telemetry = start_telemetry(settings)
    parts = install(build_chat(settings, telemetry), telemetry)

    async def stop_telemetry() -> None:  # after install's hooks: the last spans are those of the shutdown
        await asyncio.to_thread(telemetry.shutdown)  # bounded, even with a hung collector

    app.on_shutdown(stop_telemetry)
    ui.run_with(
        host,
        root=chat_page(parts),
        mount_path=mount_path,
        title="Chat",
        favicon="💬",
        language="en-US",
        reconnect_timeout=3.0,
        dark=None,  # follow the system setting
        # on phones the on-screen keyboard shrinks the layout, so the composer stays above it
        viewport="width=device-width, initial-scale=1, interactive-widget=resizes-content",
        storage_secret=settings.resolved_storage_secret(),
        session_middleware_kwargs={"https_only": settings.cookie_secure, "same_site": "lax"},
        show_welcome_message=False,
    )
    serve_precompressed_assets(
        app, settings.data_dir, STATIC_DIR, "/chat-static"
    )  # outside NiceGUI's middlewares, inside the headers
    # below the chat's path: no session, so no cookie (health probes and static files; a cache may keep them)
    harden(app, sessionless=("/healthz", "/chat-static/", f"/_nicegui/{nicegui_version}/"))
    return MountedChat(parts)


def create_app(settings: Settings) -> tuple[FastAPI, MountedChat]:
    """The standalone app: the chat mounted at `CHAT_ROOT_PATH` (or `/`) of an otherwise empty FastAPI app."""
    # FastAPI's own telemetry off: the chat's sub-app is instrumented (with its exclusions) by app/telemetry
    host = FastAPI(
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    return host, mount_chat(host, settings)


def app_from_environment() -> SocketLane:
    """uvicorn's app factory for `--reload`: each reloaded worker builds the app from the environment."""
    settings = load_settings()
    configure_logging(settings)
    try:
        return socket_lane(create_app(settings)[0], settings.root_path or "/")
    except (DatabaseUnavailable, InternalsMoved) as error:
        # one line, as without --reload; the reloader waits for a change
        print(f"chat: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def serve(settings: Settings, *, reload: bool) -> None:
    """Serve the chat until SIGTERM or SIGINT, then stop gracefully and return."""
    database_file = sqlite_file(settings.sync_url) if settings.is_sqlite else None
    if database_file is not None:
        hold_server_lock(database_file)  # released by the kernel when this process ends
    if reload:
        # The reloader only watches and restarts: the worker it spawns migrates, starts telemetry and serves.
        os.environ.update(DATABASE_URL=settings.database_url, HOST=settings.host, PORT=str(settings.port))
        uvicorn.run(
            "app.main:app_from_environment",
            factory=True,
            reload=True,
            reload_dirs=[str(APP_DIR)],
            reload_includes=["*.py", "*.js", "*.css"],
            **uvicorn_options(settings),  # type: ignore[arg-type]
        )
        return
    for stop_signal in (signal.SIGTERM, signal.SIGINT):  # a stop during start-up exits 0 too
        signal.signal(stop_signal, exit_cleanly)
    host, chat = create_app(settings)
    served = socket_lane(host, settings.root_path or "/")
    server = ChatServer(uvicorn.Config(served, **uvicorn_options(settings)), chat.announce_shutdown)  # type: ignore[arg-type]
    server.run()
    if not server.started:
        sys.exit(1)
