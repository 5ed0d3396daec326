from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from accident_online.auth.dependencies import require_roles
from accident_online.auth.principal import Principal
from accident_online.kit.db import SessionDep
from accident_online.kit.i18n import _
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.kit.time import Rfc3339DateTime, utc_now
from accident_online.models.user import Role
from accident_online.stats import service
from accident_online.stats.schemas import StatsRead

router = APIRouter(tags=["statistics"])

admin_or_officer = require_roles(Role.admin, Role.officer)


@router.get(
    "/stats",
    operation_id="getStatistics",
    summary="Reports, share handled online, time to decision, queues",
    response_model=StatsRead,
    responses=problem_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def statistics(
    session: SessionDep,
    principal: Annotated[Principal, Depends(admin_or_officer)],
    since: Annotated[Rfc3339DateTime | None, Query(description="Default: 30 days ago.")] = None,
    until: Annotated[
        Rfc3339DateTime | None,
        Query(description="Default: now. After `since`, or the answer is 422."),
    ] = None,
) -> StatsRead:
    """Per center and overall, for cases reported in [since, until): reports, decided
    online, referred offline, the share handled online (the city's aim: 60 % and more),
    and minutes from report to decision (median and 90th percentile); plus the queues
    now. Admins see every center and the outbound webhooks; officers their own center."""
    end = until or utc_now()
    start = since or end - timedelta(days=30)
    if start >= end:
        raise ValidationFailed(_("since must be before until."))
    return await service.statistics(session, principal, since=start, until=end)
