"""The unit tier's tests of the store and of the service on it (there on SQLite) again, on PostgreSQL: every
test of these modules that takes the `store` or `db_url` fixture is collected here too, where `db_url` is a
PostgreSQL database."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from app.config import sync_database_url
from app.store.migrate import upgrade
from tests.support.databases import database_url
from tests.unit.chat import test_flood_service, test_history_cache, test_history_pages
from tests.unit.store import test_moderation_store, test_properties, test_store_and_service


def database_tests(*modules: ModuleType) -> dict[str, object]:
    found: dict[str, object] = {}
    for module in modules:
        for name, test in vars(module).items():
            if name.startswith("test_") and {"store", "db_url"} & set(inspect.signature(test).parameters):
                assert name not in found, f"{name} is in two of the modules"
                found[name] = test
    return found


globals().update(
    database_tests(
        test_flood_service,
        test_history_cache,
        test_history_pages,
        test_moderation_store,
        test_properties,
        test_store_and_service,
    )
)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty PostgreSQL database: what `store` of these tests runs on here."""
    with database_url("postgres", tmp_path) as url:
        upgrade(sync_database_url(url))
        yield url
