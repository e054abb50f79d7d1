"""What a tab's browser may send, checked strictly: bad shapes and types are refused, never a traceback."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

MAX_RECONCILE_IDS = 100
MAX_MESSAGE_ID = 2**53 - 1  # the largest id a browser's number holds exactly; far below BIGINT's limit


class BadRequest(ValueError):
    """An event payload that does not have the agreed shape."""


def send_id(value: Any) -> str:
    """A send id: a UUID, in its canonical lower-case form."""
    if not isinstance(value, str) or len(value) > 64:
        raise BadRequest("client_msg_id must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadRequest("client_msg_id must be a UUID string") from None


def _field(args: Any, key: str, kind: type) -> Any:
    if not isinstance(args, dict):
        raise BadRequest("the payload must be an object")
    value = args.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadRequest(f"{key} must be a {kind.__name__}")
    return value


@dataclass(frozen=True)
class SendRequest:
    """`{client_msg_id, name, text}`: one message, sent once."""

    client_msg_id: str
    name: str
    text: str

    @classmethod
    def parse(cls, args: Any) -> SendRequest:
        return cls(
            send_id(_field(args, "client_msg_id", str)), _field(args, "name", str), _field(args, "text", str)
        )


def raw_send_id(args: Any) -> str | None:
    """The id a bad send carried, if it was a string, so the answer reaches the right send."""
    value = args.get("client_msg_id") if isinstance(args, dict) else None
    return value if isinstance(value, str) else None


def parse_name(args: Any) -> str:
    """`{name}`: Enter in Name."""
    return str(_field(args, "name", str))


def parse_reconcile(args: Any) -> list[str]:
    """`{ids: [...]}`: the sends a tab has not heard back about."""
    ids = _field(args, "ids", list)
    if len(ids) > MAX_RECONCILE_IDS:
        raise BadRequest(f"at most {MAX_RECONCILE_IDS} ids")
    return [send_id(value) for value in ids]


@dataclass(frozen=True)
class SyncRequest:
    """`{last_id, resume}`: a tab (re)connecting, with the newest message id it shows; `resume` after a
    reload whose history starts later than what the tab had shown."""

    last_id: int
    resume: bool

    @classmethod
    def parse(cls, args: Any) -> SyncRequest:
        last_id = _field(args, "last_id", int)
        if not 0 <= last_id <= MAX_MESSAGE_ID:
            raise BadRequest(f"last_id must be between 0 and {MAX_MESSAGE_ID}")
        return cls(last_id, _field(args, "resume", bool))


def parse_typing(args: Any) -> bool:
    """`{typing}`: true while the person types, false when they stop; nothing else (never the text)."""
    if not isinstance(args, dict) or set(args) != {"typing"}:
        raise BadRequest("the payload must be exactly {typing: true|false}")
    return bool(_field(args, "typing", bool))


@dataclass(frozen=True)
class PageRequest:
    """`{before: id}` or `{after: id}`: one page of stored messages older than the first one a tab shows,
    or newer than the last one (a tab whose list no longer ends at the newest message)."""

    before: int | None
    after: int | None

    @classmethod
    def parse(cls, args: Any) -> PageRequest:
        if not isinstance(args, dict) or len(args) != 1 or not {"before", "after"} & args.keys():
            raise BadRequest("the payload must be {before: id} or {after: id}")
        key = "before" if "before" in args else "after"
        value = _field(args, key, int)
        if not 1 <= value <= MAX_MESSAGE_ID:
            raise BadRequest(f"{key} must be between 1 and {MAX_MESSAGE_ID}")
        return cls(value, None) if key == "before" else cls(None, value)

    @property
    def key(self) -> dict[str, int]:
        """The request as the browser sent it, echoed in the answer so the tab knows which it answers."""
        return {"before": self.before} if self.before is not None else {"after": self.after or 0}
