"""Who may report online: only minor accidents that need no officer at the scene.

The rule table follows DOMAIN.md "Eligibility"; each code is stable because the app
maps it to what it tells the driver.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Final

from accident_online.kit.i18n import CHINESE, _, translate


@dataclass(frozen=True, kw_only=True)
class EligibilityAnswers:
    """The drivers' own answers, plus the vehicle count the service checks itself."""

    injuries: bool
    all_vehicles_drivable: bool
    alcohol_or_drugs: bool
    all_drivers_licensed: bool
    all_vehicles_registered: bool
    all_vehicles_insured: bool
    party_fled: bool
    public_property_damage: bool
    hazardous_goods: bool
    deliberate: bool
    vehicle_count: int


# The ten questions a driver answers, by name: ReportCreate declares each of them, and
# intake stores them with the case (``report.model_dump(include=set(ANSWER_FIELDS))``).
ANSWER_FIELDS: Final = tuple(
    field.name for field in fields(EligibilityAnswers) if field.name != "vehicle_count"
)


@dataclass(frozen=True)
class EligibilityRule:
    code: str
    description: str
    source: str
    fails: Callable[[EligibilityAnswers], bool]


@dataclass(frozen=True)
class EligibilityResult:
    eligible: bool
    reasons: tuple[str, ...]


ELIGIBILITY_RULES: Final[tuple[EligibilityRule, ...]] = (
    EligibilityRule(
        code="injuries",
        description="nobody injured or dead",
        source="Road Traffic Safety Law (道路交通安全法) art. 70; seed",
        fails=lambda answers: answers.injuries,
    ),
    EligibilityRule(
        code="vehicle_not_drivable",
        description="every vehicle can still be driven",
        source="道路交通事故处理程序规定 (MPS order 146) art. 13",
        fails=lambda answers: not answers.all_vehicles_drivable,
    ),
    EligibilityRule(
        code="single_vehicle",
        description=(
            "at least two motor vehicles (single-vehicle accidents, pedestrians and "
            "non-motor vehicles go offline)"
        ),
        source="Shandong quick-handling rules; 实施条例 art. 87",
        fails=lambda answers: answers.vehicle_count < 2,
    ),
    EligibilityRule(
        code="unlicensed_driver",
        description="every driver holds a valid licence for that vehicle class",
        source="order 146 art. 13",
        fails=lambda answers: not answers.all_drivers_licensed,
    ),
    EligibilityRule(
        code="alcohol_or_drugs",
        description="no driver is suspected of drinking or drugs",
        source="order 146 art. 13",
        fails=lambda answers: answers.alcohol_or_drugs,
    ),
    EligibilityRule(
        code="unregistered_vehicle",
        description=(
            "every vehicle has a plate (no missing or forged plate) and an inspection mark"
        ),
        source="order 146 art. 13, 14",
        fails=lambda answers: not answers.all_vehicles_registered,
    ),
    EligibilityRule(
        code="uninsured",
        description="every vehicle has compulsory insurance (交强险)",
        source="order 146 art. 14",
        fails=lambda answers: not answers.all_vehicles_insured,
    ),
    EligibilityRule(
        code="party_fled",
        description="no party has left the scene",
        source="order 146 art. 13; Shandong rules",
        fails=lambda answers: answers.party_fled,
    ),
    EligibilityRule(
        code="public_property_damage",
        description="no building, road, power or telecom facility was hit",
        source="order 146 art. 14; 实施条例 art. 88",
        fails=lambda answers: answers.public_property_damage,
    ),
    EligibilityRule(
        code="hazardous_goods",
        description="no vehicle carries hazardous goods",
        source="Shandong rules",
        fails=lambda answers: answers.hazardous_goods,
    ),
    EligibilityRule(
        code="deliberate",
        description="no suspicion of a deliberate act",
        source="order 146 art. 13",
        fails=lambda answers: answers.deliberate,
    ),
)

NOT_ELIGIBLE: Final = _(
    "This accident cannot be handled online. Stay at the scene, switch on your hazard "
    "lights and set up a warning triangle facing oncoming traffic, keep yourself safe, and "
    "call 122 for the traffic police now; if anyone is hurt, also call 120."
)
# The eligibility answer is shown to the driver as it is, whatever the app asked for:
# Chinese first, then English. (The not-eligible problem follows Accept-Language.)
NOT_ELIGIBLE_ADVICE: Final = f"{translate(NOT_ELIGIBLE, CHINESE)} {NOT_ELIGIBLE}"


def check_eligibility(answers: EligibilityAnswers) -> EligibilityResult:
    """Evaluate every rule, not just the first failure, so the app can name all of them."""
    reasons = tuple(rule.code for rule in ELIGIBILITY_RULES if rule.fails(answers))
    return EligibilityResult(eligible=not reasons, reasons=reasons)
