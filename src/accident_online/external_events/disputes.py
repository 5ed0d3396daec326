"""Applying the events that settle compensation: agreements, awards, judgments, appraisals,
judicial confirmation, the court's stages, and the payments of the claims they open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases.service import append_event
from accident_online.claims import payments
from accident_online.claims import service as claims
from accident_online.claims.rules import ClaimRules
from accident_online.disputes import appraisals, proceedings
from accident_online.disputes.compensation import settle_accepted_case, settle_with
from accident_online.disputes.exceptions import AppraisedLoss
from accident_online.external_events.schemas import (
    AppraisalAccepted,
    AppraisalCompleted,
    AppraisalDeclined,
    ArbitrationAccepted,
    ArbitrationAwarded,
    ArbitrationRejected,
    ClaimPaid,
    ConfirmationGranted,
    ConfirmationRefused,
    EnforcementRequested,
    JudgmentAppealed,
    JudgmentIssued,
    LawsuitFiled,
    MediationAgreed,
    PartnerEvent,
    PrefilingMediationAgreed,
    PrefilingMediationFailed,
    PrefilingMediationStarted,
)
from accident_online.kit.i18n import _
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.dispute import CompensationBasis
from accident_online.models.partner import Partner, PartnerKind

_APPRAISAL = frozenset({"appraisal.accepted", "appraisal.completed", "appraisal.declined"})
_COURT = frozenset(
    {
        "prefiling_mediation.started",
        "prefiling_mediation.agreed",
        "prefiling_mediation.failed",
        "confirmation.granted",
        "confirmation.refused",
        "judgment.appealed",
        "enforcement.requested",
    }
)
_ARBITRATION = frozenset({"arbitration.accepted", "arbitration.awarded", "arbitration.rejected"})

# Which partner kind sends which of these types (external_events.service adds them).
DISPUTE_TYPES_BY_KIND: Mapping[PartnerKind, frozenset[str]] = {
    PartnerKind.appraisal: _APPRAISAL,
    PartnerKind.arbitration: _ARBITRATION,
    PartnerKind.court: _COURT,
}

_PAYING = claims.PAYING
_APPRAISING = frozenset(
    {
        CaseStatus.accepted,
        CaseStatus.disputed,
        CaseStatus.in_mediation,
        CaseStatus.in_litigation,
        CaseStatus.in_arbitration,
        CaseStatus.awaiting_payment,
    }
)
DISPUTE_APPLIES_IN: Mapping[str, frozenset[CaseStatus]] = {
    **dict.fromkeys(_APPRAISAL, _APPRAISING),
    **dict.fromkeys(_ARBITRATION, frozenset({CaseStatus.in_arbitration})),
    "prefiling_mediation.started": frozenset({CaseStatus.in_litigation}),
    "prefiling_mediation.agreed": frozenset({CaseStatus.in_litigation}),
    "prefiling_mediation.failed": frozenset({CaseStatus.in_litigation}),
    "confirmation.granted": frozenset({CaseStatus.awaiting_payment}),
    "confirmation.refused": frozenset({CaseStatus.awaiting_payment}),
    "judgment.appealed": frozenset({CaseStatus.awaiting_payment, CaseStatus.closed}),
    "enforcement.requested": frozenset({CaseStatus.awaiting_payment, CaseStatus.closed}),
}
PAYMENT_APPLIES_IN = _PAYING


async def check_assessment(session: AsyncSession, case: Case, party: CaseParty) -> None:
    """An insurer's assessment replaces the loss until an appraisal fixed it, and only
    while the insurers have not been asked to pay yet."""
    if party.index in await appraisals.appraised_parties(session, case):
        raise AppraisedLoss()
    if await claims.has_claims(session, case.id):
        raise AppraisedLoss(
            _("The insurers were asked to pay already; a disputed loss goes to appraisal.")
        )


async def after_assessment(
    session: AsyncSession, case: Case, *, actor: str, rules: ClaimRules
) -> None:
    await settle_accepted_case(session, case, actor=actor, rules=rules)


async def apply_dispute_event(
    session: AsyncSession,
    partner: Partner,
    case: Case,
    party: CaseParty | None,
    event: PartnerEvent,
    *,
    actor: str,
    data: dict[str, Any],
    rules: ClaimRules,
) -> bool:
    """Applies the event if it is one of these; False for the types service.py applies."""
    match event:
        case ClaimPaid():
            assert party is not None
            await payments.record_claim_payment(
                session,
                case,
                party,
                insurer_partner_id=partner.id,
                amount=event.data.amount,
                actor=actor,
                data=data,
            )
            return True
        case MediationAgreed():
            await append_event(session, case, type=event.type, actor=actor, data=data)
            await settle_with(
                session,
                case,
                basis=CompensationBasis.mediation_agreement,
                amounts=event.data.amounts,
                actor=actor,
                rules=rules,
            )
        case JudgmentIssued() | ArbitrationAwarded() | PrefilingMediationAgreed():
            basis, reference = {
                JudgmentIssued: (CompensationBasis.judgment, "docket_number"),
                ArbitrationAwarded: (CompensationBasis.arbitration_award, "award_number"),
                PrefilingMediationAgreed: (CompensationBasis.prefiling_mediation, "docket_number"),
            }[type(event)]
            await append_event(session, case, type=event.type, actor=actor, data=data)
            await settle_with(
                session,
                case,
                basis=basis,
                amounts=event.data.amounts,
                actor=actor,
                rules=rules,
                reference=getattr(event.data, reference),
            )
        case LawsuitFiled():
            proceedings.file_lawsuit(case)
            await append_event(session, case, type=event.type, actor=actor, data=data)
        case PrefilingMediationStarted() | PrefilingMediationFailed():
            if isinstance(event, PrefilingMediationStarted):
                proceedings.start_prefiling_mediation(case)
            else:
                proceedings.end_prefiling_mediation(case)
            await append_event(session, case, type=event.type, actor=actor, data=data)
        case ConfirmationGranted():
            await proceedings.confirmation_granted(session, case)
            await append_event(session, case, type=event.type, actor=actor, data=data)
        case ConfirmationRefused():
            await append_event(session, case, type=event.type, actor=actor, data=data)
            await proceedings.confirmation_refused(session, case, actor=actor)
        case JudgmentAppealed() | EnforcementRequested() | ArbitrationAccepted():
            await append_event(session, case, type=event.type, actor=actor, data=data)
        case ArbitrationRejected():
            await append_event(session, case, type=event.type, actor=actor, data=data)
            await proceedings.send_to_court(
                session, case, actor=actor, reason="arbitration_rejected"
            )
        case AppraisalAccepted():
            await appraisals.appraisal_accepted(
                session, case, event.data.appraisal_id, appraiser=partner.id
            )
            await append_event(session, case, type=event.type, actor=actor, data=data)
        case AppraisalDeclined():
            await appraisals.appraisal_declined(
                session,
                case,
                event.data.appraisal_id,
                appraiser=partner.id,
                reason=event.data.reason,
            )
            await append_event(session, case, type=event.type, actor=actor, data=data)
            # The figures stand as they were: an accepted case's claims go out with them.
            await settle_accepted_case(session, case, actor=actor, rules=rules)
        case AppraisalCompleted():
            assert party is not None
            added = await appraisals.appraisal_completed(
                session,
                case,
                event.data.appraisal_id,
                party,
                appraiser=partner.id,
                assessed_loss=event.data.assessed_loss,
                report_number=event.data.report_number,
                report_url=None if event.data.report_url is None else str(event.data.report_url),
                rules=rules,
            )
            await append_event(session, case, type=event.type, actor=actor, data={**data, **added})
            if "objection_deadline" in added:
                await settle_accepted_case(session, case, actor=actor, rules=rules)
        case _:
            return False
    return True
