"""Property-based tests (Hypothesis) of the rules and the store: whatever the rules accept is stored and
read back unchanged on SQLite and PostgreSQL; whatever they refuse leaves no trace."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.chat.bus import LocalBus
from app.chat.events import Event
from app.chat.pg_bus import _message_from, message_payload
from app.chat.rules import MESSAGE_MAX, NAME_MAX, RuleViolation, clean_message, clean_name
from app.chat.service import ChatService
from app.store.messages import MessageStore
from app.store.models import Message

# Characters the rules care about, mixed into arbitrary text so that both sides of each rule come up.
TRICKY = [
    "\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x85", "\x9b",  # C0, DEL, C1
    "\u00ad", "\u200b", "\u200d", "\u200e", "\u202e", "\u2066", "\u2069", "\u2060", "\ufeff",  # Cf
    "\u2028", "\u2029", "\ud800", "\udfff",  # Zl, Zp, lone surrogates
    " ", "\u00a0", "\u3000", "\u0301", "\u0308", "e", "A", "é", "ß", "İ",  # spaces, combining, letters
    "😀", "\U0001f469", "\U0001f4bb", "\U0001f1e9", "\U0001f1ea",  # emoji, parts of sequences
    "ש", "ع", "中", "\U0001d11e", "\U0010ffff", "<", "'", '"', "\\", "%",
]  # fmt: skip

any_character = st.characters(codec=None, categories=None)  # every code point, surrogates included
tricky_text = st.text(st.sampled_from(TRICKY) | any_character, max_size=60)
long_text = st.builds(
    lambda unit, count, tail: unit * count + tail,
    st.sampled_from(["a", "é", "e\u0301", "😀", "ש", "中", " "]),
    st.integers(MESSAGE_MAX - 5, MESSAGE_MAX + 5),
    st.text(st.sampled_from(TRICKY), max_size=3),
)
texts = tricky_text | long_text | st.text(max_size=30)
names = st.text(st.sampled_from(TRICKY) | any_character, max_size=NAME_MAX + 5) | st.text(
    st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=1, max_size=NAME_MAX + 2
)

BOUNDED = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def accepted(
    clean: Callable[[str], str],
    value: str,
    *,
    field: str,
    reasons: tuple[str, ...],
    lengths: tuple[int, int],
    refused: set[str],
    allowed: str = "",
) -> str | None:
    """What `clean` makes of `value`: None if refused for one of `reasons`, else checked to be clean: NFC,
    stripped, `lengths` long (inclusive), without characters of the Unicode categories `refused` but those
    `allowed`, unchanged when cleaned again, with a UTF-8 form that every database and the wire can carry."""
    try:
        cleaned = clean(value)
    except RuleViolation as violation:
        assert violation.field == field
        assert violation.reason in reasons
        return None
    assert cleaned == unicodedata.normalize("NFC", cleaned) == cleaned.strip()
    assert lengths[0] <= len(cleaned) <= lengths[1]
    assert not any(unicodedata.category(c) in refused and c not in allowed for c in cleaned)
    assert clean(cleaned) == cleaned
    cleaned.encode()
    return cleaned


@settings(max_examples=300, deadline=None)
@given(texts)
def test_an_accepted_message_is_clean_and_cleaning_it_again_changes_nothing(text: str) -> None:
    reasons = ("too_short", "too_long", "bad_character")
    accepted(
        clean_message,
        text,
        field="message",
        reasons=reasons,
        lengths=(2, MESSAGE_MAX),
        refused={"Cc", "Cs"},
        allowed="\n\t",
    )


@settings(max_examples=300, deadline=None)
@given(names)
def test_an_accepted_name_is_clean_and_cleaning_it_again_changes_nothing(name: str) -> None:
    refused = {"Cc", "Cs", "Cf", "Zl", "Zp"}
    reasons = ("required", "too_long", "bad_character")
    cleaned = accepted(
        clean_name, name, field="name", reasons=reasons, lengths=(1, NAME_MAX), refused=refused
    )
    assert cleaned is None or "  " not in cleaned


@settings(max_examples=200, deadline=None)
@given(names, texts)
def test_an_accepted_message_crosses_the_postgresql_bus_unchanged(name: str, text: str) -> None:
    try:
        author, body = clean_name(name), clean_message(text)
    except RuleViolation:
        return
    row = Message(id=1, author=author, text=body)
    payload = json.loads(message_payload(row))
    if "text" in payload:  # too big for NOTIFY: read from the table instead
        message = _message_from(payload)
        assert message is not None
        assert (message.author, message.text) == (author, body)


@pytest.mark.timeout(300)
@BOUNDED
@given(name=names, text=texts)
async def test_accepted_text_round_trips_through_the_store_and_refused_text_leaves_no_trace(
    store: MessageStore, name: str, text: str
) -> None:
    bus = LocalBus()
    published: list[Event] = []
    bus.subscribe(published.append)
    service = ChatService(store, bus, history_limit=5, rate_limit=0)
    before = await store.recent(1)
    try:
        author, body = clean_name(name), clean_message(text)
    except RuleViolation as expected:
        with pytest.raises(RuleViolation) as caught:
            await service.post_message(name, text)
        assert (caught.value.field, caught.value.reason) == (expected.field, expected.reason)
        assert published == []
        assert await store.recent(1) == before  # nothing stored
        return
    message = await service.post_message(name, text)
    [stored] = await store.recent(1)
    assert (stored.id, stored.author, stored.text) == (message.id, author, body)
    assert (message.author, message.text) == (author, body)
    assert published == [message]
