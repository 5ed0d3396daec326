"""Payments against claim lines: an insurer's ``claim.paid``, or, for an insurer that is
not on the platform, the payment the party paid (or an admin) attests. Both go through
``_pay``: the same checks, the same ``claim.paid`` event, the case closed the same way
once every line is paid."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.determination_rules import CLOCK_GRACE
from accident_online.cases.service import append_event, transition
from accident_online.claims import repository
from accident_online.claims.exceptions import (
    ClaimNotCovered,
    ClaimNotFound,
    ClaimNotRequested,
    ClaimOverpaid,
    InsurerReportsItsPayments,
    PaymentAlreadyRecorded,
)
from accident_online.claims.schemas import ClaimPaymentCreate
from accident_online.claims.service import PAYING, ZERO
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.dispute import ClaimLine, ClaimStatus
from accident_online.models.user import Role


async def record_claim_payment(
    session: AsyncSession,
    case: Case,
    party: CaseParty,
    *,
    insurer_partner_id: str,
    amount: Decimal,
    actor: str,
    data: dict[str, Any],
) -> None:
    """An insurer's payment to a party, against its open lines to that party; once every
    line of the case is paid, the case closes."""
    lines = await repository.lines_of(session, case.id)
    if not any(line.status == ClaimStatus.open for line in lines):
        raise ClaimNotRequested()
    mine = [
        line
        for line in lines
        if line.status == ClaimStatus.open
        and line.insurer_partner_id == insurer_partner_id
        and line.payee_party == party.index
    ]
    if not mine:
        raise ClaimNotCovered(
            _(
                "No open claim asks {partner} to pay party {party}. Nothing was changed.",
                partner=insurer_partner_id,
                party=party.index,
            )
        )
    await _pay(
        session,
        case,
        party,
        lines=lines,
        paying=mine,
        payer=insurer_partner_id,
        amount=amount,
        amount_loc=["body", "data", "amount"],
        paid_at=utc_now(),
        actor=actor,
        data=data,
    )


async def record_attested_payment(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    claim_id: uuid.UUID,
    body: ClaimPaymentCreate,
) -> ClaimLine:
    """A payment by an insurer that is not on the platform, which nobody could report
    otherwise: the party paid attests it through the app backend, or an admin does. Only
    for such lines (a connected insurer sends claim.paid itself); it pays that one line
    and closes the case once every line is paid, as an insurer's payment does."""
    lines = await repository.lines_of(session, case.id)
    line = next((line for line in lines if line.id == claim_id), None)
    if line is None:
        raise ClaimNotFound()
    if line.insurer_partner_id is not None:
        raise InsurerReportsItsPayments(
            _(
                "{partner} is connected to the platform and reports its own payments "
                "(claim.paid). Nothing was changed.",
                partner=line.insurer_partner_id,
            )
        )
    if line.status != ClaimStatus.open or case.status not in PAYING:
        raise ClaimNotRequested(
            _(
                "This claim is {status} and the case {case_status}: nothing is waiting to be "
                "paid. Nothing was changed.",
                status=line.status,
                case_status=case.status,
            )
        )
    if body.party != line.payee_party:
        raise ValidationFailed.at(
            ["body", "party"],
            _("not the party this claim pays"),
            detail=_(
                "This claim pays party {payee}; party {party} cannot attest its payment.",
                payee=line.payee_party,
                party=body.party,
            ),
        )
    if body.amount <= ZERO:
        raise ValidationFailed.at(["body", "amount"], _("more than 0"))
    if body.paid_at - utc_now() > CLOCK_GRACE:
        raise ValidationFailed.at(["body", "paid_at"], _("in the future"))
    # One transfer, one payment: an app retrying after a timeout must not pay it twice.
    if body.reference in await repository.attested_references(session, line):
        raise PaymentAlreadyRecorded()
    parties = {p.index: p for p in (await cases_repository.parties_of(session, [case.id]))[case.id]}
    data: dict[str, Any] = {
        "party": line.payee_party,
        "amount": str(body.amount),
        "claim_id": str(line.id),
        "insurer_code": line.insurer_code,
        "paid_at": body.paid_at.isoformat(),
        "reference": body.reference,
        "attested_by": "admin" if principal.role == Role.admin else "payee",
    }
    await _pay(
        session,
        case,
        parties[line.payee_party],
        lines=lines,
        paying=[line],
        payer=line.insurer_code,
        amount=body.amount,
        amount_loc=["body", "amount"],
        paid_at=body.paid_at,
        actor=principal.subject,
        data=data,
    )
    await session.flush()
    return line


async def _pay(
    session: AsyncSession,
    case: Case,
    party: CaseParty,
    *,
    lines: Sequence[ClaimLine],
    paying: Sequence[ClaimLine],
    payer: str,
    amount: Decimal,
    amount_loc: Sequence[str | int],
    paid_at: datetime,
    actor: str,
    data: dict[str, Any],
) -> None:
    """Pays ``amount`` to ``party`` against ``paying`` (open lines of the case's ``lines``),
    at most what they leave open; records ``claim.paid`` and closes the case once no line
    is open. The one way a payment is recorded, whoever reports it."""
    # Oldest due first, then the smallest, so that as many lines as possible are settled.
    mine = sorted(
        paying, key=lambda line: (line.due_at, line.amount - line.paid_amount, str(line.id))
    )
    outstanding = sum((line.amount - line.paid_amount for line in mine), ZERO)
    if amount > outstanding:
        raise ClaimOverpaid.at(
            amount_loc,
            f"at most {outstanding}",
            detail=_(
                "The open claims have {partner} pay party {party} {owed} yuan; {amount} is "
                "more. Nothing was changed.",
                partner=payer,
                party=party.index,
                owed=outstanding,
                amount=amount,
            ),
        )
    left = amount
    settled: list[str] = []
    for line in mine:
        paying_now = min(left, line.amount - line.paid_amount)
        line.paid_amount += paying_now
        left -= paying_now
        if line.paid_amount == line.amount:
            line.status = ClaimStatus.paid
            line.paid_at = paid_at
            settled.append(str(line.id))
        session.add(line)
    party.paid_amount = (party.paid_amount or ZERO) + amount
    session.add(party)
    data["paid_total"] = str(party.paid_amount)
    data["claims_paid"] = settled
    await append_event(session, case, type="claim.paid", actor=actor, data=data)
    if all(line.status != ClaimStatus.open for line in lines):
        await transition(
            session,
            case,
            CaseStatus.closed,
            actor=actor,
            event_type="case.closed",
            data={"reason": "claims_paid"},
        )
