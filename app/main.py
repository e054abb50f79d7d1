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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from opentelemetry import trace

from app.background import Closer, Part, start_all, stop_all
from app.chat.bus import Bus, LocalBus
from app.chat.cluster_presence import EXPIRY_SECONDS, ClusterPresence, instance_id
from app.chat.moderation import (
    RETENTION_INTERVAL_SECONDS,
    WATCH_SECONDS_CLUSTER,
    WATCH_SECONDS_LOCAL,
    DeletionWatch,
    Retention,
    periodic,
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
    """Everything one process runs, built from the settings. `parts` run in the background: `start` starts
    them in their order, `stop` stops them in the reverse one."""

    settings: Settings
    store: MessageStore
    bus: Bus
    presence: Presence
    service: ChatService
    deletion_watch: DeletionWatch
    retention: Retention | None = None
    parts: tuple[Part, ...] = ()

    async def start(self) -> None:
        start_all(self.parts)

    async def stop(self) -> None:
        await stop_all(self.parts)


def build_chat(settings: Settings, telemetry: Telemetry | None = None) -> Chat:
    """The one place that chooses the bus: PostgreSQL's LISTEN/NOTIFY and the presence table when the
    database is PostgreSQL (unless CHAT_BUS=local), the in-process bus otherwise. And so which parts run in
    the background, in this order: the bus's listener and the shared presence (with PostgreSQL), the
    deletion watch, retention (with CHAT_RETENTION_DAYS)."""
    telemetry = telemetry or Telemetry()
    engine = create_engine(settings.async_url)
    telemetry.instrument_engine(engine)
    metrics = telemetry.chat_metrics()
    store = MessageStore(engine)
    bus: Bus
    presence: Presence
    parts: list[Part] = []
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
        parts += [pg_bus, presence]
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
    deletion_watch = DeletionWatch(store, bus)
    watch_seconds = WATCH_SECONDS_CLUSTER if settings.cluster else WATCH_SECONDS_LOCAL
    parts.append(
        periodic("chat deletion watch", watch_seconds, deletion_watch.check, "looking for deleted messages")
    )
    retention = None
    if settings.retention_days is not None:
        retention = Retention(store, bus, settings.retention_days, metrics)
        parts.append(
            periodic(
                "chat retention",
                RETENTION_INTERVAL_SECONDS,
                partial(run_retention, retention),
                "deleting old messages (retention)",
            )
        )
    return Chat(
        settings=settings,
        store=store,
        bus=bus,
        presence=presence,
        service=service,
        deletion_watch=deletion_watch,
        retention=retention,
        parts=tuple(parts),
    )


async def run_retention(retention: Retention) -> None:
    """One run of retention, in a span of its own (it runs outside any request)."""
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span(names.RETENTION, attributes={names.RETENTION_DAYS: retention.days}):
        removed = await retention.run_once()
    if removed:
        log.info("retention: deleted %d messages older than %d days", removed, retention.days)


def install(
    chat: Chat, telemetry: Telemetry | None = None, *, first: Sequence[Part] = (), last: Sequence[Part] = ()
) -> ChatParts:
    """Install the chat on NiceGUI's app: the real-time transport, the routes, then one start and one stop
    for every background part. `first` are started before the chat's parts and stopped after them, `last`
    started after everything and stopped before."""
    telemetry = telemetry or Telemetry()
    fanout = install_transport(chat, telemetry)
    register_routes(chat, fanout)
    # started in this order and stopped in the reverse one, so a part stops before what it uses: at shutdown
    # `last`, the GC policy, the runtime monitor, the fan-out, the chat's parts, the pool, then `first`
    engine = Closer(chat.store.engine.dispose)
    register_lifecycle((*first, engine, *chat.parts, fanout, *process_parts(telemetry), *last))
    tabs = TabCount(chat.settings.max_tabs_per_ip, chat.settings.max_tabs)
    return ChatParts(
        chat.service,
        chat.presence,
        fanout,
        chat.settings.tab_messages,
        tabs,
        chat.settings.send_timeout,
        cookie_secure=chat.settings.cookie_secure,
    )


def install_transport(chat: Chat, telemetry: Telemetry) -> RoomFanout:
    """socket.io as the chat needs it: bounded send queues, guarded events, one fan-out to every tab;
    and telemetry's view of the requests and the room."""
    from nicegui import app, core

    fanout = RoomFanout(chat.bus, core.sio, telemetry.broadcast_timer())
    send_queues = SendQueueBound(core.sio.eio, chat.settings.ws_queue_bytes)
    send_queues.install()
    outbox_wakeup.install()
    EventGuard(core.sio, event_rate=chat.settings.event_rate).install()
    app.add_middleware(ConnectionCutter, bound=send_queues)
    limit_http_buffer(core.sio.eio, chat.settings.ws_max_message_bytes)  # also a long-poll POST's body
    telemetry.instrument_app(app)
    telemetry.observe(
        lambda: len(chat.presence.local_users()),
        fanout.tab_count,
        (lambda: len(chat.presence.online_users())) if isinstance(chat.presence, ClusterPresence) else None,
    )
    return fanout


def register_routes(chat: Chat, fanout: RoomFanout) -> None:
    """`/healthz`, `/debugz` (with CHAT_DEBUG_STATS) and the static files; the page is `mount_chat`'s."""
    from nicegui import app

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return await health(chat.store, chat.bus)

    if chat.settings.debug_stats:

        @app.get("/debugz", include_in_schema=False)
        async def debugz() -> JSONResponse:
            return JSONResponse(debug_stats(chat.store.engine, fanout, chat.bus))

    app.add_static_files("/chat-static", STATIC_DIR)


def process_parts(telemetry: Telemetry) -> tuple[Part, ...]:
    """What watches the process rather than the chat: the runtime monitor (when metrics are exported), and
    the GC policy, told about every tab that connects and goes."""
    from nicegui import app

    gc_policy = GcPolicy()
    app.on_connect(lambda client: gc_policy.tab_opened(client.id))
    app.on_delete(lambda client: gc_policy.tab_closed(client.id))
    monitor = telemetry.runtime_monitor()
    return (monitor, gc_policy) if monitor else (gc_policy,)


def register_lifecycle(parts: Sequence[Part]) -> None:
    """One start-up hook starts `parts` in their order; one shutdown hook stops them in the reverse one."""
    from nicegui import app

    def start() -> None:
        start_all(parts)

    async def stop() -> None:
        await stop_all(parts)

    app.on_startup(start)
    app.on_shutdown(stop)


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


def migrate_on_start(settings: Settings) -> MigrateLater | None:
    """Migrate before serving. A database that is merely out of reach does not stop the start: the server
    serves "unavailable" (503) and migrates in the background as soon as the database answers (the part
    returned). A missing database or a refused login is a mistake in the settings: DatabaseUnavailable, the
    start stops."""
    try:
        upgrade(settings.sync_url)
    except DatabaseUnreachable as error:
        log.warning(
            "%s; serving anyway: /healthz answers 503 and the page says the chat is unavailable until the "
            "database answers, then the start-up migration runs by itself",
            error,
        )
        return MigrateLater(settings.sync_url)
    return None


def mount_chat(host: FastAPI, settings: Settings | None = None, *, path: str | None = None) -> MountedChat:
    """Mount the chat into the FastAPI app `host` at `path` (default: `CHAT_ROOT_PATH`, or `/`).

    Migrates first (unless CHAT_AUTO_MIGRATE=0), starts telemetry, and serves the page, its static files,
    the websocket and `/healthz` under the path. Call it once per process, before the app starts.
    """
    check_all()  # every library whose insides app/patches/ touches, before anything is installed
    settings = settings or load_settings()
    settings.prepare_data_dir()
    migration = migrate_on_start(settings) if settings.auto_migrate else None
    telemetry = start_telemetry(settings)
    parts = install(
        build_chat(settings, telemetry),
        telemetry,
        # stopped after everything else: the last spans are those of the shutdown
        first=(Closer(lambda: asyncio.to_thread(telemetry.shutdown)),),  # bounded, even with a hung collector
        last=(migration,) if migration else (),  # stopped before everything else, as it always was
    )
    serve_page(host, parts, settings, path if path is not None else settings.root_path or "/")
    install_http_edge(settings)
    return MountedChat(parts)


def serve_page(host: FastAPI, parts: ChatParts, settings: Settings, mount_path: str) -> None:
    """NiceGUI, with the chat page as its root, mounted into `host` at `mount_path`."""
    from nicegui import ui

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


def install_http_edge(settings: Settings) -> None:
    """Precompressed static files and the security headers, outside NiceGUI's middlewares (after
    `ui.run_with`, which adds them)."""
    from nicegui import app
    from nicegui.version import __version__ as nicegui_version

    serve_precompressed_assets(
        app, settings.data_dir, STATIC_DIR, "/chat-static"
    )  # outside NiceGUI's middlewares, inside the headers
    # below the chat's path: no session, so no cookie (health probes and static files; a cache may keep them)
    harden(app, sessionless=("/healthz", "/chat-static/", f"/_nicegui/{nicegui_version}/"))


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
