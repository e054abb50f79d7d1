"""GET /debugz (only with CHAT_DEBUG_STATS=1): counts that show leaks in a long run (bench/soak.py).

Tasks, threads, the pool's checked-out connections, tabs and bus subscribers: each should go back to
where it was when the tabs are gone. Nothing here names a user or a message.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.background import BackgroundLoop
from app.chat.bus import Bus
from app.transport.fanout import RoomFanout


def pool_counts(engine: AsyncEngine) -> dict[str, int]:
    """Connections of the engine's pool: checked out (in use) and idle; -1 where the pool does not say."""
    pool: Any = engine.pool
    counts = {}
    for name, method in (("checked_out", "checkedout"), ("idle", "checkedin")):
        counter = getattr(pool, method, None)
        counts[name] = int(counter()) if callable(counter) else -1
    return counts


def task_kind(task: asyncio.Task[Any]) -> str:
    """What the task runs; the background loops all run `BackgroundLoop.run`: their names tell them apart."""
    kind = getattr(task.get_coro(), "__qualname__", "?")
    return f"{kind} {task.get_name()}" if kind == BackgroundLoop.run.__qualname__ else kind


def debug_stats(engine: AsyncEngine, fanout: RoomFanout, bus: Bus) -> dict[str, Any]:
    from nicegui import Client

    tasks = asyncio.all_tasks()
    kinds = Counter(task_kind(task) for task in tasks)
    return {
        "tasks": len(tasks),
        "task_kinds": dict(kinds.most_common()),
        "threads": threading.active_count(),
        "pool": pool_counts(engine),
        "tabs": fanout.tab_count(),
        "clients": len(Client.instances),
        "bus_subscribers": bus.subscriber_count,
    }
