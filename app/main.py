"""Wiring: settings → store → domain → UI, and the server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from fastapi.responses import JSONResponse

from app.chat.bus import LocalBus
from app.chat.presence import Presence
from app.chat.service import ChatService
from app.config import Settings
from app.health import health
from app.store.database import create_engine
from app.store.messages import MessageStore
from app.store.migrate import upgrade
from app.telemetry import Telemetry, start_telemetry
from app.ui.chat_page import ChatParts, chat_page
from app.ui.fanout import RoomFanout

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "ui" / "static"


@dataclass
class Chat:
    """Everything one process runs, built from the settings."""

    settings: Settings
    store: MessageStore
    bus: LocalBus
    presence: Presence
    service: ChatService


def build_chat(settings: Settings, telemetry: Telemetry | None = None) -> Chat:
    telemetry = telemetry or Telemetry()
    engine = create_engine(settings.async_url)
    telemetry.instrument_engine(engine)
    store = MessageStore(engine)
    bus = LocalBus()
    metrics = telemetry.chat_metrics()
    service = ChatService(
        store, bus, history_limit=settings.history_limit, rate_limit=settings.rate_limit, metrics=metrics
    )
    presence = Presence(bus, metrics)
    return Chat(settings=settings, store=store, bus=bus, presence=presence, service=service)


def install(chat: Chat, telemetry: Telemetry | None = None) -> ChatParts:
    """Register the HTTP routes, static files and lifecycle hooks on NiceGUI's app (before `ui.run`)."""
    from nicegui import app, core

    telemetry = telemetry or Telemetry()
    fanout = RoomFanout(chat.bus, core.sio, telemetry.broadcast_timer())
    telemetry.instrument_app(app)
    telemetry.observe(lambda: len(chat.presence.online_users()), fanout.tab_count)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return await health(chat.store)

    app.add_static_files("/chat-static", STATIC_DIR)
    app.on_startup(fanout.start)

    async def shutdown() -> None:
        await fanout.stop()
        await chat.store.engine.dispose()

    app.on_shutdown(shutdown)
    return ChatParts(chat.service, chat.presence, fanout, chat.settings.tab_messages)


def serve(settings: Settings, *, reload: bool) -> None:
    """Migrate (unless CHAT_AUTO_MIGRATE=0) and serve the chat until stopped."""
    from nicegui import app, ui

    if settings.auto_migrate:
        upgrade(settings.sync_url)
    telemetry = start_telemetry(settings)
    parts = install(build_chat(settings, telemetry), telemetry)

    async def stop_telemetry() -> None:  # after install's hooks: the last spans are those of the shutdown
        await asyncio.to_thread(telemetry.shutdown)  # bounded, even with a hung collector

    app.on_shutdown(stop_telemetry)
    ui.run(
        chat_page(parts),
        host=settings.host,
        port=settings.port,
        title="Chat",
        reload=reload,
        show=False,
        storage_secret=settings.resolved_storage_secret(),
        favicon="💬",
        reconnect_timeout=3.0,
        log_config=None,  # uvicorn logs through the root handler of app/log_format.py (JSON in prod)
        uvicorn_reload_dirs=str(Path(__file__).parent),
        dark=None,  # follow the system setting
        # on phones the on-screen keyboard shrinks the layout, so the composer stays above it
        viewport="width=device-width, initial-scale=1, interactive-widget=resizes-content",
    )
