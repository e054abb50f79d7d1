import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.chat import rules
from app.chat.rules import RuleViolation, browser_rules, clean_message, clean_name, message_error, name_error


@pytest.mark.parametrize(
    "text",
    ["ab", "a" * 1000, "  ok  ", "😀😀", "é" * 1000, "😀" * 1000, "line\nbreak", "tab\there", "\u202eevil"],
)
def test_valid_messages_are_trimmed(text: str) -> None:
    assert clean_message(text) == text.strip()
    assert message_error(text) is None


@pytest.mark.parametrize(
    ("text", "reason", "words"),
    [
        ("", "too_short", "at least 2 characters"),
        (None, "too_short", "at least 2 characters"),
        ("a", "too_short", "at least 2 characters"),
        ("   a   ", "too_short", "at least 2 characters"),
        (" \t\n ", "too_short", "at least 2 characters"),
        ("😀", "too_short", "at least 2 characters"),
        ("e\u0301", "too_short", "at least 2 characters"),  # NFC: one character
        ("a" * 1001, "too_long", "at most 1000 characters"),
        ("😀" * 1001, "too_long", "at most 1000 characters"),
        ("é" * 1001, "too_long", "at most 1000 characters"),
        ("nul\x00here", "bad_character", "control characters"),
        ("bell\x07", "bad_character", "control characters"),
        ("carriage\rreturn", "bad_character", "control characters"),
        ("escape \x1b[31m red", "bad_character", "control characters"),
        ("del\x7fete", "bad_character", "control characters"),
        ("c1 \x9b control", "bad_character", "control characters"),
        ("lone \ud800 surrogate", "bad_character", "control characters"),
        ("\x00", "bad_character", "control characters"),  # refused, not "too short"
    ],
)
def test_invalid_messages(text: str | None, reason: str, words: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        clean_message(text)
    assert caught.value.field == "message"
    assert caught.value.reason == reason
    assert words in caught.value.text
    assert message_error(text) == caught.value.text
    assert str(caught.value) == caught.value.text


def test_boundaries_are_exact() -> None:
    assert clean_message("ab") == "ab"
    assert clean_message("x" * rules.MESSAGE_MAX) == "x" * 1000
    assert clean_name("x" * rules.NAME_MAX) == "x" * 40
    assert clean_name("x") == "x"
    assert message_error("x" * 1001) == "Message must be at most 1000 characters"
    assert message_error("x") == "Message must be at least 2 characters"


def test_messages_are_normalised_to_nfc() -> None:
    decomposed = "Cafe\u0301 " * 200  # 1200 code points, 1000 after NFC
    assert len(decomposed.strip()) == 1199
    cleaned = clean_message(decomposed)
    assert cleaned == unicodedata.normalize("NFC", decomposed).strip()
    assert len(cleaned) == 999 and "\u0301" not in cleaned


def test_mixed_separators_and_tabs_inside_a_message_are_kept() -> None:
    assert clean_message("a\t\tb\n\nc  d") == "a\t\tb\n\nc  d"


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("a", "a"),
        ("x" * 40, "x" * 40),
        (" Ann ", "Ann"),
        ("😀" * 40, "😀" * 40),
        ("Zoe\u0308", "Zoë"),  # NFC
        ("Ann   Lee", "Ann Lee"),  # HTML shows a run of spaces as one
        ("Ann\u00a0\u3000Lee", "Ann Lee"),
        ("\tAnn\n", "Ann"),  # trimmed, like any white space at the ends
        ("سارة", "سارة"),
        ("x" * 38 + "  y", "x" * 38 + " y"),  # 40 after the spaces are made one
    ],
)
def test_valid_names(name: str, cleaned: str) -> None:
    assert clean_name(name) == cleaned
    assert name_error(name) is None


@pytest.mark.parametrize(
    ("name", "reason", "words"),
    [
        ("", "required", "Name is required"),
        ("   ", "required", "Name is required"),
        (None, "required", "Name is required"),
        ("x" * 41, "too_long", "at most 40 characters"),
        ("😀" * 41, "too_long", "at most 40 characters"),
        ("Ann\u200b", "bad_character", "invisible"),  # zero-width space
        ("\u202eecila", "bad_character", "invisible"),  # right-to-left override
        ("A\u2066nn\u2069", "bad_character", "invisible"),  # isolates
        ("An\u200dn", "bad_character", "invisible"),  # zero-width joiner
        ("Ann\u2060", "bad_character", "invisible"),  # word joiner
        ("\ufeffAnn", "bad_character", "invisible"),  # byte order mark
        ("Ann\u00ad", "bad_character", "invisible"),  # soft hyphen
        ("Ann\x00", "bad_character", "control"),
        ("Ann\nLee", "bad_character", "control"),
        ("Ann\tLee", "bad_character", "control"),
        ("Ann\x7f", "bad_character", "control"),
        ("Ann\x85Lee", "bad_character", "control"),  # NEL inside (str.strip() only trims it at the ends)
        ("Ann\u2028Lee", "bad_character", "line-break"),
        ("Ann\u2029Lee", "bad_character", "line-break"),
        ("Ann\ud83d", "bad_character", "control"),  # lone surrogate
        ("\u200b", "bad_character", "invisible"),  # an invisible name is refused, not "required"
    ],
)
def test_invalid_names(name: str | None, reason: str, words: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        clean_name(name)
    assert (caught.value.field, caught.value.reason) == ("name", reason)
    assert words in str(caught.value)
    assert name_error(name) == caught.value.text


def test_browser_gets_every_limit_and_text() -> None:
    assert browser_rules() == {
        "messageMin": 2,
        "messageMax": 1000,
        "nameMax": 40,
        "messageTooShort": rules.MESSAGE_TOO_SHORT,
        "messageTooLong": rules.MESSAGE_TOO_LONG,
        "messageBadCharacter": rules.MESSAGE_BAD_CHARACTER,
        "nameRequired": rules.NAME_REQUIRED,
        "nameTooLong": rules.NAME_TOO_LONG,
        "nameBadCharacter": rules.NAME_BAD_CHARACTER,
    }
    assert rules.MESSAGE_TOO_SHORT == "Message must be at least 2 characters"
    assert rules.MESSAGE_TOO_LONG == "Message must be at most 1000 characters"
    assert rules.NAME_REQUIRED == "Name is required"
    assert rules.NAME_TOO_LONG == "Name must be at most 40 characters"
    assert rules.NAME_BAD_CHARACTER == "Name must not contain control, invisible or line-break characters"
    assert rules.MESSAGE_BAD_CHARACTER == (
        "Message must not contain control characters (line breaks and tabs are fine)"
    )


def test_a_violation_passes_through_a_context_manager_unchanged() -> None:
    @contextmanager
    def around() -> Iterator[None]:
        yield

    with pytest.raises(RuleViolation) as caught, around():
        clean_name("")
    assert caught.value.reason == "required"
