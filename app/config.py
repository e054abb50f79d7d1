"""Settings read from the environment: one typed object, clear errors for bad values."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_DEFAULT = "sqlite:///chat.db"
MIN_SECRET_LENGTH = 32
SECRET_FILE = "storage-secret"
GENERATE_HINT = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


class ConfigError(Exception):
    """A setting has a value the chat cannot use; the message names the variable."""


def async_database_url(url: str) -> str:
    """Turn the URL forms users paste into the SQLAlchemy URL of an async driver."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r} (expected e.g. sqlite:///chat.db)")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    raise ValueError(f"unsupported database {scheme!r}: use sqlite:///… or postgresql://…")


def sync_database_url(url: str) -> str:
    """The same database through a blocking driver (used by migrations)."""
    async_url = async_database_url(url)
    return async_url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def mask_url(url: str) -> str:
    """The URL with its password replaced by `***`, for output and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostport}{slash}{tail}"


def display_url(url: str) -> str:
    """The URL as a person wrote it (no `+driver`), password masked."""
    scheme, sep, rest = mask_url(url).partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def check_otlp_endpoint(value: str) -> str:
    """An OTLP/HTTP base URL: http(s)://host[:port][/path]."""
    problem = ValueError(f"expected http(s)://host[:port][/path], e.g. http://localhost:4318, got {value!r}")
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number in 0..65535)
    except ValueError:
        raise problem from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise problem
    return value.strip()


def check_root_path(value: str) -> str:
    """'' or a path like /chat; a trailing slash is dropped."""
    path = value.strip().rstrip("/")
    if path and (not path.startswith("/") or "//" in path or any(c in path for c in "?#% \t\\")):
        raise ValueError(f"expected empty or a path like /chat, got {value!r}")
    return path


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chat"


class Settings(BaseSettings):
    """Everything the chat reads from the environment."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", populate_by_name=True)

    database_url: str = Field(default=SQLITE_DEFAULT, validation_alias="DATABASE_URL")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=8080, ge=1, le=65535, validation_alias="PORT")
    chat_env: Literal["dev", "prod"] = Field(default="dev", validation_alias="CHAT_ENV")
    history_limit: int = Field(default=20, ge=1, le=1000, validation_alias="CHAT_HISTORY_LIMIT")
    tab_messages: int = Field(default=200, ge=1, le=10000, validation_alias="CHAT_TAB_MESSAGES")
    rate_limit: int = Field(default=20, ge=0, validation_alias="CHAT_RATE_LIMIT")
    rename_limit: int = Field(default=5, ge=0, validation_alias="CHAT_RENAME_LIMIT")
    max_tabs_per_ip: int = Field(default=50, ge=0, validation_alias="CHAT_MAX_TABS_PER_IP")
    max_tabs: int = Field(default=2000, ge=0, validation_alias="CHAT_MAX_TABS")
    event_rate: int = Field(default=30, ge=0, validation_alias="CHAT_EVENT_RATE")
    storage_secret: str | None = Field(default=None, validation_alias="CHAT_STORAGE_SECRET")
    cookie_secure_setting: bool | None = Field(default=None, validation_alias="CHAT_COOKIE_SECURE")
    root_path: str = Field(default="", validation_alias="CHAT_ROOT_PATH")
    ws_queue_bytes: int = Field(default=1024 * 1024, ge=4096, validation_alias="CHAT_WS_QUEUE_BYTES")
    ws_max_message_bytes: int = Field(
        default=64 * 1024, ge=16 * 1024, le=16 * 1024 * 1024, validation_alias="CHAT_WS_MAX_MESSAGE_BYTES"
    )
    chat_bus: Literal["auto", "local"] = Field(default="auto", validation_alias="CHAT_BUS")
    auto_migrate: bool = Field(default=True, validation_alias="CHAT_AUTO_MIGRATE")
    send_timeout: float = Field(default=10.0, gt=0, le=300, validation_alias="CHAT_SEND_TIMEOUT")
    retention_days: int | None = Field(default=None, gt=0, le=36500, validation_alias="CHAT_RETENTION_DAYS")
    debug_stats: bool = Field(default=False, validation_alias="CHAT_DEBUG_STATS")
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="CHAT_DATA_DIR")
    otel_endpoint: str = Field(
        default="http://localhost:4318", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    otel_service_name: str = Field(default="chat-app", validation_alias="OTEL_SERVICE_NAME")
    otel_disabled: bool = Field(default=False, validation_alias="OTEL_SDK_DISABLED")

    _secret: str | None = PrivateAttr(default=None)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        async_database_url(value)
        return value

    @field_validator("host")
    @classmethod
    def _host_given(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty (use 0.0.0.0 to listen on all interfaces)")
        return value

    @field_validator("otel_endpoint")
    @classmethod
    def _otlp_url(cls, value: str) -> str:
        return check_otlp_endpoint(value)

    @field_validator("retention_days", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("root_path")
    @classmethod
    def _root_path(cls, value: str) -> str:
        return check_root_path(value)

    @field_validator("storage_secret")
    @classmethod
    def _secret_or_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @property
    def is_prod(self) -> bool:
        return self.chat_env == "prod"

    @property
    def cookie_secure(self) -> bool:
        """Whether the session cookie is marked Secure: CHAT_COOKIE_SECURE, by default on in prod."""
        return self.is_prod if self.cookie_secure_setting is None else self.cookie_secure_setting

    @property
    def async_url(self) -> str:
        return async_database_url(self.database_url)

    @property
    def sync_url(self) -> str:
        return sync_database_url(self.database_url)

    @property
    def masked_database_url(self) -> str:
        return display_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.async_url.startswith("sqlite")

    @property
    def cluster(self) -> bool:
        """PostgreSQL and not `CHAT_BUS=local`: messages and presence go through the database's
        LISTEN/NOTIFY, so several instances on one database act as one chat. SQLite is always local."""
        return not self.is_sqlite and self.chat_bus == "auto"

    @property
    def storage_path(self) -> Path:
        """NiceGUI's per-browser storage (NICEGUI_STORAGE_PATH)."""
        return self.data_dir / "nicegui"

    def prepare_data_dir(self) -> None:
        """Create the data directory and NiceGUI's storage in it (mode 0700); ConfigError if impossible."""
        for path in (self.data_dir, self.storage_path):
            try:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    f"CHAT_DATA_DIR: cannot create {path} ({error.strerror or error}); "
                    "set CHAT_DATA_DIR to a writable directory"
                ) from None

    def resolved_storage_secret(self) -> str:
        """The configured secret, or one generated once and kept in the data directory (mode 0600)."""
        if self.storage_secret:
            return self.storage_secret
        if self._secret is None:
            self._secret = self._secret_from_file(self.data_dir / SECRET_FILE)
        return self._secret

    def _secret_from_file(self, path: Path) -> str:
        self.prepare_data_dir()
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass  # made earlier, or by another process just now: read it below
        except OSError as error:
            raise ConfigError(f"cannot create the storage secret {path} ({error.strerror})") from None
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(32))
        try:
            secret = path.read_text().strip()
        except OSError as error:
            raise ConfigError(f"cannot read the storage secret {path} ({error.strerror})") from None
        if len(secret) < MIN_SECRET_LENGTH:
            if not secret:
                secret = _wait_for_content(path)
            if len(secret) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"the storage secret {path} is {'empty' if not secret else 'too short'} "
                    f"(at least {MIN_SECRET_LENGTH} characters): delete the file to have a new one generated "
                    "(browsers then forget their names once), or set CHAT_STORAGE_SECRET"
                )
        return secret


def _wait_for_content(path: Path) -> str:
    """Another process may have created the file a moment ago and be writing it: wait briefly."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        secret = path.read_text().strip()
        if secret:
            return secret
        time.sleep(0.01)
    return ""


def secret_problem(settings: Settings) -> str | None:
    """What is wrong with CHAT_STORAGE_SECRET, if anything: prod needs a strong one."""
    if not settings.is_prod:
        return None
    if not settings.storage_secret:
        return "CHAT_STORAGE_SECRET is required when CHAT_ENV=prod (" + GENERATE_HINT + ")"
    if len(settings.storage_secret) < MIN_SECRET_LENGTH:
        return (
            f"CHAT_STORAGE_SECRET must be at least {MIN_SECRET_LENGTH} characters when CHAT_ENV=prod "
            f"(it has {len(settings.storage_secret)}; {GENERATE_HINT})"
        )
    return None


def _env_name(field_name: str) -> str:
    alias = Settings.model_fields[field_name].validation_alias
    return str(alias) if alias else field_name.upper()


def _describe(error: ValidationError, only: set[str] | None = None, note: str = "") -> list[str]:
    """One `VARIABLE: problem (got value)` per error (`only`: of these variables), `note` after each."""
    problems = []
    for item in error.errors():
        loc = item["loc"][0] if item["loc"] else ""
        name = _env_name(str(loc)) if loc in Settings.model_fields else str(loc)
        if only is not None and name not in only:
            continue
        value = item.get("input")
        cause = (item.get("ctx") or {}).get("error")
        message = str(cause) if item["type"] == "value_error" and cause is not None else item["msg"]
        shown = f" (got {value!r})" if name and not isinstance(value, dict) and "got " not in message else ""
        label = f"{name}: " if name else ""
        problems.append(f"{label}{message}{shown}{note}")
    return problems


def load_settings(*, require_secret: bool = True, **overrides: Any) -> Settings:
    """Read the settings; raise ConfigError naming the variable when a value is bad.

    A value in `overrides` (a command-line flag) wins over its variable, but a bad variable is an error
    all the same: the environment is checked on its own first, so `PORT=abc ... --port 8097` fails.
    With `require_secret=False` a missing or weak prod secret is left to the caller (`check` reports it
    on its own line).
    """
    problems: list[str] = []
    if overrides:
        try:
            Settings()
        except ValidationError as error:  # the other fields' problems are reported below, once
            problems += _describe(
                error,
                {_env_name(field) for field in overrides},
                " (in the environment: a flag overrides it, but it must be valid)",
            )
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        problems += _describe(error)
    if problems:
        raise ConfigError("invalid setting: " + "; ".join(problems))
    problem = secret_problem(settings) if require_secret else None
    if problem:
        raise ConfigError(f"invalid setting: {problem}")
    return settings
