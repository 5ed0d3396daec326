from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from accident_online.auth.dependencies import require_roles
from accident_online.auth.principal import Principal
from accident_online.claims import service
from accident_online.claims.rules import is_overdue
from accident_online.claims.schemas import ClaimRead
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
from accident_online.models.dispute import ClaimLine, ClaimStatus
from accident_online.models.user import Role

router = APIRouter(prefix="/claims", tags=["claims"])

claims_reader = require_roles(Role.admin, Role.court)


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
