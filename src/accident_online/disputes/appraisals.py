"""Appraisal (鉴定) of a disputed loss: asked for with the parties' consent, or by the
mediator or the court (法办〔2023〕275号; 鉴定前置 in mediation); the appraiser's figure
replaces the vehicle's loss in the settlement, and each party may object for a while."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.evidence_links import EvidenceLinks, photo_path
from accident_online.cases.service import actor_of, append_event
from accident_online.claims import service as claims
from accident_online.claims.rules import ClaimRules, objection_deadline
from accident_online.disputes.exceptions import (
    AlreadyObjected,
    AppraisalConsentMissing,
    AppraisalNotCompleted,
    AppraisalNotFound,
    AppraisalNotOpen,
    AppraisalNotPending,
    NotAnAppraiser,
    ObjectionWindowClosed,
)
from accident_online.disputes.schemas import AppraisalCreate, ObjectionCreate
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.dispute import (
    Appraisal,
    AppraisalObjection,
    AppraisalResult,
    AppraisalStatus,
    RepairQuote,
)
from accident_online.models.partner import PartnerKind
from accident_online.models.user import Role
from accident_online.parties.labels import party_label
from accident_online.partners import repository as partners_repository

# Once liability is accepted or disputed, until the compensation is settled.
APPRAISABLE = frozenset(
    {CaseStatus.accepted, CaseStatus.disputed, CaseStatus.in_mediation, CaseStatus.in_litigation}
)


def _check_parties(indexes: Sequence[int], parties: Sequence[CaseParty], field: str) -> None:
    known = {party.index for party in parties}
    for number, index in enumerate(indexes):
        if index not in known:
            raise ValidationFailed.at(["body", field, number], _("no such party in the case"))
    if len(set(indexes)) != len(indexes):
        raise ValidationFailed.at(["body", field], _("each party once"))


async def request_appraisal(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: AppraisalCreate,
    *,
    links: EvidenceLinks,
) -> Appraisal:
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    _check_parties(body.vehicles, parties, "vehicles")
    _check_parties(body.consenting_parties, parties, "consenting_parties")
    _check_parties([quote.party for quote in body.repair_quotes], parties, "repair_quotes")
    if principal.role == Role.app and set(body.consenting_parties) != {p.index for p in parties}:
        raise AppraisalConsentMissing()
    appraiser = await partners_repository.get_partner(session, body.appraiser)
    if appraiser is None or appraiser.kind != PartnerKind.appraisal or appraiser.disabled_at:
        raise NotAnAppraiser.at(["body", "appraiser"], _("not an appraisal organisation"))
    if case.status not in APPRAISABLE:
        raise AppraisalNotOpen()
    actor = actor_of(principal)
    if case.status == CaseStatus.accepted:
        # The loss is disputed after acceptance: the calculation's claims wait for it.
        await claims.withdraw_open_claims(session, case, reason="appraisal_requested", actor=actor)
    appraisal = Appraisal(
        case_id=case.id,
        appraiser_partner_id=appraiser.id,
        status=AppraisalStatus.requested,
        vehicles=list(body.vehicles),
        question=body.question,
        consenting_parties=sorted(body.consenting_parties),
        repair_quotes=[
            RepairQuote(party=q.party, amount=q.amount, shop=q.shop) for q in body.repair_quotes
        ],
        requested_by=actor,
    )
    session.add(appraisal)
    await session.flush()
    await append_event(
        session,
        case,
        type="case.appraisal_requested",
        actor=actor,
        data={
            "appraisal_id": str(appraisal.id),
            "appraiser": appraiser.id,
            "vehicles": appraisal.vehicles,
            "question": appraisal.question,
            "consenting_parties": appraisal.consenting_parties,
            "requested_by": actor,
            "materials": await _materials(session, case, appraisal, parties, links),
        },
    )
    return appraisal


async def _materials(
    session: AsyncSession,
    case: Case,
    appraisal: Appraisal,
    parties: Sequence[CaseParty],
    links: EvidenceLinks,
) -> list[dict[str, Any]]:
    """Per vehicle: its photos (and the scene's), the insurer's assessed loss, the quotes."""
    evidence = (await cases_repository.evidence_of(session, [case.id]))[case.id]
    by_index = {party.index: party for party in parties}
    materials = []
    for index in appraisal.vehicles:
        party = by_index[index]
        materials.append(
            {
                "party": index,
                "label": party_label(index),
                "plate": party.plate,
                "insurer_assessed_loss": None
                if party.assessed_loss is None
                else str(party.assessed_loss),
                "repair_quotes": [
                    {"amount": str(q.amount), "shop": q.shop}
                    for q in appraisal.repair_quotes
                    if q.party == index
                ],
                "photos": [
                    {
                        "kind": item.kind,
                        "party": item.party,
                        "content_url": links.base_url
                        + photo_path(case.id, item.id, then="content"),
                        "view_url": links.url(case.id, item.id, full=False),
                    }
                    for item in evidence
                    if item.party in (None, index)
                ],
            }
        )
    return materials


async def appraisals_of(session: AsyncSession, case: Case) -> list[Appraisal]:
    rows = await session.exec(
        select(Appraisal)
        .where(Appraisal.case_id == case.id)
        .order_by(col(Appraisal.requested_at), col(Appraisal.id))
    )
    return list(rows)


async def _appraisal(
    session: AsyncSession, case: Case, appraisal_id: uuid.UUID, *, appraiser: str | None = None
) -> Appraisal:
    appraisal = await session.get(Appraisal, appraisal_id, with_for_update=True)
    if (
        appraisal is None
        or appraisal.case_id != case.id
        or (appraiser is not None and appraisal.appraiser_partner_id != appraiser)
    ):
        raise AppraisalNotFound()
    return appraisal


async def object_to_appraisal(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    appraisal_id: uuid.UUID,
    body: ObjectionCreate,
) -> Appraisal:
    """A party's objection, within the window; the mediator or the court weighs it."""
    appraisal = await _appraisal(session, case, appraisal_id)
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    _check_parties([body.party], parties, "party")
    if appraisal.status != AppraisalStatus.completed or appraisal.objection_deadline is None:
        raise AppraisalNotCompleted()
    now = utc_now()
    if now > appraisal.objection_deadline:
        raise ObjectionWindowClosed(
            _(
                "Objections to this appraisal were possible until {deadline}.",
                deadline=appraisal.objection_deadline.isoformat(),
            )
        )
    if any(item.party == body.party for item in appraisal.objections):
        raise AlreadyObjected()
    appraisal.objections = [
        *appraisal.objections,
        AppraisalObjection(party=body.party, reason=body.reason, at=now),
    ]
    session.add(appraisal)
    await append_event(
        session,
        case,
        type="appraisal.objected",
        actor=actor_of(principal),
        data={"appraisal_id": str(appraisal.id), "party": body.party, "reason": body.reason},
    )
    return appraisal


async def appraisal_accepted(
    session: AsyncSession, case: Case, appraisal_id: uuid.UUID, *, appraiser: str
) -> None:
    appraisal = await _appraisal(session, case, appraisal_id, appraiser=appraiser)
    if appraisal.status != AppraisalStatus.requested:
        raise AppraisalNotPending()
    appraisal.status = AppraisalStatus.accepted
    session.add(appraisal)


async def appraisal_declined(
    session: AsyncSession,
    case: Case,
    appraisal_id: uuid.UUID,
    *,
    appraiser: str,
    reason: str | None,
) -> None:
    appraisal = await _appraisal(session, case, appraisal_id, appraiser=appraiser)
    if appraisal.status not in (AppraisalStatus.requested, AppraisalStatus.accepted):
        raise AppraisalNotPending()
    appraisal.status = AppraisalStatus.declined
    appraisal.decline_reason = reason
    session.add(appraisal)


async def appraisal_completed(
    session: AsyncSession,
    case: Case,
    appraisal_id: uuid.UUID,
    party: CaseParty,
    *,
    appraiser: str,
    assessed_loss: Decimal,
    report_number: str,
    report_url: str | None,
    rules: ClaimRules,
) -> dict[str, Any]:
    """One vehicle's appraised loss: it replaces the party's loss in the settlement.
    Returns what the timeline adds to the event."""
    appraisal = await _appraisal(session, case, appraisal_id, appraiser=appraiser)
    if appraisal.status not in (AppraisalStatus.requested, AppraisalStatus.accepted):
        raise AppraisalNotPending()
    if party.index not in appraisal.vehicles:
        raise ValidationFailed.at(
            ["body", "data", "party"], _("this vehicle is not part of the appraisal")
        )
    now = utc_now()
    result = AppraisalResult(
        party=party.index,
        assessed_loss=assessed_loss,
        report_number=report_number,
        report_url=report_url,
        completed_at=now,
    )
    appraisal.results = [*(r for r in appraisal.results if r.party != party.index), result]
    added: dict[str, Any] = {"appraisal_id": str(appraisal.id)}
    if party.assessed_loss is not None:
        added["replaces"] = str(party.assessed_loss)
    party.assessed_loss = assessed_loss
    session.add(party)
    if {r.party for r in appraisal.results} >= set(appraisal.vehicles):
        appraisal.status = AppraisalStatus.completed
        appraisal.completed_at = now
        appraisal.objection_deadline = objection_deadline(now, rules)
        added["objection_deadline"] = appraisal.objection_deadline.isoformat()
    session.add(appraisal)
    return added


async def appraised_parties(session: AsyncSession, case: Case) -> set[int]:
    return {
        result.party
        for appraisal in await appraisals_of(session, case)
        for result in appraisal.results
    }
