from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth.dependencies import AdminPrincipal, CurrentPrincipal
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.cases.schemas import CaseSummary
from accident_online.cases.service import summarise_cases
from accident_online.centers import service
from accident_online.centers.dependencies import CenterId, QueueReader
from accident_online.centers.exceptions import CenterNotFound
from accident_online.centers.schemas import CenterRead, CenterUpdate
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

router = APIRouter(prefix="/centers", tags=["centers"])


@router.get(
    "",
    operation_id="listCenters",
    summary="The nine remote liability centers",
    response_model=list[CenterRead],
    responses=problem_responses(Unauthorized),
)
async def list_centers(session: SessionDep, _: CurrentPrincipal) -> list[CenterRead]:
    """Each center with its districts, whether it is online, its hours, its capacity and
    how many cases are queued there now."""
    return await service.list_centers(session)


@router.patch(
    "/{center_id}",
    operation_id="updateCenter",
    summary="Change a center's availability, capacity or hours",
    response_model=CenterRead,
    responses=problem_responses(Unauthorized, Forbidden, CenterNotFound, ValidationFailed),
)
async def update_center(
    center_id: str, body: CenterUpdate, session: SessionDep, _: AdminPrincipal
) -> CenterRead:
    """New reports route around a center that is offline, closed or full."""
    return await service.update_center(session, center_id, body)


@router.get(
    "/{center_id}/queue",
    operation_id="listCenterQueue",
    summary="本中心待办队列（最早的在前）· Your center's queue, oldest first",
    tags=[OFFICERS_TAG],
    response_model=Page[CaseSummary],
    responses=problem_responses(
        Unauthorized,
        InvalidAccessToken,
        Forbidden,
        CenterNotFound,
        InvalidCursor,
        ValidationFailed,
    ),
)
async def center_queue(
    center_id: CenterId,
    session: SessionDep,
    _: QueueReader,
    page: Annotated[PageParams, Query()],
) -> Page[CaseSummary]:
    """等待民警的案件，等待最久的在前：领取第一件。

    Cases waiting for an officer, the longest-waiting first: claim the first one."""
    after = decode_keyset_cursor(page.cursor, uuid.UUID) if page.cursor else None
    cases = await service.queue(session, center_id, after=after, limit=page.limit + 1)
    items = await summarise_cases(session, cases[: page.limit])
    last = cases[page.limit - 1] if len(cases) > page.limit else None
    # Queued cases have their queued_at: it orders the queue.
    next_cursor = encode_keyset_cursor(last.queued_at, last.id) if last and last.queued_at else None
    return Page[CaseSummary](items=items, next_cursor=next_cursor)
