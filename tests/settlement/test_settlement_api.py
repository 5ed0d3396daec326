"""POST /v1/settlements/calculate and GET /v1/cases/{id}/settlement."""

from __future__ import annotations

WORKED_EXAMPLE = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
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


def paid(lines: list[dict], *, to: int, rule: str) -> str:
    amounts = [
        line["amount"] for line in lines if line["payee_party"] == to and line["rule"] == rule
    ]
    assert len(amounts) == 1, (to, rule, lines)
    return amounts[0]


async def test_domain_worked_example_through_the_api(client, officer_headers) -> None:
    response = await client.post(
        "/v1/settlements/calculate", json=WORKED_EXAMPLE, headers=officer_headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "standard"
    lines = body["lines"]
    # B's loss: A's 交强险 2,000; A's third-party cover 3,000 × 70 % = 2,100; B bears 900.
    assert paid(lines, to=1, rule="compulsory") == "2000.00"
    assert paid(lines, to=1, rule="commercial_third_party") == "2100.00"
    assert paid(lines, to=1, rule="borne_by_self") == "900.00"
    # A's loss: B's 交强险 2,000; B's third-party cover 1,000 × 30 % = 300; A bears 700.
    assert paid(lines, to=0, rule="compulsory") == "2000.00"
    assert paid(lines, to=0, rule="commercial_third_party") == "300.00"
    assert paid(lines, to=0, rule="borne_by_self") == "700.00"
    assert all(line["source"] for line in lines)
    totals = {p["party"]: p for p in body["parties"]}
    assert totals[0] == {
        "party": 0,
        "loss": "3000.00",
        "paid_to": "2300.00",
        "borne_by": "700.00",
        "own_insurer_may_advance": "0.00",
    }


async def test_invalid_inputs_are_422(client, officer_headers) -> None:
    bad_pair = {
        **WORKED_EXAMPLE,
        "liabilities": [{"party": 0, "grade": "full"}, {"party": 1, "grade": "full"}],
    }
    bad_money = {
        **WORKED_EXAMPLE,
        "vehicles": [
            {**WORKED_EXAMPLE["vehicles"][0], "loss": "-1"},
            WORKED_EXAMPLE["vehicles"][1],
        ],
    }
    bad_parties = {
        **WORKED_EXAMPLE,
        "vehicles": [WORKED_EXAMPLE["vehicles"][0], {**WORKED_EXAMPLE["vehicles"][1], "party": 5}],
    }
    for body in (bad_pair, bad_money, bad_parties):
        response = await client.post(
            "/v1/settlements/calculate", json=body, headers=officer_headers
        )
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_anonymous_may_not_calculate(client) -> None:
    response = await client.post("/v1/settlements/calculate", json=WORKED_EXAMPLE)
    assert response.status_code == 401


async def test_case_settlement_needs_a_decision(client, file_report, app_headers) -> None:
    case = (await file_report()).json()
    response = await client.get(f"/v1/cases/{case['id']}/settlement", headers=app_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "no-decision-yet"
