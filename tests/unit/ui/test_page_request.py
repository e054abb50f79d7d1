"""The page request's shape and bounds: anything else is refused before any query."""

from __future__ import annotations

from typing import Any

import pytest

from app.chat.service import HistoryPage
from app.main import Chat
from app.ui.requests import MAX_MESSAGE_ID, BadRequest, PageRequest
from tests.support.users import NewUser, until


@pytest.mark.parametrize(
    ("args", "before", "after"),
    [
        ({"before": 1}, 1, None),
        ({"before": MAX_MESSAGE_ID}, MAX_MESSAGE_ID, None),
        ({"after": 7}, None, 7),
        ({"after": MAX_MESSAGE_ID}, None, MAX_MESSAGE_ID),
    ],
)
def test_a_page_request_names_one_id(args: dict[str, Any], before: int | None, after: int | None) -> None:
    request = PageRequest.parse(args)
    assert (request.before, request.after) == (before, after)
    assert request.key == args


@pytest.mark.parametrize(
    "args",
    [
        None,
        5,
        "before",
        [],
        {},
        {"before": 0},
        {"before": -1},
        {"before": MAX_MESSAGE_ID + 1},
        {"before": 2**63},
        {"before": 10**30},
        {"before": 1.0},
        {"before": "5"},
        {"before": True},
        {"before": None},
        {"before": [5]},
        {"after": 0},
        {"after": False},
        {"before": 5, "after": 6},
        {"before": 5, "extra": 1},
        {"id": 5},
    ],
)
def test_a_bad_page_request_is_refused(args: Any) -> None:
    with pytest.raises(BadRequest):
        PageRequest.parse(args)


BAD_PAGES: list[Any] = [
    None,
    {},
    {"before": 0},
    {"before": 2**53},
    {"before": "9"},
    {"before": 2.0},
    {"x": 1},
]


async def test_bad_page_events_reach_no_query(
    new_user: NewUser, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    read = chat.service.older_messages

    async def counted(before_id: int) -> HistoryPage:
        asked.append(before_id)
        return await read(before_id)

    monkeypatch.setattr(chat.service, "older_messages", counted)
    ann = new_user()
    await ann.open("/")
    for value in BAD_PAGES:
        ann.find(marker="messages").trigger("page", value)
    ann.find(marker="messages").trigger("page", {"before": 5})
    await until(lambda: asked != [])
    assert asked == [5]
