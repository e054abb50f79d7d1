"""Validation rules: the one source of truth for limits, allowed characters and error texts.

Both fields are normalised to NFC first, then trimmed (`str.strip`), then measured in code points, so a
character counts once however it was typed (`e` + combining accent is `é`) and a 4-byte emoji counts as
one. The browser (`app/ui/composer.js`) does the same with `normalize("NFC")` and `[...text].length`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MESSAGE_MIN = 2
MESSAGE_MAX = 1000
NAME_MIN = 1
NAME_MAX = 40

MESSAGE_TOO_SHORT = f"Message must be at least {MESSAGE_MIN} characters"
MESSAGE_TOO_LONG = f"Message must be at most {MESSAGE_MAX} characters"
MESSAGE_BAD_CHARACTER = "Message must not contain control characters (line breaks and tabs are fine)"
NAME_REQUIRED = "Name is required"
NAME_TOO_LONG = f"Name must be at most {NAME_MAX} characters"
NAME_BAD_CHARACTER = "Name must not contain control, invisible or line-break characters"

# Unicode general categories refused anywhere: control characters (Cc: NUL, C0, DEL, C1) and lone
# surrogates (Cs: no UTF-8 form, so no database can store them). Messages keep line feed and tab.
# Names also refuse format characters (Cf: bidi overrides and isolates, zero-width space and joiners,
# word joiner, BOM) and line and paragraph separators (Zl, Zp), so no name is invisible, reverses the
# text around it or looks like another name.
MESSAGE_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
MESSAGE_ALLOWED_CONTROLS = frozenset("\n\t")
NAME_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})

_SPACE_RUN = re.compile(r"\s+")

Field = Literal["name", "message"]
Reason = Literal["too_short", "too_long", "required", "bad_character", "rate_limited"]


@dataclass(eq=False)  # not frozen: raising sets __traceback__, which a frozen dataclass refuses
class RuleViolation(Exception):
    """Input that breaks a rule; `text` is what the user is shown."""

    field: Field
    reason: Reason
    text: str

    def __str__(self) -> str:
        return self.text


def _message_refuses(character: str) -> bool:
    return (
        unicodedata.category(character) in MESSAGE_REFUSED_CATEGORIES
        and character not in MESSAGE_ALLOWED_CONTROLS
    )


def _name_refuses(character: str) -> bool:
    return unicodedata.category(character) in NAME_REFUSED_CATEGORIES


def clean_message(text: str | None) -> str:
    """The message as stored: NFC, trimmed, no control character but line feed and tab, 2..1000 code
    points."""
    cleaned = unicodedata.normalize("NFC", text or "").strip()
    if any(_message_refuses(character) for character in cleaned):
        raise RuleViolation("message", "bad_character", MESSAGE_BAD_CHARACTER)
    if len(cleaned) < MESSAGE_MIN:
        raise RuleViolation("message", "too_short", MESSAGE_TOO_SHORT)
    if len(cleaned) > MESSAGE_MAX:
        raise RuleViolation("message", "too_long", MESSAGE_TOO_LONG)
    return cleaned


def clean_name(name: str | None) -> str:
    """The name as shown: NFC, trimmed, no control, format or line-break character, every run of
    spaces one space (HTML shows them as one, so "Ann  Lee" would look like "Ann Lee"), 1..40 code
    points."""
    trimmed = unicodedata.normalize("NFC", name or "").strip()
    if any(_name_refuses(character) for character in trimmed):
        raise RuleViolation("name", "bad_character", NAME_BAD_CHARACTER)
    cleaned = _SPACE_RUN.sub(" ", trimmed)  # what is left of white space here are spaces (Zs)
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
        "messageBadCharacter": MESSAGE_BAD_CHARACTER,
        "nameRequired": NAME_REQUIRED,
        "nameTooLong": NAME_TOO_LONG,
        "nameBadCharacter": NAME_BAD_CHARACTER,
    }


def message_error(text: str | None) -> str | None:
    """The error text for a message, or None when it is valid (for live feedback in the UI)."""
    return _error(clean_message, text)


def name_error(name: str | None) -> str | None:
    """The error text for a name, or None when it is valid."""
    return _error(clean_name, name)


def _error(clean: Callable[[str | None], str], value: str | None) -> str | None:
    try:
        clean(value)
    except RuleViolation as violation:
        return violation.text
    return None
