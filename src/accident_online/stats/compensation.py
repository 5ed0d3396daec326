"""What the city reports on compensation: cases per resolution path, the share settled
without the court, minutes from final liability to the last payment, overdue claims."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Case, CaseStatus
from accident_online.models.dispute import (
    ClaimLine,
    ClaimStatus,
    Compensation,
    CompensationBasis,
    ConfirmationState,
)
from accident_online.stats.schemas import CompensationStats

# Settled by the court: its judgment, its 诉前调解, or its confirmation of an agreement.
_BY_COURT = frozenset({CompensationBasis.judgment, CompensationBasis.prefiling_mediation})


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    """The ceil(p·n)-th smallest value, as stats.repository's SQL computes it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


async def compensation_stats(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    centers: Sequence[str] | None,
    now: datetime,
) -> CompensationStats:
    """Over the cases whose liability became final in the range (Case.final_at)."""
    in_range = [col(Case.final_at) >= since, col(Case.final_at) < until]
    if centers is not None:
        in_range.append(col(Case.center_id).in_(centers))
    paths = await session.exec(
        select(col(Case.resolution), func.count())
        .where(*in_range, col(Case.resolution).is_not(None))
        .group_by(col(Case.resolution))
    )
    per_path = {str(path): int(count) for path, count in paths}
    settled = (
        await session.exec(
            select(Compensation)
            .join(Case, col(Case.id) == col(Compensation.case_id))
            .where(*in_range, col(Compensation.withdrawn).is_(False))
        )
    ).all()
    by_case = {item.case_id: item for item in settled}
    court = sum(
        1
        for item in by_case.values()
        if item.basis in _BY_COURT or item.confirmation == ConfirmationState.granted
    )
    last_paid = await session.exec(
        select(col(ClaimLine.case_id), col(Case.final_at), func.max(col(ClaimLine.paid_at)))
        .join(Case, col(Case.id) == col(ClaimLine.case_id))
        .where(
            *in_range,
            col(Case.status) == CaseStatus.closed,
            col(ClaimLine.status) == ClaimStatus.paid,
        )
        .group_by(col(ClaimLine.case_id), col(Case.final_at))
    )
    minutes = [_minutes(final, paid) for _case, final, paid in last_paid if final and paid]
    overdue = await session.exec(
        select(col(ClaimLine.insurer_code), func.count())
        .join(Case, col(Case.id) == col(ClaimLine.case_id))
        .where(
            col(ClaimLine.status) == ClaimStatus.open,
            col(ClaimLine.due_at) < now,
            *([col(Case.center_id).in_(centers)] if centers is not None else []),
        )
        .group_by(col(ClaimLine.insurer_code))
    )
    median, p90 = nearest_rank(minutes, 0.5), nearest_rank(minutes, 0.9)
    return CompensationStats(
        cases_per_resolution=per_path,
        settled=len(by_case),
        settled_without_court=len(by_case) - court,
        share_settled_without_court=round((len(by_case) - court) / len(by_case), 4)
        if by_case
        else None,
        minutes_to_last_payment_median=None if median is None else round(median, 1),
        minutes_to_last_payment_p90=None if p90 is None else round(p90, 1),
        overdue_claims_per_insurer={str(code): int(count) for code, count in overdue},
    )


def _minutes(start: datetime | str, end: datetime | str) -> float:
    # SQLite returns the aggregate's timestamp as text.
    begin = start if isinstance(start, datetime) else datetime.fromisoformat(start)
    finish = end if isinstance(end, datetime) else datetime.fromisoformat(end)
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=finish.tzinfo)
    if finish.tzinfo is None:
        finish = finish.replace(tzinfo=begin.tzinfo)
    return (finish - begin).total_seconds() / 60.0
