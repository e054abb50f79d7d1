"""What a check finds when a library's insides moved, and the helpers the checks share."""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

ADVICE = (
    "Install the pinned versions (pip install -c constraints.txt …) or adapt app/patches/ to the new ones "
    "(`make canary` shows what moved)."
)


@dataclass(frozen=True)
class Moved:
    """One library whose insides are not where its patch module expects them."""

    library: str
    installed: str
    pinned: str
    problems: tuple[str, ...]

    def describe(self) -> str:
        same = self.installed == self.pinned or self.installed.startswith(self.pinned + ".")
        tested = "" if same else f" (tested with {self.pinned})"
        return f"{self.library} {self.installed}{tested}: " + "; ".join(self.problems)


class InternalsMoved(RuntimeError):
    """A library the chat patches changed the insides the patch relies on; the start stops here instead of
    a chat that silently misbehaves."""

    def __init__(self, moved: Sequence[Moved], message: str | None = None) -> None:
        self.moved = tuple(moved)
        super().__init__(
            message
            or "library internals the chat relies on have moved: "
            + ". ".join(entry.describe() for entry in self.moved)
            + ". "
            + ADVICE
        )


def installed_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:  # e.g. a frozen binary without metadata
        return "unknown"


def require(library: str, pinned: str, problems: list[str], installed: str | None = None) -> None:
    """Raise InternalsMoved naming `library`, its installed version and `problems`, if there are any."""
    if problems:
        found = installed if installed is not None else installed_version(library)
        raise InternalsMoved([Moved(library, found, pinned, tuple(problems))])


def names_used(function: object) -> set[str]:
    """The global and attribute names a function's code refers to, nested functions included: how a check
    sees that library code still reads an attribute, without its source (absent in the frozen binary)."""
    code = getattr(inspect.unwrap(function), "__code__", None)  # type: ignore[arg-type]
    return set(_names(code)) if isinstance(code, types.CodeType) else set()


def constants_used(function: object) -> set[object]:
    """The constants (strings, numbers) a function's code holds, nested functions included."""
    code = getattr(inspect.unwrap(function), "__code__", None)  # type: ignore[arg-type]
    return set(_constants(code)) if isinstance(code, types.CodeType) else set()


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _names(constant)


def _constants(code: types.CodeType) -> Iterator[object]:
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _constants(constant)
        elif isinstance(constant, str | int | float):
            yield constant


def parameters(function: Any) -> list[str] | None:
    """The parameter names of `function`, None when it is not a function."""
    if not callable(function):
        return None
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None
