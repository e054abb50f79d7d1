"""The socket guard's checks that need no server (the rest: tests/hardening against a real one)."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from app.transport.event_guard import LOG_MAX_CHARS, MAX_SOCKETS_PER_CLIENT, EventGuard, clean_log_text


def test_browser_log_text_is_one_line_and_capped() -> None:
    assert clean_log_text("a\nb\r\nc\x00d\x1b[31m\u2028e\x85f") == "a b  c d [31m e f"
    assert clean_log_text("x" * LOG_MAX_CHARS) == "x" * LOG_MAX_CHARS
    assert clean_log_text("x" * (LOG_MAX_CHARS + 1)) == "x" * LOG_MAX_CHARS + "…"
    assert clean_log_text("ok é 😀") == "ok é 😀"


GOOD = {"client_id": "c", "tab_id": "t", "document_id": "d"}


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"client_id": "c"},
        {**GOOD, "client_id": 5},
        {**GOOD, "tab_id": ""},
        {**GOOD, "document_id": "d" * 65},
        {**GOOD, "old_tab_id": 1},
        {**GOOD, "next_message_id": "x"},
        {**GOOD, "next_message_id": "-1"},
        {**GOOD, "next_message_id": True},
        {**GOOD, "next_message_id": "\u0661"},  # a digit, but not an ASCII one
    ],
)
def test_bad_handshakes_are_named(data: Any) -> None:
    assert EventGuard(socketio.AsyncServer())._handshake_problem(data) is not None


@pytest.mark.parametrize(
    "data",
    [GOOD, {**GOOD, "old_tab_id": None}, {**GOOD, "next_message_id": "12"}, {**GOOD, "next_message_id": 3}],
)
def test_good_handshakes_pass(data: Any) -> None:
    assert EventGuard(socketio.AsyncServer())._handshake_problem(data) is None


def test_sockets_per_page_are_bounded() -> None:
    guard = EventGuard(socketio.AsyncServer())
    for n in range(MAX_SOCKETS_PER_CLIENT):
        assert guard._handshake_problem(GOOD) is None
        guard._sockets[f"sid{n}"] = _state()
        guard._bind(f"sid{n}", "c")
    assert guard._handshake_problem(GOOD) is not None
    guard._forget("sid0")
    assert guard._handshake_problem(GOOD) is None
    for n in range(1, MAX_SOCKETS_PER_CLIENT):
        guard._forget(f"sid{n}")
    assert guard._per_client == {} and guard.sockets == 0


def _state() -> Any:
    from app.chat.flood import TokenBucket
    from app.transport.event_guard import SocketState

    return SocketState(TokenBucket(1, 1), TokenBucket(1, 1))
