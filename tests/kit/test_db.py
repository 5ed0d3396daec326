"""The embedded SQLite database is set up for durability and concurrency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from accident_online.kit.db import Money, UTCDateTime, create_engine


async def test_sqlite_connections_are_durable_and_enforce_foreign_keys(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/pragmas.db", busy_timeout_ms=7000)
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    # synchronous=2 is FULL: an acknowledged commit survives a power cut.
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 7000,
    }


async def test_a_write_transaction_takes_the_lock_up_front(tmp_path) -> None:
    from accident_online.kit.db import Database

    url = f"sqlite+aiosqlite:///{tmp_path}/locks.db"
    engine = create_engine(url, busy_timeout_ms=100)
    database = Database(engine, url=url)
    try:
        async with database.session(write=True) as writer:
            await writer.exec(text("CREATE TABLE t (x INTEGER)"))  # type: ignore[call-overload]
        async with database.session(write=True) as first:
            await first.exec(text("SELECT 1"))  # type: ignore[call-overload]
            with pytest.raises(Exception, match="locked"):
                async with database.session(write=True) as second:
                    await second.exec(text("SELECT 1"))  # type: ignore[call-overload]
    finally:
        await engine.dispose()


def test_timestamps_come_back_aware_and_naive_ones_are_refused() -> None:
    column = UTCDateTime()
    naive = datetime(2026, 11, 28, 8, 0)  # noqa: DTZ001
    assert column.process_result_value(naive, None) == naive.replace(tzinfo=UTC)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(naive, None)  # type: ignore[arg-type]


def test_money_is_stored_as_whole_fen() -> None:
    column = Money()
    assert column.process_bind_param(Decimal("2100.50"), None) == 210050  # type: ignore[arg-type]
    assert column.process_result_value(210050, None) == Decimal("2100.50")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two decimals"):
        column.process_bind_param(Decimal("0.001"), None)  # type: ignore[arg-type]


async def test_writers_of_one_process_wait_their_turn_instead_of_failing(tmp_path) -> None:
    import asyncio

    from accident_online.kit.db import Database

    url = f"sqlite+aiosqlite:///{tmp_path}/turns.db"
    # A short busy timeout: a writer left polling SQLite's lock would fail within 0.2 s.
    engine = create_engine(url, busy_timeout_ms=200)
    database = Database(engine, url=url)
    order: list[int] = []
    try:
        async with database.session(write=True) as setup:
            await setup.exec(text("CREATE TABLE t (n INTEGER)"))  # type: ignore[call-overload]

        async def write(n: int) -> None:
            async with database.session(write=True) as session:
                await session.exec(text("INSERT INTO t VALUES (:n)").bindparams(n=n))  # type: ignore[call-overload]
                order.append(n)
                await asyncio.sleep(0.01)  # holds its turn across awaits, as a request does

        async def fail() -> None:
            async with database.session(write=True) as session:
                await session.exec(text("INSERT INTO t VALUES (-1)"))  # type: ignore[call-overload]
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await fail()  # a rolled-back writer gives its turn back too
        # 40 writers holding the lock 10 ms each: 0.4 s in all, twice the busy timeout;
        # left to SQLite's busy handler, some would give up with "database is locked".
        tasks = []
        for n in range(40):
            tasks.append(asyncio.create_task(write(n)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        async with database.session(write=False) as reader:
            stored = (await reader.exec(text("SELECT n FROM t ORDER BY rowid"))).all()  # type: ignore[call-overload]
    finally:
        await engine.dispose()

    assert sorted(order) == list(range(40))
    assert sorted(row[0] for row in stored) == list(range(40))


async def test_a_batch_stops_when_its_first_insert_meets_a_conflict(database) -> None:
    from datetime import timedelta

    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from accident_online.kit.db import BatchStep, execute_batch
    from accident_online.kit.time import utc_now
    from accident_online.models.case import CaseNumberCounter
    from accident_online.models.idempotency import IdempotencyKey

    keys = IdempotencyKey.__table__  # type: ignore[attr-defined]
    counters = CaseNumberCounter.__table__  # type: ignore[attr-defined]
    now = utc_now()
    key = {
        "client": "partner:app-lc",
        "key": "batch",
        "method": "POST",
        "path": "/v1/reports",
        "request_hash": "0" * 64,
        "response_status": 201,
        "response_body": '{"number": "LC20261128-0001"}',
        "response_headers": {"Location": "/v1/cases/1"},
        "locked_until": now,
        "created_at": now,
        "expires_at": now + timedelta(hours=24),
    }

    async def batch(days: list[str]) -> bool:
        async with database.session(write=True) as session:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            store = insert(keys).on_conflict_do_nothing().returning(keys.c.client)
            return await execute_batch(
                session,
                [
                    BatchStep(store, [key]),
                    BatchStep(counters.insert(), [{"day": day, "last": 7} for day in days]),
                ],
            )

    assert await batch(["19990101", "19990102"]) is True
    assert await batch(["19990103"]) is False  # the key is taken: nothing else written

    async with database.session(write=False) as session:
        # Found by comparing in SQL: stored exactly as SQLAlchemy itself stores the types.
        stored = (await session.exec(select(keys).where(keys.c.created_at == now))).one()  # type: ignore[call-overload]
        days = (
            await session.exec(
                select(counters.c.day, counters.c.last).where(counters.c.day < "2000")
            )
        ).all()  # type: ignore[call-overload]
    assert (stored.response_headers, stored.created_at, stored.expires_at - stored.created_at) == (
        {"Location": "/v1/cases/1"},
        now,
        timedelta(hours=24),
    )
    assert sorted(days) == [("19990101", 7), ("19990102", 7)]
