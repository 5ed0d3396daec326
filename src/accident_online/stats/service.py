from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.centers import repository as centers_repository
from accident_online.intake.eligibility import ELIGIBILITY_RULES
from accident_online.kit.time import utc_now
from accident_online.models.user import Role
from accident_online.stats import repository
from accident_online.stats.compensation import compensation_stats
from accident_online.stats.schemas import CenterStats, DeliveryStats, RefusalStats, StatsRead


def _stats(
    center_id: str | None,
    counts: tuple[int, int, int],
    percentiles: tuple[float, float] | None,
    queue_depth: int,
    *,
    overdue: tuple[int, int] = (0, 0),
    late: tuple[int, int] = (0, 0),
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
        overdue_determinations=overdue[0],
        overdue_reviews=overdue[1],
        late_reports=late[0],
        late_reports_taken=late[1],
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
    overdue = await repository.overdue_by_center(session, now=utc_now())
    late = await repository.late_reports_by_center(session, since=since, until=until, centers=own)
    centers = [
        _stats(
            cid,
            counts.get(cid, (0, 0, 0)),
            per_center.get(cid),
            depths.get(cid, 0),
            overdue=overdue.get(cid, (0, 0)),
            late=late.get(cid, (0, 0)),
        )
        for cid in center_ids
    ]
    totals = (
        sum(c.reports for c in centers),
        sum(c.decided_online for c in centers),
        sum(c.referred_offline for c in centers),
    )
    overall = _stats(
        None,
        totals,
        overall_percentiles.get(None),
        sum(c.queue_depth for c in centers),
        overdue=(
            sum(c.overdue_determinations for c in centers),
            sum(c.overdue_reviews for c in centers),
        ),
        late=(sum(c.late_reports for c in centers), sum(c.late_reports_taken for c in centers)),
    )
    districts = None
    if own:
        center = await centers_repository.get_center(session, own[0])
        districts = list(center.districts) if center else []
    refused, by_reason = await repository.refusals(
        session, since=since, until=until, districts=districts
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
        compensation=compensation,
        refusals=RefusalStats(
            reports=refused,
            by_reason={rule.code: by_reason.get(rule.code, 0) for rule in ELIGIBILITY_RULES},
        ),
        deliveries=deliveries,
    )
