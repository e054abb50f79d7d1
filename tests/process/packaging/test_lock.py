"""constraints.txt (the lock file) is in step with pyproject.toml and with what is installed."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support import ROOT


def pins() -> dict[str, str]:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned_version = line.partition("==")
            assert pinned_version, f"constraints.txt: {line!r} is not an exact pin"
            pinned[canonicalize_name(name)] = pinned_version
    return pinned


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [
        dep for extra in project["optional-dependencies"].values() for dep in extra
    ]
    return [Requirement(dep) for dep in listed]


def test_every_requirement_is_pinned_within_its_range() -> None:
    pinned = pins()
    stale = [
        f"{req} (locked: {pinned.get(canonicalize_name(req.name), 'missing')})"
        for req in requirements()
        if canonicalize_name(req.name) not in pinned
        or not req.specifier.contains(pinned[canonicalize_name(req.name)], prereleases=True)
    ]
    assert not stale, f"constraints.txt is out of date, run `make lock`: {stale}"


def test_installed_versions_are_the_locked_ones() -> None:
    differ = []
    for name, pinned_version in pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # not for this platform
        if installed != pinned_version:
            differ.append(f"{name} {installed} (locked {pinned_version})")
    assert not differ, f"the venv is not what constraints.txt says, run `make venv`: {differ}"
