"""The reviewers' desk: the queue of applications for review, the outcome of one, and the
documents of revoked decisions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from accident_online.auth.dependencies import (
    CurrentPrincipal,
    ReviewerOrAdminPrincipal,
    ReviewerPrincipal,
)
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.cases.dependencies import (
    CaseForReader,
    CaseId,
    EvidenceLinksDep,
    IfMatch,
    require_version,
)
from accident_online.cases.determination_rules import limits_from
from accident_online.cases.exceptions import (
    CaseNotFound,
    InvalidTransition,
    PreconditionFailed,
    PreconditionRequired,
)
from accident_online.cases.schemas import CaseRead
from accident_online.cases.service import load_visible_case, read_case
from accident_online.decisions import service as decisions_service
from accident_online.decisions.exceptions import NoDecisionYet
from accident_online.kit.content_disposition import attachment
from accident_online.kit.db import SessionDep
from accident_online.kit.pagination import (
    InvalidCursor,
    Page,
    PageParams,
    decode_keyset_cursor,
    encode_keyset_cursor,
)
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.models.case import Case
from accident_online.reviews import service
from accident_online.reviews.exceptions import NoReviewPending
from accident_online.reviews.schemas import ReviewDecisionCreate, ReviewQueueItem
from accident_online.settings import Settings

REVIEWS_TAG = "复核 · Reviews"

queue_router = APIRouter(prefix="/reviews", tags=[REVIEWS_TAG])
router = APIRouter(prefix="/cases/{case_id}", tags=[REVIEWS_TAG])


@queue_router.get(
    "",
    operation_id="listReviews",
    summary="复核队列（最早的在前）· Applications for review, oldest first",
    response_model=Page[ReviewQueueItem],
    responses=problem_responses(
        Unauthorized, InvalidAccessToken, Forbidden, InvalidCursor, ValidationFailed
    ),
)
async def list_reviews(
    session: SessionDep,
    _: ReviewerOrAdminPrincipal,
    page: Annotated[PageParams, Query()],
) -> Page[ReviewQueueItem]:
    """等待复核结论的申请，最早的在前；超过复核期限的标记 `overdue`。

    Applications waiting for the review's outcome, the oldest first; those past the time
    limit (30 days, a setting) are marked `overdue`."""
    after = decode_keyset_cursor(page.cursor, uuid.UUID) if page.cursor else None
    items, cases = await service.review_queue(session, after=after, limit=page.limit)
    last = cases[page.limit - 1] if len(cases) > page.limit else None
    next_cursor = (
        encode_keyset_cursor(last.review_due_at, last.id) if last and last.review_due_at else None
    )
    return Page[ReviewQueueItem](items=items, next_cursor=next_cursor)


async def case_for_reviewer(
    case_id: CaseId, session: SessionDep, principal: ReviewerPrincipal, if_match: IfMatch = None
) -> Case:
    """The case under review, locked, at the version the reviewer read (else 412/428)."""
    case = await load_visible_case(session, principal, case_id, for_update=True)
    require_version(case, if_match)
    return case


@router.post(
    "/review",
    operation_id="decideReview",
    summary="复核结论 · Uphold or revoke the determination",
    response_model=CaseRead,
    responses={
        200: {"headers": {"ETag": {"schema": {"type": "string"}}}},
        **problem_responses(
            Unauthorized,
            InvalidAccessToken,
            Forbidden,
            CaseNotFound,
            NoReviewPending,
            InvalidTransition,
            PreconditionFailed,
            PreconditionRequired,
            ValidationFailed,
        ),
    },
)
async def decide_review(
    body: ReviewDecisionCreate,
    case: Annotated[Case, Depends(case_for_reviewer)],
    request: Request,
    session: SessionDep,
    principal: ReviewerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """`upheld`：维持原认定，责任认定生效（`final`）。`revoked`：撤销原认定（保留于案件历史并
    标明已撤销），案件回到原中心队列，限期重新认定（第七十四条）。需要 `If-Match`。

    `upheld`: the determination stands and liability is final. `revoked`: the decision is
    kept in the case's history marked revoked, and the case returns to its center's queue
    for a new determination within the time limit (art. 74). Needs `If-Match`."""
    settings: Settings = request.app.state.settings
    await service.decide_review(
        session,
        principal,
        case,
        body,
        redetermination_limit=limits_from(settings).redetermination,
    )
    response.headers["ETag"] = f'"{case.version}"'
    return await read_case(session, case, principal, links=links)


@router.get(
    "/revoked-decisions/{number}/document",
    operation_id="getRevokedDecisionDocument",
    summary="已撤销认定的认定书（PDF）· The document of a revoked decision",
    response_class=Response,
    tags=["cases"],
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "标明已撤销的认定书 · The document, marked as revoked.",
        },
        **problem_responses(
            Unauthorized, InvalidAccessToken, CaseNotFound, NoDecisionYet, ValidationFailed
        ),
    },
)
async def revoked_decision_document(
    number: Annotated[
        int, Path(ge=0, le=99, description="`revoked_decisions` 中的序号 · Its index.")
    ],
    case: CaseForReader,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Response:
    """A decision a review revoked, as its document, saying on top that it was revoked."""
    settings: Settings = request.app.state.settings
    document, digest = await decisions_service.decision_document(
        session, case, principal, font_path=settings.document_font_path, revoked=number
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": attachment(f"{case.number}-revoked-{number}.pdf"),
            "X-Verification-Hash": digest,
        },
    )
