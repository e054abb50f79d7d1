"""The `delete-message` command exporting its span and count over OTLP/HTTP from its own process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from app.config import Settings
from app.store.database import create_engine
from app.store.messages import MessageStore
from tests.support.otlp_receiver import OtlpReceiver, attributes
from tests.support.wait import until


async def test_the_command_exports_its_span_and_count(
    settings: Settings, tmp_path: Path, receiver: tuple[OtlpReceiver, str]
) -> None:
    got, endpoint = receiver
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
    await until(lambda: "chat.delete_message" in got.span_names(), "the command's span", 10)
    await until(lambda: "chat.messages.deleted" in got.metric_names(), "the command's count", 10)
    [span] = [r.item for r in got.spans if r.item.name == "chat.delete_message"]
    assert attributes(span.attributes) == {
        "chat.message.id": message.id,
        "chat.delete.outcome": "deleted",
        "chat.messages.deleted": 1,
    }
    [counter] = [r.item for r in got.metrics if r.item.name == "chat.messages.deleted"]
    [point] = counter.sum.data_points
    assert (point.as_int, attributes(point.attributes)) == (1, {"chat.reason": "operator"})
