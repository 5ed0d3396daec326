"""Writes outbound messages in the same transaction as the change that causes them.

No message without its change, no change without its messages: the delivery worker
sends them later, at least once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import new_row
from accident_online.models.case import Case, CaseEvent, CaseParty
from accident_online.models.partner import Partner
from accident_online.models.webhook import DeliveryStatus, WebhookMessage
from accident_online.webhooks.subscriptions import (
    SUBSCRIPTIONS,
    InsuredPolicy,
    named_partners,
    recipients,
)


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def case_event_messages(
    case: Case,
    event: CaseEvent,
    *,
    parties: Sequence[CaseParty],
    with_url: Collection[str],
) -> list[WebhookMessage]:
    """The outbox rows of one timeline event, one per recipient (SUBSCRIPTIONS) that has a
    webhook URL; ``case`` as it stands with this event, ``parties`` its parties."""
    to = recipients(
        event.type,
        filer=case.filed_by_partner_id,
        insured=insured_policies(parties),
        mediation=case.mediation_partner_id,
        court=case.court_partner_id,
        arbitration=case.arbitration_partner_id,
        data=event.data,
    )
    sending = {partner_id: insured for partner_id, insured in to.items() if partner_id in with_url}
    if not sending:
        return []
    # What every message of the event says of its case, read from the case once.
    about: dict[str, Any] = {
        "case_id": str(case.id),
        "case_number": case.number,
        "case_version": case.version,
        "status": case.status,
        "center_id": case.center_id,
        "seq": event.seq,
        **event.data,
    }
    return [
        _message(about, event.type, event.at, partner_id, insured)
        for partner_id, insured in sending.items()
    ]


def insured_policies(parties: Sequence[CaseParty]) -> list[InsuredPolicy]:
    """Every policy of these parties whose insurer is connected, compulsory first."""
    policies = [
        InsuredPolicy(party.insurer_partner_id, party.index, "compulsory", party.policy_number)
        for party in parties
        if party.insurer_partner_id is not None
    ]
    policies += [
        InsuredPolicy(
            party.commercial_insurer_partner_id,
            party.index,
            "commercial",
            party.commercial_policy_number,
        )
        for party in parties
        if party.commercial_insurer_partner_id is not None
    ]
    return policies


def _message(
    about: dict[str, Any],
    event_type: str,
    at: datetime,
    partner_id: str,
    insured: list[InsuredPolicy],
) -> WebhookMessage:
    data = about
    if insured:
        # An insurer learns of its own policies only (a vehicle's two insurers may differ).
        data = {
            **about,
            "insured_parties": sorted({policy.party for policy in insured}),
            "insured_policies": [
                {"party": p.party, "policy": p.policy, "policy_number": p.policy_number}
                for p in insured
            ],
        }
    body = json.dumps(
        {"type": event_type, "timestamp": at.isoformat(), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return new_row(
        WebhookMessage,
        id=new_message_id(),
        partner_id=partner_id,
        event_type=event_type,
        case_id=about["case_id"],
        case_version=about["case_version"],
        body=body,
        status=DeliveryStatus.pending,
        attempts=0,
        created_at=at,
        next_attempt_at=at,
    )


async def enqueue_case_event(
    session: AsyncSession, case: Case, event: CaseEvent
) -> list[WebhookMessage]:
    """The messages a timeline event causes, per SUBSCRIPTIONS, added to the session."""
    if not SUBSCRIPTIONS.get(event.type):
        return []
    parties = (await session.exec(select(CaseParty).where(CaseParty.case_id == case.id))).all()
    partners = {
        case.filed_by_partner_id,
        *(policy.partner_id for policy in insured_policies(parties)),
        *(
            p
            for p in (case.mediation_partner_id, case.court_partner_id, case.arbitration_partner_id)
            if p is not None
        ),
        *named_partners(event.data),
    }
    messages = case_event_messages(
        case, event, parties=parties, with_url=await partners_with_url(session, partners)
    )
    session.add_all(messages)
    return messages


async def partners_with_url(session: AsyncSession, partner_ids: Collection[str]) -> set[str]:
    """Which of these partners have a webhook URL (so receive messages)."""
    return set(
        await session.exec(
            select(Partner.id).where(
                col(Partner.id).in_(list(partner_ids)), col(Partner.webhook_url).is_not(None)
            )
        )
    )
