"""The standard settlement: 交强险 first, then 商业三者险 or the liable party, then what each
party bears itself (settlement/calculation.py gives the practice followed)."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, Decimal

from accident_online.kit.money import CENT, ZERO, apportion, yuan_sum
from accident_online.settlement.terms import (
    COMPULSORY_PROPERTY_LIMIT_LIABLE,
    COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE,
    SettlementLine,
    SettlementRule,
    VehicleClaim,
)

# Keys of the payment tables: (payer party, payee party).
_Payments = dict[tuple[int, int], Decimal]


def standard_lines(
    vehicles: Sequence[VehicleClaim], *, use_no_fault_proxy: bool
) -> tuple[SettlementLine, ...]:
    compulsory = _compulsory_payments(vehicles)
    remainders = {
        vehicle.party: vehicle.loss
        - yuan_sum(amount for (_, payee), amount in compulsory.items() if payee == vehicle.party)
        for vehicle in vehicles
    }
    owed, kept = _split_remainders(vehicles, remainders)
    from_cover = _commercial_payments(vehicles, owed)
    nobody_liable = all(vehicle.share_percent == 0 for vehicle in vehicles)

    lines: list[SettlementLine] = []
    for victim in vehicles:
        for payer in vehicles:
            amount = compulsory.get((payer.party, victim.party), ZERO)
            if amount == 0:
                continue
            if use_no_fault_proxy and _may_proxy(payer=payer, victim=victim):
                lines.append(_no_fault_proxy_line(payer=payer, victim=victim, amount=amount))
            else:
                lines.append(_compulsory_line(payer=payer, victim=victim, amount=amount))
        for payer in vehicles:
            lines.extend(
                _liable_party_lines(
                    payer=payer,
                    victim=victim,
                    owed=owed.get((payer.party, victim.party), ZERO),
                    from_cover=from_cover.get((payer.party, victim.party), ZERO),
                    remainder=remainders[victim.party],
                )
            )
        if kept[victim.party] > 0:
            lines.append(_borne_line(victim, kept=kept[victim.party], nobody_liable=nobody_liable))
    return tuple(lines)


def _compulsory_limit(vehicle: VehicleClaim) -> Decimal:
    if vehicle.share_percent > 0:
        return COMPULSORY_PROPERTY_LIMIT_LIABLE
    return COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE


def _compulsory_payments(vehicles: Sequence[VehicleClaim]) -> _Payments:
    """What each vehicle's 交强险 pays towards each other vehicle's loss (rule 1).

    实务规程: a loss is apportioned among the other vehicles by their limits; a no-fault
    vehicle takes part only in liable vehicles' losses; each policy's limit holds per
    accident, so a liable policy shares its 2,000 yuan among its claims in proportion
    to them, and a no-fault policy's 100 yuan is split evenly among the liable vehicles
    (`_no_fault_limits`). That even split is also DOMAIN.md's 无责代赔 limit, (no-fault
    cars × 100) ÷ liable cars: what the no-fault policies owe one liable vehicle never
    exceeds it by more than the cent it is rounded to, so its own insurer can advance
    all of it.

    When nobody is liable (none/none, an accident nobody caused), DOMAIN.md rule 1
    applies literally: every damaged vehicle claims on every other vehicle's 交强险, each
    of which pays at most its no-fault 100 yuan for the accident, split evenly among the
    damaged vehicles claiming on it.
    """
    nobody_liable = all(vehicle.share_percent == 0 for vehicle in vehicles)
    claims: dict[int, dict[int, Decimal]] = defaultdict(dict)  # payer -> victim -> claim
    for victim in vehicles:
        payers = [
            other
            for other in vehicles
            if other.party != victim.party
            and (nobody_liable or other.share_percent > 0 or victim.share_percent > 0)
        ]
        if victim.loss == 0 or not payers:
            continue
        parts = apportion(victim.loss, [_compulsory_limit(payer) for payer in payers])
        for payer, part in zip(payers, parts, strict=True):
            claims[payer.party][victim.party] = part

    liable = {vehicle.party for vehicle in vehicles if vehicle.share_percent > 0}
    no_fault_limits = _no_fault_limits(vehicles, nobody_liable=nobody_liable)
    payments: _Payments = {}
    for payer_party, claims_on_payer in claims.items():
        if payer_party in liable:
            paid = _within_limit(claims_on_payer, COMPULSORY_PROPERTY_LIMIT_LIABLE)
        else:
            paid = {
                victim_party: min(claim, no_fault_limits[payer_party, victim_party])
                for victim_party, claim in claims_on_payer.items()
            }
        for victim_party, amount in paid.items():
            payments[payer_party, victim_party] = amount
    return payments


def _no_fault_limits(vehicles: Sequence[VehicleClaim], *, nobody_liable: bool) -> _Payments:
    """How much of each no-fault policy's 100 yuan each vehicle may claim.

    The 100 yuan is split evenly among the vehicles that may claim on it: the liable
    ones (实务规程), or, when nobody is liable, the other damaged ones. Keys are
    (payer, claimant).

    100 yuan rarely splits into whole cents, and splitting each policy on its own would
    hand every policy's spare cent to the same vehicle: with two no-fault and three
    liable cars, the last liable car would get 33.34 twice, 66.68 against a 无责代赔
    limit of 200 ÷ 3 = 66.67. So each policy's spare cents go to the claimants that have
    been given the least so far (on a tie, the later one, as in `_apportion`): what one
    vehicle may claim from all no-fault policies together then stays within a cent of
    its exact even share, and each policy's parts still add up to its 100 yuan.
    """
    liable = [vehicle.party for vehicle in vehicles if vehicle.share_percent > 0]
    given: dict[int, Decimal] = defaultdict(Decimal)
    limits: _Payments = {}
    for payer in vehicles:
        if payer.share_percent > 0:
            continue
        claimants = (
            [other.party for other in vehicles if other.party != payer.party and other.loss > 0]
            if nobody_liable
            else liable
        )
        if not claimants:
            continue
        even = (COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE / len(claimants)).quantize(
            CENT, rounding=ROUND_DOWN
        )
        spare = int((COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE - even * len(claimants)) / CENT)
        by_need = sorted(range(len(claimants)), key=lambda index: (given[claimants[index]], -index))
        favoured = {claimants[index] for index in by_need[:spare]}
        for claimant in claimants:
            limit = even + CENT if claimant in favoured else even
            limits[payer.party, claimant] = limit
            given[claimant] += limit
    return limits


def _may_proxy(*, payer: VehicleClaim, victim: VehicleClaim) -> bool:
    """无责代赔 replaces a no-fault insurer's payment by the liable victim's own insurer.

    It needs an insurer on both sides: an uninsured no-fault owner's debt is his own.
    """
    return (
        payer.share_percent == 0
        and payer.compulsory_insured
        and victim.share_percent > 0
        and victim.compulsory_insured
    )


def _split_remainders(
    vehicles: Sequence[VehicleClaim], remainders: Mapping[int, Decimal]
) -> tuple[_Payments, dict[int, Decimal]]:
    """Rule 2: what 交强险 leaves of each loss is split by every party's share.

    Each other party owes its share; the victim keeps its own (worked example: B bears
    3,000 × 30 %). When nobody is liable, each victim keeps all of it.
    """
    owed: _Payments = {}
    kept: dict[int, Decimal] = {}
    nobody_liable = all(vehicle.share_percent == 0 for vehicle in vehicles)
    for victim in vehicles:
        remainder = remainders[victim.party]
        if nobody_liable or remainder == 0:
            kept[victim.party] = remainder
            continue
        # The victim comes last, so that a tie in rounding leaves the cent with it.
        debtors = [vehicle for vehicle in vehicles if vehicle.party != victim.party]
        *debts, own_part = apportion(
            remainder, [Decimal(vehicle.share_percent) for vehicle in [*debtors, victim]]
        )
        for debtor, debt in zip(debtors, debts, strict=True):
            owed[debtor.party, victim.party] = debt
        kept[victim.party] = own_part
    return owed, kept


def _commercial_payments(vehicles: Sequence[VehicleClaim], owed: _Payments) -> _Payments:
    """The part of each debt its debtor's 商业三者险 pays: the cover is one limit for the
    whole accident, shared in proportion to the debts when they exceed it."""
    paid: _Payments = {}
    for debtor in vehicles:
        cover = debtor.commercial_third_party_cover
        if cover is None:
            continue
        debts = {
            victim: amount
            for (payer, victim), amount in owed.items()
            if payer == debtor.party and amount > 0
        }
        for victim, amount in _within_limit(debts, cover).items():
            paid[debtor.party, victim] = amount
    return paid


def _within_limit(claims: Mapping[int, Decimal], limit: Decimal) -> dict[int, Decimal]:
    """Claims on one policy, scaled down in proportion when together they exceed its limit."""
    if yuan_sum(claims.values()) <= limit:
        return dict(claims)
    return dict(zip(claims, apportion(limit, list(claims.values())), strict=True))


# --- lines -----------------------------------------------------------------------


def _compulsory_line(
    *, payer: VehicleClaim, victim: VehicleClaim, amount: Decimal
) -> SettlementLine:
    limit = _compulsory_limit(payer)
    standing = "liable" if payer.share_percent > 0 else "not liable"
    terms = f"{standing}, property limit {limit} per accident"
    if payer.compulsory_insured:
        source = insurer_payer(payer)
        note = f"交强险 of party {payer.party} ({terms})"
    else:
        source = _party_payer(payer)
        note = f"party {payer.party} has no 交强险 and pays what it would ({terms}; 实务规程)"
    return SettlementLine(
        payer=source,
        payer_party=payer.party,
        payee_party=victim.party,
        amount=amount,
        rule=SettlementRule.COMPULSORY,
        note=note,
    )


def _no_fault_proxy_line(
    *, payer: VehicleClaim, victim: VehicleClaim, amount: Decimal
) -> SettlementLine:
    return SettlementLine(
        payer=insurer_payer(victim),
        payer_party=victim.party,
        payee_party=victim.party,
        amount=amount,
        rule=SettlementRule.COMPULSORY_NO_FAULT_PROXY,
        note=(
            f"无责代赔: party {victim.party}'s own insurer pays no-fault party "
            f"{payer.party}'s 交强险 share"
        ),
    )


def _liable_party_lines(
    *,
    payer: VehicleClaim,
    victim: VehicleClaim,
    owed: Decimal,
    from_cover: Decimal,
    remainder: Decimal,
) -> list[SettlementLine]:
    if owed == 0:
        return []
    debt = f"{payer.share_percent} % of the {remainder} left after 交强险"
    lines: list[SettlementLine] = []
    if from_cover > 0:
        lines.append(
            SettlementLine(
                payer=f"insurer:{payer.commercial_payer}",
                payer_party=payer.party,
                payee_party=victim.party,
                amount=from_cover,
                rule=SettlementRule.COMMERCIAL_THIRD_PARTY,
                note=f"商业三者险 of party {payer.party}: {debt}",
            )
        )
    if owed > from_cover:
        cover = payer.commercial_third_party_cover
        why = (
            "no 商业三者险"
            if cover is None
            else f"beyond its 商业三者险 cover of {cover} for this accident"
        )
        lines.append(
            SettlementLine(
                payer=_party_payer(payer),
                payer_party=payer.party,
                payee_party=victim.party,
                amount=owed - from_cover,
                rule=SettlementRule.PARTY_LIABLE,
                note=f"party {payer.party} pays itself ({why}): {debt}",
            )
        )
    return lines


def _borne_line(victim: VehicleClaim, *, kept: Decimal, nobody_liable: bool) -> SettlementLine:
    if nobody_liable:
        note = "nobody is liable: the loss left after 交强险 stays with its owner"
    else:
        note = f"own share, {victim.share_percent} % of the loss left after 交强险"
    if victim.own_damage:
        # 车损险 pays the insured's own vehicle whoever is at fault: nothing is borne.
        return SettlementLine(
            payer=f"insurer:{victim.commercial_payer}",
            payer_party=victim.party,
            payee_party=victim.party,
            amount=kept,
            rule=SettlementRule.OWN_DAMAGE,
            note=f"车损险 of party {victim.party} pays its {note}",
        )
    return SettlementLine(
        payer=_party_payer(victim),
        payer_party=victim.party,
        payee_party=victim.party,
        amount=kept,
        rule=SettlementRule.BORNE_BY_SELF,
        note=note,
    )


def insurer_payer(vehicle: VehicleClaim) -> str:
    return f"insurer:{vehicle.insurer}"


def _party_payer(vehicle: VehicleClaim) -> str:
    return f"party:{vehicle.party}"
