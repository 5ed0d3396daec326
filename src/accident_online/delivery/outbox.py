"""Writes outbound messages in the same transaction as the change that causes them.

No message without its change, no change without its messages: the delivery worker
sends them later, at least once.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.delivery.subscriptions import SUBSCRIPTIONS, Audience
from accident_online.kit.db import BatchStep
from accident_online.models.case import Case, CaseEvent, CaseParty
from accident_online.models.partner import Partner
from accident_online.models.webhook import DeliveryStatus, WebhookMessage

_MESSAGES: Table = WebhookMessage.__table__  # type: ignore[attr-defined]


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


async def _recipients(
    session: AsyncSession, case: Case, audiences: frozenset[Audience]
) -> dict[str, list[int]]:
    """Partner id → the party indexes it insures (empty for non-insurers)."""
    recipients: dict[str, list[int]] = {}
    if Audience.filing_app in audiences:
        recipients[case.filed_by_partner_id] = []
    if Audience.party_insurers in audiences:
        rows = await session.exec(
            select(CaseParty.insurer_partner_id, CaseParty.index).where(
                CaseParty.case_id == case.id, col(CaseParty.insurer_partner_id).is_not(None)
            )
        )
        for partner_id, index in rows:
            assert partner_id is not None
            recipients.setdefault(partner_id, []).append(index)
    # One organisation per case (cases.resolvers), not every partner of that kind.
    if Audience.mediation in audiences and case.mediation_partner_id is not None:
        recipients.setdefault(case.mediation_partner_id, [])
    if Audience.court in audiences and case.court_partner_id is not None:
        recipients.setdefault(case.court_partner_id, [])
    return recipients


def case_event_messages(
    *,
    case: dict[str, Any],
    event: dict[str, Any],
    recipients: dict[str, list[int]],
) -> list[dict[str, Any]]:
    """The outbox rows of one timeline event, one per recipient (partner id → insured parties).

    ``case`` holds the case as it stands with this event (``id``, ``number``, ``version``,
    ``status``, ``center_id``); ``event`` holds ``type``, ``seq``, ``at`` and ``data``.
    """
    rows = []
    for partner_id, insured in recipients.items():
        data: dict[str, Any] = {
            "case_id": str(case["id"]),
            "case_number": case["number"],
            "case_version": case["version"],
            "status": case["status"],
            "center_id": case["center_id"],
            "seq": event["seq"],
            **event["data"],
        }
        if insured:
            data["insured_parties"] = insured
        at: datetime = event["at"]
        body = json.dumps(
            {"type": event["type"], "timestamp": at.isoformat(), "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        rows.append(
            {
                "id": new_message_id(),
                "partner_id": partner_id,
                "event_type": event["type"],
                "case_id": str(case["id"]),
                "case_version": case["version"],
                "body": body,
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "created_at": at,
                "next_attempt_at": at,
            }
        )
    return rows


_INSERT_MESSAGES = insert(_MESSAGES)


def messages_step(rows: list[dict[str, Any]]) -> BatchStep:
    """Writing outbox rows as a step of ``execute_batch``."""
    return BatchStep(_INSERT_MESSAGES, rows)


async def insert_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection = await session.connection()
        await connection.execute(_INSERT_MESSAGES, rows)


async def enqueue_case_event(session: AsyncSession, case: Case, event: CaseEvent) -> None:
    """The messages a timeline event causes, per SUBSCRIPTIONS; none for other events."""
    audiences = SUBSCRIPTIONS.get(event.type)
    if not audiences:
        return
    recipients = await _recipients(session, case, audiences)
    if not recipients:
        return
    with_url = set(
        await session.exec(
            select(Partner.id).where(
                col(Partner.id).in_(list(recipients)), col(Partner.webhook_url).is_not(None)
            )
        )
    )
    rows = case_event_messages(
        case={
            "id": case.id,
            "number": case.number,
            "version": case.version,
            "status": case.status,
            "center_id": case.center_id,
        },
        event={"type": event.type, "seq": event.seq, "at": event.at, "data": event.data},
        recipients={k: v for k, v in recipients.items() if k in with_url},
    )
    await insert_messages(session, rows)
