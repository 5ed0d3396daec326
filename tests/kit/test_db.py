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
    """A write session holds SQLite's write lock from BEGIN, before it writes anything.

    Another connection (here a plain sqlite3 one, as another process would be) cannot
    start writing meanwhile; with a plain deferred BEGIN it could, and the first session
    would later fail with "database is locked" when its read lock had to be upgraded.
    """
    import sqlite3

    from accident_online.kit.db import Database

    path = tmp_path / "locks.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url, busy_timeout_ms=100)
    database = Database(engine, url=url)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with database.session(write=True) as writer:
            await writer.exec(text("CREATE TABLE t (x INTEGER)"))  # type: ignore[call-overload]
        async with database.session(write=True) as first:
            await first.exec(text("SELECT 1"))  # type: ignore[call-overload]
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        # Once the first session has ended, the other connection may write.
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        async with database.session(write=False) as reader:
            await reader.exec(text("SELECT 1"))  # type: ignore[call-overload]
            # A read session takes no write lock.
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
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
    """This process's writers queue first come, first served, and none fails.

    Left to SQLite's busy handler, waiting writers sleep and retry with backoff, so they
    get the lock in no particular order; the writer queue hands it over in the order the
    writers asked for it (a writer asks as soon as its connection is checked out, so the
    checkout order is the order of asking). The busy timeout is long enough that no
    writer can time out here: what is asserted is the order and that every write (after
    a rolled-back one) landed.
    """
    import asyncio

    from sqlalchemy import event

    from accident_online.kit.db import Database

    url = f"sqlite+aiosqlite:///{tmp_path}/turns.db"
    engine = create_engine(url, busy_timeout_ms=30_000)
    database = Database(engine, url=url)
    order: list[int] = []
    try:
        async with database.session(write=True) as setup:
            await setup.exec(text("CREATE TABLE t (n INTEGER)"))  # type: ignore[call-overload]

        async def write(n: int) -> None:
            async with database.session(write=True) as session:
                await session.exec(text("INSERT INTO t VALUES (:n)").bindparams(n=n))  # type: ignore[call-overload]
                order.append(n)
                await asyncio.sleep(0.005)  # holds its turn across awaits, as a request does

        async def fail() -> None:
            async with database.session(write=True) as session:
                await session.exec(text("INSERT INTO t VALUES (-1)"))  # type: ignore[call-overload]
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await fail()  # a rolled-back writer gives its turn back too

        asked: list[int] = []

        def checked_out(*_: object) -> None:
            task = asyncio.current_task()
            if task is not None and task.get_name().startswith("writer-"):
                asked.append(int(task.get_name().removeprefix("writer-")))

        event.listen(engine.sync_engine.pool, "checkout", checked_out)
        tasks = [asyncio.create_task(write(n), name=f"writer-{n}") for n in range(30)]
        await asyncio.gather(*tasks)
        async with database.session(write=False) as reader:
            stored = (await reader.exec(text("SELECT n FROM t ORDER BY rowid"))).all()  # type: ignore[call-overload]
    finally:
        await engine.dispose()

    assert sorted(asked) == list(range(30))
    assert order == asked
    assert [row[0] for row in stored] == asked


async def test_a_batch_stops_when_its_first_insert_meets_a_conflict(database) -> None:
    from datetime import timedelta

    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from accident_online.kit.db import BatchStep, execute_batch
    from accident_online.kit.idempotency_keys import IdempotencyKey
    from accident_online.kit.time import utc_now
    from accident_online.models.case import CaseNumberCounter

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
