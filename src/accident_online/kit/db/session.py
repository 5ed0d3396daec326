"""Sessions: the app's two session factories and the request's one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db.engine import is_sqlite
from accident_online.kit.db.sqlite import WRITE_OPTION, WRITER_QUEUE_OPTION, WriterQueue
from accident_online.kit.problems import AppError


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


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads, whatever its method (POST /v1/eligibility).

    On SQLite it never takes the write lock, so such requests do not wait behind writers.
    """
    database: Database = request.app.state.database
    async with database.sessionmaker(write=False)() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
