from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.centers import repository as centers_repository
from accident_online.kit.time import utc_now
from accident_online.models.user import Role
from accident_online.stats import repository
from accident_online.stats.compensation import compensation_stats
from accident_online.stats.schemas import CenterStats, DeliveryStats, StatsRead


def _stats(
    center_id: str | None,
    counts: tuple[int, int, int],
    percentiles: tuple[float, float] | None,
    queue_depth: int,
) -> CenterStats:
    reports, decided, referred = counts
    return CenterStats(
        center_id=center_id,
        reports=reports,
        decided_online=decided,
        referred_offline=referred,
        share_online=round(decided / (decided + referred), 4) if decided + referred else None,
        minutes_to_decision_median=round(percentiles[0], 1) if percentiles else None,
        minutes_to_decision_p90=round(percentiles[1], 1) if percentiles else None,
        queue_depth=queue_depth,
    )


async def statistics(
    session: AsyncSession, principal: Principal, *, since: datetime, until: datetime
) -> StatsRead:
    """Admins see every center; an officer sees its own center only."""
    own = [principal.center_id] if principal.role == Role.officer and principal.center_id else None
    center_ids = own or [c.id for c in await centers_repository.list_centers(session)]
    counts = await repository.counts_by_center(session, since=since, until=until, centers=own)
    per_center = await repository.decision_percentiles(
        session, since=since, until=until, centers=own, by_center=True
    )
    overall_percentiles = await repository.decision_percentiles(
        session, since=since, until=until, centers=own, by_center=False
    )
    depths = await cases_repository.queue_depths(session)
    centers = [
        _stats(cid, counts.get(cid, (0, 0, 0)), per_center.get(cid), depths.get(cid, 0))
        for cid in center_ids
    ]
    totals = (
        sum(c.reports for c in centers),
        sum(c.decided_online for c in centers),
        sum(c.referred_offline for c in centers),
    )
    overall = _stats(
        None, totals, overall_percentiles.get(None), sum(c.queue_depth for c in centers)
    )
    deliveries = None
    if principal.role == Role.admin:
        found = await repository.delivery_counts(session)
        deliveries = DeliveryStats(pending=found.get("pending", 0), dead=found.get("dead", 0))
    compensation = await compensation_stats(
        session, since=since, until=until, centers=own, now=utc_now()
    )
    return StatsRead(
        since=since,
        until=until,
        overall=overall,
        centers=centers,
        deliveries=deliveries,
        compensation=compensation,
    )
