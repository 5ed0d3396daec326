from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from accident_online.decisions.schemas import LiabilityIn, PartyIndex
from accident_online.kit.fields import InsurerCodeStr
from accident_online.kit.money import Amount

Money = Decimal


class VehicleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: PartyIndex
    loss: Amount = Field(description="Yuan.")
    compulsory_insured: StrictBool = Field(
        default=True, description="Has compulsory insurance (交强险)."
    )
    insurer: InsurerCodeStr | None = Field(default=None, description="The 交强险 insurer's code.")
    commercial_insurer: InsurerCodeStr | None = Field(
        default=None,
        description="The commercial policy's insurer, if another (default: `insurer`).",
    )
    commercial_third_party_cover: Amount | None = Field(
        default=None, description="商业三者险 in yuan; null: none."
    )
    own_damage: StrictBool = Field(default=False, description="Whether 车损险 is held.")
    knock_for_knock_consent: StrictBool = Field(
        default=False,
        description="The party agrees to 互碰自赔; it applies only when every party does.",
    )


class SettlementRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "liabilities": [
                        {"party": 0, "grade": "primary"},
                        {"party": 1, "grade": "secondary"},
                    ],
                    "vehicles": [
                        {
                            "party": 0,
                            "loss": "3000.00",
                            "insurer": "PICC",
                            "commercial_insurer": "PINGAN",
                            "commercial_third_party_cover": "1000000.00",
                            "own_damage": True,
                            "knock_for_knock_consent": False,
                        },
                        {
                            "party": 1,
                            "loss": "5000.00",
                            "insurer": "CPIC",
                            "commercial_third_party_cover": "500000.00",
                            "knock_for_knock_consent": False,
                        },
                    ],
                }
            ]
        },
    )

    liabilities: list[LiabilityIn] = Field(min_length=2, max_length=20)
    vehicles: list[VehicleIn] = Field(min_length=2, max_length=20)
    use_no_fault_proxy: StrictBool = Field(default=True, description="Apply 无责代赔 where it can.")


class SettlementLineRead(BaseModel):
    payer: str = Field(description='"insurer:<code>" or "party:<index>"')
    payer_party: int | None
    payee_party: int
    amount: Decimal
    rule: str
    source: str = Field(description="Where the rule comes from.")
    note: str


class PartyTotals(BaseModel):
    party: int
    loss: Decimal | None
    paid_to: Decimal
    borne_by: Decimal = Field(description="What the party keeps of its own loss.")
    own_insurer_may_advance: Decimal = Field(
        description="With 车损险: what the others owe the party (already in `paid_to`), which "
        "its own insurer may advance and recover from them (代位求偿); 0.00 without."
    )


class SettlementRead(BaseModel):
    method: str = Field(
        description="standard, or knock_for_knock (互碰自赔, only when every party consents)"
    )
    lines: list[SettlementLineRead]
    parties: list[PartyTotals]


class CaseSettlementRead(BaseModel):
    complete: bool = Field(description="True once every party's loss is assessed.")
    awaiting_assessment: list[int] = Field(
        description="Parties whose loss no insurer assessed yet."
    )
    settlement: SettlementRead | None
