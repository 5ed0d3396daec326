"""Two policies per vehicle, own-damage cover, 交强险 shared by losses, and consent to
互碰自赔 (issue 13; DOMAIN.md "Claim calculation" and "Corrections"): worked examples, pure
and through the API."""

from __future__ import annotations

from decimal import Decimal

from accident_online.settlement.calculation import calculate_settlement
from accident_online.settlement.terms import RULE_SOURCES, SettlementRule, VehicleClaim

COMPULSORY = SettlementRule.COMPULSORY
COMMERCIAL = SettlementRule.COMMERCIAL_THIRD_PARTY
PARTY_LIABLE = SettlementRule.PARTY_LIABLE
OWN_DAMAGE = SettlementRule.OWN_DAMAGE
BORNE = SettlementRule.BORNE_BY_SELF
KNOCK_FOR_KNOCK = SettlementRule.OWN_DAMAGE_KNOCK_FOR_KNOCK


def claim(party: int, share: int, loss: str, **fields: object) -> VehicleClaim:
    values: dict[str, object] = {
        "party": party,
        "share_percent": share,
        "loss": Decimal(loss),
        "compulsory_insured": True,
        "insurer": f"INS{party}",
        "commercial_third_party_cover": None,
        **fields,
    }
    return VehicleClaim(**values)  # type: ignore[arg-type]


def rows(claims: list[VehicleClaim]) -> list[tuple[str, int | None, int, str, SettlementRule]]:
    settlement = calculate_settlement(claims)
    return [
        (x.payer, x.payer_party, x.payee_party, str(x.amount), x.rule) for x in settlement.lines
    ]


def test_worked_example_with_a_second_insurer_and_own_damage_cover() -> None:
    """DOMAIN.md's example, A's commercial policy with PINGAN (third-party and 车损险): A's
    own 700 is paid by its 车损险, not borne; B's 2,100 comes from PINGAN, not PICC."""
    claims = [
        claim(
            0,
            70,
            "3000",
            insurer="PICC",
            commercial_insurer="PINGAN",
            commercial_third_party_cover=Decimal("1000000.00"),
            own_damage=True,
        ),
        claim(1, 30, "5000", insurer="CPIC", commercial_third_party_cover=Decimal("500000.00")),
    ]
    settlement = calculate_settlement(claims)

    assert rows(claims) == [
        ("insurer:CPIC", 1, 0, "2000.00", COMPULSORY),
        ("insurer:CPIC", 1, 0, "300.00", COMMERCIAL),
        ("insurer:PINGAN", 0, 0, "700.00", OWN_DAMAGE),
        ("insurer:PICC", 0, 1, "2000.00", COMPULSORY),
        ("insurer:PINGAN", 0, 1, "2100.00", COMMERCIAL),
        ("party:1", 1, 1, "900.00", BORNE),
    ]
    assert settlement.borne_by(0) == Decimal("0.00")
    assert settlement.paid_to(0) == Decimal("3000.00")
    # What CPIC owes A, PINGAN may advance and recover (代位求偿).
    assert settlement.may_advance(0) == Decimal("2300.00")
    assert settlement.may_advance(1) == Decimal("0.00")
    assert "车损险" in RULE_SOURCES[OWN_DAMAGE]


def test_uninsured_liable_party_pays_within_the_limit_and_the_victims_insurer_may_advance() -> None:
    """SPC interpretation (2020) art. 16: A, fully liable, without 交强险 or cover, pays B's
    loss up to the 2,000 limit itself and the rest as the liable party; B's 车损险 insurer
    may advance all of it and recover it from A."""
    claims = [
        claim(0, 100, "0", compulsory_insured=False, insurer=None),
        claim(1, 0, "3000", insurer="CPIC", own_damage=True),
    ]
    settlement = calculate_settlement(claims)

    assert rows(claims) == [
        ("party:0", 0, 1, "2000.00", COMPULSORY),
        ("party:0", 0, 1, "1000.00", PARTY_LIABLE),
    ]
    assert settlement.borne_by(1) == Decimal("0.00")
    assert settlement.may_advance(1) == Decimal("3000.00")
    assert "art. 16" in RULE_SOURCES[COMPULSORY]


def test_one_compulsory_policy_is_shared_among_victims_by_their_losses() -> None:
    """SPC interpretation (2020) art. 18: A's 2,000 between B (3,000) and C (1,000), 3:1."""
    claims = [
        claim(0, 100, "0", commercial_third_party_cover=Decimal("1000000.00")),
        claim(1, 0, "3000"),
        claim(2, 0, "1000"),
    ]

    assert rows(claims) == [
        ("insurer:INS0", 0, 1, "1500.00", COMPULSORY),
        ("insurer:INS0", 0, 1, "1500.00", COMMERCIAL),
        ("insurer:INS0", 0, 2, "500.00", COMPULSORY),
        ("insurer:INS0", 0, 2, "500.00", COMMERCIAL),
    ]
    assert "art. 18" in RULE_SOURCES[COMPULSORY]
    assert "民法典 art. 1213" in RULE_SOURCES[COMMERCIAL]


def test_knock_for_knock_needs_every_partys_consent() -> None:
    consenting = [
        claim(0, 50, "1500", knock_for_knock_consent=True),
        claim(1, 50, "1800", knock_for_knock_consent=True),
    ]
    one_refuses = [consenting[0], claim(1, 50, "1800", knock_for_knock_consent=False)]

    assert calculate_settlement(consenting).method == "knock_for_knock"
    assert rows(consenting) == [
        ("insurer:INS0", 0, 0, "1500.00", KNOCK_FOR_KNOCK),
        ("insurer:INS1", 1, 1, "1800.00", KNOCK_FOR_KNOCK),
    ]
    assert calculate_settlement(one_refuses).method == "standard"


TWO_POLICIES = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "vehicles": [
        {
            "party": 0,
            "loss": "3000.00",
            "insurer": "PICC",
            "commercial_insurer": "PINGAN",
            "commercial_third_party_cover": "1000000.00",
            "own_damage": True,
        },
        {
            "party": 1,
            "loss": "5000.00",
            "insurer": "CPIC",
            "commercial_third_party_cover": "500000.00",
        },
    ],
}


async def test_two_policies_through_the_api(client, officer_headers) -> None:
    response = await client.post(
        "/v1/settlements/calculate", json=TWO_POLICIES, headers=officer_headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    commercial_to_b = [
        line
        for line in body["lines"]
        if line["rule"] == "commercial_third_party" and line["payee_party"] == 1
    ]
    assert [(line["payer"], line["amount"]) for line in commercial_to_b] == [
        ("insurer:PINGAN", "2100.00")
    ]
    totals = {p["party"]: p for p in body["parties"]}
    assert totals[0]["borne_by"] == "0.00"
    assert totals[0]["own_insurer_may_advance"] == "2300.00"
    assert totals[1]["borne_by"] == "900.00"


async def test_knock_for_knock_consent_through_the_api(client, officer_headers) -> None:
    def body(*consents: bool) -> dict[str, object]:
        return {
            "liabilities": [{"party": 0, "grade": "equal"}, {"party": 1, "grade": "equal"}],
            "vehicles": [
                {"party": i, "loss": "1200.00", "insurer": f"INS{i}", "knock_for_knock_consent": c}
                for i, c in enumerate(consents)
            ],
        }

    agreed = await client.post(
        "/v1/settlements/calculate", json=body(True, True), headers=officer_headers
    )
    refused = await client.post(
        "/v1/settlements/calculate", json=body(True, False), headers=officer_headers
    )

    assert agreed.json()["method"] == "knock_for_knock"
    assert refused.json()["method"] == "standard"
