"""The officer's decision on a late report (order 146 art. 18): take the case, after which
it goes on as any other, or refer it offline. cases/late_reports.py has the rule."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases.service import actor_of, append_event
from accident_online.decisions.exceptions import LateReportAlreadyTaken, NotALateReport
from accident_online.decisions.schemas import LateReportDecisionCreate, ReferralCreate
from accident_online.decisions.service import _require_holder, refer_offline
from accident_online.kit.time import in_beijing, utc_now
from accident_online.models.case import Case


async def decide_late_report(
    session: AsyncSession, principal: Principal, case: Case, body: LateReportDecisionCreate
) -> Case:
    """Takes the late report (``late_taken_at``, event ``case.late_report_taken``) or refers
    it offline with the officer's reason (``case.referred_offline``)."""
    _require_holder(case, principal)
    if not case.late:
        raise NotALateReport()
    if case.late_taken_at is not None:
        raise LateReportAlreadyTaken()
    if not body.take:
        assert body.reason is not None  # LateReportDecisionCreate requires it
        return await refer_offline(session, principal, case, ReferralCreate(reason=body.reason))
    case.late_taken_at = utc_now()
    await append_event(
        session,
        case,
        type="case.late_report_taken",
        actor=actor_of(principal),
        # On Beijing's clock, as every other time on the timeline.
        data={"taken_at": in_beijing(case.late_taken_at).isoformat()},
    )
    return case
