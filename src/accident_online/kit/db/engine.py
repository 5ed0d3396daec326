"""One way to make the engine of either database (the app, the CLI and the tests use it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine

from accident_online.kit.db.sqlite import install_sqlite_hooks


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
        install_sqlite_hooks(engine, busy_timeout_ms)
        return engine
    return sa_create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"timeout": connect_timeout},
    )
