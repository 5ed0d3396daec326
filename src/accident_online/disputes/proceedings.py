"""Arbitration agreements, judicial confirmation (司法确认) of a mediated agreement, and
the court's stages (诉前调解 before a lawsuit is filed)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.resolvers import ensure_court
from accident_online.cases.service import actor_of, append_event, transition
from accident_online.claims import repository as claims_repository
from accident_online.claims import service as claims
from accident_online.disputes.exceptions import (
    ArbitrationAgreementExists,
    NoAgreementToConfirm,
    NoPrefilingMediation,
    NotAwaitingResolution,
    PrefilingMediationRunning,
)
from accident_online.disputes.schemas import ArbitrationAgreementCreate
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.dispute import (
    ArbitrationAgreement,
    Compensation,
    CompensationBasis,
    ConfirmationState,
)

# When a party's arbitration agreement may be recorded.
AGREEMENT_STATUSES = frozenset({CaseStatus.decided, CaseStatus.review_requested, CaseStatus.final})

# Court stages (Case.court_stage).
PREFILING_MEDIATION = "prefiling_mediation"
PREFILING_FAILED = "prefiling_failed"
FILED = "filed"


async def agreements_of(session: AsyncSession, case: Case) -> list[ArbitrationAgreement]:
    rows = await session.exec(
        select(ArbitrationAgreement)
        .where(ArbitrationAgreement.case_id == case.id)
        .order_by(col(ArbitrationAgreement.party))
    )
    return list(rows)


async def record_arbitration_agreement(
    session: AsyncSession, principal: Principal, case: Case, body: ArbitrationAgreementCreate
) -> list[ArbitrationAgreement]:
    """A party's written arbitration agreement, recorded before the parties choose."""
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    if body.party >= len(parties):
        raise ValidationFailed.at(["body", "party"], f"party {body.party} does not exist")
    if body.signed_at > utc_now():
        raise ValidationFailed.at(["body", "signed_at"], _("in the future"))
    # Signed while the determination runs its course or once liability is final, before
    # the parties have chosen how to settle (disputes.stage reads them then).
    if case.status not in AGREEMENT_STATUSES:
        raise NotAwaitingResolution()
    recorded = await agreements_of(session, case)
    if any(item.party == body.party for item in recorded):
        raise ArbitrationAgreementExists()
    agreement = ArbitrationAgreement(case_id=case.id, party=body.party, signed_at=body.signed_at)
    session.add(agreement)
    await append_event(
        session,
        case,
        type="arbitration.agreement_recorded",
        actor=actor_of(principal),
        data={"party": body.party, "signed_at": body.signed_at.isoformat()},
    )
    await session.flush()
    return [*recorded, agreement]


async def request_confirmation(
    session: AsyncSession, principal: Principal, case: Case
) -> Compensation:
    """Sends the mediated agreement being paid to the court for 司法确认."""
    compensation = await claims_repository.current_compensation(session, case.id)
    if (
        case.status != CaseStatus.awaiting_payment
        or compensation is None
        or compensation.basis != CompensationBasis.mediation_agreement
        or compensation.confirmation is not None
    ):
        raise NoAgreementToConfirm()
    compensation.confirmation = ConfirmationState.requested
    session.add(compensation)
    await ensure_court(session, case)
    actor = actor_of(principal)
    await append_event(
        session,
        case,
        type="case.confirmation_requested",
        actor=actor,
        data={
            "compensation_id": str(compensation.id),
            "basis": str(compensation.basis),
            "amounts": [amount.model_dump(mode="json") for amount in compensation.amounts],
            "requested_by": actor,
        },
    )
    await session.flush()
    return compensation


async def _confirmation_pending(session: AsyncSession, case: Case) -> Compensation:
    compensation = await claims_repository.current_compensation(session, case.id)
    if compensation is None or compensation.confirmation != ConfirmationState.requested:
        raise NoAgreementToConfirm(_("No agreement of this case awaits judicial confirmation."))
    return compensation


async def confirmation_granted(session: AsyncSession, case: Case) -> None:
    compensation = await _confirmation_pending(session, case)
    compensation.confirmation = ConfirmationState.granted
    session.add(compensation)


async def confirmation_refused(session: AsyncSession, case: Case, *, actor: str) -> None:
    """The court will not confirm the agreement: its claims are withdrawn, the court decides."""
    compensation = await _confirmation_pending(session, case)
    await claims.withdraw_open_claims(session, case, reason="confirmation_refused", actor=actor)
    compensation.confirmation = ConfirmationState.refused
    session.add(compensation)
    await send_to_court(session, case, actor=actor, reason="confirmation_refused")


async def send_to_court(session: AsyncSession, case: Case, *, actor: str, reason: str) -> None:
    case.resolution = "litigation"
    await ensure_court(session, case)
    await transition(
        session,
        case,
        CaseStatus.in_litigation,
        actor=actor,
        event_type="case.litigation_requested",
        data={"reason": reason},
    )


def start_prefiling_mediation(case: Case) -> None:
    if case.court_stage is not None:
        raise NoPrefilingMediation()
    case.court_stage = PREFILING_MEDIATION


def end_prefiling_mediation(case: Case) -> None:
    if case.court_stage != PREFILING_MEDIATION:
        raise NoPrefilingMediation()
    case.court_stage = PREFILING_FAILED


def file_lawsuit(case: Case) -> None:
    if case.court_stage == PREFILING_MEDIATION:
        raise PrefilingMediationRunning()
    case.court_stage = FILED
