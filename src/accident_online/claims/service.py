"""Claim lines: opened from whatever settled the compensation, withdrawn, listed, overdue
(what is paid against them: payments.py).

``settle_compensation`` is the one entry for every path (the parties' acceptance of the
calculation, a mediated or confirmed agreement, 诉前调解, an award, a judgment): it records
the compensation, opens one line per insurer and payee, sends each paying insurer
``claim.requested`` with its due date, and moves the case on to be paid (or closes it
when nobody is owed anything).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.access import visible_to
from accident_online.cases.service import SYSTEM_ACTOR, append_event, transition
from accident_online.claims import repository
from accident_online.claims.exceptions import ClaimsBeingPaid
from accident_online.claims.rules import PAYMENT_DEADLINE_SOURCE, ClaimRules, payment_due
from accident_online.kit.sweeps import Batch, SweepKey
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.dispute import (
    AmountDue,
    ClaimLine,
    ClaimStatus,
    Compensation,
    CompensationBasis,
)
from accident_online.models.partner import InsurerCode
from accident_online.parties.labels import party_label

ZERO = Decimal("0.00")
# A case whose claims are being paid: every party accepted the calculation, or something
# else settled the compensation (awaiting_payment).
PAYING: frozenset[CaseStatus] = frozenset({CaseStatus.accepted, CaseStatus.awaiting_payment})


def _amounts_data(amounts: Sequence[AmountDue]) -> list[dict[str, Any]]:
    return [amount.model_dump(mode="json") for amount in amounts]


async def _insurer_partners(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.exec(select(InsurerCode).where(col(InsurerCode.code).in_(list(codes))))
    return {row.code: row.partner_id for row in rows}


async def settle_compensation(
    session: AsyncSession,
    case: Case,
    *,
    basis: CompensationBasis,
    amounts: Sequence[AmountDue],
    actor: str,
    rules: ClaimRules,
    reference: str | None = None,
) -> Compensation:
    """The compensation is settled with these amounts: open its claim lines."""
    now = utc_now()
    owed = [amount for amount in amounts if amount.amount > ZERO]
    compensation = Compensation(
        case_id=case.id, basis=basis, amounts=list(amounts), reference=reference, settled_at=now
    )
    session.add(compensation)
    partners = await _insurer_partners(session, sorted({a.insurer_code for a in owed}))
    lines = [
        ClaimLine(
            case_id=case.id,
            compensation_id=compensation.id,
            basis=basis,
            rule=amount.rule,
            insurer_code=amount.insurer_code,
            insurer_partner_id=partners.get(amount.insurer_code),
            payer_party=amount.payer_party,
            payee_party=amount.party,
            amount=amount.amount,
            status=ClaimStatus.open,
            requested_at=now,
            due_at=payment_due(now, rules),
        )
        for amount in owed
    ]
    session.add_all(lines)
    if lines and case.status != CaseStatus.accepted:
        await transition(
            session,
            case,
            CaseStatus.awaiting_payment,
            actor=actor,
            event_type="case.awaiting_payment",
            data={"basis": basis.value},
        )
    await append_event(
        session,
        case,
        type="case.compensation_settled",
        actor=actor,
        data={
            "compensation_id": str(compensation.id),
            "basis": basis.value,
            "amounts": _amounts_data(amounts),
            "claims": len(lines),
        },
    )
    parties = {p.index: p for p in (await cases_repository.parties_of(session, [case.id]))[case.id]}
    for line in lines:
        await _request(session, case, line, parties[line.payee_party], actor=actor)
    if not lines:
        await transition(
            session,
            case,
            CaseStatus.closed,
            actor=actor,
            event_type="case.closed",
            data={"reason": "nothing_owed"},
        )
    await session.flush()
    return compensation


async def _request(
    session: AsyncSession, case: Case, line: ClaimLine, payee: CaseParty, *, actor: str
) -> None:
    data: dict[str, Any] = {
        "claim_id": str(line.id),
        "insurer_code": line.insurer_code,
        "party": line.payee_party,
        "payee": {
            "party": payee.index,
            "label": party_label(payee.index),
            "name": payee.name,
        },
        "insured_party": line.payer_party,
        "amount": str(line.amount),
        "basis": str(line.basis),
        "rule": line.rule,
        "due_at": line.due_at.isoformat(),
        "due_rule": PAYMENT_DEADLINE_SOURCE,
    }
    if line.insurer_partner_id is not None:
        # Names the receiver (webhooks.subscriptions: paying_insurer).
        data["insurer"] = line.insurer_partner_id
    await append_event(session, case, type="claim.requested", actor=actor, data=data)


async def withdraw_open_claims(
    session: AsyncSession, case: Case, *, reason: str, actor: str
) -> bool:
    """Withdraws the compensation in force and its unpaid lines; False if there was none.

    Refused once any insurer paid towards it: what was paid stands (ClaimsBeingPaid).
    """
    compensation = await repository.current_compensation(session, case.id)
    if compensation is None:
        return False
    lines = [
        line
        for line in await repository.lines_of(session, case.id)
        if line.compensation_id == compensation.id
    ]
    if any(line.paid_amount > ZERO for line in lines):
        raise ClaimsBeingPaid()
    compensation.withdrawn = True
    session.add(compensation)
    for line in lines:
        line.status = ClaimStatus.withdrawn
        session.add(line)
        data: dict[str, Any] = {
            "claim_id": str(line.id),
            "party": line.payee_party,
            "amount": str(line.amount),
            "reason": reason,
        }
        if line.insurer_partner_id is not None:
            data["insurer"] = line.insurer_partner_id
        await append_event(session, case, type="claim.withdrawn", actor=actor, data=data)
    await session.flush()
    return True


async def has_claims(session: AsyncSession, case_id: uuid.UUID) -> bool:
    return await repository.current_compensation(session, case_id) is not None


async def list_claims(
    session: AsyncSession,
    principal: Principal,
    *,
    overdue: bool | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[ClaimLine]:
    """Admins see every line; a court the lines of the cases it sees."""
    visible = repository.visible_claims(select(Case.id).where(visible_to(principal)))
    return await repository.list_lines(
        session, visible=visible, overdue=overdue, now=utc_now(), after=after, limit=limit
    )


async def announce_overdue_claims(session: AsyncSession, *, now: datetime, limit: int = 200) -> int:
    """``claim.overdue`` once per line past its due date (one batch): to the app, the
    insurer and, where the case went to court, the court."""
    return (await announce_overdue_claims_batch(session, now=now, limit=limit)).changed


async def announce_overdue_claims_batch(
    session: AsyncSession, *, now: datetime, limit: int, after: SweepKey | None = None
) -> Batch:
    """One batch of announce_overdue_claims, after ``after`` (kit.sweeps)."""
    lines = await repository.newly_overdue(session, now=now, limit=limit, after=after)
    last = (lines[-1].due_at, lines[-1].id) if lines else None
    for line in lines:
        case = await session.get(Case, line.case_id, with_for_update=True)
        assert case is not None
        line.overdue_at = now
        session.add(line)
        data: dict[str, Any] = {
            "claim_id": str(line.id),
            "insurer_code": line.insurer_code,
            "party": line.payee_party,
            "amount": str(line.amount),
            "paid_amount": str(line.paid_amount),
            "due_at": line.due_at.isoformat(),
        }
        if line.insurer_partner_id is not None:
            data["insurer"] = line.insurer_partner_id
        await append_event(session, case, type="claim.overdue", actor=SYSTEM_ACTOR, data=data)
    await session.flush()
    return Batch(changed=len(lines), taken=len(lines), last=last)
