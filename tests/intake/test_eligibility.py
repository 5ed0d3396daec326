from dataclasses import replace
from typing import Any

import pytest

from accident_online.intake.eligibility import (
    ANSWER_FIELDS,
    ELIGIBILITY_RULES,
    NOT_ELIGIBLE_ADVICE,
    EligibilityAnswers,
    check_eligibility,
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
    "deliberate",
)


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


def test_advice_tells_the_driver_to_stay_and_call_122() -> None:
    assert "122" in NOT_ELIGIBLE_ADVICE
    assert "现场" in NOT_ELIGIBLE_ADVICE
    assert "Stay at the scene" in NOT_ELIGIBLE_ADVICE


def test_the_report_asks_exactly_the_ten_questions_the_rules_read() -> None:
    report = ReportCreate.model_validate(EXAMPLE_REPORT)
    asked = {name for name, value in report.model_dump().items() if isinstance(value, bool)}

    assert len(ANSWER_FIELDS) == 10
    assert asked == set(ANSWER_FIELDS)
    assert report.eligibility_answers() == EligibilityAnswers(
        **{name: EXAMPLE_REPORT[name] for name in ANSWER_FIELDS}, vehicle_count=2
    )
