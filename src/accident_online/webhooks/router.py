from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from accident_online.auth.dependencies import require_roles
from accident_online.auth.principal import Principal
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
from accident_online.models.user import Role
from accident_online.models.webhook import DeliveryStatus
from accident_online.webhooks import service
from accident_online.webhooks.exceptions import DeliveryNotFound, EndpointDisabled
from accident_online.webhooks.schemas import DeliveryDetail, DeliveryRead

router = APIRouter(prefix="/deliveries", tags=["deliveries"])

# Admins, and partner systems for their own messages; officers have no deliveries.
delivery_reader = require_roles(
    Role.admin,
    Role.app,
    Role.insurer,
    Role.mediation,
    Role.court,
    Role.appraisal,
    Role.arbitration,
)
DeliveryReader = Annotated[Principal, Depends(delivery_reader)]
MessageId = Annotated[str, Path(max_length=40, description="The message's `webhook-id`.")]


@router.get(
    "",
    operation_id="listDeliveries",
    summary="List outbound webhook deliveries",
    response_model=Page[DeliveryRead],
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor, ValidationFailed),
)
async def list_deliveries(
    session: SessionDep,
    principal: DeliveryReader,
    page: Annotated[PageParams, Query()],
    status: Annotated[DeliveryStatus | None, Query()] = None,
    partner_id: Annotated[
        str | None, Query(max_length=64, description="Admins: one partner's messages.")
    ] = None,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=48, examples=["case.decided"])] = None,
) -> Page[DeliveryRead]:
    """Newest first. Admins see every message; a partner system sees the messages sent
    to it (a `partner_id` filter other than its own finds nothing). Use it to find what
    your endpoint missed: `status=dead` lists the messages whose retries ran out."""
    before = decode_keyset_cursor(page.cursor, str) if page.cursor else None
    items = await service.list_deliveries(
        session,
        principal,
        status=status,
        partner_id=partner_id,
        case_id=case_id,
        event_type=event_type,
        before=before,
        limit=page.limit + 1,
    )
    last = items[page.limit - 1] if len(items) > page.limit else None
    next_cursor = encode_keyset_cursor(last.created_at, last.id) if last else None
    return Page[DeliveryRead](items=items[: page.limit], next_cursor=next_cursor)


@router.get(
    "/{message_id}",
    operation_id="getDelivery",
    summary="Show one delivery and its attempts",
    response_model=DeliveryDetail,
    responses=problem_responses(Unauthorized, Forbidden, DeliveryNotFound, ValidationFailed),
)
async def get_delivery(
    message_id: MessageId, session: SessionDep, principal: DeliveryReader
) -> DeliveryDetail:
    """The message as sent (`payload`) and every attempt: when, how long, the endpoint's
    status code and the start of its answer, or the error (timeout, connection refused,
    blocked private address, ...)."""
    return await service.get_delivery(session, principal, message_id)


@router.post(
    "/{message_id}/retry",
    operation_id="retryDelivery",
    summary="Send a delivery again",
    response_model=DeliveryRead,
    responses=problem_responses(
        Unauthorized, Forbidden, DeliveryNotFound, EndpointDisabled, ValidationFailed
    ),
)
async def retry_delivery(
    message_id: MessageId, session: SessionDep, principal: DeliveryReader
) -> DeliveryRead:
    """Makes the message `pending` and due now, whatever its status (a delivered one is
    replayed). It keeps its id, so it goes out with the same `webhook-id` and receivers
    that already have it drop it as a duplicate.

    **If the partner's endpoint is disabled** (it answered 410 Gone, or an admin paused
    it), only an admin's retry re-enables it (`webhook_disabled_at` is cleared): every
    later message is sent again too, and other messages marked `disabled` meanwhile stay
    so until retried. A partner's retry while its endpoint is disabled → 409
    `endpoint-disabled`, and nothing changes.

    Admins may retry any message, a partner system its own. The attempt count goes on:
    a dead message gets one more attempt and is dead again if it fails.
    """
    return await service.retry_delivery(session, principal, message_id)
