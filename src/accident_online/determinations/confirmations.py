"""Each party confirms the report on their own phone; a case is queued only when its photos
are in and every party confirmed; a case never confirmed expires (DOMAIN.md: 12123 asks the
other party for an SMS code, 浙里快处 sends a signing link)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.determination_rules import CLOCK_GRACE, missing_confirmations
from accident_online.cases.evidence_kinds import Needed
from accident_online.cases.service import (
    SYSTEM_ACTOR,
    actor_of,
    append_event,
    missing_for,
    transition,
)
from accident_online.cases.state import BEFORE_DECISION
from accident_online.determinations import repository
from accident_online.determinations.exceptions import AlreadyConfirmed, NotBeforeDecision
from accident_online.determinations.schemas import ConfirmationCreate
from accident_online.kit.problems import ValidationFailed
from accident_online.kit.sweeps import SWEEP_BATCH, Batch, SweepKey
from accident_online.kit.time import in_beijing, utc_now
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.determination import ConfirmationRecord


async def confirm_party(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: ConfirmationCreate,
    *,
    determination_limit: timedelta,
) -> Case:
    """Records one party's confirmation, and queues the case if nothing else is missing."""
    if case.status not in BEFORE_DECISION:
        raise NotBeforeDecision()
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    if body.party >= len(parties):
        raise ValidationFailed.at(["body", "party"], f"party {body.party} does not exist")
    now = utc_now()
    if body.confirmed_at - now > CLOCK_GRACE:
        raise ValidationFailed.at(["body", "confirmed_at"], "confirmed_at is in the future")
    if any(item.party == body.party for item in case.confirmations):
        raise AlreadyConfirmed()
    record = ConfirmationRecord(
        party=body.party,
        method=body.method,
        confirmed_at=in_beijing(body.confirmed_at).isoformat(),
        recorded_at=in_beijing(now).isoformat(),
    )
    # A new list: SQLAlchemy does not see changes made inside a JSON value.
    case.confirmations = [*case.confirmations, record]
    actor = actor_of(principal)
    await append_event(
        session,
        case,
        type="case.confirmed",
        actor=actor,
        data={"party": body.party, "method": body.method, "confirmed_at": record.confirmed_at},
    )
    evidence = (await cases_repository.evidence_of(session, [case.id]))[case.id]
    await queue_if_ready(
        session,
        case,
        actor=actor,
        parties=parties,
        needed=missing_for(case, parties, evidence),
        determination_limit=determination_limit,
    )
    return case


async def queue_if_ready(
    session: AsyncSession,
    case: Case,
    *,
    actor: str,
    parties: Sequence[CaseParty],
    needed: Sequence[Needed],
    determination_limit: timedelta,
) -> bool:
    """Queues a case waiting for nothing more: its photos in, every party confirmed.

    The determination's time limit runs from the first queueing (a case released or sent
    back for photos keeps it; a revoked decision sets a new one).
    """
    if case.status != CaseStatus.awaiting_evidence or needed:
        return False
    if missing_confirmations(len(parties), case.confirmations):
        return False
    await transition(session, case, CaseStatus.queued, actor=actor, event_type="case.queued")
    if case.determination_due_at is None:
        case.determination_due_at = utc_now() + determination_limit
    case.evidence_request_message = None
    await session.flush()
    return True


async def expire_unconfirmed(
    session: AsyncSession, *, now: datetime, expiry: timedelta, limit: int = SWEEP_BATCH
) -> int:
    """Closes the cases (one batch) some party never confirmed, once the setting's time
    has passed."""
    return (await expire_unconfirmed_batch(session, now=now, expiry=expiry, limit=limit)).changed


async def expire_unconfirmed_batch(
    session: AsyncSession,
    *,
    now: datetime,
    expiry: timedelta,
    limit: int,
    after: SweepKey | None = None,
) -> Batch:
    """One batch of expire_unconfirmed, after ``after`` (kit.sweeps)."""
    candidates = await repository.unconfirmed_candidates(
        session, reported_before=now - expiry, limit=limit, after=after
    )
    last = (candidates[-1].reported_at, candidates[-1].id) if candidates else None
    parties = await cases_repository.parties_of(session, [case.id for case in candidates])
    count = 0
    for case in candidates:
        missing = missing_confirmations(len(parties[case.id]), case.confirmations)
        if not missing:
            continue
        await transition(
            session,
            case,
            CaseStatus.expired,
            actor=SYSTEM_ACTOR,
            event_type="case.expired",
            data={"missing_confirmations": missing},
        )
        count += 1
    return Batch(changed=count, taken=len(candidates), last=last)
