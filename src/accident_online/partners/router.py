from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from accident_online.auth.dependencies import AdminPrincipal
from accident_online.kit.db import SessionDep
from accident_online.kit.pagination import (
    InvalidCursor,
    Page,
    PageParams,
    decode_cursor,
    page_of,
)
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.partners import service
from accident_online.partners.exceptions import (
    InsurerCodeTaken,
    PartnerExists,
    PartnerNotFound,
    UnsafeWebhookUrl,
)
from accident_online.partners.schemas import (
    ClientSecretRotated,
    PartnerCreate,
    PartnerCreated,
    PartnerRead,
    PartnerUpdate,
    SecretRotated,
)
from accident_online.settings import Settings

router = APIRouter(prefix="/partners", tags=["partners"])


@router.post(
    "",
    operation_id="registerPartner",
    summary="Register a partner system",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerCreated,
    responses={
        201: {
            "headers": {"Location": {"description": "The partner", "schema": {"type": "string"}}}
        },
        **problem_responses(
            Unauthorized,
            Forbidden,
            PartnerExists,
            InsurerCodeTaken,
            ValidationFailed,
            UnsafeWebhookUrl,
        ),
    },
)
async def register_partner(
    body: PartnerCreate,
    request: Request,
    session: SessionDep,
    _: AdminPrincipal,
    response: Response,
) -> PartnerCreated:
    """Registers the mobile app backend, an insurer, mediation or the court.

    The answer holds `client_id` and `client_secret` (for the client-credentials
    grant) and the `whsec_` webhook secret. They are shown **this once**: store them.
    An insurer lists the `insurer_codes` that drivers give for it in their reports.

    `webhook_url` must be http(s) without credentials in it; in production its host
    must resolve to public addresses only (no private, loopback, link-local or cloud
    metadata targets): otherwise 422 `unsafe-webhook-url`.
    """
    settings: Settings = request.app.state.settings
    created = await service.register_partner(
        session, body, allow_private_targets=settings.allow_private_webhook_targets
    )
    response.headers["Location"] = f"/v1/partners/{created.id}"
    return created


@router.get(
    "",
    operation_id="listPartners",
    summary="List partner systems",
    response_model=Page[PartnerRead],
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor, ValidationFailed),
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
    operation_id="getPartner",
    summary="Show one partner system",
    response_model=PartnerRead,
    responses=problem_responses(Unauthorized, Forbidden, PartnerNotFound),
)
async def get_partner(partner_id: str, session: SessionDep, _: AdminPrincipal) -> PartnerRead:
    """No secrets: they were shown once, at registration."""
    return await service.get_partner(session, partner_id)


@router.patch(
    "/{partner_id}",
    operation_id="updatePartner",
    summary="Change a partner's name or webhook endpoint",
    response_model=PartnerRead,
    responses=problem_responses(
        Unauthorized, Forbidden, PartnerNotFound, ValidationFailed, UnsafeWebhookUrl
    ),
)
async def update_partner(
    partner_id: str,
    body: PartnerUpdate,
    request: Request,
    session: SessionDep,
    _: AdminPrincipal,
) -> PartnerRead:
    """Only the fields you send change.

    - `webhook_url`: checked like at registration (422 `unsafe-webhook-url`); `null`
      removes the endpoint (nothing is sent any more). A new URL starts enabled.
    - `webhook_enabled: true` re-enables an endpoint that was disabled because it
      answered 410 Gone (`webhook_disabled_at` is cleared); `false` pauses deliveries.
      Messages that were marked `disabled` meanwhile are not resent by themselves:
      replay them with `POST /v1/deliveries/{id}/retry`.
    """
    settings: Settings = request.app.state.settings
    return await service.update_partner(
        session, partner_id, body, allow_private_targets=settings.allow_private_webhook_targets
    )


@router.post(
    "/{partner_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    summary="Rotate a partner's webhook secret",
    response_model=SecretRotated,
    responses=problem_responses(Unauthorized, Forbidden, PartnerNotFound),
)
async def rotate_webhook_secret(
    partner_id: str, session: SessionDep, _: AdminPrincipal
) -> SecretRotated:
    """Makes a new `whsec_` secret and shows it **this once**.

    For 24 hours (`previous_secret_expires_at`) the previous secret stays valid:
    outbound webhooks carry two signatures in `webhook-signature` (one per secret), and
    events the partner sends may be signed with either. Rotating again within those 24
    hours ends the oldest secret at once.
    """
    return await service.rotate_webhook_secret(session, partner_id)


@router.post(
    "/{partner_id}/disable",
    operation_id="disablePartner",
    summary="Disable a partner system",
    response_model=PartnerRead,
    responses=problem_responses(Unauthorized, Forbidden, PartnerNotFound),
)
async def disable_partner(
    partner_id: str, request: Request, session: SessionDep, _: AdminPrincipal
) -> PartnerRead:
    """It can no longer sign in, and its tokens stop working within a few seconds on
    every API process. Its cases and messages stay."""
    partner = await service.set_partner_disabled(session, partner_id, disabled=True)
    request.app.state.accounts.forget(f"partner:{partner.id}")
    return partner


@router.post(
    "/{partner_id}/enable",
    operation_id="enablePartner",
    summary="Enable a disabled partner system again",
    response_model=PartnerRead,
    responses=problem_responses(Unauthorized, Forbidden, PartnerNotFound),
)
async def enable_partner(
    partner_id: str, request: Request, session: SessionDep, _: AdminPrincipal
) -> PartnerRead:
    """It may sign in again; tokens issued before it was disabled stay invalid."""
    partner = await service.set_partner_disabled(session, partner_id, disabled=False)
    request.app.state.accounts.forget(f"partner:{partner.id}")
    return partner


@router.post(
    "/{partner_id}/rotate-client-secret",
    operation_id="rotateClientSecret",
    summary="Rotate a partner's client secret",
    response_model=ClientSecretRotated,
    responses=problem_responses(Unauthorized, Forbidden, PartnerNotFound),
)
async def rotate_client_secret(
    partner_id: str, request: Request, session: SessionDep, _: AdminPrincipal
) -> ClientSecretRotated:
    """Makes a new client secret and shows it **this once**. The old secret stops working
    at once, and so do the tokens the partner holds (within a few seconds on every API
    process): the partner signs in again with the new secret."""
    rotated = await service.rotate_client_secret(session, partner_id)
    request.app.state.accounts.forget(f"partner:{rotated.partner_id}")
    return rotated
