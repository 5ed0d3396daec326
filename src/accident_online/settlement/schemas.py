from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from accident_online.decisions.schemas import LiabilityIn, PartyIndex
from accident_online.intake.schemas import Code
from accident_online.kit.money import Amount

Money = Decimal


class VehicleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: PartyIndex
    loss: Amount = Field(description="Yuan.")
    compulsory_insured: StrictBool = Field(
        default=True, description="Has compulsory insurance (交强险)."
    )
    insurer: Code | None = None
    commercial_third_party_cover: Amount | None = None


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
                            "commercial_third_party_cover": "1000000.00",
                        },
                        {
                            "party": 1,
                            "loss": "5000.00",
                            "insurer": "CPIC",
                            "commercial_third_party_cover": "500000.00",
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
    borne_by: Decimal


class SettlementRead(BaseModel):
    method: str = Field(description="standard, or knock_for_knock (互碰自赔)")
    lines: list[SettlementLineRead]
    parties: list[PartyTotals]


class CaseSettlementRead(BaseModel):
    complete: bool = Field(description="True once every party's loss is assessed.")
    awaiting_assessment: list[int] = Field(
        description="Parties whose loss no insurer assessed yet."
    )
    settlement: SettlementRead | None
