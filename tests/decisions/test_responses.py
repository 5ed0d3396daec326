"""The parties' answers to a decision, and the response deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accident_online.decisions.answers import apply_response_deadlines
from accident_online.kit.time import utc_now

DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


@pytest.fixture
def decided_case(client, queued_case, make_officer):  # type: ignore[no-untyped-def]
    async def make(officer_name: str = "officer.decider") -> dict:
        officer = await make_officer(officer_name)
        case = await queued_case()
        version = (
            await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
        ).json()["version"]
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision", json=DECISION, headers=officer.with_version(version)
        )
        assert decided.status_code == 200, decided.text
        return decided.json()

    return make


async def answer(client, app_headers, case_id, **body):  # type: ignore[no-untyped-def]
    return await client.post(f"/v1/cases/{case_id}/responses", json=body, headers=app_headers)


async def test_all_accept_makes_the_case_accepted(client, app_headers, decided_case) -> None:
    case = await decided_case()

    first = await answer(
        client, app_headers, case["id"], party=0, accepts=True, resolution="insurer_claim"
    )
    second = await answer(
        client, app_headers, case["id"], party=1, accepts=True, resolution="insurer_claim"
    )

    assert first.json()["status"] == "decided"
    assert second.json()["status"] == "accepted"
    assert second.json()["resolution"] == "insurer_claim"
    assert [(r["party"], r["label"]) for r in second.json()["responses"]] == [(0, "甲"), (1, "乙")]


@pytest.mark.parametrize(
    ("choice", "status"), [("mediation", "in_mediation"), ("litigation", "in_litigation")]
)
async def test_a_dispute_goes_where_the_party_chose(
    client, app_headers, decided_case, choice, status
) -> None:
    case = await decided_case()

    disputed = await answer(
        client, app_headers, case["id"], party=1, accepts=False, resolution=choice
    )
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()[
        "items"
    ]

    assert disputed.status_code == 200
    assert disputed.json()["status"] == status
    assert disputed.json()["resolution"] == choice
    types = [e["type"] for e in events]
    assert types[-2] == "case.disputed"
    assert types[-1] == f"case.{choice}_requested"


async def test_second_answer_for_a_party_is_409(client, app_headers, decided_case) -> None:
    case = await decided_case()
    await answer(client, app_headers, case["id"], party=0, accepts=True, resolution="insurer_claim")
    again = await answer(
        client, app_headers, case["id"], party=0, accepts=False, resolution="mediation"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already-answered"


async def test_invalid_answers_are_refused(client, app_headers, decided_case, file_report) -> None:
    case = await decided_case()
    undecided = (await file_report()).json()

    no_party = await answer(
        client, app_headers, case["id"], party=7, accepts=True, resolution="insurer_claim"
    )
    dispute_to_insurer = await answer(
        client, app_headers, case["id"], party=0, accepts=False, resolution="insurer_claim"
    )
    too_early = await answer(
        client, app_headers, undecided["id"], party=0, accepts=True, resolution="insurer_claim"
    )

    assert no_party.status_code == 422
    assert dispute_to_insurer.status_code == 422
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "not-awaiting-answers"


async def test_silence_past_the_deadline_counts_as_acceptance(
    client, app_headers, decided_case, session
) -> None:
    case = await decided_case()
    await answer(client, app_headers, case["id"], party=0, accepts=True, resolution="insurer_claim")

    early = await apply_response_deadlines(session, now=utc_now() + timedelta(hours=71))
    late = await apply_response_deadlines(session, now=utc_now() + timedelta(hours=73))
    await session.commit()
    record = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()[
        "items"
    ]

    assert (early, late) == (0, 1)
    assert record["status"] == "accepted"
    assert [(r["party"], r["by_deadline"]) for r in record["responses"]] == [(0, False), (1, True)]
    deadline = next(e for e in events if e["type"] == "case.response_deadline_passed")
    assert deadline["data"]["parties_deemed_to_accept"] == [1]
    assert deadline["actor"] == "system"


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


async def test_one_housekeeping_pass_settles_every_due_case_on_its_own_answers(
    client, app_headers, decided_case, session
) -> None:
    answered_once = await decided_case()
    silent = await decided_case(officer_name="officer.second")
    await answer(
        client, app_headers, answered_once["id"], party=1, accepts=True, resolution="insurer_claim"
    )

    settled = await apply_response_deadlines(session, now=utc_now() + timedelta(hours=73))
    await session.commit()

    deemed = {}
    for case in (answered_once, silent):
        events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()
        passed = next(e for e in events["items"] if e["type"] == "case.response_deadline_passed")
        deemed[case["id"]] = passed["data"]["parties_deemed_to_accept"]
    assert settled == 2
    assert deemed == {answered_once["id"]: [0], silent["id"]: [0, 1]}
