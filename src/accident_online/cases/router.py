from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth.dependencies import CurrentPrincipal
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.cases import service
from accident_online.cases.dependencies import CaseForReader, EvidenceLinksDep
from accident_online.cases.exceptions import CaseNotFound
from accident_online.cases.schemas import CaseEventRead, CaseRead, CaseSummary
from accident_online.kit.db import SessionDep
from accident_online.kit.pagination import (
    InvalidCursor,
    Page,
    PageParams,
    decode_keyset_cursor,
    decode_sequence_cursor,
    encode_keyset_cursor,
    encode_sequence_cursor,
)
from accident_online.kit.problems import Unauthorized, ValidationFailed, problem_responses
from accident_online.kit.time import Rfc3339DateTime
from accident_online.models.case import CaseStatus
from accident_online.parties.formats import normalize_plate

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get(
    "",
    operation_id="listCases",
    summary="List the cases you may see",
    response_model=Page[CaseSummary],
    responses=problem_responses(Unauthorized, InvalidCursor, ValidationFailed),
)
async def list_cases(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Query()],
    status: Annotated[CaseStatus | None, Query()] = None,
    center_id: Annotated[str | None, Query(max_length=32)] = None,
    plate: Annotated[str | None, Query(max_length=16, description="e.g. 鲁P12345")] = None,
    since: Annotated[
        Rfc3339DateTime | None, Query(description="Reported at or after (RFC 3339).")
    ] = None,
) -> Page[CaseSummary]:
    """Newest first. Each role sees only its own: an officer the cases of its center, the
    app the cases it filed, an insurer the cases of its insured, mediation and the court
    the cases sent to them; admins all."""
    before = decode_keyset_cursor(page.cursor, uuid.UUID) if page.cursor else None
    cases = await service.list_visible_cases(
        session,
        principal,
        status=status,
        center_id=center_id,
        plate=normalize_plate(plate) if plate else None,
        since=since,
        before=before,
        limit=page.limit + 1,
    )
    items = await service.summarise_cases(session, cases[: page.limit])
    last = cases[page.limit - 1] if len(cases) > page.limit else None
    next_cursor = encode_keyset_cursor(last.reported_at, last.id) if last else None
    return Page[CaseSummary](items=items, next_cursor=next_cursor)


@router.get(
    "/{case_id}",
    operation_id="getCase",
    summary="查看案件（含 ETag）· Show the shared case record",
    tags=[OFFICERS_TAG],
    response_model=CaseRead,
    responses={
        200: {
            "headers": {
                "ETag": {
                    "description": "案件版本，修改时作为 If-Match 发送 · The case version, "
                    "to send as If-Match",
                    "schema": {"type": "string"},
                }
            }
        },
        **problem_responses(Unauthorized, InvalidAccessToken, CaseNotFound, ValidationFailed),
    },
)
async def get_case(
    case: CaseForReader,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """完整案件记录：当事人（个人信息按需脱敏）、照片及尚缺的照片、办案民警、认定、当事人的
    答复。`ETag` 即案件的 `version`；修改案件时作为 `If-Match` 发送。时间均为北京时间。

    The whole record: parties (personal data masked unless you need it), evidence and
    what is still missing, the officer, the decision, the parties' answers. `ETag` is
    the case's `version`; send it as `If-Match` when you change the case. Times are
    Beijing time (+08:00)."""
    response.headers["ETag"] = f'"{case.version}"'
    return await service.read_case(session, case, principal, links=links)


@router.get(
    "/{case_id}/events",
    operation_id="listCaseEvents",
    summary="The case's timeline",
    response_model=Page[CaseEventRead],
    responses=problem_responses(Unauthorized, CaseNotFound, InvalidCursor, ValidationFailed),
)
async def list_case_events(
    case: CaseForReader, session: SessionDep, page: Annotated[PageParams, Query()]
) -> Page[CaseEventRead]:
    """Append-only, oldest first: every report, routing, upload, status change and partner
    event, with who did it (`actor`)."""
    after = decode_sequence_cursor(page.cursor) if page.cursor else 0
    events = await service.list_events(session, case, after_seq=after, limit=page.limit + 1)
    items = [
        CaseEventRead(seq=e.seq, type=e.type, at=e.at, actor=e.actor, data=e.data)
        for e in events[: page.limit]
    ]
    next_cursor = encode_sequence_cursor(items[-1].seq) if len(events) > page.limit else None
    return Page[CaseEventRead](items=items, next_cursor=next_cursor)
