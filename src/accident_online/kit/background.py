"""Periodic background work inside a process, stopped cleanly at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("accident_online.background")


async def run_periodically(
    name: str, work: Callable[[], Awaitable[object]], *, every_seconds: float, stop: asyncio.Event
) -> None:
    """Runs ``work`` every so often until ``stop`` is set; a failure is logged, not fatal."""
    while not stop.is_set():
        try:
            await work()
        except Exception:
            logger.exception("background task failed", extra={"route": name})
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        except TimeoutError:
            continue
