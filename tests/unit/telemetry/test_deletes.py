"""Telemetry of deletes: the counter `chat.messages.deleted` by reason and the `chat.retention` span in the
server (the `delete-message` command's export: tests/process/telemetry/test_delete_command.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.chat.moderation import Retention, delete_message
from app.main import Chat, run_retention
from app.store.models import Message
from app.telemetry import Telemetry
from tests.unit.telemetry.conftest import Metrics


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
