"""Every place the chat relies on another library's insides, one module per library.

Each module names its library (`LIBRARY`, the version it was checked with in `PINNED`, what it relies on
in `USES`), keeps the private names it touches behind small named functions and classes, and has a
`check()` that raises `InternalsMoved` naming the library, its installed version and what moved. The
server runs `check_all()` before it installs anything, and `python -m app check` prints one line per
library (`report()`). Outside this package no module of app/ touches a private attribute of another
library's object (ruff's SLF001 keeps it so). The modules are imported when checked (`modules()`), not
at the top: importing one patch does not import every library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.patches.moved import InternalsMoved, Moved, installed_version

__all__ = [
    "InternalsMoved",
    "Moved",
    "Row",
    "check_all",
    "installed",
    "module",
    "modules",
    "name_of",
    "report",
]


class PatchModule(Protocol):
    LIBRARY: str
    PINNED: str
    USES: str

    def problems(self) -> list[str]: ...

    def check(self) -> None: ...


@dataclass(frozen=True)
class Row:
    """One library's line of `python -m app check`."""

    library: str
    installed: str
    pinned: str
    uses: str
    problems: tuple[str, ...]
    module: str

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if self.ok:
            return f"{self.library} {self.installed} internals: {self.uses}"
        moved = Moved(self.library, self.installed, self.pinned, self.problems).describe()
        return f"{moved} (internals moved: see app/patches/{self.module}.py)"


def modules() -> list[PatchModule]:
    """Every patch module, in the order they are checked: the standard library first, each library before
    those built on it."""
    from app.patches import (
        engineio,
        nicegui,
        opentelemetry_api,
        opentelemetry_exporter_otlp_proto_http,
        opentelemetry_instrumentation_sqlalchemy,
        opentelemetry_sdk,
        socketio,
        starlette,
        stdlib_asyncio,
        uvicorn,
    )

    return [
        stdlib_asyncio,
        starlette,
        uvicorn,
        engineio,
        socketio,
        nicegui,
        opentelemetry_api,
        opentelemetry_sdk,
        opentelemetry_exporter_otlp_proto_http,
        opentelemetry_instrumentation_sqlalchemy,
    ]


def name_of(patch: PatchModule) -> str:
    """The module's name in app/patches/ (`nicegui` for app/patches/nicegui.py)."""
    return str(getattr(patch, "__name__", "")).rsplit(".", 1)[-1]


def module(name: str) -> PatchModule:
    return next(patch for patch in modules() if name_of(patch) == name)


def installed(patch: PatchModule) -> str:
    """The installed version of the module's library (Python's own for the standard library)."""
    installed = getattr(patch, "installed", None)
    return str(installed()) if callable(installed) else installed_version(patch.LIBRARY)


def _problems(patch: PatchModule) -> tuple[str, ...]:
    try:
        return tuple(patch.problems())
    except Exception as error:  # a check that breaks on a new version is a finding too
        return (f"its check raised {error!r}",)


def report() -> list[Row]:
    """Every module's check, one row per library."""
    return [
        Row(patch.LIBRARY, installed(patch), patch.PINNED, patch.USES, _problems(patch), name_of(patch))
        for patch in modules()
    ]


def check_all() -> None:
    """Raise one InternalsMoved listing every library whose insides moved; before anything is installed."""
    moved = [Moved(row.library, row.installed, row.pinned, row.problems) for row in report() if not row.ok]
    if moved:
        raise InternalsMoved(moved)
