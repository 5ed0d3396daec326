"""The compensation stage: once liability is final (or agreed), each party says how
compensation is to be settled."""

from __future__ import annotations

import pytest

from accident_online.decisions.schemas import Resolution
from accident_online.disputes.stage import COMPENSATION_PATHS


async def answer(client, app_headers, case_id, **body):  # type: ignore[no-untyped-def]
    return await client.post(f"/v1/cases/{case_id}/responses", json=body, headers=app_headers)


async def test_all_insurer_claims_make_the_case_accepted(client, app_headers, final_case) -> None:
    case = await final_case()

    first = await answer(client, app_headers, case["id"], party=0, resolution="insurer_claim")
    second = await answer(client, app_headers, case["id"], party=1, resolution="insurer_claim")

    assert first.json()["status"] == "final"
    assert second.json()["status"] == "accepted"
    assert second.json()["resolution"] == "insurer_claim"
    assert [(r["party"], r["label"]) for r in second.json()["responses"]] == [(0, "甲"), (1, "乙")]


@pytest.mark.parametrize(
    ("choice", "status"), [("mediation", "in_mediation"), ("litigation", "in_litigation")]
)
async def test_another_choice_goes_where_the_party_chose(
    client, app_headers, final_case, choice, status
) -> None:
    case = await final_case()

    disputed = await answer(client, app_headers, case["id"], party=1, resolution=choice)
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()[
        "items"
    ]

    assert disputed.status_code == 200
    assert disputed.json()["status"] == status
    assert disputed.json()["resolution"] == choice
    types = [e["type"] for e in events]
    assert types[-2] == "case.disputed"
    assert types[-1] == f"case.{choice}_requested"


def test_every_choice_but_an_insurer_claim_has_one_path() -> None:
    assert set(COMPENSATION_PATHS) == set(Resolution) - {Resolution.insurer_claim}
    weights = [path.weight for path in COMPENSATION_PATHS.values()]
    assert len(set(weights)) == len(weights)


async def test_second_answer_for_a_party_is_409(client, app_headers, final_case) -> None:
    case = await final_case()
    await answer(client, app_headers, case["id"], party=0, resolution="insurer_claim")
    again = await answer(client, app_headers, case["id"], party=0, resolution="mediation")
    assert again.status_code == 409
    assert again.json()["code"] == "already-answered"


async def test_invalid_or_early_answers_are_refused(
    client, app_headers, final_case, decided_case
) -> None:
    case = await final_case()
    undelivered = await decided_case(officer_name="officer.second")

    no_party = await answer(client, app_headers, case["id"], party=7, resolution="insurer_claim")
    old_client = await answer(
        client, app_headers, case["id"], party=0, accepts=True, resolution="insurer_claim"
    )
    # Liability decided but not final: the parties' review windows are still open.
    too_early = await answer(
        client, app_headers, undelivered["id"], party=0, resolution="insurer_claim"
    )

    assert no_party.status_code == 422
    assert old_client.status_code == 422
    assert "resolution" in old_client.json()["errors"][0]["msg"]
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "not-awaiting-answers"


async def test_case_settlement_from_decision_and_assessed_losses(
    client, app_headers, decided_case
) -> None:
    case = await decided_case()

    settlement = (
        await client.get(f"/v1/cases/{case['id']}/settlement", headers=app_headers)
    ).json()

    assert settlement["complete"] is False
    assert settlement["awaiting_assessment"] == [0, 1]


async def test_decision_document_is_a_pdf_masked_for_the_reader(
    client, app_headers, admin_headers, decided_case
) -> None:
    import hashlib
    import io
    import json

    from pypdf import PdfReader

    case = await decided_case()
    for_app = await client.get(f"/v1/cases/{case['id']}/decision/document", headers=app_headers)
    for_admin = await client.get(f"/v1/cases/{case['id']}/decision/document", headers=admin_headers)

    assert for_app.status_code == 200
    assert for_app.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(for_app.content)).pages)
    admin_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(for_admin.content)).pages
    )
    assert "道路交通事故认定书" in text
    assert case["number"] in text
    assert "张伟" in text
    assert "371502199001011234" in text
    assert "主要责任（70%）" in text
    assert "次要责任（30%）" in text
    assert "officer.decider" in text
    assert "东昌府区远程定责中心" in text
    assert "第六十条" in text
    digest = for_app.headers["x-verification-hash"]
    assert digest in text.replace("\n", "")
    expected = hashlib.sha256(
        json.dumps(
            {"case_id": case["id"], "number": case["number"], "decision": case["decision"]},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
    ).hexdigest()
    assert digest == expected
    assert "371502199001011234" not in admin_text
    assert "3715**********1234" in admin_text
    assert "张**" not in admin_text
    assert "张*" in admin_text


async def test_no_document_before_a_decision(client, app_headers, file_report) -> None:
    case = (await file_report()).json()
    response = await client.get(f"/v1/cases/{case['id']}/decision/document", headers=app_headers)
    assert response.status_code == 409
