from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from accident_online.auth.dependencies import require_roles
from accident_online.auth.principal import Principal
from accident_online.cases.dependencies import CaseId
from accident_online.cases.exceptions import CaseNotFound
from accident_online.cases.service import load_visible_case
from accident_online.claims import payments, service
from accident_online.claims.exceptions import (
    ClaimNotFound,
    ClaimNotRequested,
    ClaimOverpaid,
    InsurerReportsItsPayments,
    PaymentAlreadyRecorded,
)
from accident_online.claims.rules import is_overdue
from accident_online.claims.schemas import ClaimPaymentCreate, ClaimRead
from accident_online.kit.created import created_responses
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
from accident_online.kit.time import utc_now
from accident_online.models.case import Case
from accident_online.models.dispute import ClaimLine, ClaimStatus
from accident_online.models.user import Role

router = APIRouter(prefix="/claims", tags=["claims"])
case_router = APIRouter(prefix="/cases/{case_id}/claims", tags=["claims"])

claims_reader = require_roles(Role.admin, Role.court)
payment_attester = require_roles(Role.app, Role.admin)
ClaimId = Annotated[uuid.UUID, Path(description="The claim line's id (`claim_id`).")]


def _read(line: ClaimLine) -> ClaimRead:
    return ClaimRead(
        id=line.id,
        case_id=line.case_id,
        insurer_code=line.insurer_code,
        insurer=line.insurer_partner_id,
        party=line.payee_party,
        payer_party=line.payer_party,
        amount=line.amount,
        paid_amount=line.paid_amount,
        status=line.status,
        basis=line.basis,
        rule=line.rule,
        requested_at=line.requested_at,
        due_at=line.due_at,
        paid_at=line.paid_at,
        overdue=is_overdue(due_at=line.due_at, paid=line.status != ClaimStatus.open, now=utc_now()),
    )


@router.get(
    "",
    operation_id="listClaims",
    summary="理赔款项及其期限 · Claim lines and their deadlines",
    response_model=Page[ClaimRead],
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor, ValidationFailed),
)
async def list_claims(
    session: SessionDep,
    principal: Annotated[Principal, Depends(claims_reader)],
    page: Annotated[PageParams, Query()],
    overdue: Annotated[
        bool | None,
        Query(description="true: only unpaid lines past their due date; false: the others."),
    ] = None,
) -> Page[ClaimRead]:
    """每笔理赔款：哪家保险公司、付给哪一方、多少、何时到期。Oldest due date first.
    Admins see every line; a court sees the lines of the cases sent to it. With
    `overdue=true`: the insurers late to pay (a court may send a judicial suggestion to
    the insurance regulator)."""
    after = decode_keyset_cursor(page.cursor, uuid.UUID) if page.cursor else None
    lines = await service.list_claims(
        session, principal, overdue=overdue, after=after, limit=page.limit + 1
    )
    last = lines[page.limit - 1] if len(lines) > page.limit else None
    next_cursor = encode_keyset_cursor(last.due_at, last.id) if last else None
    return Page[ClaimRead](
        items=[_read(line) for line in lines[: page.limit]], next_cursor=next_cursor
    )


async def case_for_payment(
    case_id: CaseId,
    session: SessionDep,
    principal: Annotated[Principal, Depends(payment_attester)],
) -> Case:
    """The case, locked for the payment, if the caller may see it (else 404)."""
    return await load_visible_case(session, principal, case_id, for_update=True)


@case_router.post(
    "/{claim_id}/payments",
    operation_id="attestClaimPayment",
    summary="登记未接入保险公司的赔款 · Record what an insurer not on the platform paid",
    status_code=201,
    response_model=ClaimRead,
    responses={
        **created_responses("The case's timeline, where the payment is read as `claim.paid`"),
        **problem_responses(
            Unauthorized,
            Forbidden,
            CaseNotFound,
            ClaimNotFound,
            InsurerReportsItsPayments,
            ClaimNotRequested,
            PaymentAlreadyRecorded,
            ClaimOverpaid,
            ValidationFailed,
        ),
    },
)
async def attest_claim_payment(
    claim_id: ClaimId,
    body: ClaimPaymentCreate,
    case: Annotated[Case, Depends(case_for_payment)],
    session: SessionDep,
    principal: Annotated[Principal, Depends(payment_attester)],
    response: Response,
) -> ClaimRead:
    """未接入平台的保险公司无法发送 `claim.paid`：由收款当事人通过 App（或管理员）登记到账
    金额、时间和转账流水号。

    A claim line to an insurer that is not connected (`insurer: null`) is paid outside the
    platform: the party paid attests it through the app backend, or an admin records it,
    with the amount received, when, and the bank transfer's reference. Recorded on the
    timeline as `claim.paid` with `attested_by`; once every claim line of the case is paid
    the case closes, as with an insurer's own `claim.paid`. A connected insurer's line →
    409 `insurer-reports-payments` (it sends `claim.paid` itself); more than is open →
    422 `claim-overpaid`; a line not open → 409 `claim-not-requested`; a reference already
    recorded for the line (a retry) → 409 `payment-already-recorded`."""
    line = await payments.record_attested_payment(session, principal, case, claim_id, body)
    response.headers["Location"] = f"/v1/cases/{case.id}/events"
    return _read(line)
