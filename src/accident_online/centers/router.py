from __future__ import annotations

from fastapi import APIRouter

from accident_online.auth.dependencies import AdminPrincipal, CurrentPrincipal
from accident_online.centers import service
from accident_online.centers.exceptions import CenterNotFound
from accident_online.centers.schemas import CenterRead, CenterUpdate
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)

router = APIRouter(prefix="/centers", tags=["centers"])


@router.get(
    "",
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
    summary="Change a center's availability, capacity or hours",
    response_model=CenterRead,
    responses=problem_responses(Unauthorized, Forbidden, CenterNotFound, ValidationFailed),
)
async def update_center(
    center_id: str, body: CenterUpdate, session: SessionDep, _: AdminPrincipal
) -> CenterRead:
    """New reports route around a center that is offline, closed or full."""
    return await service.update_center(session, center_id, body)
