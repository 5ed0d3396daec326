from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases import repository as cases_repository
from accident_online.decisions.exceptions import NoDecisionYet
from accident_online.decisions.liability import InvalidLiability, PartyLiability, resolve_shares
from accident_online.decisions.schemas import LiabilityIn, Resolution
from accident_online.kit.i18n import _
from accident_online.models.case import Case
from accident_online.settlement.calculation import calculate_settlement
from accident_online.settlement.exceptions import InvalidSettlement
from accident_online.settlement.schemas import (
    CaseSettlementRead,
    PartyTotals,
    SettlementLineRead,
    SettlementRead,
    SettlementRequest,
    VehicleIn,
)
from accident_online.settlement.terms import (
    RULE_SOURCES,
    InvalidSettlementInput,
    Settlement,
    VehicleClaim,
)


def _invalid(error: ValueError, loc: str) -> InvalidSettlement:
    # A liability's reason is a catalogue Message the problem translates; the
    # calculation's own reasons are English.
    detail = error.reason if isinstance(error, InvalidLiability) else str(error)
    return InvalidSettlement.at(["body", loc], str(error), detail=detail)


def _shares(liabilities: Sequence[LiabilityIn], party_count: int) -> dict[int, int]:
    resolved = resolve_shares(
        [PartyLiability(item.party, item.grade, item.share_percent) for item in liabilities],
        party_count=party_count,
    )
    return {item.party: item.share_percent for item in resolved}


def _settle(vehicles: Sequence[VehicleIn], shares: dict[int, int], *, proxy: bool) -> Settlement:
    claims = [
        VehicleClaim(
            party=vehicle.party,
            share_percent=shares[vehicle.party],
            loss=vehicle.loss,
            compulsory_insured=vehicle.compulsory_insured,
            insurer=vehicle.insurer,
            commercial_third_party_cover=vehicle.commercial_third_party_cover,
            commercial_insurer=vehicle.commercial_insurer,
            own_damage=vehicle.own_damage,
            knock_for_knock_consent=vehicle.knock_for_knock_consent,
        )
        for vehicle in vehicles
    ]
    return calculate_settlement(claims, use_no_fault_proxy=proxy)


def _read(settlement: Settlement, losses: dict[int, Decimal | None]) -> SettlementRead:
    return SettlementRead(
        method=settlement.method,
        lines=[
            SettlementLineRead(
                payer=line.payer,
                payer_party=line.payer_party,
                payee_party=line.payee_party,
                amount=line.amount,
                rule=line.rule.value,
                source=RULE_SOURCES[line.rule],
                note=line.note,
            )
            for line in settlement.lines
        ],
        parties=[
            PartyTotals(
                party=party,
                loss=loss,
                paid_to=settlement.paid_to(party),
                borne_by=settlement.borne_by(party),
                own_insurer_may_advance=settlement.may_advance(party),
            )
            for party, loss in sorted(losses.items())
        ],
    )


def calculate(request: SettlementRequest) -> SettlementRead:
    """Stateless: who pays whom, line by line, with the rule applied."""
    parties = sorted(vehicle.party for vehicle in request.vehicles)
    if parties != list(range(len(parties))):
        raise InvalidSettlement.at(
            ["body", "vehicles"], _("vehicles must be parties 0..n-1, once each")
        )
    try:
        shares = _shares(request.liabilities, len(parties))
    except InvalidLiability as error:
        raise _invalid(error, "liabilities") from error
    try:
        settlement = _settle(request.vehicles, shares, proxy=request.use_no_fault_proxy)
    except InvalidSettlementInput as error:
        raise _invalid(error, "vehicles") from error
    return _read(settlement, {v.party: v.loss for v in request.vehicles})


async def case_settlement(session: AsyncSession, case: Case) -> CaseSettlementRead:
    """The settlement from the decision and the losses insurers assessed so far."""
    if not case.decision:
        raise NoDecisionYet()
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    responses = (await cases_repository.responses_of(session, [case.id]))[case.id]
    # 互碰自赔 only by agreement: a party consents with its insurer_claim response, and the
    # calculation applies it only when every party did (and the case qualifies).
    consenting = {
        r.party
        for r in responses
        if r.knock_for_knock_consent and r.resolution == Resolution.insurer_claim
    }
    awaiting = [party.index for party in parties if party.assessed_loss is None]
    shares = {item.party: item.share_percent for item in case.decision.liabilities}
    vehicles = [
        VehicleIn(
            party=party.index,
            # Unassessed losses count as nothing yet; `complete` says the figures may grow.
            loss=party.assessed_loss or Decimal("0.00"),
            compulsory_insured=True,  # an eligible report has 交强险 on every vehicle
            insurer=party.insurer_code,
            commercial_insurer=party.commercial_insurer_code,
            commercial_third_party_cover=party.commercial_third_party_cover,
            own_damage=bool(party.commercial_own_damage),
            knock_for_knock_consent=party.index in consenting,
        )
        for party in parties
    ]
    settlement = _settle(vehicles, shares, proxy=True)
    return CaseSettlementRead(
        complete=not awaiting,
        awaiting_assessment=awaiting,
        settlement=_read(settlement, {p.index: p.assessed_loss for p in parties}),
    )
