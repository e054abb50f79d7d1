"""Alembic environment: runs migrations on the URL the chat passes in."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import app.store.models  # noqa: F401  (registers the tables)
from app.store.migrate import sync_engine_args

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url is set by app.store.migrate"

engine = create_engine(url, **sync_engine_args(url))  # NullPool; a connect timeout on PostgreSQL
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
