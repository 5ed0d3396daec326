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
  policy would have (the Supreme People's Court's interpretation on road traffic
  compensation, 2020 revision, art. 16).

The order of payment is 交强险, then 商业三者险, then the party (民法典 art. 1213,
道路交通安全法 art. 76); one policy's limit is shared among several victims by their
losses (the same interpretation, art. 18). A vehicle's two policies may be with two
insurers: 商业三者险 lines name the commercial insurer. With 车损险 (own damage) the
party's own share is paid by its own insurer instead of being borne, and what the others
owe it is shown as what that insurer may advance with subrogation (``may_advance``).
互碰自赔 applies only when every party consents (DOMAIN.md "Corrections").

Amounts are yuan `Decimal`s with two places. Rounding is ROUND_HALF_UP to the cent,
and every split goes through `_apportion`, which makes the parts add up to the whole
exactly, so that for every party what is paid to it plus what it bears is its loss.
"""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from accident_online.kit.money import CENT
from accident_online.settlement.standard import insurer_payer, standard_lines
from accident_online.settlement.terms import (
    KNOCK_FOR_KNOCK_MAX_LOSS,
    InvalidSettlementInput,
    Settlement,
    SettlementLine,
    SettlementRule,
    VehicleClaim,
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
        lines=standard_lines(vehicles, use_no_fault_proxy=use_no_fault_proxy),
        method="standard",
        own_damage_parties=frozenset(v.party for v in vehicles if v.own_damage),
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
        if claim.compulsory_insured and not claim.insurer:
            raise InvalidSettlementInput(
                f"party {claim.party}: an insured vehicle needs its insurer"
            )
        if (cover is not None or claim.own_damage) and not claim.commercial_payer:
            raise InvalidSettlementInput(f"party {claim.party}: commercial cover needs its insurer")
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
                commercial_insurer=claim.commercial_insurer,
                own_damage=claim.own_damage,
                knock_for_knock_consent=claim.knock_for_knock_consent,
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
    """DOMAIN.md rule 4: all insured, all liable, each loss at most 2,000 yuan, and every
    party agreed to it (insurers' association rules; never by itself, DOMAIN.md
    "Corrections").

    Damage to vehicles only is given: these claims carry nothing else, and eligibility
    already sends accidents with injuries or public property damage offline.
    """
    return all(
        vehicle.knock_for_knock_consent
        and vehicle.compulsory_insured
        and vehicle.share_percent > 0
        and vehicle.loss <= KNOCK_FOR_KNOCK_MAX_LOSS
        for vehicle in vehicles
    )


def _knock_for_knock_lines(vehicles: Sequence[VehicleClaim]) -> tuple[SettlementLine, ...]:
    return tuple(
        SettlementLine(
            payer=insurer_payer(vehicle),
            payer_party=vehicle.party,
            payee_party=vehicle.party,
            amount=vehicle.loss,
            rule=SettlementRule.OWN_DAMAGE_KNOCK_FOR_KNOCK,
            note="互碰自赔 (every party agreed): the vehicle's own insurer pays its loss; no "
            "cross claims",
        )
        for vehicle in vehicles
        if vehicle.loss > 0
    )
