"""Settings read from the environment: one typed object, clear errors for bad values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_DEFAULT = "sqlite:///chat.db"


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
    storage_secret: str | None = Field(default=None, validation_alias="CHAT_STORAGE_SECRET")
    root_path: str = Field(default="", validation_alias="CHAT_ROOT_PATH")
    chat_bus: Literal["auto", "local"] = Field(default="auto", validation_alias="CHAT_BUS")
    auto_migrate: bool = Field(default=True, validation_alias="CHAT_AUTO_MIGRATE")
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="CHAT_DATA_DIR")
    otel_endpoint: str = Field(
        default="http://localhost:4318", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    otel_service_name: str = Field(default="chat-app", validation_alias="OTEL_SERVICE_NAME")
    otel_disabled: bool = Field(default=False, validation_alias="OTEL_SDK_DISABLED")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        async_database_url(value)
        return value

    @model_validator(mode="after")
    def _prod_needs_secret(self) -> Settings:
        if self.chat_env == "prod" and not self.storage_secret:
            raise ValueError("CHAT_STORAGE_SECRET is required when CHAT_ENV=prod")
        return self

    @property
    def async_url(self) -> str:
        return async_database_url(self.database_url)

    @property
    def sync_url(self) -> str:
        return sync_database_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.async_url.startswith("sqlite")

    @property
    def cluster(self) -> bool:
        """PostgreSQL and not `CHAT_BUS=local`: messages and presence go through the database's
        LISTEN/NOTIFY, so several instances on one database act as one chat. SQLite is always local."""
        return not self.is_sqlite and self.chat_bus == "auto"

    def resolved_storage_secret(self) -> str:
        """The configured secret, or one generated once and kept in the data directory."""
        if self.storage_secret:
            return self.storage_secret
        path = self.data_dir / "storage-secret"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


def _env_name(field_name: str) -> str:
    alias = Settings.model_fields[field_name].validation_alias
    return str(alias) if alias else field_name.upper()


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise ConfigError naming the variable when a value is bad."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = item["loc"][0] if item["loc"] else ""
            name = _env_name(str(loc)) if loc in Settings.model_fields else str(loc)
            value = item.get("input")
            shown = f" (got {value!r})" if name and not isinstance(value, dict) else ""
            label = f"{name}: " if name else ""
            problems.append(f"{label}{item['msg']}{shown}")
        raise ConfigError("invalid setting: " + "; ".join(problems)) from None
