from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from accident_online.auth.dependencies import AdminPrincipal
from accident_online.kit.db import SessionDep
from accident_online.kit.pagination import Page, PageParams, decode_cursor, page_of
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.partners import service
from accident_online.partners.exceptions import InsurerCodeTaken, PartnerExists, PartnerNotFound
from accident_online.partners.schemas import PartnerCreate, PartnerCreated, PartnerRead

router = APIRouter(prefix="/partners", tags=["partners"])


@router.post(
    "",
    summary="Register a partner system",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerCreated,
    responses=problem_responses(
        Unauthorized, Forbidden, PartnerExists, InsurerCodeTaken, ValidationFailed
    ),
)
async def register_partner(
    body: PartnerCreate, session: SessionDep, _: AdminPrincipal, response: Response
) -> PartnerCreated:
    """Registers the mobile app backend, an insurer, mediation or the court.

    The answer holds `client_id` and `client_secret` (for the client-credentials
    grant) and the `whsec_` webhook secret. They are shown **this once**: store them.
    An insurer lists the `insurer_codes` that drivers give for it in their reports.
    """
    created = await service.register_partner(session, body)
    response.headers["Location"] = f"/v1/partners/{created.id}"
    return created


@router.get(
    "",
    summary="List partner systems",
    response_model=Page[PartnerRead],
    responses=problem_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def list_partners(
    session: SessionDep, _: AdminPrincipal, page: Annotated[PageParams, Query()]
) -> Page[PartnerRead]:
    """Ordered by id; no secrets."""
    after = decode_cursor(page.cursor) if page.cursor else None
    partners = await service.list_partners(session, after=after, limit=page.limit + 1)
    return page_of(partners, limit=page.limit, key=lambda partner: partner.id)


@router.get(
    "/{partner_id}",
    summary="Show one partner system",
    response_model=PartnerRead,
    responses=problem_responses(Unauthorized, Forbidden, PartnerNotFound),
)
async def get_partner(partner_id: str, session: SessionDep, _: AdminPrincipal) -> PartnerRead:
    """No secrets: they were shown once, at registration."""
    return await service.get_partner(session, partner_id)
