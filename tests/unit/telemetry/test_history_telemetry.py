"""The paging handler's spans and counter, read from the SDK's in-memory exporter and reader."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.main import Chat
from tests.support.users import NewUser, until
from tests.unit.telemetry.conftest import Metrics
from tests.unit.telemetry.test_shape import named


async def test_a_page_is_a_handler_span_with_the_query_span_inside(
    new_user: NewUser, chat: Chat, spans: InMemorySpanExporter, metrics: Metrics
) -> None:
    posted = [await chat.service.post_message("Old", f"message {n}") for n in range(4)]
    ann = new_user()
    await ann.open("/")
    ann.find(marker="messages").trigger("page", {"before": posted[-1].id})
    await until(lambda: bool(named(spans, "chat.load_history")))
    ann.find(marker="messages").trigger("page", {"after": posted[0].id})
    await until(lambda: len(named(spans, "chat.load_history")) == 2)

    handler = named(spans, "chat.load_history")[0]
    assert handler.parent is None and handler.context is not None
    assert handler.attributes == {"chat.user.type": "guest"}
    older, newer = named(spans, "chat.history.page")
    assert older.parent is not None and older.parent.span_id == handler.context.span_id
    assert older.attributes == {"chat.history.before": posted[-1].id, "chat.history.count": 3}
    assert newer.attributes == {"chat.history.after": posted[0].id, "chat.history.count": 3}
    assert older.context is not None
    queries = [
        s for s in spans.get_finished_spans() if s.parent and s.parent.span_id == older.context.span_id
    ]
    assert any(s.name.startswith("SELECT") for s in queries), [s.name for s in queries]
    assert sorted(metrics.points("chat.history.pages"), key=str) == [
        ({"chat.history.direction": "newer"}, 1),
        ({"chat.history.direction": "older"}, 1),
    ]
