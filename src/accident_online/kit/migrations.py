"""Alembic, driven from code: upgrade to head, and read the revision a database is at."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from accident_online.kit.db import WRITE_OPTION, hold_setup_lock

FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"


def alembic_dir() -> Path:
    """The top-level ``alembic/`` folder: beside ``src/`` in a checkout, or in the cwd."""
    configured = os.environ.get("ACCIDENT_ONLINE_ALEMBIC_DIR")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[3] / "alembic"
    if checkout.is_dir():
        return checkout
    return Path.cwd() / "alembic"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        await hold_setup_lock(connection)
        await connection.run_sync(_upgrade, config)


def _current_heads(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(_current_heads)
