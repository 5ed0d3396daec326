"""The terms of a settlement (理赔计算): the vehicles' claims, the lines that pay them, the
rules each line applies with its source, and the 交强险 limits (settlement/calculation.py
explains how they are applied)."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

from accident_online.kit.money import yuan_sum

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
    OWN_DAMAGE = "own_damage"
    BORNE_BY_SELF = "borne_by_self"


RULE_SOURCES: Final[Mapping[SettlementRule, str]] = MappingProxyType(
    {
        SettlementRule.COMPULSORY: (
            "交强险 first (民法典 art. 1213; 道路交通安全法 art. 76); property limits since the "
            "2020-09-19 reform; one policy's limit shared among several victims by their "
            "losses (最高人民法院关于审理道路交通事故损害赔偿案件适用法律若干问题的解释, 2020 "
            "revision, art. 18); an uninsured vehicle pays within the limit itself (same "
            "interpretation, art. 16); 实务规程 (one loss over several policies by their "
            "limits); DOMAIN.md claim calculation rule 1"
        ),
        SettlementRule.COMPULSORY_NO_FAULT_PROXY: (
            "无责代赔, 实务规程; DOMAIN.md claim calculation rule 3"
        ),
        SettlementRule.COMMERCIAL_THIRD_PARTY: (
            "商业三者险 after 交强险, by liability share (民法典 art. 1213; 道路交通安全法 art. "
            "76); 70/50/30 shares from the 2020 commercial model clauses where no other ratio "
            "was set; DOMAIN.md claim calculation rule 2"
        ),
        SettlementRule.PARTY_LIABLE: (
            "the liable party pays what its insurance does not (民法典 art. 1213; 道路交通安全法 "
            "art. 76); DOMAIN.md claim calculation rule 2"
        ),
        SettlementRule.OWN_DAMAGE_KNOCK_FOR_KNOCK: (
            "互碰自赔, only with every party's consent: 中国保险行业协会《交强险财产损失\"互碰"
            '自赔"处理办法》; DOMAIN.md claim calculation rule 4 and "Corrections"'
        ),
        SettlementRule.OWN_DAMAGE: (
            "车损险 (2020 commercial model clauses: own damage paid whoever is at fault) pays "
            "the party's own share of its loss"
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

    `insurer` is the code of the company holding the vehicle's 交强险;
    `commercial_insurer` the one holding its commercial policy (商业险), possibly another
    (None: the same); `commercial_third_party_cover` is the 商业三者险 limit, None when
    there is none; `own_damage` whether 车损险 is held; `knock_for_knock_consent` whether
    the party agrees to 互碰自赔 (it applies only when every party does).
    """

    party: int
    share_percent: int
    loss: Decimal
    compulsory_insured: bool
    insurer: str | None
    commercial_third_party_cover: Decimal | None
    commercial_insurer: str | None = None
    own_damage: bool = False
    knock_for_knock_consent: bool = False

    @property
    def commercial_payer(self) -> str | None:
        """The code of the insurer of the commercial policy."""
        return self.commercial_insurer or self.insurer


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
    # The parties with 车损险 (own-damage cover).
    own_damage_parties: frozenset[int] = frozenset()

    def may_advance(self, party: int) -> Decimal:
        """With 车损险: what others owe the party, which its own insurer may advance and
        then recover from them by subrogation (代位求偿, 保险法 art. 60). Not a payment of
        its own: the lines that owe it stay as they are, so no yuan is counted twice."""
        return yuan_sum(
            line.amount
            for line in self.lines
            if line.payee_party == party
            and line.payer_party != party
            and party in self.own_damage_parties
        )

    def paid_to(self, party: int) -> Decimal:
        """Everything paid towards the party's loss, by insurers and other parties."""
        return yuan_sum(
            line.amount
            for line in self.lines
            if line.payee_party == party and line.rule is not SettlementRule.BORNE_BY_SELF
        )

    def borne_by(self, party: int) -> Decimal:
        """The part of its own loss the party keeps."""
        return yuan_sum(
            line.amount
            for line in self.lines
            if line.payee_party == party and line.rule is SettlementRule.BORNE_BY_SELF
        )
