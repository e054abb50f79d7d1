"""GET /healthz: the database answers and its schema is the one this code needs."""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi.responses import JSONResponse

from app.chat.bus import Bus
from app.chat.pg_bus import PgBus
from app.store.messages import MessageStore
from app.store.migrate import current_revision, head_revision, schema_state

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0


async def health(store: MessageStore, bus: Bus | None = None) -> JSONResponse:
    """The database's health, and with the PostgreSQL bus `"bus": "ok"|"error"`: 503 also when its
    listener has been without a connection for more than 10 s."""
    response = await database_health(store)
    if not isinstance(bus, PgBus):
        return response
    body = json.loads(bytes(response.body))
    body["bus"] = "ok" if bus.healthy() else "error"
    if body["bus"] == "error":
        body["status"] = "error"
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


async def database_health(store: MessageStore) -> JSONResponse:
    """200 when the database answers within HEALTH_TIMEOUT seconds and is migrated to the head revision;
    503 when it does not answer (`"database": "error"`) or migrations are pending (`"schema": "pending"`)."""
    head_revision()  # read once from the packaged migrations, outside the timeout
    try:
        current = await asyncio.wait_for(current_revision(store.engine), HEALTH_TIMEOUT)
    except Exception as error:  # any failure, including a hang, means "not healthy"
        log.warning("health check failed: %r", error)
        return JSONResponse({"status": "error", "database": "error"}, status_code=503)
    schema = schema_state(current)
    if schema != "ok":
        log.warning(
            "health check: database schema is %s (at %s, code needs %s)",
            schema,
            current or "no revision",
            head_revision(),
        )
        return JSONResponse({"status": "error", "database": "ok", "schema": schema}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "schema": "ok"})
