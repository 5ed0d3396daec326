"""Who may read a center's queue: its own officers, and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from accident_online.auth.dependencies import require_roles
from accident_online.auth.principal import Principal
from accident_online.kit.i18n import _
from accident_online.kit.problems import Forbidden
from accident_online.models.user import Role

CenterId = Annotated[
    str,
    Path(
        description="你所在中心的 id（见 `GET /v1/centers`），如 `dongchangfu` · Your "
        "center's id (see `GET /v1/centers`), e.g. `dongchangfu`.",
        examples=["dongchangfu"],
    ),
]

officer_or_admin = require_roles(Role.officer, Role.admin)


async def queue_reader(
    center_id: CenterId, principal: Annotated[Principal, Depends(officer_or_admin)]
) -> Principal:
    """An officer of this center, or an administrator (403 otherwise)."""
    if principal.role == Role.officer and principal.center_id != center_id:
        raise Forbidden(_("You work at another center; see your own center's queue."))
    return principal


QueueReader = Annotated[Principal, Depends(queue_reader)]
