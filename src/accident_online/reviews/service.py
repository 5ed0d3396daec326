"""The reviewer's work: the queue of applications, and the outcome of one (order 146
art. 74): upheld → liability is final; revoked → the decision is kept in the case's history
marked revoked, and the case returns to its center's queue to be determined again within
the time limit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases.determination_rules import review_overdue
from accident_online.cases.service import actor_of, append_event, summarise_cases, transition
from accident_online.kit.time import in_beijing, utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.determination import RevokedDecisionRecord
from accident_online.reviews import repository
from accident_online.reviews.exceptions import NoReviewPending
from accident_online.reviews.schemas import ReviewDecisionCreate, ReviewOutcome, ReviewQueueItem


async def review_queue(
    session: AsyncSession, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> tuple[list[ReviewQueueItem], Sequence[Case]]:
    """The page's items, and the cases read (one more than ``limit`` tells of a next page)."""
    cases = await repository.pending_reviews(session, after=after, limit=limit + 1)
    shown = cases[:limit]
    summaries = await summarise_cases(session, shown)
    now = utc_now()
    items = [
        ReviewQueueItem(
            case=summary,
            review=case.review,
            due_at=case.review_due_at,
            overdue=review_overdue(case, now=now),
        )
        for case, summary in zip(shown, summaries, strict=True)
        if case.review is not None
    ]
    return items, cases


async def decide_review(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: ReviewDecisionCreate,
    *,
    redetermination_limit: timedelta,
) -> Case:
    if case.status != CaseStatus.review_requested or case.review is None:
        raise NoReviewPending()
    now = utc_now()
    actor = actor_of(principal)
    case.review = case.review.model_copy(
        update={
            "outcome": body.outcome.value,
            "reasons": body.reasons,
            "decided_at": in_beijing(now).isoformat(),
            "reviewer": actor,
        }
    )
    await append_event(
        session,
        case,
        type="case.review_decided",
        actor=actor,
        data={"outcome": body.outcome.value, "reasons": body.reasons},
    )
    if body.outcome == ReviewOutcome.upheld:
        await transition(
            session,
            case,
            CaseStatus.final,
            actor=actor,
            event_type="case.decision_final",
            data={"reason": "review_upheld"},
        )
        return case
    assert case.decision is not None  # a case in review has its decision
    case.revoked_decisions = [
        *case.revoked_decisions,
        RevokedDecisionRecord(
            decision=case.decision,
            receipts=list(case.receipts),
            revoked_at=in_beijing(now).isoformat(),
            reasons=body.reasons,
        ),
    ]
    case.decision = None
    case.receipts = []
    case.decided_at = None
    case.determination_due_at = now + redetermination_limit
    await transition(
        session,
        case,
        CaseStatus.queued,
        actor=actor,
        event_type="case.decision_revoked",
        data={
            "reasons": body.reasons,
            "revoked": len(case.revoked_decisions) - 1,
            "determination_due_at": in_beijing(case.determination_due_at).isoformat(),
        },
    )
    return case
