"""Time-driven changes: expired officer leases, cases never confirmed, review windows lapsed."""

from __future__ import annotations

from accident_online.cases.determination_rules import Limits
from accident_online.decisions.service import release_expired_leases
from accident_online.determinations.confirmations import expire_unconfirmed
from accident_online.determinations.delivery import lapse_review_windows
from accident_online.kit.db import Database
from accident_online.kit.time import utc_now


async def run_deadlines(database: Database, limits: Limits) -> int:
    """One pass; each kind of change in its own short transaction."""
    async with database.session(write=True) as session:
        released = await release_expired_leases(session, now=utc_now())
    async with database.session(write=True) as session:
        expired = await expire_unconfirmed(
            session, now=utc_now(), expiry=limits.confirmation_expiry
        )
    async with database.session(write=True) as session:
        lapsed = await lapse_review_windows(
            session, now=utc_now(), review_window=limits.review_window
        )
    return released + expired + lapsed
