"""Throwaway databases: a SQLite file in a directory, or a PostgreSQL database of its own.

The PostgreSQL server is reached as its administrator (``postgres`` with trust on
127.0.0.1 by default); every database made here is dropped again by whoever made it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


class PostgresUnavailable(Exception):
    """The PostgreSQL server cannot be reached (the caller decides: skip, fail, or say so)."""


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory / name}.db"


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class PostgresServer:
    """Creates and drops databases on one PostgreSQL server, as its administrator."""

    def __init__(self, admin_dsn: str = DEFAULT_ADMIN_DSN) -> None:
        self.admin_dsn = admin_dsn

    def url(self, name: str) -> str:
        """The SQLAlchemy URL of database ``name`` on this server."""
        base = self.admin_dsn.rsplit("/", 1)[0]
        return f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"

    async def _admin(self, statement: str) -> None:
        try:
            connection = await asyncpg.connect(self.admin_dsn, timeout=5)
        except (OSError, asyncpg.PostgresError) as error:
            raise PostgresUnavailable(f"PostgreSQL at {self.admin_dsn}: {error}") from error
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def create(self, name: str) -> str:
        """Creates database ``name``; its URL."""
        await self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    async def drop(self, *names: str) -> None:
        for name in names:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextlib.asynccontextmanager
    async def database(self, prefix: str) -> AsyncIterator[str]:
        """A new database's URL, dropped afterwards."""
        name = unique_name(prefix)
        url = await self.create(name)
        try:
            yield url
        finally:
            await self.drop(name)

    @contextlib.contextmanager
    def database_blocking(self, prefix: str) -> Iterator[str]:
        """``database`` for code without an event loop (the benchmarks' drivers)."""
        name = unique_name(prefix)
        url = asyncio.run(self.create(name))
        try:
            yield url
        finally:
            asyncio.run(self.drop(name))
