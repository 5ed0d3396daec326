"""The remote liability officer's work on a case, and the decision's document.

Claim (a case by id, or the next in the center's queue) → (release | request evidence |
refer offline | decide). Each change's case was checked against the officer's If-Match
(cases.dependencies.CaseAtVersion). A claim is a lease: a case whose officer went quiet
returns to the queue by itself.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.determination_rules import is_agreement_case
from accident_online.cases.evidence_kinds import PER_PARTY_KINDS, EvidenceKind
from accident_online.cases.exceptions import InvalidTransition
from accident_online.cases.late_reports import require_taken
from accident_online.cases.service import (
    actor_of,
    append_event,
    load_visible_case,
    officer_name,
    read_case,
    transition,
)
from accident_online.centers import repository as centers_repository
from accident_online.centers.exceptions import CenterNotFound
from accident_online.decisions import repository
from accident_online.decisions.document import (
    Revocation,
    render_decision_document,
    verification_hash,
)
from accident_online.decisions.document_record import (
    document_parties,
    document_scene,
    insurer_codes,
)
from accident_online.decisions.exceptions import (
    AgreedLiabilityUnchangeable,
    AnotherCentersQueue,
    CaseHeldByAnotherOfficer,
    InvalidDecision,
    NoDecisionYet,
    NotHoldingCase,
)
from accident_online.decisions.liability import (
    InvalidLiability,
    PartyLiability,
    resolve_shares,
)
from accident_online.decisions.schemas import (
    DecisionCreate,
    EvidenceRequestCreate,
    ReferralCreate,
)
from accident_online.kit.i18n import _
from accident_online.kit.problems import ProblemErrorItem, ValidationFailed
from accident_online.kit.time import in_beijing, utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.records import (
    AgreedLiabilityRecord,
    DecidedLiability,
    Decision,
    DecisionOfficer,
    RequestedEvidence,
)
from accident_online.models.user import User
from accident_online.parties.labels import party_label
from accident_online.partners import repository as partners_repository


def officer_id(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.subject.removeprefix("user:"))


def _require_holder(case: Case, principal: Principal) -> None:
    if case.status != CaseStatus.under_review:
        raise InvalidTransition(_("The case is {status}, not under review.", status=case.status))
    expired = case.claim_expires_at is not None and case.claim_expires_at <= utc_now()
    if case.assigned_officer_id != officer_id(principal) or expired:
        raise NotHoldingCase()


def release_officer(case: Case) -> None:
    """The case is no longer under any officer's lease."""
    case.assigned_officer_id = None
    case.claim_expires_at = None


async def take_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, lease: timedelta
) -> Case:
    """Takes a queued case (or renews one's own claim)."""
    case = await load_visible_case(session, principal, case_id)
    return await _take(session, principal, case, lease=lease)


async def take_next_case(
    session: AsyncSession, principal: Principal, center_id: str, *, lease: timedelta
) -> Case | None:
    """Takes the longest-waiting queued case of the officer's center; None if none waits."""
    if principal.center_id != center_id:
        raise AnotherCentersQueue()
    if await centers_repository.get_center(session, center_id) is None:
        raise CenterNotFound()
    case = await cases_repository.next_queued_case(session, center_id)
    if case is None:
        return None
    return await _take(session, principal, case, lease=lease)


async def _take(
    session: AsyncSession, principal: Principal, case: Case, *, lease: timedelta
) -> Case:
    """The one way a case is claimed: a conditional update, the lease, the timeline event.

    The update matches only the version just read, so when officers race for one case
    exactly one wins; the others find the version moved and get 409.
    """
    me = officer_id(principal)
    now = utc_now()
    claimable = case.status == CaseStatus.queued or (
        case.status == CaseStatus.under_review
        and (case.assigned_officer_id == me or (case.claim_expires_at or now) <= now)
    )
    if not claimable:
        if case.status == CaseStatus.under_review:
            raise CaseHeldByAnotherOfficer()
        raise InvalidTransition(_("A case that is {status} cannot be claimed.", status=case.status))
    previous = case.status
    if not await repository.lease_if_unchanged(session, case, officer=me, until=now + lease):
        raise CaseHeldByAnotherOfficer(_("Another officer claimed this case a moment ago."))
    await session.refresh(case)
    await append_event(
        session,
        case,
        type="case.claimed" if previous == CaseStatus.queued else "case.claim_renewed",
        actor=actor_of(principal),
        data={
            "from": previous,
            "to": CaseStatus.under_review.value,
            "officer_id": str(me),
            "claim_expires_at": in_beijing(now + lease).isoformat(),
        },
    )
    return case


async def release_case(session: AsyncSession, principal: Principal, case: Case) -> Case:
    _require_holder(case, principal)
    release_officer(case)
    await transition(
        session, case, CaseStatus.queued, actor=actor_of(principal), event_type="case.released"
    )
    return case


async def request_evidence(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: EvidenceRequestCreate,
) -> Case:
    _require_holder(case, principal)
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    wanted = _requested_items(body, party_count=len(parties))
    case.requested_evidence = wanted
    case.evidence_request_message = body.message
    release_officer(case)
    await transition(
        session,
        case,
        CaseStatus.awaiting_evidence,
        actor=actor_of(principal),
        event_type="case.evidence_requested",
        data={"kinds": [item.as_stored() for item in wanted], "message": body.message},
    )
    return case


def _requested_items(body: EvidenceRequestCreate, *, party_count: int) -> list[RequestedEvidence]:
    items: list[RequestedEvidence] = []
    errors: list[ProblemErrorItem] = []
    for position, entry in enumerate(body.kinds):
        kind = entry if isinstance(entry, EvidenceKind) else entry.kind
        party = None if isinstance(entry, EvidenceKind) else entry.party
        loc: list[str | int] = ["body", "kinds", position]
        if kind in PER_PARTY_KINDS:
            if party is None:
                items += [
                    RequestedEvidence(kind=kind.value, party=index) for index in range(party_count)
                ]
                continue
            if party >= party_count:
                errors.append(ProblemErrorItem(loc=loc, msg=f"party {party} does not exist"))
                continue
        elif party is not None:
            errors.append(ProblemErrorItem(loc=loc, msg=f"{kind.value} is not per vehicle"))
            continue
        items.append(RequestedEvidence(kind=kind.value, party=party))
    if errors:
        raise ValidationFailed(errors=errors)
    unique = {(item.kind, item.party): item for item in items}
    return list(unique.values())


async def refer_offline(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: ReferralCreate,
) -> Case:
    _require_holder(case, principal)
    case.referral_reason = body.reason
    release_officer(case)
    await transition(
        session,
        case,
        CaseStatus.referred_offline,
        actor=actor_of(principal),
        event_type="case.referred_offline",
        data={"reason": body.reason},
    )
    return case


async def decide(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: DecisionCreate,
) -> Case:
    """Records the officer's liability decision (定责).

    An agreement case (the parties agreed and did not ask for a determination, order 146
    art. 19) is only confirmed: the liabilities must be the agreed ones (the officer refers
    the case offline otherwise), the document is the 协议书, and liability is final at once,
    there being nothing to review. Otherwise it is the determination (认定书), delivered to
    each party next (determinations.delivery).
    """
    _require_holder(case, principal)
    require_taken(case)  # a late report is decided only once taken (order 146 art. 18)
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    try:
        resolved = resolve_shares(
            [
                PartyLiability(item.party, item.grade, item.share_percent)
                for item in body.liabilities
            ],
            party_count=len(parties),
        )
    except InvalidLiability as error:
        raise InvalidDecision.at(
            ["body", "liabilities"], str(error), detail=error.reason
        ) from error
    agreement = _compare_with_agreement(case.agreed_liability, resolved, party_count=len(parties))
    agreement_case = is_agreement_case(case)
    if agreement_case and agreement != "confirmed":
        raise AgreedLiabilityUnchangeable()
    officer = await session.get(User, officer_id(principal))
    now = utc_now()
    decision = Decision(
        liabilities=[
            DecidedLiability(
                party=r.party,
                grade=r.grade,
                share_percent=r.share_percent,
                label=party_label(r.party),
            )
            for r in resolved
        ],
        facts=body.facts,
        legal_basis=body.legal_basis,
        # As the officer was named when deciding: the document shows who decided, even if
        # the account is renamed later.
        officer=DecisionOfficer(
            id=str(officer_id(principal)),
            username=officer.username if officer else None,
            display_name=officer_name(officer) if officer else None,
            badge_number=officer.badge_number if officer else None,
        ),
        center_id=case.center_id,
        # Written on Beijing's clock: the record is shown as it is, since the document's
        # verification code covers its text.
        decided_at=in_beijing(now).isoformat(),
        agreement=agreement,
        # The parties' own agreement, confirmed by the officer, makes the 自行协商协议书;
        # otherwise (also when the parties asked for one) the officer's determination.
        document="quick_handling_agreement" if agreement_case else "liability_determination",
    )
    case.decision = decision
    release_officer(case)
    await transition(
        session,
        case,
        CaseStatus.final if agreement_case else CaseStatus.decided,
        actor=actor_of(principal),
        event_type="case.decision_final" if agreement_case else "case.decided",
        data={
            "liabilities": [item.as_stored() for item in decision.liabilities],
            "agreement": agreement,
            **({"reason": "agreement_confirmed"} if agreement_case else {}),
        },
    )
    case.decision = decision.model_copy(update={"case_version": case.version})
    return case


def _compare_with_agreement(
    agreed: Sequence[AgreedLiabilityRecord] | None, resolved: Sequence[Any], *, party_count: int
) -> Literal["confirmed", "changed"] | None:
    if not agreed:
        return None
    try:
        theirs = resolve_shares(
            [PartyLiability(a.party, a.grade, a.share_percent) for a in agreed],
            party_count=party_count,
        )
    except InvalidLiability:
        return "changed"
    return "confirmed" if tuple(theirs) == tuple(resolved) else "changed"


async def decision_document(
    session: AsyncSession,
    case: Case,
    principal: Principal,
    *,
    font_path: Path,
    revoked: int | None = None,
) -> tuple[bytes, str]:
    """The PDF of the decision, parties masked as for this reader, and its verification hash;
    with ``revoked``, that decision of the case's history, marked as revoked."""
    receipts = case.receipts
    revocation = None
    if revoked is not None:
        if revoked >= len(case.revoked_decisions):
            raise NoDecisionYet(_("The case has no revoked decision {number}.", number=revoked))
        entry = case.revoked_decisions[revoked]
        decision = entry.decision
        receipts = entry.receipts
        revocation = Revocation(
            revoked_at=datetime.fromisoformat(entry.revoked_at), reasons=entry.reasons
        )
    elif case.decision:
        decision = case.decision
    else:
        raise NoDecisionYet()
    record = await read_case(session, case, principal, links=None)
    center = await centers_repository.get_center(session, case.center_id)
    insurers = await partners_repository.insurer_names(session, insurer_codes(record))
    digest = verification_hash(case_id=str(case.id), number=case.number, decision=decision)
    # Laying out and subsetting the font takes tens of milliseconds: off the event loop.
    document = await asyncio.to_thread(
        render_decision_document,
        number=case.number,
        decision=decision,
        parties=document_parties(record, insurers),
        scene=document_scene(record),
        center_name=center.name if center else case.center_id,
        address=case.address,
        occurred_at=case.occurred_at,
        digest=digest,
        font_path=font_path,
        receipts=receipts,
        revocation=revocation,
    )
    return document, digest
