"""SQLite made to behave as the service needs: durable commits, foreign keys, and
writers that take the write lock at BEGIN and queue in order instead of failing."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_, in_greenlet

# Execution option read by the SQLite ``begin`` hook: a transaction that will write takes
# the write lock up front, so that two writers queue on busy_timeout instead of one
# failing with "database is locked" when it upgrades a read lock.
WRITE_OPTION = "accident_online_write"
# Execution option holding this process's ``WriterQueue`` (SQLite, engine-bound apps).
WRITER_QUEUE_OPTION = "accident_online_writer_queue"


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


def install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
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
