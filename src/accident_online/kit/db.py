"""Async engine, sessions and column types shared by every table.

SQLite is the embedded default and PostgreSQL the scale-out database; everything here
makes the two behave alike where the service depends on it (durable commits, foreign
keys, aware timestamps, writers that wait their turn instead of failing).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import BigInteger, Column, DateTime, Integer, Table, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util.concurrency import await_, in_greenlet
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.problems import AppError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option read by the SQLite ``begin`` hook: a transaction that will write takes
# the write lock up front, so that two writers queue on busy_timeout instead of one
# failing with "database is locked" when it upgrades a read lock.
WRITE_OPTION = "accident_online_write"
# Execution option holding this process's ``WriterQueue`` (SQLite, engine-bound apps).
WRITER_QUEUE_OPTION = "accident_online_writer_queue"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Yuan with two decimals, stored as whole fen (cents) so SQLite keeps them exact too."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        cents = (value * 100).to_integral_value()
        if cents != value * 100:
            raise ValueError("money has at most two decimals")
        return int(cents)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))


def serial_primary_key() -> Column[int]:
    """A 64-bit auto-increment key; SQLite's INTEGER PRIMARY KEY is its rowid, also 64-bit."""
    return Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(
    url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000, connect_timeout: float = 5.0
) -> AsyncEngine:
    if is_sqlite(url):
        engine = sa_create_async_engine(
            url,
            connect_args={"timeout": busy_timeout_ms / 1000},
            # The driver's own transaction handling is off; the hooks below issue BEGIN.
            isolation_level="AUTOCOMMIT",
        )
        _install_sqlite_hooks(engine, busy_timeout_ms)
        return engine
    return sa_create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"timeout": connect_timeout},
    )


class WriterQueue:
    """SQLite has one writer at a time: this process's writers wait their turn here.

    Without it, a writer that finds the write lock taken sleeps in SQLite's busy handler,
    which backs off up to 100 ms between tries, so under load some writers wait seconds
    while the lock sits free between sleepers (issue 6 profile). Here they wait on an
    asyncio lock, first come first served, woken the moment it is free. SQLite's
    busy_timeout still orders this process against others.

    The turn is taken when a write transaction begins (``BEGIN IMMEDIATE``), not when a
    session is made, so a request streaming an upload does not hold it; it is given
    back when the connection returns to the pool, after its commit or rollback.
    """

    def __init__(self) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            for old in [old for old in self._locks if old.is_closed()]:
                del self._locks[old]
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take_turn(self, *, timeout_seconds: float) -> asyncio.Lock:
        lock = self._lock()
        try:
            await asyncio.wait_for(lock.acquire(), timeout_seconds)
        except TimeoutError:
            raise TimeoutError(
                "database is locked: no write turn within the busy timeout"
            ) from None
        return lock


_HELD_TURN = "accident_online_write_turn"


def _install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged
        # commit survive a power cut, not only a process crash.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        immediate = options.get(WRITE_OPTION, False)
        queue: WriterQueue | None = options.get(WRITER_QUEUE_OPTION)
        # The pooled connection's info lives as long as the connection.
        info = connection.connection.info
        if immediate and queue is not None and in_greenlet() and _HELD_TURN not in info:
            info[_HELD_TURN] = await_(queue.take_turn(timeout_seconds=busy_timeout_ms / 1000))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _give_turn_back(info)
            raise

    @event.listens_for(sync_engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            _give_turn_back(record.info)


def _give_turn_back(info: dict[Any, Any]) -> None:
    lock: asyncio.Lock | None = info.pop(_HELD_TURN, None)
    if lock is not None and lock.locked():
        lock.release()


# Arbitrary, fixed: the PostgreSQL advisory lock that serialises migrations and seeding
# when several replicas start at once.
SETUP_LOCK_KEY = 0x4143_4349  # "ACCI"


async def hold_setup_lock(connection: AsyncConnection | AsyncSession) -> None:
    """Serialises start-up work (migrate, seed) across processes until the transaction ends.

    On SQLite the write transaction (BEGIN IMMEDIATE) already does this.
    """
    bind = connection.get_bind() if isinstance(connection, AsyncSession) else connection
    if bind.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY}
        )


def upserting_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert``, which has ON CONFLICT (both databases speak it)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def upsert_increment(
    session: AsyncSession, table: Table, *, key: dict[str, Any], column: str
) -> int:
    """Adds one to a counter row (made at 1 if missing) atomically; returns the new value."""
    statement = (
        upserting_insert(session)(table)
        .values(**key, **{column: 1})
        .on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={column: table.c[column] + 1},
        )
        .returning(table.c[column])
    )
    result = await session.exec(statement)
    return int(result.scalar_one())


class Database:
    """The engine and the two session factories (reading, writing) of one app."""

    def __init__(self, bind: AsyncEngine | AsyncConnection, *, url: str) -> None:
        self.url = url
        self.bind = bind
        self.sqlite = is_sqlite(url)
        if isinstance(bind, AsyncConnection):
            # Tests bind every session to one connection whose outer transaction is
            # rolled back; a commit inside becomes a savepoint release.
            factory = async_sessionmaker(
                bind=bind,
                class_=AsyncSession,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
            )
            self._read = self._write = factory
        else:
            self._read = async_sessionmaker(bind=bind, class_=AsyncSession, expire_on_commit=False)
            options: dict[str, Any] = {WRITE_OPTION: True}
            if self.sqlite:
                options[WRITER_QUEUE_OPTION] = WriterQueue()
            self._write = async_sessionmaker(
                bind=bind.execution_options(**options),
                class_=AsyncSession,
                expire_on_commit=False,
            )

    @property
    def engine(self) -> AsyncEngine:
        return self.bind.engine if isinstance(self.bind, AsyncConnection) else self.bind

    def sessionmaker(self, *, write: bool) -> async_sessionmaker[AsyncSession]:
        return self._write if write else self._read

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on any error."""
        async with self.sessionmaker(write=write)() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        if isinstance(self.bind, AsyncEngine):
            await self.bind.dispose()


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed before the response is sent, or rolled back.

    An ``AppError`` that records evidence of itself (``keep_changes``, e.g. a failed
    sign-in counted towards a lockout) is committed and still answered as an error.
    """
    database: Database = request.app.state.database
    write = request.method not in SAFE_METHODS
    async with database.sessionmaker(write=write)() as session:
        try:
            yield session
        except AppError as error:
            if error.keep_changes:
                await session.commit()
                raise
            await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        try:
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# scope="function": the commit happens before the response goes out, so a client never
# sees a 2xx for a transaction that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


@dataclass(frozen=True)
class BatchStep:
    """One statement of ``execute_batch`` and the rows it runs for (one or many)."""

    statement: Executable
    rows: Sequence[Mapping[str, Any]]


async def execute_batch(session: AsyncSession, steps: Sequence[BatchStep]) -> bool:
    """Runs the steps in order in the session's transaction, the first for one row only.

    The first step is an insert with RETURNING that may meet a conflict: when it returns
    nothing, the other steps do not run and the answer is False. On SQLite the batch is
    one trip to the driver's thread instead of one per statement: every trip waits its
    turn on the event loop, and a write transaction holds SQLite's one write lock
    throughout (issue 6 profile). On PostgreSQL it is one statement.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await _run_postgresql_batch(connection, steps)
    prepared = [_for_driver(connection.dialect, step) for step in steps if step.rows]
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    # aiosqlite's own queue to its thread, as SQLAlchemy's aiosqlite dialect uses it.
    done: bool = await driver._execute(_run_sqlite_batch, driver._conn, prepared)
    return done


async def _run_postgresql_batch(connection: AsyncConnection, steps: Sequence[BatchStep]) -> bool:
    """PostgreSQL: the whole batch as one statement, one round trip.

    The first step as SQLAlchemy compiles it, the others as data-modifying WITH clauses
    reading their rows from one JSON parameter each (``json_populate_recordset``), each
    running only if the first returned a row. Foreign keys between them hold: they are
    checked at the end of the statement.
    """
    first, *rest = steps
    first_sql, (first_parameters,) = _for_driver(connection.dialect, first)
    clauses = [f"first_step AS ({first_sql})"]
    parameters = list(first_parameters)
    for number, step in enumerate((step for step in rest if step.rows), start=1):
        table = _table_of(step.statement)
        # Identifiers come from the table's own columns, quoted; values travel as data.
        quote = connection.dialect.identifier_preparer.quote
        columns = ", ".join(quote(table.c[name].name) for name in step.rows[0])
        parameters.append(_json_rows(table, step.rows))
        clauses.append(
            f"step_{number} AS (INSERT INTO {quote(table.name)} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM json_populate_recordset("
            f"NULL::{quote(table.name)}, ${len(parameters)}::json) "
            "WHERE EXISTS (SELECT FROM first_step))"
        )
    sql = f"WITH {', '.join(clauses)} SELECT count(*) FROM first_step"  # noqa: S608
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return bool(await driver.fetchval(sql, *parameters))


def _compile(
    dialect: Dialect, step: BatchStep, keys: tuple[str, ...]
) -> tuple[str, list[tuple[str, Any]]]:
    """The statement's SQL for this dialect, and its bind parameters in order, each with
    the processor that turns a Python value into what the driver takes."""
    assert isinstance(step.statement, ClauseElement)
    compiled = step.statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    binds = []
    for name in compiled.positiontup or ():
        # dialect_impl: the type as this dialect stores it (SQLite: timestamps as text).
        bind_type = compiled.binds[name].type.dialect_impl(dialect)
        binds.append((name, bind_type.bind_processor(dialect)))
    return compiled.string, binds


def _table_of(statement: Executable) -> Table:
    table = getattr(statement, "table", None)
    assert isinstance(table, Table), "batch steps after the first are plain inserts"
    return table


def _json_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as PostgreSQL reads them from JSON: our column types' own conversions
    applied (money in fen, timestamps in UTC), JSON columns left as they are."""
    decorators = {
        column.name: column.type
        for column in table.columns
        if isinstance(column.type, TypeDecorator)
    }
    converted = [
        {
            name: decorators[name].process_bind_param(value, None)  # type: ignore[arg-type]
            if name in decorators
            else value
            for name, value in row.items()
        }
        for row in rows
    ]
    return json.dumps(converted, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


_COMPILED: dict[tuple[str, Executable, tuple[str, ...]], tuple[str, list[tuple[str, Any]]]] = {}


def _for_driver(dialect: Dialect, step: BatchStep) -> tuple[str, list[tuple[Any, ...]]]:
    """The step's SQL and its rows as the driver takes them (types processed as SQLAlchemy
    would: UUIDs, aware timestamps, JSON, money)."""
    keys = tuple(step.rows[0])
    cache_key = (dialect.name, step.statement, keys)
    cached = _COMPILED.get(cache_key)
    if cached is None:
        cached = _COMPILED[cache_key] = _compile(dialect, step, keys)
    sql, binds = cached
    rows = [
        tuple(process(row[name]) if process is not None else row[name] for name, process in binds)
        for row in step.rows
    ]
    return sql, rows


def _run_sqlite_batch(connection: Any, prepared: list[tuple[str, list[tuple[Any, ...]]]]) -> bool:
    (first_sql, (first_row,)), *rest = prepared
    if not connection.execute(first_sql, first_row).fetchall():
        return False
    for sql, rows in rest:
        connection.executemany(sql, rows)
    return True


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads, whatever its method (POST /v1/eligibility).

    On SQLite it never takes the write lock, so such requests do not wait behind writers.
    """
    database: Database = request.app.state.database
    async with database.sessionmaker(write=False)() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
