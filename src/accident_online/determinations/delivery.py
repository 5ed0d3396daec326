"""Delivery (送达) of the decision to each party, and liability becoming final.

Each party receives the document and signs it or refuses; its review window runs from that
receipt (order 146 art. 71). A party may state on receipt that it has no objection
(当事人无异议) and so waive its review: when every party did, liability is final at once.
Otherwise it is final when every party's window lapsed (housekeeping: lapse_review_windows)
or the review upheld it (reviews.service). Silence means nothing more than that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.determination_rules import CLOCK_GRACE, FinalBecause, final_by_receipts
from accident_online.cases.service import SYSTEM_ACTOR, actor_of, append_event, transition
from accident_online.determinations import repository
from accident_online.determinations.exceptions import AlreadyReceived, NotDelivered
from accident_online.determinations.schemas import ReceiptCreate
from accident_online.kit.problems import ValidationFailed
from accident_online.kit.sweeps import SWEEP_BATCH, Batch, SweepKey
from accident_online.kit.time import in_beijing, utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.determination import ReceiptRecord

# The statuses in which a decision (or a confirmed agreement) is there to be delivered.
DELIVERABLE = frozenset({CaseStatus.decided, CaseStatus.review_requested, CaseStatus.final})


async def record_receipt(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: ReceiptCreate,
    *,
    review_window: timedelta,
) -> Case:
    """One party received the document; final at once if every party waived review."""
    if case.decision is None or case.status not in DELIVERABLE:
        raise NotDelivered()
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    if body.party >= len(parties):
        raise ValidationFailed.at(["body", "party"], f"party {body.party} does not exist")
    now = utc_now()
    if body.received_at - now > CLOCK_GRACE:
        raise ValidationFailed.at(["body", "received_at"], "received_at is in the future")
    if case.decided_at is not None and body.received_at < case.decided_at - CLOCK_GRACE:
        raise ValidationFailed.at(
            ["body", "received_at"], "received_at is before the decision was made"
        )
    if any(item.party == body.party for item in case.receipts):
        raise AlreadyReceived()
    record = ReceiptRecord(
        party=body.party,
        received_at=in_beijing(body.received_at).isoformat(),
        signed=body.signed,
        refusal_note=body.refusal_note,
        no_objection=body.no_objection,
    )
    case.receipts = [*case.receipts, record]
    await append_event(
        session,
        case,
        type="case.delivered",
        actor=actor_of(principal),
        data={
            "party": body.party,
            "received_at": record.received_at,
            "signed": body.signed,
            "no_objection": body.no_objection,
        },
    )
    await finalize_if_due(
        session,
        case,
        party_count=len(parties),
        review_window=review_window,
        now=now,
        actor=actor_of(principal),
    )
    return case


async def finalize_if_due(
    session: AsyncSession,
    case: Case,
    *,
    party_count: int,
    review_window: timedelta,
    now: datetime,
    actor: str,
) -> FinalBecause | None:
    """Makes a delivered determination final when no party can ask for review any more."""
    if case.status != CaseStatus.decided:
        return None
    because = final_by_receipts(
        case.receipts, party_count=party_count, window=review_window, now=now
    )
    if because is not None:
        await transition(
            session,
            case,
            CaseStatus.final,
            actor=actor,
            event_type="case.decision_final",
            data={"reason": because},
        )
    return because


async def lapse_review_windows(
    session: AsyncSession, *, now: datetime, review_window: timedelta, limit: int = SWEEP_BATCH
) -> int:
    """Housekeeping: the decided cases (one batch) whose parties' windows all closed become
    final."""
    done = await lapse_review_windows_batch(
        session, now=now, review_window=review_window, limit=limit
    )
    return done.changed


async def lapse_review_windows_batch(
    session: AsyncSession,
    *,
    now: datetime,
    review_window: timedelta,
    limit: int,
    after: SweepKey | None = None,
) -> Batch:
    """One batch of lapse_review_windows, after ``after`` (kit.sweeps): a case taken whose
    last window is still open stays behind the cursor, not in the next batch's way."""
    cases = await repository.delivered_decisions(
        session, received_before=now - review_window, limit=limit, after=after
    )
    last = None
    if cases:
        decided = cases[-1].decided_at
        assert decided is not None
        last = (decided, cases[-1].id)
    parties = await cases_repository.parties_of(session, [case.id for case in cases])
    count = 0
    for case in cases:
        because = await finalize_if_due(
            session,
            case,
            party_count=len(parties[case.id]),
            review_window=review_window,
            now=now,
            actor=SYSTEM_ACTOR,
        )
        count += because is not None
    return Batch(changed=count, taken=len(cases), last=last)
