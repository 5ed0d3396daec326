"""Alembic environment: async engines, batch mode for SQLite, models as the target."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import accident_online.models  # noqa: F401  (registers every table)
from accident_online.kit.db import create_engine
from accident_online.settings import Settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run_on)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    # The service passes its own connection (accident_online.kit.migrations); the alembic
    # command line does not, and gets an engine of its own.
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_async())
    else:
        _run_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
