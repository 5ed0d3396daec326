from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, text, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.pagination import before_key
from accident_online.models.partner import Partner
from accident_online.models.webhook import DeliveryStatus, WebhookAttempt, WebhookMessage


@dataclass(frozen=True)
class ClaimedMessage:
    id: str
    partner_id: str
    body: str
    attempts: int


async def claim_due(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    skip_partners: Sequence[str] = (),
    room: Callable[[str], int] | None = None,
) -> list[ClaimedMessage]:
    """Leases up to ``limit`` due messages to this worker, oldest due first, skipping
    others' leases; at most ``room(partner)`` of one partner's (two statements).

    PostgreSQL: FOR UPDATE SKIP LOCKED lets any number of workers claim side by side,
    and the lease's commit does not wait for the disk: a lease lost with a crash of the
    database only means a message is sent once more, which at least once allows (an
    outcome's commit is synchronous and flushes the lease with it). SQLite: the write
    transaction (BEGIN IMMEDIATE) makes claims take turns. ``skip_partners``: endpoints
    this worker holds as much of as it takes.
    """
    due = (
        select(WebhookMessage.id, WebhookMessage.partner_id)
        .where(
            WebhookMessage.status == DeliveryStatus.pending,
            col(WebhookMessage.next_attempt_at) <= now,
            (col(WebhookMessage.locked_until).is_(None)) | (col(WebhookMessage.locked_until) < now),
        )
        .where(col(WebhookMessage.partner_id).not_in(skip_partners) if skip_partners else true())
        .order_by(col(WebhookMessage.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken: Counter[str] = Counter()
    chosen: list[str] = []
    for message_id, partner_id in (await session.exec(due)).all():
        if room is not None and taken[partner_id] >= room(partner_id):
            continue
        taken[partner_id] += 1
        chosen.append(message_id)
    if not chosen:
        return []
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(_ASYNCHRONOUS_COMMIT)
    result = await session.exec(
        update(WebhookMessage)
        .where(col(WebhookMessage.id).in_(chosen))
        .values(locked_by=worker, locked_until=lease_until)
        .returning(
            col(WebhookMessage.id),
            col(WebhookMessage.partner_id),
            col(WebhookMessage.body),
            col(WebhookMessage.attempts),
        )
    )
    leased = {row[0]: ClaimedMessage(*row) for row in result.all()}
    return [leased[message_id] for message_id in chosen if message_id in leased]


_ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


async def release(session: AsyncSession, *, worker: str, message_ids: Sequence[str]) -> None:
    """Hands leased messages back unsent: due again for any worker, no attempt counted."""
    if not message_ids:
        return
    await session.exec(
        update(WebhookMessage)
        .where(col(WebhookMessage.id).in_(message_ids), col(WebhookMessage.locked_by) == worker)
        .values(locked_by=None, locked_until=None)
    )


async def partners_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Partner]:
    rows = await session.exec(select(Partner).where(col(Partner.id).in_(ids)))
    return {partner.id: partner for partner in rows}


async def record_outcomes(
    session: AsyncSession,
    *,
    worker: str,
    updates: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]],
) -> None:
    """Writes a batch's results; a message whose lease passed to another worker is left alone."""
    connection = await session.connection()
    if attempts:
        await connection.execute(insert(WebhookAttempt.__table__), list(attempts))  # type: ignore[attr-defined]
    if updates:
        table = WebhookMessage.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id == bindparam("message_id"), table.c.locked_by == worker)
            .values(
                status=bindparam("new_status"),
                attempts=bindparam("new_attempts"),
                next_attempt_at=bindparam("new_next_attempt_at"),
                delivered_at=bindparam("new_delivered_at"),
                last_status_code=bindparam("new_status_code"),
                last_error=bindparam("new_error"),
                locked_by=None,
                locked_until=None,
            )
        )
        await connection.execute(statement, list(updates))


async def disable_endpoints(
    session: AsyncSession, partner_ids: Sequence[str], *, now: datetime
) -> None:
    if partner_ids:
        await session.exec(
            update(Partner).where(col(Partner.id).in_(partner_ids)).values(webhook_disabled_at=now)
        )


async def list_messages(
    session: AsyncSession,
    *,
    visibility: ColumnElement[bool],
    status: DeliveryStatus | None,
    partner_id: str | None,
    case_id: str | None,
    event_type: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[WebhookMessage]:
    """Newest first (created_at, then id); ``visibility`` is the caller's where-clause."""
    query = select(WebhookMessage).where(visibility)
    if status is not None:
        query = query.where(WebhookMessage.status == status)
    if partner_id is not None:
        query = query.where(WebhookMessage.partner_id == partner_id)
    if case_id is not None:
        query = query.where(WebhookMessage.case_id == case_id)
    if event_type is not None:
        query = query.where(WebhookMessage.event_type == event_type)
    if before is not None:
        query = query.where(
            before_key(col(WebhookMessage.created_at), col(WebhookMessage.id), before)
        )
    query = query.order_by(
        col(WebhookMessage.created_at).desc(), col(WebhookMessage.id).desc()
    ).limit(limit)
    return (await session.exec(query)).all()


async def get_message(
    session: AsyncSession,
    message_id: str,
    *,
    visibility: ColumnElement[bool],
    for_update: bool = False,
) -> WebhookMessage | None:
    query = select(WebhookMessage).where(WebhookMessage.id == message_id, visibility)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def attempts_of(session: AsyncSession, message_id: str) -> Sequence[WebhookAttempt]:
    return (
        await session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.message_id == message_id)
            .order_by(col(WebhookAttempt.number), col(WebhookAttempt.id))
        )
    ).all()
