"""Every library app/patches/ touches is pinned exactly, in pyproject.toml and the lock, to the version its
module names as checked (that the venv has the locked versions is
tests/process/packaging/test_lock.py's part)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app import patches

ROOT = Path(__file__).resolve().parents[3]
PATCHED = [patch for patch in patches.modules() if patches.name_of(patch) != "stdlib_asyncio"]


def exact_pins(lines: list[str]) -> dict[str, str]:
    """name -> version of each `name==version` line (comments and ranges left out)."""
    pins = {}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        specifiers = list(Requirement(text).specifier) if text else []
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            pins[canonicalize_name(Requirement(text).name)] = specifiers[0].version
    return pins


def test_pyproject_pins_each_patched_library_to_the_checked_version() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = exact_pins(dependencies)
    for patch in PATCHED:
        assert pins.get(canonicalize_name(patch.LIBRARY)) == patch.PINNED, (
            f"pyproject.toml must pin {patch.LIBRARY}=={patch.PINNED} (app/patches/ checked that version)"
        )


def test_the_lock_has_the_checked_versions() -> None:
    locked = exact_pins((ROOT / "constraints.txt").read_text().splitlines())
    for patch in PATCHED:
        assert locked.get(canonicalize_name(patch.LIBRARY)) == patch.PINNED, patch.LIBRARY
