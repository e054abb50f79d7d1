"""Telemetry of deletes: the counter `chat.messages.deleted` by reason, the `chat.retention` span in the
server, and the `delete-message` command exporting its span and count over OTLP/HTTP from its own process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.chat.moderation import Retention, delete_message
from app.config import Settings
from app.main import Chat, run_retention
from app.store.models import Message
from app.telemetry import Telemetry
from tests.telemetry.conftest import Metrics
from tests.telemetry.receiver import OtlpReceiver, attributes
from tests.telemetry.server import until


async def test_operator_and_retention_deletes_are_counted_by_reason(
    chat: Chat, telemetry: Telemetry, spans: InMemorySpanExporter, metrics: Metrics
) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    async with chat.store._sessions() as session:
        session.add_all(Message(author="ann", text=f"old {i}", created_at=old) for i in range(3))
        await session.commit()
    fresh = await chat.store.add("eve", "abusive")
    assert fresh.id is not None
    assert await delete_message(chat.store, fresh.id, "abuse", telemetry.chat_metrics()) == "deleted"
    chat.retention = Retention(
        chat.store, chat.bus, 30, telemetry.chat_metrics(), now=lambda: old + timedelta(days=31)
    )
    await run_retention(chat.retention)

    assert sorted(metrics.points("chat.messages.deleted"), key=str) == [
        ({"chat.reason": "operator"}, 1),
        ({"chat.reason": "retention"}, 3),
    ]
    [run] = [s for s in spans.get_finished_spans() if s.name == "chat.retention"]
    assert run.parent is None
    assert run.attributes == {"chat.retention.days": 30, "chat.messages.deleted": 3}


async def test_the_command_exports_its_span_and_count(
    settings: Settings, tmp_path: Path, receiver: tuple[OtlpReceiver, str]
) -> None:
    got, endpoint = receiver
    from app.store.database import create_engine
    from app.store.messages import MessageStore

    store = MessageStore(create_engine(settings.async_url))
    message = await store.add("eve", "abusive")
    await store.engine.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OTEL_"))},
        "DATABASE_URL": settings.database_url,
        "CHAT_DATA_DIR": str(tmp_path / "data"),
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
    }
    command = [sys.executable, "-m", "app", "delete-message", str(message.id)]
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, f"deleted {message.id}\n"), result.stderr
    await until(lambda: "chat.delete_message" in got.span_names(), 10, "the command's span")
    await until(lambda: "chat.messages.deleted" in got.metric_names(), 10, "the command's count")
    [span] = [r.item for r in got.spans if r.item.name == "chat.delete_message"]
    assert attributes(span.attributes) == {
        "chat.message.id": message.id,
        "chat.delete.outcome": "deleted",
        "chat.messages.deleted": 1,
    }
    [counter] = [r.item for r in got.metrics if r.item.name == "chat.messages.deleted"]
    [point] = counter.sum.data_points
    assert (point.as_int, attributes(point.attributes)) == (1, {"chat.reason": "operator"})
