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
