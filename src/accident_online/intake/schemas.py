"""The report the mobile app backend files for the drivers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StringConstraints,
    field_validator,
    model_validator,
)

from accident_online.decisions.liability import (
    InvalidLiability,
    LiabilityGrade,
    PartyLiability,
    resolve_shares,
)
from accident_online.decisions.schemas import PartyIndex, SharePercent
from accident_online.intake.eligibility import ANSWER_FIELDS, EligibilityAnswers
from accident_online.kit.fields import NOT_BLANK_LINE, Name
from accident_online.kit.fields import Text as FreeText
from accident_online.kit.money import Amount
from accident_online.kit.time import Rfc3339DateTime
from accident_online.parties.formats import validate_id_number, validate_mobile, validate_plate

Plate = Annotated[Name, StringConstraints(max_length=16), AfterValidator(validate_plate)]
IdNumber = Annotated[Name, StringConstraints(max_length=24), AfterValidator(validate_id_number)]
Mobile = Annotated[Name, StringConstraints(max_length=20), AfterValidator(validate_mobile)]
Code = Annotated[
    Name,
    StringConstraints(
        strip_whitespace=True, to_upper=True, min_length=1, max_length=32, pattern=r"^[A-Z0-9_-]+$"
    ),
]
Line = Annotated[Name, StringConstraints(strip_whitespace=True)]
Text = Annotated[FreeText, StringConstraints(strip_whitespace=True)]

EXAMPLE_REPORT: dict[str, Any] = {
    "occurred_at": "2026-11-28T08:15:00+08:00",
    "location": {
        "lat": 36.4567,
        "lon": 115.9855,
        "address": "山东省聊城市东昌府区东昌路与柳园路交叉口",
        "district": "371502",
    },
    "parties": [
        {
            "name": "张伟",
            "phone": "13805350001",
            "id_number": "371502199001011234",
            "licence_number": "371502199001011234",
            "plate": "鲁P12345",
            "vehicle_type": "小型轿车",
            "insurer": "PICC",
            "policy_number": "PDZA202637150000012345",
            "commercial_third_party_cover": "1000000.00",
        },
        {
            "name": "李娜",
            "phone": "15965350002",
            "id_number": "371521198507152346",
            "licence_number": "371521198507152346",
            "plate": "鲁PD12345",
            "vehicle_type": "小型轿车",
            "insurer": "CPIC",
            "policy_number": "ASHZ202637150000067890",
        },
    ],
    "injuries": False,
    "all_vehicles_drivable": True,
    "alcohol_or_drugs": False,
    "all_drivers_licensed": True,
    "all_vehicles_registered": True,
    "all_vehicles_insured": True,
    "party_fled": False,
    "public_property_damage": False,
    "hazardous_goods": False,
    "deliberate": False,
    "description": "甲车直行，乙车变道时与甲车右前侧发生刮擦，双方车辆均可移动。",
    "agreed_liability": [
        {"party": 0, "grade": "none"},
        {"party": 1, "grade": "full"},
    ],
}


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: StrictFloat = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: StrictFloat = Field(ge=-180, le=180, allow_inf_nan=False)
    address: Line = Field(min_length=1, max_length=200, pattern=NOT_BLANK_LINE)
    district: Line = Field(
        min_length=1,
        max_length=16,
        pattern=NOT_BLANK_LINE,
        description="GB/T 2260 county code (e.g. 371502) or zone id (kfq, gxq, dujiaqu).",
    )


class PartyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=50, pattern=NOT_BLANK_LINE)
    phone: Mobile
    id_number: IdNumber
    licence_number: Line = Field(min_length=6, max_length=32, pattern=r"^[0-9A-Za-z]+$")
    plate: Plate
    vehicle_type: Line = Field(min_length=1, max_length=32, pattern=NOT_BLANK_LINE)
    insurer: Code = Field(description="The insurer's code, e.g. PICC.")
    policy_number: Line = Field(min_length=1, max_length=64, pattern=NOT_BLANK_LINE)
    commercial_third_party_cover: Amount | None = Field(
        default=None, description="Commercial third-party cover (商业三者险) in yuan, if any."
    )


class AgreedLiability(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: PartyIndex
    grade: LiabilityGrade
    share_percent: SharePercent | None = None


class ReportCreate(BaseModel):
    """A driver's report of a minor accident, as the app filed it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_REPORT]})

    occurred_at: Rfc3339DateTime
    location: Location
    parties: list[PartyCreate] = Field(
        min_length=1,
        max_length=20,
        description="Every vehicle involved; a single vehicle is not eligible online.",
    )
    injuries: StrictBool = Field(description="Is anybody injured or dead?")
    all_vehicles_drivable: StrictBool
    alcohol_or_drugs: StrictBool = Field(description="Is any driver suspected of drink or drugs?")
    all_drivers_licensed: StrictBool
    all_vehicles_registered: StrictBool = Field(
        description="Plates and inspection marks on every vehicle?"
    )
    all_vehicles_insured: StrictBool = Field(
        description="Compulsory insurance (交强险) on every vehicle?"
    )
    party_fled: StrictBool
    public_property_damage: StrictBool
    hazardous_goods: StrictBool
    deliberate: StrictBool
    description: Text = Field(default="", max_length=2000)
    agreed_liability: list[AgreedLiability] | None = Field(
        default=None, max_length=20, description="The parties' own agreement (自行协商), if any."
    )
    determination_requested: StrictBool = Field(
        default=False,
        description="当事人虽已协商一致，仍共同申请民警作出责任认定（认定书）· The parties agreed "
        "yet jointly ask the police to determine liability (order 146 art. 19): without it, "
        "an agreement is only confirmed (协议书).",
    )

    @field_validator("parties")
    @classmethod
    def _plates_are_distinct(cls, parties: list[PartyCreate]) -> list[PartyCreate]:
        plates = [party.plate for party in parties]
        if len(set(plates)) != len(plates):
            raise ValueError("two parties have the same plate")
        return parties

    @model_validator(mode="after")
    def _agreement_fits_the_parties(self) -> ReportCreate:
        if self.agreed_liability is not None and len(self.parties) >= 2:
            try:
                resolve_shares(
                    [
                        PartyLiability(a.party, a.grade, a.share_percent)
                        for a in self.agreed_liability
                    ],
                    party_count=len(self.parties),
                )
            except InvalidLiability as error:
                raise ValueError(f"agreed_liability: {error}") from error
        return self

    def eligibility_answers(self) -> EligibilityAnswers:
        return EligibilityAnswers(
            **self.model_dump(include=set(ANSWER_FIELDS)), vehicle_count=len(self.parties)
        )


class EligibilityRead(BaseModel):
    eligible: bool
    reasons: list[str] = Field(description="Every failed rule's code, in the rule table's order.")
    detail: str | None = Field(
        default=None, description="What to tell the driver when not eligible."
    )


def occurred_at_window_errors(
    occurred_at: datetime, *, now: datetime, max_age_hours: int
) -> str | None:
    """Why ``occurred_at`` is outside the window a report may be filed in, if it is."""
    # A phone's clock may run a little fast; five minutes of grace.
    if (occurred_at - now).total_seconds() > 300:
        return "occurred_at is in the future"
    if (now - occurred_at).total_seconds() > max_age_hours * 3600:
        return f"occurred_at is more than {max_age_hours} hours ago; report it offline (call 122)"
    return None
