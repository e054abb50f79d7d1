"""Which background parts a chat runs is decided once, in `build_chat`; `Chat` starts them in order and
stops them in the reverse one, whatever they are."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from app.background import BackgroundLoop, Part
from app.chat.cluster_presence import ClusterPresence
from app.chat.pg_bus import PgBus
from app.config import load_settings
from app.main import Chat, build_chat


class FakePart:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    def start(self) -> None:
        self.calls.append(f"start {self.name}")

    async def stop(self) -> None:
        self.calls.append(f"stop {self.name}")


async def test_chat_starts_its_parts_in_order_and_stops_them_in_reverse(tmp_path: Path) -> None:
    chat = build_chat(load_settings(database_url=f"sqlite:///{tmp_path / 'chat.db'}", data_dir=tmp_path))
    try:
        calls: list[str] = []
        chat.parts = tuple(cast(Part, FakePart(name, calls)) for name in ("bus", "presence", "watch"))
        await chat.start()
        assert calls == ["start bus", "start presence", "start watch"]
        await chat.stop()
        assert calls[3:] == ["stop watch", "stop presence", "stop bus"]
    finally:
        await chat.store.engine.dispose()


def names(chat: Chat) -> list[str]:
    return [part.name if isinstance(part, BackgroundLoop) else type(part).__name__ for part in chat.parts]


async def test_build_chat_decides_the_parts(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'chat.db'}"
    postgres = "postgresql://chat@127.0.0.1:1/chat"  # never connected to: building does not connect
    chats = [
        build_chat(load_settings(database_url=sqlite, data_dir=tmp_path)),
        build_chat(load_settings(database_url=sqlite, data_dir=tmp_path, retention_days=30)),
        build_chat(load_settings(database_url=postgres, data_dir=tmp_path)),
        build_chat(load_settings(database_url=postgres, data_dir=tmp_path, chat_bus="local")),
    ]
    try:
        assert [names(chat) for chat in chats] == [
            ["chat deletion watch"],
            ["chat deletion watch", "chat retention"],
            ["PgBus", "ClusterPresence", "chat deletion watch"],
            ["chat deletion watch"],
        ]
        assert chats[2].parts[:2] == (chats[2].bus, chats[2].presence)
        assert isinstance(chats[2].bus, PgBus) and isinstance(chats[2].presence, ClusterPresence)
    finally:
        for chat in chats:
            await chat.store.engine.dispose()
