"""Time-driven changes: expired officer leases, cases never confirmed, review windows lapsed."""

from __future__ import annotations

from accident_online.cases.determination_rules import Limits
from accident_online.decisions.leases import release_expired_leases_batch
from accident_online.determinations.confirmations import expire_unconfirmed_batch
from accident_online.determinations.delivery import lapse_review_windows_batch
from accident_online.kit.db import Database
from accident_online.kit.sweeps import MAX_BATCHES, SWEEP_BATCH, sweep
from accident_online.kit.time import utc_now


async def run_deadlines(
    database: Database,
    limits: Limits,
    *,
    batch: int = SWEEP_BATCH,
    max_batches: int = MAX_BATCHES,
) -> int:
    """One pass; each kind of change in batches of ``batch`` cases, each batch its own
    short transaction, until none is due (at most ``max_batches`` batches a kind)."""
    now = utc_now()
    released = await sweep(
        database,
        lambda session, after: release_expired_leases_batch(
            session, now=now, limit=batch, after=after
        ),
        limit=batch,
        max_batches=max_batches,
    )
    expired = await sweep(
        database,
        lambda session, after: expire_unconfirmed_batch(
            session, now=now, expiry=limits.confirmation_expiry, limit=batch, after=after
        ),
        limit=batch,
        max_batches=max_batches,
    )
    lapsed = await sweep(
        database,
        lambda session, after: lapse_review_windows_batch(
            session, now=now, review_window=limits.review_window, limit=batch, after=after
        ),
        limit=batch,
        max_batches=max_batches,
    )
    return released + expired + lapsed
