"""Housekeeping sweeps in batches, each batch its own short transaction (few rows locked at
a time), repeated within one pass until no due row is left, at most ``max_batches`` times.

A batch takes rows oldest first after the last row the batch before took, so a row it
takes but leaves unchanged (not due yet for another reason) never holds up the rows
behind it, and more due rows than one batch wait no interval for the next pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import Database

# Rows per transaction, and batches per pass: one pass changes at most their product.
SWEEP_BATCH = 100
MAX_BATCHES = 50

SweepKey = tuple[datetime, uuid.UUID]


@dataclass(frozen=True, slots=True)
class Batch:
    """What one batch did: rows changed, rows taken, and the last row taken in the sweep's
    order (the next batch starts after it)."""

    changed: int
    taken: int
    last: SweepKey | None = None


BatchOf = Callable[[AsyncSession, SweepKey | None], Awaitable[Batch]]


async def sweep(
    database: Database, batch: BatchOf, *, limit: int, max_batches: int = MAX_BATCHES
) -> int:
    """Runs ``batch`` (taking at most ``limit`` rows) until one takes fewer; the rows changed."""
    changed: int = 0
    after: SweepKey | None = None
    for _ in range(max_batches):
        async with database.session(write=True) as session:
            done = await batch(session, after)
        changed += done.changed
        if done.taken < limit or done.last is None:
            break
        after = done.last
    return changed
