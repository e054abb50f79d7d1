"""`make canary`: the libraries whose insides the chat patches (app/patches/), at their newest releases.

In a throwaway venv: the project with constraints.txt for everything except the libraries pyproject.toml pins
exactly (`==`, the patched ones), which get their newest releases. Then `python -m app check` (each library's
start-up check) and the fast tier of the tests, and a summary: the versions it got against the pins, what
moved (the checks that fail) and what broke (the tests that fail). If the newest releases cannot be installed
with the rest locked, the rest is left to pip within pyproject.toml's ranges instead, and the summary says so.

Not part of `make check` or CI: upstream releases must not block a landing. Exit 0: nothing moved or broke;
1: something did; 2: the throwaway venv could not be built. CANARY_TESTS="tests/process/cli" picks
other tests; CANARY_KEEP=1 keeps the temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEST_SECONDS = 1800  # the whole test run; each test has its own timeout (pyproject.toml)
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = NAME.match(requirement.strip())
    return canonical(match.group(1)) if match else ""


def patched_pins(project: dict[str, Any]) -> dict[str, str]:
    """name -> pinned version of each exact pin of [project].dependencies: the libraries we patch."""
    pins = {}
    for requirement in project["dependencies"]:
        name, _, pinned = requirement.partition("==")
        if pinned:
            pins[canonical(name.split("[")[0])] = pinned.strip()
    return pins


def requirements(project: dict[str, Any], patched: dict[str, str]) -> list[str]:
    """Every requirement of the project and its dev extra; the patched ones by name only."""
    listed = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [requirement_name(req) if requirement_name(req) in patched else req for req in listed]


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def install(python: Path, work: Path, patched: dict[str, str], project: dict[str, Any]) -> str | None:
    """Install into the venv; which way it went ("the rest locked"/"the rest unlocked"), None if neither."""
    rest = [
        line
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if requirement_name(line.split("#", 1)[0]) not in patched
    ]
    (work / "constraints-rest.txt").write_text("\n".join(rest) + "\n")
    (work / "requirements.txt").write_text("\n".join(requirements(project, patched)) + "\n")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    attempts = {
        "the rest locked by constraints.txt": ["-c", str(work / "constraints-rest.txt")],
        "the rest unlocked (not installable with the lock)": [],
    }
    for way, constraints in attempts.items():
        result = run([*pip, "--upgrade", *constraints, "-r", str(work / "requirements.txt")])
        if result.returncode == 0:
            project_install = run([*pip, "--no-deps", "-e", str(ROOT)])
            if project_install.returncode == 0:
                return way
            result = project_install
        print(f"canary: installing with {way} failed:\n{tail(result.stderr)}", file=sys.stderr)
    return None


def tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def newest(python: Path, name: str) -> str:
    """The newest release on the package index, as `pip index versions` reports it ("?" if it cannot)."""
    result = run([str(python), "-m", "pip", "index", "versions", name, "--disable-pip-version-check"])
    match = re.search(r"\(([^)]+)\)", result.stdout)
    return match.group(1) if match else "?"


def versions(python: Path, patched: dict[str, str]) -> list[tuple[str, str, str, str]]:
    listed = json.loads(run([str(python), "-m", "pip", "list", "--format=json"]).stdout or "[]")
    got = {canonical(package["name"]): package["version"] for package in listed}
    return [
        (name, pinned, got.get(name, "missing"), newest(python, name)) for name, pinned in patched.items()
    ]


def app_check(python: Path, work: Path) -> list[str]:
    """The internals lines of `python -m app check` (one per patched library)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHAT_", "OTEL_", "DATABASE", "PYTEST"))
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{work / 'canary.db'}",
        CHAT_DATA_DIR=str(work / "data"),
        OTEL_SDK_DISABLED="true",
    )
    result = run([str(python), "-m", "app", "check"], cwd=work, env=environment, timeout=300)
    lines = [line for line in result.stdout.splitlines() if " internals" in line]
    if not lines:  # the check itself did not get that far: an import that broke, say
        return [f"FAIL  python -m app check did not run its internals checks:\n{tail(result.stderr)}"]
    return lines


def test_arguments() -> list[str]:
    chosen = os.environ.get("CANARY_TESTS")
    if chosen:
        return shlex.split(chosen)
    return ["tests/unit"]


def failed_tests(report: Path) -> list[str]:
    if not report.exists():
        return []
    failed = []
    for case in ElementTree.parse(report).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}::{case.get('name', '')}")
    return failed


def run_tests(python: Path, work: Path) -> tuple[list[str], str, int]:
    """The failing tests, the pytest summary line, and pytest's exit code."""
    report = work / "junit.xml"
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    try:
        result = run([*command, *test_arguments()], cwd=ROOT, timeout=TEST_SECONDS)
    except subprocess.TimeoutExpired:
        return failed_tests(report), f"timed out after {TEST_SECONDS} s", 1
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    return failed_tests(report), summary, result.returncode


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    patched = patched_pins(project)
    work = Path(tempfile.mkdtemp(prefix="chat-canary-"))
    try:
        print(f"canary: a throwaway venv in {work} with the newest {', '.join(patched)}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        python = work / "venv" / "bin" / "python"
        way = install(python, work, patched, project)
        if way is None:
            return 2
        print(f"\ninstalled with {way}:")
        for name, pinned, got, latest in versions(python, patched):
            held = latest not in (got, "?")
            note = f" (newest {latest}: held back by another requirement)" if held else ""
            mark = "  " if got == pinned else "->"
            print(f"  {mark} {name:<42} pinned {pinned:<10} got {got}{note}")
        moved = [line for line in app_check(python, work) if not line.startswith("ok")]
        print("\nwhat moved (python -m app check):")
        print("\n".join(f"  {line}" for line in moved) if moved else "  nothing: every check passes")
        failed, summary, code = run_tests(python, work)
        print(f"\nwhat broke (pytest {' '.join(test_arguments())}): {summary}")
        print("\n".join(f"  {test}" for test in failed) if failed else "  nothing")
        broke = bool(failed) or code not in (0, 5)  # 5: no tests collected
        print("\ncanary:", "something moved or broke, see above" if moved or broke else "all well")
        return 1 if moved or broke else 0
    finally:
        if os.environ.get("CANARY_KEEP") == "1":
            print(f"canary: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
