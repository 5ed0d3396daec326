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


async def test_cases_already_disputed_go_to_the_first_registered_organisation(
    fresh_database_url,
) -> None:
    # Before the revision every mediation (court) partner saw every mediation (litigation)
    # case; after it, the one registered first keeps them and the others lose them.
    import json
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from accident_online.kit.db import create_engine
    from accident_online.kit.migrations import alembic_config

    engine = create_engine(fresh_database_url)
    sqlite = engine.dialect.name == "sqlite"
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    cases = {resolution: uuid.uuid4() for resolution in ("mediation", "litigation", "none")}
    try:
        async with engine.begin() as connection:
            config = alembic_config(fresh_database_url)
            await connection.run_sync(_upgrade_to, config, "40a1f4ebbf53")
            for n, (partner_id, kind) in enumerate(
                [
                    ("app", "app"),
                    ("med-b", "mediation"),
                    ("med-a", "mediation"),
                    ("court-a", "court"),
                    ("court-b", "court"),
                ]
            ):
                await connection.execute(
                    text(
                        "INSERT INTO partners (id, kind, name, client_secret_hash, "
                        "webhook_secret, created_at) VALUES (:id, :kind, :id, 'x', 'x', :at)"
                    ),
                    {"id": partner_id, "kind": kind, "at": at + timedelta(minutes=n)},
                )
            await connection.execute(
                text(
                    "INSERT INTO centers (id, name, districts, online, capacity, hours) "
                    "VALUES ('c', 'c', '[]', true, 1, '{}')"
                )
            )
            for number, (resolution, case_id) in enumerate(cases.items()):
                await connection.execute(
                    text(
                        "INSERT INTO cases (id, number, status, version, last_event_seq, "
                        "center_id, home_center_id, routing_reason, filed_by_partner_id, "
                        "occurred_at, reported_at, updated_at, latitude, longitude, address, "
                        "district, description, eligibility_answers, requested_evidence, "
                        "resolution) VALUES (:id, :number, 'disputed', 1, 0, 'c', 'c', 'home', "
                        "'app', :at, :at, :at, 36.4, 115.9, 'a', 'd', '', :answers, '[]', "
                        ":resolution)"
                    ),
                    {
                        "id": case_id.hex if sqlite else case_id,
                        "number": f"N{number}",
                        "at": at,
                        "answers": json.dumps({}),
                        "resolution": None if resolution == "none" else resolution,
                    },
                )
            await connection.run_sync(_upgrade_to, config, "head")
            rows = await connection.execute(
                text("SELECT resolution, mediation_partner_id, court_partner_id FROM cases")
            )
            assigned = {row[0]: (row[1], row[2]) for row in rows}
    finally:
        await engine.dispose()

    assert assigned == {
        "mediation": ("med-b", None),
        "litigation": (None, "court-a"),
        None: (None, None),
    }


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
