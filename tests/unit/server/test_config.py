import stat
from pathlib import Path

import pytest

from app.__main__ import ADMIN_COMMANDS, main
from app.config import (
    MIN_SECRET_LENGTH,
    SECRET_FILE,
    ConfigError,
    async_database_url,
    load_settings,
    mask_url,
    sync_database_url,
)


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
    names = ["DATABASE_URL", "CHAT_HISTORY_LIMIT", "CHAT_RATE_LIMIT", "CHAT_TAB_MESSAGES", "PORT"]
    abuse = ["CHAT_RENAME_LIMIT", "CHAT_MAX_TABS_PER_IP", "CHAT_MAX_TABS", "CHAT_EVENT_RATE"]
    for name in [*names, *abuse, "CHAT_WS_QUEUE_BYTES", "CHAT_WS_MAX_MESSAGE_BYTES"]:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///chat.db"
    assert (settings.history_limit, settings.rate_limit, settings.tab_messages) == (20, 20, 200)
    assert settings.port == 8080
    assert (settings.rename_limit, settings.max_tabs_per_ip, settings.max_tabs, settings.event_rate) == (
        5,
        50,
        2000,
        30,
    )
    assert (settings.ws_queue_bytes, settings.ws_max_message_bytes) == (1024 * 1024, 64 * 1024)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHAT_HISTORY_LIMIT", "abc"),
        ("CHAT_HISTORY_LIMIT", "0"),
        ("CHAT_RATE_LIMIT", "-1"),
        ("CHAT_RENAME_LIMIT", "-1"),
        ("CHAT_MAX_TABS_PER_IP", "many"),
        ("CHAT_MAX_TABS", "-5"),
        ("CHAT_EVENT_RATE", "fast"),
        ("CHAT_TAB_MESSAGES", "many"),
        ("PORT", "99999"),
        ("DATABASE_URL", "mysql://root@localhost/chat"),
        ("DATABASE_URL", "chat.db"),
        ("CHAT_ENV", "staging"),
        ("CHAT_BUS", "redis"),
        ("CHAT_WS_QUEUE_BYTES", "100"),
        ("CHAT_WS_QUEUE_BYTES", "1MB"),
        ("CHAT_WS_MAX_MESSAGE_BYTES", "1024"),
        ("CHAT_WS_MAX_MESSAGE_BYTES", str(32 * 1024 * 1024)),
        ("CHAT_RETENTION_DAYS", "0"),
        ("CHAT_RETENTION_DAYS", "-3"),
        ("CHAT_RETENTION_DAYS", "1.5"),
        ("CHAT_RETENTION_DAYS", "week"),
        ("CHAT_RETENTION_DAYS", "36501"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert name in str(caught.value)


STRONG = "x" * 32


def test_prod_requires_storage_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_ENV", "prod")
    monkeypatch.delenv("CHAT_STORAGE_SECRET", raising=False)
    with pytest.raises(ConfigError, match="CHAT_STORAGE_SECRET is required"):
        load_settings()
    monkeypatch.setenv("CHAT_STORAGE_SECRET", STRONG)
    assert load_settings().storage_secret == STRONG


@pytest.mark.parametrize("secret", ["s3cret", "x" * 31, "   "])
def test_prod_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("CHAT_ENV", "prod")
    monkeypatch.setenv("CHAT_STORAGE_SECRET", secret)
    with pytest.raises(ConfigError, match="CHAT_STORAGE_SECRET") as caught:
        load_settings()
    assert "Value error" not in str(caught.value)
    assert secret.strip() == "" or secret not in str(caught.value), "the secret itself is never shown"


def test_short_secret_is_fine_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAT_ENV", raising=False)
    monkeypatch.setenv("CHAT_STORAGE_SECRET", "s3cret")
    assert load_settings().resolved_storage_secret() == "s3cret"


@pytest.mark.parametrize(
    ("env", "cookie", "secure"),
    [
        ("dev", None, False),
        ("prod", None, True),
        ("prod", "0", False),
        ("dev", "1", True),
        ("prod", "true", True),
    ],
)
def test_cookie_secure(monkeypatch: pytest.MonkeyPatch, env: str, cookie: str | None, secure: bool) -> None:
    monkeypatch.setenv("CHAT_ENV", env)
    monkeypatch.setenv("CHAT_STORAGE_SECRET", STRONG)
    if cookie is None:
        monkeypatch.delenv("CHAT_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("CHAT_COOKIE_SECURE", cookie)
    assert load_settings().cookie_secure is secure


def test_cookie_secure_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_COOKIE_SECURE", "maybe")
    with pytest.raises(ConfigError, match="CHAT_COOKIE_SECURE"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ""), ("/", ""), ("/chat", "/chat"), ("/chat/", "/chat"), ("/team/chat", "/team/chat")],
)
def test_root_path(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("CHAT_ROOT_PATH", value)
    assert load_settings().root_path == expected


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("HOST", "", "must not be empty"),
        ("HOST", "   ", "must not be empty"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", "http(s)://host[:port][/path]"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector:4318", "http(s)://host[:port][/path]"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://", "http(s)://host[:port][/path]"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:port", "http(s)://host[:port][/path]"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:99999", "http(s)://host[:port][/path]"),
        ("CHAT_ROOT_PATH", "chat", "a path like /chat"),
        ("CHAT_ROOT_PATH", "//chat", "a path like /chat"),
        ("CHAT_ROOT_PATH", "/chat?x=1", "a path like /chat"),
        ("DATABASE_URL", "chat.db", "not a database URL"),
    ],
)
def test_edge_cases_are_plain_messages(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert name in message and words in message
    assert "Value error" not in message


@pytest.mark.parametrize(
    "endpoint",
    ["http://localhost:4318", "https://otel.example.com", "http://10.0.0.5:4318/otlp", "http://[::1]:4318"],
)
def test_good_otlp_endpoints(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    assert load_settings().otel_endpoint == endpoint


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://chat:hunter2@db:5432/chat", "postgresql://chat:***@db:5432/chat"),
        ("postgres://u:p%40ss@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"),
        ("postgresql://u:a@b@h/db", "postgresql://u:***@h/db"),
        ("postgresql://postgres@127.0.0.1/chat", "postgresql://postgres@127.0.0.1/chat"),
        ("sqlite:///chat.db", "sqlite:///chat.db"),
        ("http://user:token@collector:4318", "http://user:***@collector:4318"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_generated_secret_file_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAT_STORAGE_SECRET", raising=False)
    data = tmp_path / "deep" / "data"
    secret = load_settings(data_dir=data).resolved_storage_secret()
    assert len(secret) >= MIN_SECRET_LENGTH
    assert stat.S_IMODE((data / SECRET_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


@pytest.mark.parametrize("content", ["", "\n", "short"])
def test_empty_or_short_secret_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    monkeypatch.delenv("CHAT_STORAGE_SECRET", raising=False)
    (tmp_path / SECRET_FILE).write_text(content)
    with pytest.raises(ConfigError, match="delete the file") as caught:
        load_settings(data_dir=tmp_path).resolved_storage_secret()
    assert str(tmp_path / SECRET_FILE) in str(caught.value)


def test_data_dir_is_prepared(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "a" / "b", storage_secret=STRONG)
    settings.prepare_data_dir()
    assert settings.storage_path.is_dir()
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


def test_data_dir_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    settings = load_settings(data_dir=tmp_path / "file" / "data")
    with pytest.raises(ConfigError, match="CHAT_DATA_DIR"):
        settings.prepare_data_dir()


@pytest.mark.parametrize(
    ("name", "value", "override"),
    [
        ("PORT", "abc", {"port": 8097}),
        ("HOST", "  ", {"host": "0.0.0.0"}),
        ("DATABASE_URL", "mysql://root@localhost/chat", {"database_url": "sqlite:///chat.db"}),
    ],
)
def test_a_bad_variable_is_an_error_even_when_a_flag_overrides_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, override: dict[str, object]
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(**override)
    assert f"{name}: " in str(caught.value) and repr(value) in str(caught.value)


@pytest.mark.parametrize(("value", "days"), [("", None), ("  ", None), ("7", 7), ("36500", 36500)])
def test_retention_days(monkeypatch: pytest.MonkeyPatch, value: str, days: int | None) -> None:
    monkeypatch.setenv("CHAT_RETENTION_DAYS", value)
    assert load_settings().retention_days == days


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


def test_help_lists_every_command_with_its_purpose(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` has a `commands:` section: every command, the operator ones too, on its own line."""
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert "\ncommands:\n" in help_text, help_text
    section = help_text.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
    listed = dict(line.split(maxsplit=1) for line in section.splitlines())
    assert list(listed) == ["serve", "migrate", "check", "delete-message", "list-messages"]
    assert set(ADMIN_COMMANDS) <= set(listed)
    assert all(len(purpose) > 10 for purpose in listed.values()), listed
