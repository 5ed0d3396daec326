"""A party's application for review (复核) of the determination: in writing, within the window
after its receipt, once per accident (order 146 art. 71); an agreement has nothing to review."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.determination_rules import is_agreement_case, review_window_open
from accident_online.cases.service import actor_of, transition
from accident_online.determinations.exceptions import (
    NothingToReview,
    NotUnderDetermination,
    ReviewAlreadyRequested,
    ReviewWindowClosed,
)
from accident_online.determinations.schemas import ReviewRequestCreate
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.kit.time import in_beijing, utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.determination import ReviewRecord


async def request_review(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: ReviewRequestCreate,
    *,
    review_window: timedelta,
    review_limit: timedelta,
) -> Case:
    """Records the application and sends the case to the city-level reviewers' queue."""
    if is_agreement_case(case):
        raise NothingToReview()
    if case.review is not None:
        raise ReviewAlreadyRequested()
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    if body.party >= len(parties):
        raise ValidationFailed.at(["body", "party"], f"party {body.party} does not exist")
    if case.status == CaseStatus.final:
        raise ReviewWindowClosed(
            _("Liability is final: every review window has closed or was waived.")
        )
    if case.status != CaseStatus.decided:
        raise NotUnderDetermination()
    now = utc_now()
    receipt = next((item for item in case.receipts if item.party == body.party), None)
    if not review_window_open(receipt, window=review_window, now=now):
        raise ReviewWindowClosed(
            _("This party stated it had no objection, and so waived its review.")
            if receipt is not None and receipt.no_objection
            else None
        )
    due = now + review_limit
    case.review = ReviewRecord(
        party=body.party,
        reason=body.reason,
        requested_at=in_beijing(now).isoformat(),
        due_at=in_beijing(due).isoformat(),
    )
    case.review_due_at = due
    await transition(
        session,
        case,
        CaseStatus.review_requested,
        actor=actor_of(principal),
        event_type="case.review_requested",
        data={"party": body.party, "reason": body.reason, "due_at": case.review.due_at},
    )
    return case
