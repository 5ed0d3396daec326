"""Reading and replaying outbound deliveries (the outbox as its readers see it)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.kit.time import utc_now
from accident_online.models.user import Role
from accident_online.models.webhook import DeliveryStatus, WebhookAttempt, WebhookMessage
from accident_online.partners import repository as partners_repository
from accident_online.webhooks import repository
from accident_online.webhooks.exceptions import DeliveryNotFound, EndpointDisabled
from accident_online.webhooks.schemas import DeliveryAttemptRead, DeliveryDetail, DeliveryRead


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Admins see every message, a partner system its own; anyone else none."""
    if principal.role == Role.admin:
        return true()
    if principal.partner_id is not None:
        return col(WebhookMessage.partner_id) == principal.partner_id
    return false()


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    *,
    status: DeliveryStatus | None,
    partner_id: str | None,
    case_id: uuid.UUID | None,
    event_type: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[DeliveryRead]:
    """Newest first (created_at, then id)."""
    messages = await repository.list_messages(
        session,
        visibility=visible_to(principal),
        status=status,
        partner_id=partner_id,
        case_id=None if case_id is None else str(case_id),
        event_type=event_type,
        before=before,
        limit=limit,
    )
    return [_read(message) for message in messages]


async def _visible_message(
    session: AsyncSession, principal: Principal, message_id: str, *, for_update: bool = False
) -> WebhookMessage:
    message = await repository.get_message(
        session, message_id, visibility=visible_to(principal), for_update=for_update
    )
    if message is None:
        raise DeliveryNotFound()
    return message


async def get_delivery(
    session: AsyncSession, principal: Principal, message_id: str
) -> DeliveryDetail:
    message = await _visible_message(session, principal, message_id)
    return _detail(message, await repository.attempts_of(session, message.id))


async def retry_delivery(
    session: AsyncSession, principal: Principal, message_id: str
) -> DeliveryRead:
    """Due now, under the same id; an admin's retry re-enables a disabled endpoint.

    A partner's own retry never does: an admin's pause (or the 410 that disabled the
    endpoint) is not the partner's to lift, so a partner retrying while its endpoint is
    disabled gets EndpointDisabled and nothing changes. The attempt count goes on
    (attempt numbers stay unique): a message whose retries were used up gets this one
    attempt, and is dead again if it fails.
    """
    message = await _visible_message(session, principal, message_id, for_update=True)
    partner = await partners_repository.get_partner(session, message.partner_id, for_update=True)
    disabled = partner is not None and partner.webhook_disabled_at is not None
    if disabled and principal.role != Role.admin:
        raise EndpointDisabled()
    now = utc_now()
    message.status = DeliveryStatus.pending
    message.next_attempt_at = now
    message.delivered_at = None
    # A worker still sending it under an old lease finds its lease gone and records
    # nothing over this (webhooks.repository.record_outcomes).
    message.locked_by = None
    message.locked_until = None
    session.add(message)
    if partner is not None and disabled:
        partner.webhook_disabled_at = None
        session.add(partner)
    await session.flush()
    return _read(message)


def _read(message: WebhookMessage) -> DeliveryRead:
    return DeliveryRead(
        id=message.id,
        partner_id=message.partner_id,
        event_type=message.event_type,
        case_id=message.case_id,
        case_version=message.case_version,
        status=message.status,
        attempts=message.attempts,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at,
        delivered_at=message.delivered_at,
        last_status_code=message.last_status_code,
        last_error=message.last_error,
    )


def _detail(message: WebhookMessage, attempts: Sequence[WebhookAttempt]) -> DeliveryDetail:
    return DeliveryDetail(
        **_read(message).model_dump(),
        payload=json.loads(message.body),
        attempt_log=[
            DeliveryAttemptRead(
                number=attempt.number,
                started_at=attempt.started_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                outcome=attempt.outcome,
                error=attempt.error,
                response_excerpt=attempt.response_excerpt,
            )
            for attempt in attempts
        ],
    )
