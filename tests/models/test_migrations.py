"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import accident_online.models  # noqa: F401
from accident_online.kit.migrations import current_revisions, head_revisions


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_models_and_migrations_agree(engine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_database_is_at_head(engine) -> None:
    assert await current_revisions(engine) == head_revisions()
    assert len(head_revisions()) == 1


def _downgrade_to_base(connection: Connection, config: object) -> None:
    from alembic import command

    config.attributes["connection"] = connection  # type: ignore[attr-defined]
    command.downgrade(config, "base")  # type: ignore[arg-type]


async def test_migrations_go_down_to_nothing_and_up_again(fresh_database_url) -> None:
    from accident_online.kit.db import create_engine
    from accident_online.kit.migrations import alembic_config, upgrade_to_head

    engine = create_engine(fresh_database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_base, alembic_config(fresh_database_url))
        assert await current_revisions(engine) == frozenset()
        await upgrade_to_head(engine)
        assert await current_revisions(engine) == head_revisions()
    finally:
        await engine.dispose()
