"""Validation rules: the one source of truth for limits and error texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MESSAGE_MIN = 2
MESSAGE_MAX = 1000
NAME_MIN = 1
NAME_MAX = 40

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
        raise RuleViolation("message", "too_short", f"Message must be at least {MESSAGE_MIN} characters")
    if len(cleaned) > MESSAGE_MAX:
        raise RuleViolation("message", "too_long", f"Message must be at most {MESSAGE_MAX} characters")
    return cleaned


def clean_name(name: str | None) -> str:
    """The name as shown: trimmed, 1..40 characters."""
    cleaned = (name or "").strip()
    if len(cleaned) < NAME_MIN:
        raise RuleViolation("name", "required", "Name is required")
    if len(cleaned) > NAME_MAX:
        raise RuleViolation("name", "too_long", f"Name must be at most {NAME_MAX} characters")
    return cleaned


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
