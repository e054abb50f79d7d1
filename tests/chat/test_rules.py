import pytest

from app.chat.rules import RuleViolation, clean_message, clean_name, message_error, name_error


@pytest.mark.parametrize("text", ["ab", "a" * 1000, "  ok  ", "😀😀", "é" * 1000])
def test_valid_messages_are_trimmed(text: str) -> None:
    assert clean_message(text) == text.strip()


@pytest.mark.parametrize(
    ("text", "reason", "words"),
    [
        ("", "too_short", "at least 2 characters"),
        (None, "too_short", "at least 2 characters"),
        ("a", "too_short", "at least 2 characters"),
        ("   a   ", "too_short", "at least 2 characters"),
        (" \t\n ", "too_short", "at least 2 characters"),
        ("😀", "too_short", "at least 2 characters"),
        ("a" * 1001, "too_long", "at most 1000 characters"),
        ("😀" * 1001, "too_long", "at most 1000 characters"),
    ],
)
def test_invalid_messages(text: str | None, reason: str, words: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        clean_message(text)
    assert caught.value.field == "message"
    assert caught.value.reason == reason
    assert words in caught.value.text
    assert message_error(text) == caught.value.text


@pytest.mark.parametrize("name", ["a", "x" * 40, " Ann ", "😀" * 40])
def test_valid_names(name: str) -> None:
    assert clean_name(name) == name.strip()
    assert name_error(name) is None


@pytest.mark.parametrize(
    ("name", "reason", "words"),
    [
        ("", "required", "Name is required"),
        ("   ", "required", "Name is required"),
        (None, "required", "Name is required"),
        ("x" * 41, "too_long", "at most 40 characters"),
        ("😀" * 41, "too_long", "at most 40 characters"),
    ],
)
def test_invalid_names(name: str | None, reason: str, words: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        clean_name(name)
    assert (caught.value.field, caught.value.reason) == ("name", reason)
    assert words in str(caught.value)
