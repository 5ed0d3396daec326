from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from accident_online.auth.dependencies import CurrentPrincipal
from accident_online.cases.service import load_visible_case
from accident_online.kit.db import SessionDep
from accident_online.models.case import Case


async def case_for_reader(
    case_id: Annotated[uuid.UUID, Path(description="The case's id.")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Case:
    """The case, if the caller may see it (404 otherwise): object-level authorisation."""
    return await load_visible_case(session, principal, case_id)


CaseForReader = Annotated[Case, Depends(case_for_reader)]
