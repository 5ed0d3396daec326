"""Who pays what towards the vehicle damage of one minor accident (理赔计算).

DOMAIN.md "Claim calculation" gives four rules. Where it is silent about several
vehicles, this module follows the insurers' own practice, 中国保险行业协会
《交强险理赔实务规程》 (cited below as 实务规程):

- a vehicle's loss is shared among the other vehicles' 交强险 in proportion to their
  limits, and each policy's limit holds per accident, not per damaged vehicle, so a
  policy with several claims on it shares its limit among them in proportion to those
  claims;
- a no-fault vehicle's 交强险 pays only towards liable vehicles' losses, never towards
  another no-fault vehicle's, and its 100 yuan is split evenly among the liable
  vehicles (which is where DOMAIN.md's 无责代赔 limit, no-fault cars × 100 ÷ liable
  cars, comes from);
- when nobody is liable (none/none), DOMAIN.md rule 1 applies literally: every other
  vehicle's 交强险 pays towards a damaged vehicle's loss, each policy at most its
  100 yuan for the accident, split evenly among the damaged vehicles claiming on it;
  the party bears the rest;
- a vehicle without 交强险 is counted as if insured, and its owner pays what the
  policy would have.

Amounts are yuan `Decimal`s with two places. Rounding is ROUND_HALF_UP to the cent,
and every split goes through `_apportion`, which makes the parts add up to the whole
exactly, so that for every party what is paid to it plus what it bears is its loss.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")

# 交强险 property-damage limits per policy and accident, since the 2020-09-19 reform
# (车险综合改革): 2,000 yuan when the insured is liable, 100 yuan when not.
COMPULSORY_PROPERTY_LIMIT_LIABLE: Final = Decimal("2000.00")
COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE: Final = Decimal("100.00")

# 互碰自赔 applies only when every vehicle's loss is within the 交强险 property limit
# (DOMAIN.md rule 4; 中国保险行业协会《交强险财产损失"互碰自赔"处理办法》).
KNOCK_FOR_KNOCK_MAX_LOSS: Final = COMPULSORY_PROPERTY_LIMIT_LIABLE


class InvalidSettlementInput(ValueError):
    """The claims cannot describe one accident (DOMAIN.md "Claim calculation")."""


class SettlementRule(StrEnum):
    COMPULSORY = "compulsory"
    COMPULSORY_NO_FAULT_PROXY = "compulsory_no_fault_proxy"
    COMMERCIAL_THIRD_PARTY = "commercial_third_party"
    PARTY_LIABLE = "party_liable"
    OWN_DAMAGE_KNOCK_FOR_KNOCK = "own_damage_knock_for_knock"
    BORNE_BY_SELF = "borne_by_self"


RULE_SOURCES: Final[Mapping[SettlementRule, str]] = MappingProxyType(
    {
        SettlementRule.COMPULSORY: (
            "交强险 property limits since the 2020-09-19 reform; 实务规程 (multi-vehicle "
            "apportionment); DOMAIN.md claim calculation rule 1"
        ),
        SettlementRule.COMPULSORY_NO_FAULT_PROXY: (
            "无责代赔, 实务规程; DOMAIN.md claim calculation rule 3"
        ),
        SettlementRule.COMMERCIAL_THIRD_PARTY: (
            "商业三者险 by liability share; DOMAIN.md claim calculation rule 2"
        ),
        SettlementRule.PARTY_LIABLE: (
            "liable party without (enough) 商业三者险 pays itself; DOMAIN.md claim "
            "calculation rule 2"
        ),
        SettlementRule.OWN_DAMAGE_KNOCK_FOR_KNOCK: (
            '互碰自赔, 中国保险行业协会《交强险财产损失"互碰自赔"处理办法》; DOMAIN.md '
            "claim calculation rule 4"
        ),
        SettlementRule.BORNE_BY_SELF: (
            "own share of the loss left after 交强险; DOMAIN.md claim calculation rule 2 "
            "and worked example"
        ),
    }
)

SettlementMethod = Literal["standard", "knock_for_knock"]


@dataclass(frozen=True, kw_only=True)
class VehicleClaim:
    """One vehicle in the accident: its party's liability share, its damage, its cover.

    `insurer` is the code of the company holding the vehicle's 交强险 and 商业三者险;
    `commercial_third_party_cover` is the 商业三者险 limit, None when there is none.
    """

    party: int
    share_percent: int
    loss: Decimal
    compulsory_insured: bool
    insurer: str | None
    commercial_third_party_cover: Decimal | None


@dataclass(frozen=True, kw_only=True)
class SettlementLine:
    """One payment towards `payee_party`'s loss.

    `payer` is "insurer:<code>" or "party:<i>"; `payer_party` is the party whose policy
    or pocket the money comes from (for 无责代赔, the liable party whose own insurer
    advances it). A `borne_by_self` line is no payment: it is the part of its loss a
    party keeps.
    """

    payer: str
    payer_party: int | None
    payee_party: int
    amount: Decimal
    rule: SettlementRule
    note: str


@dataclass(frozen=True)
class Settlement:
    lines: tuple[SettlementLine, ...]
    method: SettlementMethod

    def paid_to(self, party: int) -> Decimal:
        """Everything paid towards the party's loss, by insurers and other parties."""
        return _total(
            line.amount
            for line in self.lines
            if line.payee_party == party and line.rule is not SettlementRule.BORNE_BY_SELF
        )

    def borne_by(self, party: int) -> Decimal:
        """The part of its own loss the party keeps."""
        return _total(
            line.amount
            for line in self.lines
            if line.payee_party == party and line.rule is SettlementRule.BORNE_BY_SELF
        )


def calculate_settlement(
    claims: Sequence[VehicleClaim], *, use_no_fault_proxy: bool = True
) -> Settlement:
    """Split every vehicle's loss among 交强险, 商业三者险 and the parties.

    `use_no_fault_proxy` applies 无责代赔 (DOMAIN.md rule 3); it changes who pays a
    no-fault party's 交强险 share, never how much anyone receives.
    """
    vehicles = _normalised(claims)
    if _qualifies_for_knock_for_knock(vehicles):
        return Settlement(lines=_knock_for_knock_lines(vehicles), method="knock_for_knock")
    return Settlement(
        lines=_standard_lines(vehicles, use_no_fault_proxy=use_no_fault_proxy),
        method="standard",
    )


# --- validation ------------------------------------------------------------------


def _normalised(claims: Sequence[VehicleClaim]) -> tuple[VehicleClaim, ...]:
    """Validated claims, ordered by party, with amounts quantised to two places."""
    if len(claims) < 2:
        # Single-vehicle accidents are not handled online (DOMAIN.md "Eligibility").
        raise InvalidSettlementInput(f"a settlement needs at least two vehicles, not {len(claims)}")
    parties = [claim.party for claim in claims]
    duplicated = sorted({party for party in parties if parties.count(party) > 1})
    if duplicated:
        raise InvalidSettlementInput(f"parties {duplicated} appear more than once")
    negative = sorted(party for party in parties if party < 0)
    if negative:
        raise InvalidSettlementInput(f"party indices must not be negative: {negative}")
    normalised: list[VehicleClaim] = []
    for claim in sorted(claims, key=lambda claim: claim.party):
        if not 0 <= claim.share_percent <= 100:
            raise InvalidSettlementInput(
                f"party {claim.party}: share must be 0 to 100 %, not {claim.share_percent} %"
            )
        cover = claim.commercial_third_party_cover
        if (claim.compulsory_insured or cover is not None) and not claim.insurer:
            raise InvalidSettlementInput(
                f"party {claim.party}: an insured vehicle needs its insurer"
            )
        normalised.append(
            VehicleClaim(
                party=claim.party,
                share_percent=claim.share_percent,
                loss=_yuan(claim.loss, what=f"party {claim.party}: loss"),
                compulsory_insured=claim.compulsory_insured,
                insurer=claim.insurer,
                commercial_third_party_cover=(
                    None
                    if cover is None
                    else _yuan(cover, what=f"party {claim.party}: commercial cover")
                ),
            )
        )
    total_share = sum(vehicle.share_percent for vehicle in normalised)
    if total_share not in (0, 100):
        raise InvalidSettlementInput(
            f"shares must add up to 100 % (or all be 0), not {total_share} %"
        )
    return tuple(normalised)


def _yuan(amount: Decimal, *, what: str) -> Decimal:
    # A float or a third decimal place would make "paid + borne == loss" unprovable.
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidSettlementInput(f"{what} must be a finite Decimal, not {amount!r}")
    if amount < 0:
        raise InvalidSettlementInput(f"{what} must not be negative, not {amount}")
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:
        raise InvalidSettlementInput(f"{what} is out of range: {amount}") from None
    if cents != amount:
        raise InvalidSettlementInput(f"{what} has more than two decimal places: {amount}")
    return cents


# --- 互碰自赔 ---------------------------------------------------------------------


def _qualifies_for_knock_for_knock(vehicles: Sequence[VehicleClaim]) -> bool:
    """DOMAIN.md rule 4: all insured, all liable, each loss at most 2,000 yuan.

    Damage to vehicles only is given: these claims carry nothing else, and eligibility
    already sends accidents with injuries or public property damage offline.
    """
    return all(
        vehicle.compulsory_insured
        and vehicle.share_percent > 0
        and vehicle.loss <= KNOCK_FOR_KNOCK_MAX_LOSS
        for vehicle in vehicles
    )


def _knock_for_knock_lines(vehicles: Sequence[VehicleClaim]) -> tuple[SettlementLine, ...]:
    return tuple(
        SettlementLine(
            payer=_insurer_payer(vehicle),
            payer_party=vehicle.party,
            payee_party=vehicle.party,
            amount=vehicle.loss,
            rule=SettlementRule.OWN_DAMAGE_KNOCK_FOR_KNOCK,
            note="互碰自赔: the vehicle's own insurer pays its loss; no cross claims",
        )
        for vehicle in vehicles
        if vehicle.loss > 0
    )


# --- standard: 交强险, then 商业三者险 or the party -----------------------------------

# Keys of the payment tables: (payer party, payee party).
_Payments = dict[tuple[int, int], Decimal]


def _standard_lines(
    vehicles: Sequence[VehicleClaim], *, use_no_fault_proxy: bool
) -> tuple[SettlementLine, ...]:
    compulsory = _compulsory_payments(vehicles)
    remainders = {
        vehicle.party: vehicle.loss
        - _total(amount for (_, payee), amount in compulsory.items() if payee == vehicle.party)
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
        parts = _apportion(victim.loss, [_compulsory_limit(payer) for payer in payers])
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
        *debts, own_part = _apportion(
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
    if _total(claims.values()) <= limit:
        return dict(claims)
    return dict(zip(claims, _apportion(limit, list(claims.values())), strict=True))


# --- lines -----------------------------------------------------------------------


def _compulsory_line(
    *, payer: VehicleClaim, victim: VehicleClaim, amount: Decimal
) -> SettlementLine:
    limit = _compulsory_limit(payer)
    standing = "liable" if payer.share_percent > 0 else "not liable"
    terms = f"{standing}, property limit {limit} per accident"
    if payer.compulsory_insured:
        source = _insurer_payer(payer)
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
        payer=_insurer_payer(victim),
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
                payer=_insurer_payer(payer),
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
    return SettlementLine(
        payer=_party_payer(victim),
        payer_party=victim.party,
        payee_party=victim.party,
        amount=kept,
        rule=SettlementRule.BORNE_BY_SELF,
        note=note,
    )


def _insurer_payer(vehicle: VehicleClaim) -> str:
    return f"insurer:{vehicle.insurer}"


def _party_payer(vehicle: VehicleClaim) -> str:
    return f"party:{vehicle.party}"


# --- money -----------------------------------------------------------------------


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def _round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` (whole cents) by `weights` into cents that add up to it exactly.

    Each part is rounded half up; the cents that rounding gains or loses overall are
    then given back one at a time by the part rounded furthest the wrong way (on a tie,
    the later part). Unlike putting the whole difference on the last part, this never
    makes a part negative (0.02 split four ways rounds to 0.01 × 4), a zero weight
    always gets zero, and every part stays within a cent of its exact value.
    """
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("apportioning needs a positive total weight")
    exact = [total * weight / weight_sum for weight in weights]
    parts = [_round_cents(value) for value in exact]
    gap = total - _total(parts)
    latest_first = range(len(parts) - 1, -1, -1)
    while gap > 0:
        index = max(latest_first, key=lambda i: exact[i] - parts[i])
        parts[index] += CENT
        gap -= CENT
    while gap < 0:
        index = max(latest_first, key=lambda i: parts[i] - exact[i])
        parts[index] -= CENT
        gap += CENT
    return parts
