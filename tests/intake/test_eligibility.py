from dataclasses import replace
from typing import Any

import pytest

from accident_online.intake.eligibility import (
    ANSWER_FIELDS,
    ELIGIBILITY_RULES,
    NOT_ELIGIBLE_ADVICE,
    NOT_ONLINE_ADVICE,
    EligibilityAnswers,
    check_eligibility,
    needs_police_at_scene,
    refusal_advice,
)
from accident_online.intake.schemas import EXAMPLE_REPORT, ReportCreate

ALL_GOOD = EligibilityAnswers(
    injuries=False,
    all_vehicles_drivable=True,
    alcohol_or_drugs=False,
    all_drivers_licensed=True,
    all_vehicles_registered=True,
    all_vehicles_insured=True,
    party_fled=False,
    public_property_damage=False,
    hazardous_goods=False,
    school_bus_overload_speeding=False,
    suspected_offence=False,
    deliberate=False,
    vehicle_count=2,
)

DOMAIN_CODES = (
    "injuries",
    "vehicle_not_drivable",
    "single_vehicle",
    "unlicensed_driver",
    "alcohol_or_drugs",
    "unregistered_vehicle",
    "uninsured",
    "party_fled",
    "public_property_damage",
    "hazardous_goods",
    "school_bus_overload_speeding",
    "suspected_offence",
    "deliberate",
)
# DOMAIN.md "Eligibility" and "Corrections (2026-12-01)": each code's source, as the code
# must carry it.
DOMAIN_SOURCES = {
    "single_vehicle": "互联网在线快速处理工作规范（试行）art. 5",
    "hazardous_goods": "互联网在线快速处理工作规范（试行）art. 6(2)",
    "school_bus_overload_speeding": "order 146 art. 13(3)",
    "suspected_offence": "order 146 art. 23",
    "uninsured": "order 146 art. 14",
    "public_property_damage": "order 146 art. 14",
}
# Reasons that need the police at the scene (order 146 art. 13, art. 23; injuries); the
# others are reported offline without waiting at the scene (art. 14; the 规范's scope).
AT_SCENE = {
    "injuries": True,
    "vehicle_not_drivable": True,
    "single_vehicle": False,
    "unlicensed_driver": True,
    "alcohol_or_drugs": True,
    "unregistered_vehicle": True,
    "uninsured": False,
    "party_fled": True,
    "public_property_damage": False,
    "hazardous_goods": True,
    "school_bus_overload_speeding": True,
    "suspected_offence": True,
    "deliberate": True,
}


def test_all_good_is_eligible() -> None:
    result = check_eligibility(ALL_GOOD)
    assert result.eligible
    assert result.reasons == ()


@pytest.mark.parametrize("vehicle_count", [2, 3, 7])
def test_two_or_more_vehicles_are_eligible(vehicle_count: int) -> None:
    assert check_eligibility(replace(ALL_GOOD, vehicle_count=vehicle_count)).eligible


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"injuries": True}, "injuries"),
        ({"all_vehicles_drivable": False}, "vehicle_not_drivable"),
        ({"vehicle_count": 1}, "single_vehicle"),
        ({"vehicle_count": 0}, "single_vehicle"),
        ({"all_drivers_licensed": False}, "unlicensed_driver"),
        ({"alcohol_or_drugs": True}, "alcohol_or_drugs"),
        ({"all_vehicles_registered": False}, "unregistered_vehicle"),
        ({"all_vehicles_insured": False}, "uninsured"),
        ({"party_fled": True}, "party_fled"),
        ({"public_property_damage": True}, "public_property_damage"),
        ({"hazardous_goods": True}, "hazardous_goods"),
        ({"school_bus_overload_speeding": True}, "school_bus_overload_speeding"),
        ({"suspected_offence": True}, "suspected_offence"),
        ({"deliberate": True}, "deliberate"),
    ],
)
def test_each_rule_fails_alone(change: dict[str, Any], code: str) -> None:
    result = check_eligibility(replace(ALL_GOOD, **change))
    assert not result.eligible
    assert result.reasons == (code,)


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        (
            {"deliberate": True, "injuries": True, "all_vehicles_insured": False},
            ("injuries", "uninsured", "deliberate"),
        ),
        (
            {"vehicle_count": 1, "all_vehicles_drivable": False, "party_fled": True},
            ("vehicle_not_drivable", "single_vehicle", "party_fled"),
        ),
    ],
)
def test_several_failures_are_all_listed_in_table_order(
    change: dict[str, Any], codes: tuple[str, ...]
) -> None:
    result = check_eligibility(replace(ALL_GOOD, **change))
    assert not result.eligible
    assert result.reasons == codes


def test_everything_wrong_lists_every_code() -> None:
    all_bad = EligibilityAnswers(
        injuries=True,
        all_vehicles_drivable=False,
        alcohol_or_drugs=True,
        all_drivers_licensed=False,
        all_vehicles_registered=False,
        all_vehicles_insured=False,
        party_fled=True,
        public_property_damage=True,
        hazardous_goods=True,
        school_bus_overload_speeding=True,
        suspected_offence=True,
        deliberate=True,
        vehicle_count=1,
    )
    assert check_eligibility(all_bad).reasons == DOMAIN_CODES


def test_table_has_the_domain_codes_in_order() -> None:
    assert tuple(rule.code for rule in ELIGIBILITY_RULES) == DOMAIN_CODES


@pytest.mark.parametrize("rule", ELIGIBILITY_RULES, ids=lambda rule: rule.code)
def test_each_rule_names_its_source(rule: Any) -> None:
    assert rule.source.strip()
    assert rule.description.strip()
    if rule.code in DOMAIN_SOURCES:
        assert DOMAIN_SOURCES[rule.code] in rule.source
    # DOMAIN.md "Corrections": 实施条例 art. 87 is about pedestrians, not this rule.
    assert "art. 87" not in rule.source
    assert "Shandong rules" not in rule.source or rule.code == "party_fled"


@pytest.mark.parametrize("code", DOMAIN_CODES)
def test_only_reasons_that_need_the_police_at_the_scene_say_stay_and_call_122(code: str) -> None:
    assert needs_police_at_scene([code]) is AT_SCENE[code]
    advice = refusal_advice([code])
    if AT_SCENE[code]:
        assert advice == NOT_ELIGIBLE_ADVICE
    else:
        assert advice == NOT_ONLINE_ADVICE
        assert "Stay at the scene" not in advice
        assert "留在现场" not in advice
        assert "122" in advice  # reported to the police all the same, offline


def test_one_reason_needing_the_police_at_the_scene_is_enough() -> None:
    assert refusal_advice(["uninsured", "suspected_offence"]) == NOT_ELIGIBLE_ADVICE
    assert refusal_advice(["single_vehicle", "uninsured"]) == NOT_ONLINE_ADVICE


def test_advice_tells_the_driver_to_stay_and_call_122() -> None:
    assert "122" in NOT_ELIGIBLE_ADVICE
    assert "现场" in NOT_ELIGIBLE_ADVICE
    assert "Stay at the scene" in NOT_ELIGIBLE_ADVICE


def test_the_report_asks_exactly_the_twelve_questions_the_rules_read() -> None:
    report = ReportCreate.model_validate(EXAMPLE_REPORT)
    # determination_requested is the parties' joint request (order 146 art. 19), not a rule.
    asked = {
        name
        for name, value in report.model_dump().items()
        if isinstance(value, bool) and name != "determination_requested"
    }

    assert len(ANSWER_FIELDS) == 12
    assert asked == set(ANSWER_FIELDS)
    assert report.eligibility_answers() == EligibilityAnswers(
        **{name: EXAMPLE_REPORT[name] for name in ANSWER_FIELDS}, vehicle_count=2
    )
