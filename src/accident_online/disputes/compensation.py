"""What each settling way owes, as claim lines: the calculation's insurer lines, or the
amounts an agreement, award or judgment fixes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases import repository as cases_repository
from accident_online.claims import service as claims
from accident_online.claims.rules import ClaimRules
from accident_online.disputes.schemas import AgreedAmount
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.dispute import (
    AmountDue,
    Appraisal,
    AppraisalStatus,
    Compensation,
    CompensationBasis,
)
from accident_online.settlement.service import case_settlement

INSURER_PAYER = "insurer:"


async def dues_from_calculation(session: AsyncSession, case: Case) -> list[AmountDue]:
    """The settlement calculation's lines that an insurer pays (settlement.service)."""
    settlement = (await case_settlement(session, case)).settlement
    return [
        AmountDue(
            party=line.payee_party,
            payer_party=line.payer_party,
            insurer_code=line.payer.removeprefix(INSURER_PAYER),
            amount=line.amount,
            rule=line.rule,
        )
        for line in (settlement.lines if settlement is not None else [])
        if line.payer.startswith(INSURER_PAYER) and line.amount > 0
    ]


def dues_from_amounts(
    parties: Sequence[CaseParty],
    amounts: Sequence[AgreedAmount],
    *,
    basis: CompensationBasis,
    loc: Sequence[str | int],
) -> list[AmountDue]:
    """Agreed amounts: each paid by the payer party's insurer (交强险 first, as courts word it)."""
    by_index = {party.index: party for party in parties}
    dues = []
    for number, item in enumerate(amounts):
        for field in ("party", "payer_party"):
            if getattr(item, field) not in by_index:
                raise ValidationFailed.at(
                    [*loc, number, field],
                    _("no such party in the case"),
                    detail=_(
                        "The case has parties 0 to {last}; there is no party {index}.",
                        last=len(parties) - 1,
                        index=getattr(item, field),
                    ),
                )
        dues.append(
            AmountDue(
                party=item.party,
                payer_party=item.payer_party,
                insurer_code=by_index[item.payer_party].insurer_code,
                amount=item.amount,
                rule=basis.value,
            )
        )
    return dues


async def settle_with(
    session: AsyncSession,
    case: Case,
    *,
    basis: CompensationBasis,
    amounts: Sequence[AgreedAmount] | None,
    actor: str,
    rules: ClaimRules,
    reference: str | None = None,
    loc: Sequence[str | int] = ("body", "data", "amounts"),
) -> Compensation:
    """Settles with the amounts given, or, without any, with the calculation's."""
    if amounts is None:
        dues = await dues_from_calculation(session, case)
    else:
        parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
        dues = dues_from_amounts(parties, amounts, basis=basis, loc=loc)
    return await claims.settle_compensation(
        session, case, basis=basis, amounts=dues, actor=actor, rules=rules, reference=reference
    )


async def open_appraisals(session: AsyncSession, case: Case) -> list[Appraisal]:
    rows = await session.exec(
        select(Appraisal).where(
            Appraisal.case_id == case.id,
            col(Appraisal.status).in_([AppraisalStatus.requested, AppraisalStatus.accepted]),
        )
    )
    return list(rows)


async def settle_accepted_case(
    session: AsyncSession, case: Case, *, actor: str, rules: ClaimRules
) -> Compensation | None:
    """Every party accepted the calculation: once every loss is assessed (or appraised)
    and no appraisal is still open, the insurers are asked to pay its lines."""
    if case.status != CaseStatus.accepted or await claims.has_claims(session, case.id):
        return None
    if not (await case_settlement(session, case)).complete:
        return None
    if await open_appraisals(session, case):
        return None
    return await settle_with(
        session,
        case,
        basis=CompensationBasis.calculation,
        amounts=None,
        actor=actor,
        rules=rules,
    )
