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
    WithJsonSchema,
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
from accident_online.kit.fields import NOT_BLANK_LINE, InsurerCodeStr, Name
from accident_online.kit.fields import Text as FreeText
from accident_online.kit.money import Amount
from accident_online.kit.time import Rfc3339DateTime
from accident_online.models.codes import (
    VEHICLE_TYPE_ALIASES,
    VEHICLE_TYPE_NAMES,
    AccidentForm,
    CollisionPoint,
    Light,
    RoadSurface,
    Weather,
)
from accident_online.parties.formats import validate_id_number, validate_mobile, validate_plate

Plate = Annotated[Name, StringConstraints(max_length=16), AfterValidator(validate_plate)]
IdNumber = Annotated[Name, StringConstraints(max_length=24), AfterValidator(validate_id_number)]
Mobile = Annotated[Name, StringConstraints(max_length=20), AfterValidator(validate_mobile)]
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
    "weather": "clear",
    "road_surface": "dry",
    "light": "daylight",
    "accident_form": "sideswipe",
    "parties": [
        {
            "name": "张伟",
            "phone": "13805350001",
            "id_number": "371502199001011234",
            "licence_number": "371502199001011234",
            "plate": "鲁P12345",
            "vehicle_type": "K33",
            "collision_points": ["right_front"],
            "compulsory_policy": {"insurer": "PICC", "policy_number": "PDZA202637150000012345"},
            "commercial_policy": {
                "insurer": "PINGAN",
                "policy_number": "PDAA202637150000054321",
                "third_party_cover": "1000000.00",
                "own_damage": True,
            },
        },
        {
            "name": "李娜",
            "phone": "15965350002",
            "id_number": "371521198507152346",
            "licence_number": "371521198507152346",
            "plate": "鲁PD12345",
            "vehicle_type": "K33",
            "owner": {"name": "王强", "id_number": "371502197803124610"},
            "collision_points": ["left_front", "left_middle"],
            "compulsory_policy": {"insurer": "CPIC", "policy_number": "ASHZ202637150000067890"},
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
    "school_bus_overload_speeding": False,
    "suspected_offence": False,
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


def _vehicle_type(value: str) -> str:
    code = value.strip().upper()
    if code in VEHICLE_TYPE_NAMES:
        return code
    # Clients before the code list sent the type in words (CONTRACT.md: not broken).
    if value.strip() in VEHICLE_TYPE_ALIASES:
        return VEHICLE_TYPE_ALIASES[value.strip()]
    raise ValueError(
        "vehicle_type is a GA 802 code: " + ", ".join(VEHICLE_TYPE_NAMES) + " (e.g. K33 小型轿车)"
    )


VehicleType = Annotated[
    Name,
    StringConstraints(max_length=32),
    AfterValidator(_vehicle_type),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 32,
            "pattern": NOT_BLANK_LINE,
            "description": "GA 802-2019 vehicle type code (机动车类型); the code's Chinese "
            "name (小型轿车) is taken too. "
            + ", ".join(f"{code} {name}" for code, name in VEHICLE_TYPE_NAMES.items()),
            "examples": ["K33"],
        }
    ),
]
PolicyNumber = Annotated[
    Line, StringConstraints(min_length=1, max_length=64, pattern=NOT_BLANK_LINE)
]


class Owner(BaseModel):
    """The vehicle's owner (所有人), where not the driver."""

    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=50, pattern=NOT_BLANK_LINE)
    id_number: IdNumber = Field(description="The owner's ID number (GB 11643).")


class CompulsoryPolicy(BaseModel):
    """The vehicle's 交强险: 实施条例 art. 86 asks for the 保险凭证号."""

    model_config = ConfigDict(extra="forbid")

    insurer: InsurerCodeStr = Field(description="The insurer's code, e.g. PICC.")
    policy_number: PolicyNumber


class CommercialPolicy(BaseModel):
    """The vehicle's commercial policy (商业险), possibly with another insurer."""

    model_config = ConfigDict(extra="forbid")

    insurer: InsurerCodeStr = Field(description="The insurer's code, e.g. PINGAN.")
    policy_number: PolicyNumber
    third_party_cover: Amount | None = Field(
        default=None, description="Commercial third-party cover (商业三者险) in yuan; null: none."
    )
    own_damage: StrictBool = Field(
        default=False, description="Whether own-damage cover (车损险) is held."
    )


_REPLACED_PARTY_FIELDS = {
    "commercial_third_party_cover": "commercial_policy.third_party_cover (with the commercial "
    "policy's insurer and policy_number)",
}


class PartyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=50, pattern=NOT_BLANK_LINE)
    phone: Mobile
    id_number: IdNumber
    licence_number: Line = Field(min_length=6, max_length=32, pattern=r"^[0-9A-Za-z]+$")
    plate: Plate
    vehicle_type: VehicleType
    owner: Owner | None = Field(default=None, description="Absent: the driver owns the vehicle.")
    collision_points: list[CollisionPoint] = Field(
        min_length=1, max_length=10, description="Where the vehicle was hit (碰撞部位)."
    )
    compulsory_policy: CompulsoryPolicy | None = Field(
        default=None,
        description="The 交强险 policy; required (`insurer` + `policy_number` is its shorthand).",
    )
    insurer: InsurerCodeStr | None = Field(
        default=None,
        json_schema_extra={"deprecated": True},
        description="Shorthand for `compulsory_policy.insurer` (give both or neither).",
    )
    policy_number: PolicyNumber | None = Field(
        default=None,
        json_schema_extra={"deprecated": True},
        description="Shorthand for `compulsory_policy.policy_number`.",
    )
    commercial_policy: CommercialPolicy | None = None

    @model_validator(mode="before")
    @classmethod
    def _replaced_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for old, new in _REPLACED_PARTY_FIELDS.items():
                if old in data:
                    raise ValueError(f"{old} is replaced by {new}")
        return data

    @model_validator(mode="after")
    def _one_compulsory_policy(self) -> PartyCreate:
        shorthand = (self.insurer, self.policy_number)
        if self.compulsory_policy is not None:
            if shorthand != (None, None):
                raise ValueError(
                    "give compulsory_policy or its shorthand insurer + policy_number, not both"
                )
            return self
        if None in shorthand:
            raise ValueError(
                "compulsory_policy (insurer, policy_number) is required: the 交强险 policy"
            )
        assert self.insurer is not None
        assert self.policy_number is not None
        self.compulsory_policy = CompulsoryPolicy(
            insurer=self.insurer, policy_number=self.policy_number
        )
        return self

    @property
    def compulsory(self) -> CompulsoryPolicy:
        assert self.compulsory_policy is not None  # set by _one_compulsory_policy
        return self.compulsory_policy


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
    weather: Weather = Field(description="天气 at the scene.")
    road_surface: RoadSurface | None = Field(
        default=None, description="路面状况, where the app knows it."
    )
    light: Light | None = Field(default=None, description="照明条件, where the app knows it.")
    accident_form: AccidentForm = Field(description="事故形态.")
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
    school_bus_overload_speeding: StrictBool = Field(
        description="Is a driver suspected of school-bus operation, carrying passengers far "
        "beyond capacity, or severe speeding? (order 146 art. 13(3))"
    )
    suspected_offence: StrictBool = Field(
        description="Is a 交通肇事 or 危险驾驶 offence suspected? (order 146 art. 23)"
    )
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
    late: bool = Field(
        default=False,
        description="Reported after the reporting window (order 146 art. 18): filed as a "
        "late report, and an officer decides whether the case is taken.",
    )
    detail: str | None = Field(
        default=None,
        description="What to tell the driver when not eligible, or when the report is late.",
    )


def occurred_at_in_future(occurred_at: datetime, *, now: datetime) -> str | None:
    """Why ``occurred_at`` cannot be the time of an accident, if it cannot."""
    # A phone's clock may run a little fast; five minutes of grace.
    if (occurred_at - now).total_seconds() > 300:
        return "occurred_at is in the future"
    return None


def is_late(occurred_at: datetime, *, now: datetime, max_age_hours: int) -> bool:
    """Reported after the window (order 146 art. 18: after the parties left the scene)."""
    return (now - occurred_at).total_seconds() > max_age_hours * 3600
