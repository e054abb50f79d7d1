"""The `delete-message` command's telemetry from its own process: its span and count exported over
OTLP/HTTP, and no wait nor warning when no collector is there (the deadlines: tests/unit/telemetry/
test_one_shot.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from app.config import Settings
from tests.support.databases import store_on
from tests.support.otlp_receiver import OtlpReceiver, attributes
from tests.support.ports import free_port
from tests.support.wait import until


async def delete_message(settings: Settings, tmp_path: Path, endpoint: str) -> tuple[int, str, str, int]:
    """`python -m app delete-message ID` of a message just stored, exporting to `endpoint`: its exit code,
    stdout and stderr, and the id."""
    async with store_on(settings.database_url) as store:
        message = await store.add("eve", "abusive")
    assert message.id is not None
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
    return result.returncode, result.stdout, result.stderr, message.id


async def test_the_command_exports_its_span_and_count(
    settings: Settings, tmp_path: Path, receiver: tuple[OtlpReceiver, str]
) -> None:
    got, endpoint = receiver
    code, out, err, message_id = await delete_message(settings, tmp_path, endpoint)
    assert (code, out) == (0, f"deleted {message_id}\n"), err
    await until(lambda: "chat.delete_message" in got.span_names(), "the command's span", 10)
    await until(lambda: "chat.messages.deleted" in got.metric_names(), "the command's count", 10)
    [span] = [r.item for r in got.spans if r.item.name == "chat.delete_message"]
    assert attributes(span.attributes) == {
        "chat.message.id": message_id,
        "chat.delete.outcome": "deleted",
        "chat.messages.deleted": 1,
    }
    [counter] = [r.item for r in got.metrics if r.item.name == "chat.messages.deleted"]
    [point] = counter.sum.data_points
    assert (point.as_int, attributes(point.attributes)) == (1, {"chat.reason": "operator"})


async def test_without_a_collector_it_prints_no_warning(settings: Settings, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    code, out, err, message_id = await delete_message(settings, tmp_path, closed)
    assert (code, out) == (0, f"deleted {message_id}\n"), err
    assert "telemetry" not in err and "warning" not in err.lower(), err
