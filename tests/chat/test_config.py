import subprocess
import sys

import pytest

from app.config import ConfigError, async_database_url, load_settings, sync_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///chat.db", "sqlite+aiosqlite:///chat.db"),
        ("sqlite:////tmp/x/chat.db", "sqlite+aiosqlite:////tmp/x/chat.db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_forms(url: str, expected: str) -> None:
    assert async_database_url(url) == expected


def test_sync_url_for_migrations() -> None:
    assert sync_database_url("sqlite:///chat.db") == "sqlite:///chat.db"
    assert sync_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["DATABASE_URL", "CHAT_HISTORY_LIMIT", "CHAT_RATE_LIMIT", "CHAT_TAB_MESSAGES", "PORT"]:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///chat.db"
    assert (settings.history_limit, settings.rate_limit, settings.tab_messages) == (20, 20, 200)
    assert settings.port == 8080


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHAT_HISTORY_LIMIT", "abc"),
        ("CHAT_HISTORY_LIMIT", "0"),
        ("CHAT_RATE_LIMIT", "-1"),
        ("CHAT_TAB_MESSAGES", "many"),
        ("PORT", "99999"),
        ("DATABASE_URL", "mysql://root@localhost/chat"),
        ("DATABASE_URL", "chat.db"),
        ("CHAT_ENV", "staging"),
        ("CHAT_BUS", "redis"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert name in str(caught.value)


def test_prod_requires_storage_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_ENV", "prod")
    monkeypatch.delenv("CHAT_STORAGE_SECRET", raising=False)
    with pytest.raises(ConfigError, match="CHAT_STORAGE_SECRET"):
        load_settings()
    monkeypatch.setenv("CHAT_STORAGE_SECRET", "s3cret")
    assert load_settings().storage_secret == "s3cret"


def test_generated_secret_is_kept(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CHAT_STORAGE_SECRET", raising=False)
    first = load_settings().resolved_storage_secret()
    assert len(first) >= 32
    assert load_settings().resolved_storage_secret() == first


def test_command_line_exits_2_on_bad_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env={"CHAT_HISTORY_LIMIT": "abc", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "CHAT_HISTORY_LIMIT" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for flag in ["--host", "--port", "--reload", "--no-reload", "--db", "migrate"]:
        assert flag in result.stdout


@pytest.mark.parametrize(
    ("url", "bus", "cluster"),
    [
        ("postgresql://u@h/db", "auto", True),
        ("postgresql://u@h/db", "local", False),
        ("sqlite:///chat.db", "auto", False),
        ("sqlite:///chat.db", "local", False),
    ],
)
def test_bus_chosen_from_database_and_chat_bus(
    monkeypatch: pytest.MonkeyPatch, url: str, bus: str, cluster: bool
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CHAT_BUS", bus)
    assert load_settings().cluster is cluster
