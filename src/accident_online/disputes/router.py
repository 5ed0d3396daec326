"""Compensation disputes on a case: appraisals, objections, arbitration agreements and
requests for judicial confirmation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from accident_online.auth.dependencies import AppPartnerPrincipal, require_roles
from accident_online.auth.principal import Principal
from accident_online.cases.dependencies import CaseForReader, CaseId, EvidenceLinksDep
from accident_online.cases.exceptions import CaseNotFound
from accident_online.cases.service import load_visible_case
from accident_online.claims.exceptions import ClaimsBeingPaid
from accident_online.disputes import appraisals, proceedings
from accident_online.disputes.exceptions import (
    AlreadyObjected,
    AppraisalConsentMissing,
    AppraisalNotCompleted,
    AppraisalNotFound,
    AppraisalNotOpen,
    ArbitrationAgreementExists,
    NoAgreementToConfirm,
    NotAnAppraiser,
    NotAwaitingResolution,
    ObjectionWindowClosed,
)
from accident_online.disputes.schemas import (
    AmountDueRead,
    AppraisalCreate,
    AppraisalRead,
    AppraisalResultRead,
    ArbitrationAgreementCreate,
    ArbitrationAgreementRead,
    CompensationRead,
    ObjectionCreate,
    ObjectionRead,
    RepairQuoteRead,
)
from accident_online.kit.created import created_responses
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.models.case import Case
from accident_online.models.dispute import Appraisal, Compensation
from accident_online.models.user import Role

router = APIRouter(prefix="/cases/{case_id}", tags=["disputes"])

appraisal_requester = require_roles(Role.app, Role.mediation, Role.court)
confirmation_requester = require_roles(Role.app, Role.mediation)
AppraisalId = Annotated[uuid.UUID, Path(description="The appraisal's id.")]


def _appraisal(appraisal: Appraisal) -> AppraisalRead:
    return AppraisalRead(
        id=appraisal.id,
        case_id=appraisal.case_id,
        appraiser=appraisal.appraiser_partner_id,
        status=appraisal.status,
        vehicles=appraisal.vehicles,
        question=appraisal.question,
        consenting_parties=appraisal.consenting_parties,
        repair_quotes=[
            RepairQuoteRead(party=q.party, amount=q.amount, shop=q.shop)
            for q in appraisal.repair_quotes
        ],
        requested_by=appraisal.requested_by,
        requested_at=appraisal.requested_at,
        results=[
            AppraisalResultRead.model_validate(r, from_attributes=True) for r in appraisal.results
        ],
        decline_reason=appraisal.decline_reason,
        completed_at=appraisal.completed_at,
        objection_deadline=appraisal.objection_deadline,
        objections=[
            ObjectionRead.model_validate(o, from_attributes=True) for o in appraisal.objections
        ],
    )


def _compensation(compensation: Compensation) -> CompensationRead:
    return CompensationRead(
        id=compensation.id,
        case_id=compensation.case_id,
        basis=compensation.basis,
        amounts=[
            AmountDueRead.model_validate(a, from_attributes=True) for a in compensation.amounts
        ],
        reference=compensation.reference,
        settled_at=compensation.settled_at,
        confirmation=compensation.confirmation,
    )


async def _case_for_change(case_id: CaseId, session: SessionDep, principal: Principal) -> Case:
    return await load_visible_case(session, principal, case_id, for_update=True)


async def case_for_appraisal(
    case_id: CaseId,
    session: SessionDep,
    principal: Annotated[Principal, Depends(appraisal_requester)],
) -> Case:
    return await _case_for_change(case_id, session, principal)


async def case_for_confirmation(
    case_id: CaseId,
    session: SessionDep,
    principal: Annotated[Principal, Depends(confirmation_requester)],
) -> Case:
    return await _case_for_change(case_id, session, principal)


async def case_for_app(
    case_id: CaseId, session: SessionDep, principal: AppPartnerPrincipal
) -> Case:
    return await _case_for_change(case_id, session, principal)


@router.post(
    "/appraisals",
    operation_id="requestAppraisal",
    summary="申请鉴定 · Ask an appraisal organisation to appraise a disputed loss",
    status_code=201,
    response_model=AppraisalRead,
    responses={
        **created_responses("The case's appraisals, where this one is read by its `id`"),
        **problem_responses(
            Unauthorized,
            Forbidden,
            CaseNotFound,
            AppraisalNotOpen,
            ClaimsBeingPaid,
            NotAnAppraiser,
            AppraisalConsentMissing,
            ValidationFailed,
        ),
    },
)
async def request_appraisal(
    body: AppraisalCreate,
    case: Annotated[Case, Depends(case_for_appraisal)],
    session: SessionDep,
    principal: Annotated[Principal, Depends(appraisal_requester)],
    links: EvidenceLinksDep,
    response: Response,
) -> AppraisalRead:
    """当事人共同申请（或经对方同意），或调解组织、法院委托鉴定。The app sends it with every
    party in `consenting_parties`; the case's mediation organisation or court may ask on
    its own. The appraiser receives `case.appraisal_requested` with the photos' links,
    the insurers' assessed losses and the repair quotes. On an accepted case, claims
    not yet paid are withdrawn until the appraisal is done."""
    appraisal = await appraisals.request_appraisal(session, principal, case, body, links=links)
    response.headers["Location"] = f"/v1/cases/{case.id}/appraisals"
    return _appraisal(appraisal)


@router.get(
    "/appraisals",
    operation_id="listAppraisals",
    summary="鉴定及异议 · The case's appraisals, results and objections",
    response_model=list[AppraisalRead],
    responses=problem_responses(Unauthorized, CaseNotFound, ValidationFailed),
)
async def list_appraisals(case: CaseForReader, session: SessionDep) -> list[AppraisalRead]:
    """Oldest first, with each vehicle's appraised loss, the objection deadline and the
    parties' objections, for the mediator or the court to weigh."""
    return [_appraisal(item) for item in await appraisals.appraisals_of(session, case)]


@router.post(
    "/appraisals/{appraisal_id}/objections",
    operation_id="objectToAppraisal",
    summary="对鉴定意见提出异议 · A party objects to a completed appraisal",
    status_code=201,
    response_model=AppraisalRead,
    responses={
        **created_responses(
            "The case's appraisals, where this one is read with the objection by its `id`"
        ),
        **problem_responses(
            Unauthorized,
            Forbidden,
            CaseNotFound,
            AppraisalNotFound,
            AppraisalNotCompleted,
            AlreadyObjected,
            ObjectionWindowClosed,
            ValidationFailed,
        ),
    },
)
async def object_to_appraisal(
    appraisal_id: AppraisalId,
    body: ObjectionCreate,
    case: Annotated[Case, Depends(case_for_app)],
    session: SessionDep,
    principal: AppPartnerPrincipal,
    response: Response,
) -> AppraisalRead:
    """Once per party, until `objection_deadline` (422 `objection-window-closed` after)."""
    appraisal = await appraisals.object_to_appraisal(session, principal, case, appraisal_id, body)
    response.headers["Location"] = f"/v1/cases/{case.id}/appraisals"
    return _appraisal(appraisal)


@router.post(
    "/arbitration-agreements",
    operation_id="recordArbitrationAgreement",
    summary="记录仲裁协议 · Record a party's written arbitration agreement",
    status_code=201,
    response_model=list[ArbitrationAgreementRead],
    responses={
        **created_responses(
            "The case's timeline, where the agreement is read (`arbitration.agreement_recorded`)"
        ),
        **problem_responses(
            Unauthorized,
            Forbidden,
            CaseNotFound,
            NotAwaitingResolution,
            ArbitrationAgreementExists,
            ValidationFailed,
        ),
    },
)
async def record_arbitration_agreement(
    body: ArbitrationAgreementCreate,
    case: Annotated[Case, Depends(case_for_app)],
    session: SessionDep,
    principal: AppPartnerPrincipal,
    response: Response,
) -> list[ArbitrationAgreementRead]:
    """While the case is `decided`, `review_requested` or `final` (before the parties
    choose). With every party's agreement recorded a party may answer with
    `resolution: "arbitration"`, and none may choose the court. Answers the agreements
    recorded so far."""
    recorded = await proceedings.record_arbitration_agreement(session, principal, case, body)
    response.headers["Location"] = f"/v1/cases/{case.id}/events"
    return [ArbitrationAgreementRead.model_validate(a, from_attributes=True) for a in recorded]


@router.post(
    "/confirmation-requests",
    operation_id="requestJudicialConfirmation",
    summary="申请司法确认 · Send the mediated agreement to the court for confirmation",
    status_code=201,
    response_model=CompensationRead,
    responses={
        **created_responses(
            "The case's timeline, where the request is read (`case.confirmation_requested`)"
        ),
        **problem_responses(
            Unauthorized, Forbidden, CaseNotFound, NoAgreementToConfirm, ValidationFailed
        ),
    },
)
async def request_confirmation(
    case: Annotated[Case, Depends(case_for_confirmation)],
    session: SessionDep,
    principal: Annotated[Principal, Depends(confirmation_requester)],
    response: Response,
) -> CompensationRead:
    """The case's court receives `case.confirmation_requested` with the agreed amounts and
    answers `confirmation.granted` or `confirmation.refused` (then the court decides the
    dispute and the agreement's unpaid claims are withdrawn)."""
    compensation = await proceedings.request_confirmation(session, principal, case)
    response.headers["Location"] = f"/v1/cases/{case.id}/events"
    return _compensation(compensation)
