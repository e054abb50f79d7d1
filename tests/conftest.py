"""The three tiers, by folder: a test's tier is where it lives.

- tests/unit: one process, no child process, no PostgreSQL, no browser (`make test-fast`, under a minute);
- tests/process: real server processes and command lines, PostgreSQL, hostile clients, faults, clusters;
- tests/browser: Chromium driven by Playwright.

Each test gets its tier's marker (`-m unit` works) and time limit, the tiers run in that order, and the
summary says how long each took. What the tests share is in tests/support.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.support")  # before they are imported: pytest's assertion messages

from app.config import Settings, load_settings, sync_database_url  # noqa: E402
from app.store.messages import MessageStore  # noqa: E402
from app.store.migrate import upgrade  # noqa: E402
from tests.support.databases import database_url, postgres_database, store_on  # noqa: E402

pytest_plugins = [
    "tests.support.fakes",
    "tests.support.otlp_receiver",
    "tests.support.ports",
    "tests.support.server",
]

TESTS = Path(__file__).parent
TIERS = ("unit", "process", "browser")
# seconds per test; a test's own @pytest.mark.timeout wins (it is the closer marker)
TIMEOUTS = {"unit": 120, "process": 180, "browser": 120}


def tier_of(path: Path) -> str | None:
    folder = path.relative_to(TESTS).parts[0] if TESTS in path.parents else None
    return folder if folder in TIERS else None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker, and before pytest groups by fixture scope
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item.path)
        if tier is None:
            raise pytest.UsageError(
                f"{item.nodeid}: a test lives in tests/unit, tests/process or tests/browser"
            )
        item.add_marker(getattr(pytest.mark, tier))
        item.add_marker(pytest.mark.timeout(TIMEOUTS[tier]))
    items.sort(key=lambda item: TIERS.index(tier_of(item.path) or "unit"))  # stable: files keep their order


class TierClock:
    """The tests of each tier and the wall-clock time from its first test's start to its last one's end."""

    def __init__(self) -> None:
        self.tests: dict[str, int] = defaultdict(int)
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def started(self, tier: str) -> None:
        self.tests[tier] += 1
        self.first.setdefault(tier, time.monotonic())

    def finished(self, tier: str) -> None:
        self.last[tier] = time.monotonic()

    def lines(self) -> list[str]:
        return [
            f"tier {tier}: {self.tests[tier]} tests, {self.last[tier] - self.first[tier]:.1f} s"
            for tier in TIERS
            if tier in self.last
        ]


CLOCK = TierClock()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    tier = tier_of(item.path) or "unit"
    CLOCK.started(tier)
    try:
        return (yield)
    finally:
        CLOCK.finished(tier)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = CLOCK.lines()
    if lines:
        terminalreporter.section("time per tier")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a migrated SQLite database in the test's own directory (history 5, no rate limit)."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'chat.db'}", history_limit=5, rate_limit=0, data_dir=tmp_path
    )
    upgrade(settings.sync_url)
    return settings


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    with database_url(request.param, tmp_path) as url:
        upgrade(sync_database_url(url))
        yield url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[MessageStore]:
    async with store_on(db_url) as store:
        yield store


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (not migrated) for the test."""
    with postgres_database() as url:
        yield url
