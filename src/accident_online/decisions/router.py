from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from accident_online.auth.dependencies import (
    AppPartnerPrincipal,
    CurrentPrincipal,
    OfficerPrincipal,
)
from accident_online.auth.principal import Principal
from accident_online.cases.dependencies import CaseForReader
from accident_online.cases.exceptions import CaseNotFound, InvalidTransition
from accident_online.cases.schemas import CaseRead
from accident_online.cases.service import load_visible_case, read_case
from accident_online.centers.exceptions import CenterNotFound
from accident_online.decisions import service
from accident_online.decisions.exceptions import (
    AlreadyAnswered,
    AnotherCentersQueue,
    CaseHeldByAnotherOfficer,
    InvalidDecision,
    NotAwaitingAnswers,
    NotHoldingCase,
    PreconditionFailed,
    PreconditionRequired,
)
from accident_online.decisions.schemas import (
    DecisionCreate,
    EvidenceRequestCreate,
    ReferralCreate,
    ResponseCreate,
)
from accident_online.evidence.dependencies import EvidenceLinksDep
from accident_online.evidence.links import EvidenceLinks
from accident_online.kit.content_disposition import attachment
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.models.case import Case
from accident_online.settings import Settings
from accident_online.settlement.exceptions import NoDecisionYet

router = APIRouter(prefix="/cases/{case_id}", tags=["officers"])

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The case\'s ETag as you last read it, e.g. "7".'),
]
CaseId = Annotated[uuid.UUID, Path(description="The case's id.")]

OFFICER_ERRORS = (
    Unauthorized,
    Forbidden,
    CaseNotFound,
    InvalidTransition,
    NotHoldingCase,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)


async def case_for_officer(
    case_id: CaseId, session: SessionDep, principal: OfficerPrincipal
) -> Case:
    """The case, locked for this change, if it belongs to the officer's center (else 404)."""
    return await load_visible_case(session, principal, case_id, for_update=True)


CaseForOfficer = Annotated[Case, Depends(case_for_officer)]


async def _answer(
    session: SessionDep,
    case: Case,
    principal: Principal,
    response: Response,
    links: EvidenceLinks,
) -> CaseRead:
    response.headers["ETag"] = f'"{case.version}"'
    return await read_case(session, case, principal, links=links)


@router.post(
    "/claim",
    summary="Take a case from your center's queue",
    response_model=CaseRead,
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        CaseNotFound,
        CaseHeldByAnotherOfficer,
        InvalidTransition,
        ValidationFailed,
    ),
)
async def claim_case(
    case_id: CaseId,
    request: Request,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """The case becomes `under_review`, held by you for a while (the lease; see
    `assigned_officer.claim_expires_at`). Claiming it again renews the lease. If another
    officer holds it: 409. No `If-Match` needed."""
    settings: Settings = request.app.state.settings
    case = await service.claim_case(
        session, principal, case_id, lease=timedelta(minutes=settings.claim_lease_minutes)
    )
    return await _answer(session, case, principal, response, links)


@router.post(
    "/release",
    summary="Put a case you hold back in the queue",
    response_model=CaseRead,
    responses=problem_responses(*OFFICER_ERRORS),
)
async def release_case(
    case: CaseForOfficer,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """Back to `queued` for any officer of the center. Needs `If-Match`."""
    await service.release_case(session, principal, case, if_match)
    return await _answer(session, case, principal, response, links)


@router.post(
    "/evidence-requests",
    summary="Ask the drivers for more or better photos",
    response_model=CaseRead,
    responses=problem_responses(*OFFICER_ERRORS),
)
async def request_evidence(
    body: EvidenceRequestCreate,
    case: CaseForOfficer,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """The case goes back to `awaiting_evidence`; the app shows the drivers your message
    and what to re-shoot (`missing`). When the photos arrive it is queued again."""
    await service.request_evidence(session, principal, case, body, if_match)
    return await _answer(session, case, principal, response, links)


@router.post(
    "/referral",
    summary="Refer a case offline (to officers at the scene)",
    response_model=CaseRead,
    responses=problem_responses(*OFFICER_ERRORS),
)
async def refer_offline(
    body: ReferralCreate,
    case: CaseForOfficer,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """For a case that cannot be decided from photos: `referred_offline`, final."""
    await service.refer_offline(session, principal, case, body, if_match)
    return await _answer(session, case, principal, response, links)


@router.post(
    "/decision",
    summary="Decide liability (定责)",
    response_model=CaseRead,
    responses=problem_responses(*OFFICER_ERRORS, InvalidDecision),
)
async def decide(
    body: DecisionCreate,
    request: Request,
    case: CaseForOfficer,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """Grades per party (order 146 art. 60). Two parties: full/none, primary/secondary,
    equal/equal or none/none; three or more: give every `share_percent`, adding up to 100
    (or all 0). State the facts and the legal basis. If the parties agreed on liability,
    the decision says whether you confirmed or changed it. Needs `If-Match`."""
    settings: Settings = request.app.state.settings
    await service.decide(
        session,
        principal,
        case,
        body,
        if_match,
        response_window=timedelta(hours=settings.response_deadline_hours),
    )
    return await _answer(session, case, principal, response, links)


async def case_for_filing_app(
    case_id: CaseId, session: SessionDep, principal: AppPartnerPrincipal
) -> Case:
    return await load_visible_case(session, principal, case_id, for_update=True)


@router.post(
    "/responses",
    summary="A party's answer to the decision",
    response_model=CaseRead,
    tags=["reports"],
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        CaseNotFound,
        AlreadyAnswered,
        NotAwaitingAnswers,
        InvalidTransition,
        ValidationFailed,
    ),
)
async def answer_decision(
    body: ResponseCreate,
    case: Annotated[Case, Depends(case_for_filing_app)],
    session: SessionDep,
    principal: AppPartnerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """One answer per party. All accept → `accepted` (insurers settle). A dispute →
    `disputed`, then `in_mediation` or `in_litigation` as the disputing party chose. A
    party silent past `response_deadline` is taken to accept."""
    await service.answer_decision(session, principal, case, body)
    return await _answer(session, case, principal, response, links)


@router.get(
    "/decision/document",
    summary="下载定责文书（PDF）· Download the decision document (PDF)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The document, as a file to save or print.",
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="<case number>.pdf"',
                    "schema": {"type": "string"},
                },
                "X-Verification-Hash": {
                    "description": "SHA-256 of the decision, as printed on the document.",
                    "schema": {"type": "string"},
                },
            },
        },
        **problem_responses(Unauthorized, CaseNotFound, NoDecisionYet, ValidationFailed),
    },
)
async def decision_document(
    case: CaseForReader, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """道路交通事故认定书（简易程序）, or 道路交通事故自行协商协议书 where the officer confirmed
    the parties' agreement: case number, parties 甲/乙/丙… (masked as for you) with their
    insurers, facts, liabilities, legal basis, the parties' rights, the officer's name and
    badge number (警号), the center, signature lines, and a SHA-256 verification code of the
    decision at the case version it was made from (also in the `X-Verification-Hash`
    header). Times are Beijing time. The Chinese font is embedded."""
    settings: Settings = request.app.state.settings
    document, digest = await service.decision_document(
        session, case, principal, font_path=settings.document_font_path
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": attachment(f"{case.number}.pdf"),
            "X-Verification-Hash": digest,
        },
    )


queue_router = APIRouter(prefix="/centers/{center_id}/queue", tags=["officers"])


@queue_router.post(
    "/next",
    summary="领取下一起案件 · Claim the next case",
    operation_id="claimNextCase",
    response_model=CaseRead,
    responses={
        204: {"description": "No case is waiting in your center's queue."},
        **problem_responses(
            Unauthorized,
            Forbidden,
            AnotherCentersQueue,
            CenterNotFound,
            CaseHeldByAnotherOfficer,
            ValidationFailed,
        ),
    },
)
async def claim_next_case(
    center_id: Annotated[str, Path(max_length=32, description="Your center's id.")],
    request: Request,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead | Response:
    """Takes the case that has waited longest in your center's queue, as `POST
    /v1/cases/{case_id}/claim` would: it becomes `under_review`, held by you for the lease,
    and the answer is the whole case (parties side by side, photos, what the drivers said,
    any agreement) with its `ETag`. 204 when the queue is empty. Officers asking at the same
    moment get different cases. No `If-Match` needed."""
    settings: Settings = request.app.state.settings
    case = await service.claim_next_case(
        session, principal, center_id, lease=timedelta(minutes=settings.claim_lease_minutes)
    )
    if case is None:
        return Response(status_code=204)
    return await _answer(session, case, principal, response, links)
