"""Writes outbound messages in the same transaction as the change that causes them.

No message without its change, no change without its messages: the delivery worker
sends them later, at least once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.delivery.subscriptions import SUBSCRIPTIONS, Audience
from accident_online.models.case import Case, CaseEvent, CaseParty
from accident_online.models.partner import Partner, PartnerKind
from accident_online.models.webhook import WebhookMessage


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
    kinds = [
        k
        for a, k in (
            (Audience.mediation, PartnerKind.mediation),
            (Audience.court, PartnerKind.court),
        )
        if a in audiences
    ]
    if kinds:
        rows_by_kind = await session.exec(select(Partner.id).where(col(Partner.kind).in_(kinds)))
        for partner_id in rows_by_kind:
            recipients.setdefault(partner_id, [])
    return recipients


async def enqueue_case_event(
    session: AsyncSession, case: Case, event: CaseEvent
) -> list[WebhookMessage]:
    """The messages a timeline event causes, per SUBSCRIPTIONS; none for other events."""
    audiences = SUBSCRIPTIONS.get(event.type)
    if not audiences:
        return []
    recipients = await _recipients(session, case, audiences)
    if not recipients:
        return []
    with_url = set(
        await session.exec(
            select(Partner.id).where(
                col(Partner.id).in_(list(recipients)), col(Partner.webhook_url).is_not(None)
            )
        )
    )
    messages = []
    for partner_id, insured in recipients.items():
        if partner_id not in with_url:
            continue
        data: dict[str, Any] = {
            "case_id": str(case.id),
            "case_number": case.number,
            "case_version": case.version,
            "status": case.status,
            "center_id": case.center_id,
            "seq": event.seq,
            **event.data,
        }
        if insured:
            data["insured_parties"] = insured
        body = json.dumps(
            {"type": event.type, "timestamp": event.at.isoformat(), "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        messages.append(
            WebhookMessage(
                id=new_message_id(),
                partner_id=partner_id,
                event_type=event.type,
                case_id=str(case.id),
                case_version=case.version,
                body=body,
                next_attempt_at=event.at,
            )
        )
    session.add_all(messages)
    return messages
