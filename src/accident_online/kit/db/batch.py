"""Several inserts in one trip to the database, for the intake's hot path."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class BatchStep:
    """One statement of ``execute_batch`` and the rows it runs for (one or many)."""

    statement: Executable
    rows: Sequence[Mapping[str, Any]]


def insert_steps(*groups: Sequence[SQLModel]) -> list[BatchStep]:
    """Inserting these ORM objects as steps of ``execute_batch``, one per group (each of one
    table; empty groups left out): each object's column values as the ORM would write
    them, a primary key left to the database where the object has none yet."""
    steps = []
    for objects in groups:
        if not objects:
            continue
        table = _table(objects)
        # Each object's values as its state holds them (``__dict__``, where a table
        # model's constructor and ``new_row`` put every field): a column's descriptor
        # would cost a call per value.
        first = objects[0].__dict__
        columns = [
            column.key
            for column in table.columns
            if not (column.primary_key and first.get(column.key) is None)
        ]
        rows = [
            {name: values.get(name) for name in columns}
            for values in (item.__dict__ for item in objects)
        ]
        steps.append(BatchStep(_insert_of(table), rows))
    return steps


def _table(objects: Sequence[SQLModel]) -> Table:
    table = type(objects[0]).__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


@cache
def _insert_of(table: Table) -> Executable:
    """One statement per table, so that ``_for_driver`` compiles each once."""
    return insert(table)


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
    return await _in_aiosqlite_thread(driver, _run_sqlite_batch, prepared)


async def _in_aiosqlite_thread(driver: Any, function: Any, *args: Any) -> bool:
    """Calls ``function(sqlite3_connection, *args)`` in aiosqlite's thread, in one trip.

    The one use of a driver's private API in the service (STYLE.md 16): aiosqlite has no
    public way to run several statements in one trip to its thread. Measured in issue 6
    (SQLite intake p99 942 -> <100 ms with the batch and the writer queue) and in issue 12
    (a plain flush: a third of the batch's reports/s on SQLite, docs/BENCHMARKS.md
    "One write path"); aiosqlite is
    pinned below its next minor version in pyproject.toml, and
    tests/kit/test_db.py::test_a_batch_stops_when_its_first_insert_meets_a_conflict fails
    if these attributes change.
    """
    assert driver is not None
    done: bool = await driver._execute(function, driver._conn, *args)
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
