"""Time-driven changes: expired officer leases and passed response deadlines."""

from __future__ import annotations

from accident_online.decisions.answers import apply_response_deadlines
from accident_online.decisions.service import release_expired_leases
from accident_online.kit.db import Database
from accident_online.kit.time import utc_now


async def run_deadlines(database: Database) -> int:
    """One pass; each kind of change in its own short transaction."""
    async with database.session(write=True) as session:
        released = await release_expired_leases(session, now=utc_now())
    async with database.session(write=True) as session:
        answered = await apply_response_deadlines(session, now=utc_now())
    return released + answered
