"""The app backend's part in the determination's life: confirmations, corrections,
deliveries and review requests. Each answers with the case record as it now stands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from accident_online.auth.dependencies import AppPartnerPrincipal
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.cases.dependencies import CaseForFilingApp, EvidenceLinksDep
from accident_online.cases.determination_rules import limits_from
from accident_online.cases.exceptions import CaseNotFound, InvalidTransition
from accident_online.cases.schemas import CaseRead
from accident_online.cases.service import read_case
from accident_online.determinations import confirmations, corrections, delivery, review_requests
from accident_online.determinations.exceptions import (
    AlreadyConfirmed,
    AlreadyReceived,
    NotBeforeDecision,
    NotDelivered,
    NothingToReview,
    NotUnderDetermination,
    ReviewAlreadyRequested,
    ReviewWindowClosed,
)
from accident_online.determinations.schemas import (
    ConfirmationCreate,
    PartyCorrection,
    ReceiptCreate,
    ReviewRequestCreate,
)
from accident_online.kit.created import created_responses
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.settings import Settings

router = APIRouter(prefix="/cases/{case_id}", tags=["reports"])

APP_ERRORS = (Unauthorized, InvalidAccessToken, Forbidden, CaseNotFound, ValidationFailed)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/confirmations",
    operation_id="confirmReport",
    summary="当事人确认 · A party confirmed the report on their own phone",
    status_code=201,
    response_model=CaseRead,
    responses={
        **created_responses("The case, with the confirmation in `confirmations`"),
        **problem_responses(*APP_ERRORS, NotBeforeDecision, AlreadyConfirmed),
    },
)
async def confirm_report(
    body: ConfirmationCreate,
    case: CaseForFilingApp,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    links: EvidenceLinksDep,
) -> CaseRead:
    """App 证明该当事人已在本人手机上确认报案（及协议）。照片齐全且各方均确认后案件进入队列；
    `missing_confirmations` 列出尚未确认的当事人。

    The app attests that this party confirmed the report (and the agreement, if any) on
    their own phone. The case is queued once its photos are in and every party confirmed;
    `missing_confirmations` lists who has not yet. A case some party never confirms expires."""
    limits = limits_from(_settings(request))
    await confirmations.confirm_party(
        session, principal, case, body, determination_limit=limits.determination
    )
    response.headers["Location"] = f"/v1/cases/{case.id}"
    return await read_case(session, case, principal, links=links)


@router.patch(
    "/parties/{party}",
    operation_id="correctParty",
    summary="更正当事人信息 · Correct a party's plate, phone, licence or insurer",
    response_model=CaseRead,
    responses=problem_responses(*APP_ERRORS, NotBeforeDecision, InvalidTransition),
)
async def correct_party(
    party: Annotated[int, Path(ge=0, le=19, description="当事人序号 · The party's index.")],
    body: PartyCorrection,
    case: CaseForFilingApp,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    links: EvidenceLinksDep,
) -> CaseRead:
    """认定前更正；原值记入时间线（`case.corrected`），该当事人须重新确认。认定后 → 409
    （请申请复核）。

    Before the decision only: checked as a report is, the previous value kept on the
    timeline (`case.corrected`), and that party asked to confirm again (the case waits in
    `awaiting_evidence` until it does). After the decision → 409: apply for review."""
    await corrections.correct_party(session, principal, case, party, body)
    return await read_case(session, case, principal, links=links)


@router.post(
    "/receipts",
    operation_id="recordReceipt",
    summary="送达 · The document was delivered to a party",
    status_code=201,
    response_model=CaseRead,
    responses={
        **created_responses("The case, with the receipt in `receipts`"),
        **problem_responses(*APP_ERRORS, NotDelivered, AlreadyReceived, InvalidTransition),
    },
)
async def record_receipt(
    body: ReceiptCreate,
    case: CaseForFilingApp,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    links: EvidenceLinksDep,
) -> CaseRead:
    """当事人收到认定书（或协议书），签名或拒绝签名；复核期自送达起算。`no_objection: true`
    即放弃复核，各方均无异议时责任认定立即生效（`final`）。

    A party received the document and signed it or refused (`refusal_note`); its review
    window runs from `received_at`. `no_objection: true` waives its review; when every
    party did, liability is final at once (`final`)."""
    limits = limits_from(_settings(request))
    await delivery.record_receipt(
        session, principal, case, body, review_window=limits.review_window
    )
    response.headers["Location"] = f"/v1/cases/{case.id}"
    return await read_case(session, case, principal, links=links)


@router.post(
    "/review-requests",
    operation_id="requestReview",
    summary="申请复核 · A party applies for review of the determination",
    status_code=201,
    response_model=CaseRead,
    responses={
        **created_responses("The case, under review"),
        **problem_responses(
            *APP_ERRORS,
            ReviewAlreadyRequested,
            NothingToReview,
            NotUnderDetermination,
            ReviewWindowClosed,
            InvalidTransition,
        ),
    },
)
async def request_review(
    body: ReviewRequestCreate,
    case: CaseForFilingApp,
    request: Request,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """自送达之日起三日内（设置项）书面申请，每起事故一次（《道路交通事故处理程序规定》第七十一条）；
    再次申请 → 409 `review-already-requested`，逾期 → 422 `review-window-closed`，协议案件
    → 409 `nothing-to-review`。案件变为 `review_requested`，交上一级（市级）复核。

    Within the window after that party's receipt (3 days, a setting), once per accident
    (order 146 art. 71): a second → 409 `review-already-requested`; late → 422
    `review-window-closed`; an agreement case → 409 `nothing-to-review`. The case becomes
    `review_requested`, in the city-level reviewers' queue."""
    limits = limits_from(_settings(request))
    await review_requests.request_review(
        session,
        principal,
        case,
        body,
        review_window=limits.review_window,
        review_limit=limits.review,
    )
    response.headers["Location"] = f"/v1/cases/{case.id}"
    return await read_case(session, case, principal, links=links)
