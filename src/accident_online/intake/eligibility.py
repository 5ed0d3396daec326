"""Who may report online: only minor accidents that need no officer at the scene.

The rule table follows DOMAIN.md "Eligibility" and "Corrections (2026-12-01)"; each code
is stable because the app maps it to what it tells the driver. A rule whose failure needs
the police at the scene (order 146 art. 13: keep the scene and report at once) makes the
advice "stay safe at the scene, call 122"; the others (art. 14: fix the evidence, move
the vehicles aside, then report; or simply not an online case) make the advice to report
offline. The questions a driver answers are this module's ``ANSWER_FIELDS``: the one
list of them.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Final

from accident_online.kit.i18n import CHINESE, Message, _, translate


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
    school_bus_overload_speeding: bool
    suspected_offence: bool
    deliberate: bool
    vehicle_count: int


# The questions a driver answers, by name: ReportCreate declares each of them, and
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
    # Whether the police must come to the scene (order 146 art. 13, art. 23; injuries).
    at_scene: bool = True


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
        # Vehicle against vehicle only (DOMAIN.md "Corrections": not 实施条例 art. 87,
        # which is about non-motor vehicles and pedestrians).
        source="道路交通事故互联网在线快速处理工作规范（试行）art. 5",
        fails=lambda answers: answers.vehicle_count < 2,
        at_scene=False,
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
        # Art. 14: fix the evidence, move the vehicles out of the way, then report.
        at_scene=False,
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
        at_scene=False,
    ),
    EligibilityRule(
        code="hazardous_goods",
        description="no vehicle carries hazardous goods",
        source="道路交通事故互联网在线快速处理工作规范（试行）art. 6(2)",
        fails=lambda answers: answers.hazardous_goods,
    ),
    EligibilityRule(
        code="school_bus_overload_speeding",
        description=(
            "no suspected school-bus operation, passenger over-capacity or severe speeding"
        ),
        source="order 146 art. 13(3)",
        fails=lambda answers: answers.school_bus_overload_speeding,
    ),
    EligibilityRule(
        code="suspected_offence",
        description="no suspected 交通肇事 or 危险驾驶 offence",
        # Such a case is not handled by the simple procedure.
        source="order 146 art. 23",
        fails=lambda answers: answers.suspected_offence,
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
# Order 146 art. 14 and the 规范's scope: no officer need come, but the case is not one for
# the online platform.
NOT_ONLINE = _(
    "This accident cannot be handled online. Where it is safe, take photos of the scene, "
    "move the vehicles out of the traffic, and then report it to the traffic police (call "
    "122 or go to a traffic police office)."
)


def _both(message: Message) -> str:
    # Shown to the driver as it is, whatever the app asked for: Chinese first, then
    # English. (The not-eligible problem follows Accept-Language.)
    return f"{translate(message, CHINESE)} {message}"


NOT_ELIGIBLE_ADVICE: Final = _both(NOT_ELIGIBLE)
NOT_ONLINE_ADVICE: Final = _both(NOT_ONLINE)
_RULES_BY_CODE: Final = {rule.code: rule for rule in ELIGIBILITY_RULES}


def check_eligibility(answers: EligibilityAnswers) -> EligibilityResult:
    """Evaluate every rule, not just the first failure, so the app can name all of them."""
    reasons = tuple(rule.code for rule in ELIGIBILITY_RULES if rule.fails(answers))
    return EligibilityResult(eligible=not reasons, reasons=reasons)


def needs_police_at_scene(reasons: tuple[str, ...] | list[str]) -> bool:
    """Whether any of these failed rules needs the police at the scene."""
    return any(_RULES_BY_CODE[code].at_scene for code in reasons)


def refusal_message(reasons: tuple[str, ...] | list[str]) -> Message:
    """What the not-eligible problem tells the driver: "stay safe, call 122" only for
    reasons that need the police at the scene."""
    return NOT_ELIGIBLE if needs_police_at_scene(reasons) else NOT_ONLINE


def refusal_advice(reasons: tuple[str, ...] | list[str]) -> str:
    return NOT_ELIGIBLE_ADVICE if needs_police_at_scene(reasons) else NOT_ONLINE_ADVICE
