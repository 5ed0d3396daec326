from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth.dependencies import (
    CurrentPrincipal,
    OfficerPrincipal,
)
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.auth.principal import Principal
from accident_online.cases.dependencies import (
    CaseAtVersion,
    CaseForReader,
    CaseId,
    EvidenceLinksDep,
)
from accident_online.cases.evidence_links import EvidenceLinks
from accident_online.cases.exceptions import (
    CaseNotFound,
    InvalidTransition,
    LateReportNotTaken,
    PreconditionFailed,
    PreconditionRequired,
)
from accident_online.cases.schemas import CaseRead
from accident_online.cases.service import read_case
from accident_online.centers.exceptions import CenterNotFound
from accident_online.decisions import service
from accident_online.decisions.dependencies import CaseToDecide
from accident_online.decisions.exceptions import (
    AgreedLiabilityUnchangeable,
    AlreadyDecided,
    AnotherCentersQueue,
    CaseHeldByAnotherOfficer,
    InvalidDecision,
    NoDecisionYet,
    NotHoldingCase,
)
from accident_online.decisions.schemas import (
    DecisionCreate,
    EvidenceRequestCreate,
    ReferralCreate,
)
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

# Tags per route: the parties' answers are no officer's work.
router = APIRouter(prefix="/cases/{case_id}")

# What every change by the holding officer may answer besides its own errors.
OFFICER_ERRORS = (
    Unauthorized,
    InvalidAccessToken,
    Forbidden,
    CaseNotFound,
    InvalidTransition,
    NotHoldingCase,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
ETAG_HEADER = {
    "ETag": {
        "description": "案件新版本，下一次修改时作为 If-Match 发送 · The case's new version: "
        "send it as If-Match with your next change.",
        "schema": {"type": "string"},
    }
}
CHANGED_CASE: dict[int | str, dict[str, object]] = {200: {"headers": ETAG_HEADER}}


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
    operation_id="claimCase",
    tags=[OFFICERS_TAG],
    summary="领取案件 · Take a case from your center's queue",
    response_model=CaseRead,
    responses={
        **CHANGED_CASE,
        **problem_responses(
            Unauthorized,
            InvalidAccessToken,
            Forbidden,
            CaseNotFound,
            CaseHeldByAnotherOfficer,
            InvalidTransition,
            ValidationFailed,
        ),
    },
)
async def take_case(
    case_id: CaseId,
    request: Request,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """案件变为 `under_review`（审核中），由你办理一段时间（租期，见
    `assigned_officer.claim_expires_at`）；再次领取即续期。他人正在办理时返回 409
    `case-held`。领取无需 `If-Match`；记下回答中的 `ETag`，后续操作要用。

    The case becomes `under_review`, held by you for a while (the lease; see
    `assigned_officer.claim_expires_at`). Claiming it again renews the lease. If another
    officer holds it: 409 `case-held`. No `If-Match` needed; keep the answer's `ETag`
    for your next step."""
    settings: Settings = request.app.state.settings
    case = await service.take_case(
        session, principal, case_id, lease=timedelta(minutes=settings.claim_lease_minutes)
    )
    return await _answer(session, case, principal, response, links)


@router.post(
    "/release",
    operation_id="releaseCase",
    tags=[OFFICERS_TAG],
    summary="退回队列 · Put a case you hold back in the queue",
    response_model=CaseRead,
    responses={**CHANGED_CASE, **problem_responses(*OFFICER_ERRORS)},
)
async def release_case(
    case: CaseAtVersion,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """案件回到 `queued`，本中心任何民警都可领取。需要 `If-Match`。

    Back to `queued` for any officer of the center. Needs `If-Match`."""
    await service.release_case(session, principal, case)
    return await _answer(session, case, principal, response, links)


@router.post(
    "/evidence-requests",
    operation_id="requestEvidence",
    tags=[OFFICERS_TAG],
    summary="要求补充照片 · Ask the drivers for more or better photos",
    response_model=CaseRead,
    responses={**CHANGED_CASE, **problem_responses(*OFFICER_ERRORS)},
)
async def request_evidence(
    body: EvidenceRequestCreate,
    case: CaseAtVersion,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """案件回到 `awaiting_evidence`（待补充证据）；App 向驾驶人显示你的说明和需重拍的照片
    （`missing`），照片补齐后自动重新排队。示例中的〈…〉须替换成你的说明。需要 `If-Match`。

    The case goes back to `awaiting_evidence`; the app shows the drivers your message
    and what to re-shoot (`missing`). When the photos arrive it is queued again. Replace
    the example's 〈…〉 with your own message. Needs `If-Match`."""
    await service.request_evidence(session, principal, case, body)
    return await _answer(session, case, principal, response, links)


@router.post(
    "/referral",
    operation_id="referOffline",
    tags=[OFFICERS_TAG],
    summary="转线下处理 · Refer a case offline (to officers at the scene)",
    response_model=CaseRead,
    responses={**CHANGED_CASE, **problem_responses(*OFFICER_ERRORS)},
)
async def refer_offline(
    body: ReferralCreate,
    case: CaseAtVersion,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """无法凭照片认定的案件转交现场民警：`referred_offline`，不可撤回。填写原因（替换示例中的
    〈…〉）。需要 `If-Match`。

    For a case that cannot be decided from photos: `referred_offline`, final. Give the
    reason (replace the example's 〈…〉). Needs `If-Match`."""
    await service.refer_offline(session, principal, case, body)
    return await _answer(session, case, principal, response, links)


@router.post(
    "/decision",
    operation_id="decideLiability",
    tags=[OFFICERS_TAG],
    summary="作出责任认定（定责）· Decide liability",
    response_model=CaseRead,
    responses={
        **CHANGED_CASE,
        **problem_responses(
            *OFFICER_ERRORS,
            AlreadyDecided,
            AgreedLiabilityUnchangeable,
            InvalidDecision,
            LateReportNotTaken,
        ),
    },
)
async def decide(
    body: DecisionCreate,
    case: CaseToDecide,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """逐方认定责任（《道路交通事故处理程序规定》第六十条）。两方：全部/无、主要/次要、
    同等/同等或均无责任；三方及以上：每方填写 `share_percent`，合计 100（或全为 0）。写明
    事故事实和法律依据：示例中的〈…〉是占位符，不替换会被拒绝（422），以免示例成为认定书。
    当事人已自行协商的，认定会注明你是确认还是变更了协议。需要 `If-Match`（过期 → 412）；
    已认定的案件再次提交 → 409 `already-decided`。

    Grades per party (order 146 art. 60). Two parties: full/none, primary/secondary,
    equal/equal or none/none; three or more: give every `share_percent`, adding up to 100
    (or all 0). State the facts and the legal basis: the example's 〈…〉 are placeholders
    and are refused (422) until replaced, so that an example never becomes a 认定书. If
    the parties agreed on liability, the decision says whether you confirmed or changed
    it. Needs `If-Match` (stale → 412); a case already decided → 409 `already-decided`."""
    await service.decide(session, principal, case, body)
    return await _answer(session, case, principal, response, links)


@router.get(
    "/decision/document",
    operation_id="getDecisionDocument",
    summary="下载认定书（PDF）· The decision as a printable PDF",
    response_class=Response,
    tags=[OFFICERS_TAG, "cases"],
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "认定书或协议书（PDF 文件）· The document, as a file to save or print.",
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
        **problem_responses(
            Unauthorized, InvalidAccessToken, CaseNotFound, NoDecisionYet, ValidationFailed
        ),
    },
)
async def decision_document(
    case: CaseForReader, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """下载道路交通事故认定书（简易程序），或（民警确认当事人协议时）道路交通事故自行协商协议书，
    PDF 文件，文件名为案件编号：当事人甲/乙/丙……（按你的权限脱敏）及其保险公司、事故事实、
    责任、法律依据、当事人的权利、民警姓名和警号、中心、签名栏，以及作出认定时案件版本的
    SHA-256 校验码（也在 `X-Verification-Hash` 头中）。时间为北京时间，中文字体已嵌入。

    道路交通事故认定书（简易程序）, or 道路交通事故自行协商协议书 where the officer confirmed
    the parties' agreement, as a PDF file named after the case number: parties 甲/乙/丙…
    (masked as for you) with their insurers, facts, liabilities, legal basis, the parties'
    rights, the officer's name and badge number (警号), the center, signature lines, and a
    SHA-256 verification code of the decision at the case version it was made from (also
    in the `X-Verification-Hash` header). Times are Beijing time. The Chinese font is
    embedded."""
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


queue_router = APIRouter(prefix="/centers/{center_id}/queue", tags=[OFFICERS_TAG])


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
async def take_next_case(
    center_id: Annotated[
        str, Path(max_length=32, description="本中心 id，如 dongchangfu · Your center's id.")
    ],
    request: Request,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead | Response:
    """领取本中心队列中等待最久的案件，与 `POST /v1/cases/{case_id}/claim` 相同：案件变为
    `under_review`，在租期内由你办理；回答即整个案件（双方当事人并列、照片、驾驶人陈述、
    双方协议）及其 `ETag`。队列为空时返回 204。多名民警同时领取，得到的案件各不相同。
    无需 `If-Match`。

    Takes the case that has waited longest in your center's queue, as `POST
    /v1/cases/{case_id}/claim` would: it becomes `under_review`, held by you for the lease,
    and the answer is the whole case (parties side by side, photos, what the drivers said,
    any agreement) with its `ETag`. 204 when the queue is empty. Officers asking at the same
    moment get different cases. No `If-Match` needed."""
    settings: Settings = request.app.state.settings
    case = await service.take_next_case(
        session, principal, center_id, lease=timedelta(minutes=settings.claim_lease_minutes)
    )
    if case is None:
        return Response(status_code=204)
    return await _answer(session, case, principal, response, links)
