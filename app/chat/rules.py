"""Validation rules: the one source of truth for limits and error texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MESSAGE_MIN = 2
MESSAGE_MAX = 1000
NAME_MIN = 1
NAME_MAX = 40

MESSAGE_TOO_SHORT = f"Message must be at least {MESSAGE_MIN} characters"
MESSAGE_TOO_LONG = f"Message must be at most {MESSAGE_MAX} characters"
NAME_REQUIRED = "Name is required"
NAME_TOO_LONG = f"Name must be at most {NAME_MAX} characters"

Field = Literal["name", "message"]
Reason = Literal["too_short", "too_long", "required", "rate_limited"]


@dataclass(frozen=True)
class RuleViolation(Exception):
    """Input that breaks a rule; `text` is what the user is shown."""

    field: Field
    reason: Reason
    text: str

    def __str__(self) -> str:
        return self.text


def clean_message(text: str | None) -> str:
    """The message as stored: trimmed, 2..1000 characters."""
    cleaned = (text or "").strip()
    if len(cleaned) < MESSAGE_MIN:
        raise RuleViolation("message", "too_short", MESSAGE_TOO_SHORT)
    if len(cleaned) > MESSAGE_MAX:
        raise RuleViolation("message", "too_long", MESSAGE_TOO_LONG)
    return cleaned


def clean_name(name: str | None) -> str:
    """The name as shown: trimmed, 1..40 characters."""
    cleaned = (name or "").strip()
    if len(cleaned) < NAME_MIN:
        raise RuleViolation("name", "required", NAME_REQUIRED)
    if len(cleaned) > NAME_MAX:
        raise RuleViolation("name", "too_long", NAME_TOO_LONG)
    return cleaned


def browser_rules() -> dict[str, int | str]:
    """The limits and texts the browser mirrors, so it can show an error without asking the server
    (which still checks every send and answers with the same text)."""
    return {
        "messageMin": MESSAGE_MIN,
        "messageMax": MESSAGE_MAX,
        "nameMax": NAME_MAX,
        "messageTooShort": MESSAGE_TOO_SHORT,
        "messageTooLong": MESSAGE_TOO_LONG,
        "nameRequired": NAME_REQUIRED,
        "nameTooLong": NAME_TOO_LONG,
    }


def message_error(text: str | None) -> str | None:
    """The error text for a message, or None when it is valid (for live feedback in the UI)."""
    try:
        clean_message(text)
    except RuleViolation as violation:
        return violation.text
    return None


def name_error(name: str | None) -> str | None:
    """The error text for a name, or None when it is valid."""
    try:
        clean_name(name)
    except RuleViolation as violation:
        return violation.text
    return None
