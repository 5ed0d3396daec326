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


def _upgrade_to(connection: Connection, config: object, revision: str) -> None:
    from alembic import command

    config.attributes["connection"] = connection  # type: ignore[attr-defined]
    command.upgrade(config, revision)  # type: ignore[arg-type]


async def test_usernames_become_lower_case_and_case_clashes_stop_the_upgrade(
    fresh_database_url, database_factory
) -> None:
    import uuid

    import pytest
    from sqlalchemy import text

    from accident_online.kit.db import create_engine
    from accident_online.kit.migrations import alembic_config

    def add_users(connection: Connection, names: list[str]) -> None:
        for name in names:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, created_at) "
                    "VALUES (:id, :name, 'x', 'admin', CURRENT_TIMESTAMP)"
                ),
                {"id": uuid.uuid4().hex, "name": name},
            )

    async def upgraded(url: str, names: list[str]) -> list[str]:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade_to, alembic_config(url), "40a1f4ebbf53")
                await connection.run_sync(add_users, names)
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade_to, alembic_config(url), "head")
            async with engine.connect() as connection:
                rows = await connection.execute(text("SELECT username FROM users ORDER BY 1"))
                return [row[0] for row in rows]
        finally:
            await engine.dispose()

    assert await upgraded(fresh_database_url, ["Officer.Wang", "admin"]) == [
        "admin",
        "officer.wang",
    ]
    with pytest.raises(RuntimeError, match=r"officer\.li"):
        await upgraded(await database_factory.create(), ["Officer.Li", "officer.li"])
