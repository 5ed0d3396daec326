"""Confirmations, corrections, deliveries and review requests through the API, and the
housekeeping that expires unconfirmed cases and flags overdue determinations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accident_online.determinations.confirmations import expire_unconfirmed
from accident_online.kit.time import utc_now
from accident_online_testing.road import deliver_to_every_party


async def post(client, headers, path, **body):  # type: ignore[no-untyped-def]
    return await client.post(path, json=body, headers=headers)


async def test_a_correction_before_the_decision_asks_that_party_again(
    client, app_headers, queued_case, confirm_parties
) -> None:
    case = await queued_case()
    path = f"/v1/cases/{case['id']}"

    corrected = await client.patch(
        f"{path}/parties/1", json={"plate": "鲁P54321", "phone": "13905350009"}, headers=app_headers
    )
    same_plate = await client.patch(
        f"{path}/parties/1", json={"plate": case["parties"][0]["plate"]}, headers=app_headers
    )
    bad_plate = await client.patch(
        f"{path}/parties/1", json={"plate": "XX12345"}, headers=app_headers
    )
    nothing = await client.patch(f"{path}/parties/1", json={}, headers=app_headers)
    no_party = await client.patch(
        f"{path}/parties/5", json={"plate": "鲁P11111"}, headers=app_headers
    )
    events = (await client.get(f"{path}/events", headers=app_headers)).json()["items"]

    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["status"] == "awaiting_evidence"
    assert corrected.json()["missing_confirmations"] == [1]
    assert corrected.json()["parties"][1]["plate"] == "鲁P54321"
    change = next(e for e in events if e["type"] == "case.corrected")
    assert change["data"]["party"] == 1
    assert change["data"]["previous"]["plate"] == case["parties"][1]["plate"]
    assert change["data"]["previous"]["phone"] == "159****0002"
    assert [e["type"] for e in events][-1] == "case.reconfirmation_requested"
    assert (same_plate.status_code, bad_plate.status_code, nothing.status_code) == (422, 422, 422)
    assert no_party.status_code == 404
    requeued = await confirm_parties(case, [1])
    assert requeued.json()["status"] == "queued"


async def test_after_the_decision_corrections_and_confirmations_are_409(
    client, app_headers, decided_case
) -> None:
    case = await decided_case()
    path = f"/v1/cases/{case['id']}"

    corrected = await client.patch(
        f"{path}/parties/1", json={"plate": "鲁P54321"}, headers=app_headers
    )
    confirmed = await post(
        client,
        app_headers,
        f"{path}/confirmations",
        party=0,
        method="sms_code",
        confirmed_at=datetime.now(UTC).isoformat(),
    )

    assert (corrected.status_code, corrected.json()["code"]) == (409, "already-decided")
    assert (confirmed.status_code, confirmed.json()["code"]) == (409, "already-decided")


async def test_a_party_confirms_once_and_not_from_the_future(
    client, app_headers, file_report, confirm_parties
) -> None:
    case = (await file_report()).json()
    path = f"/v1/cases/{case['id']}/confirmations"
    await confirm_parties(case, [0])

    again = await post(
        client, app_headers, path, party=0, method="sms_code", confirmed_at=utc_now().isoformat()
    )
    future = await post(
        client,
        app_headers,
        path,
        party=1,
        method="sms_code",
        confirmed_at=(utc_now() + timedelta(hours=1)).isoformat(),
    )
    unknown = await post(
        client, app_headers, path, party=4, method="sms_code", confirmed_at=utc_now().isoformat()
    )

    assert (again.status_code, again.json()["code"]) == (409, "already-confirmed")
    assert future.status_code == 422
    assert unknown.status_code == 422


async def test_receipts_record_signatures_and_refusals_once(
    client, app_headers, decided_case
) -> None:
    case = await decided_case()
    path = f"/v1/cases/{case['id']}/receipts"
    now = utc_now().isoformat()

    unnoted = await post(client, app_headers, path, party=1, received_at=now, signed=False)
    refused = await post(
        client, app_headers, path, party=1, received_at=now, signed=False, refusal_note="拒绝签名"
    )
    again = await post(client, app_headers, path, party=1, received_at=now, signed=True)
    before = await post(
        client,
        app_headers,
        path,
        party=0,
        received_at=(utc_now() - timedelta(days=1)).isoformat(),
        signed=True,
    )

    assert unnoted.status_code == 422
    assert refused.status_code == 201, refused.text
    assert refused.json()["status"] == "decided"
    assert refused.json()["receipts"][0]["refusal_note"] == "拒绝签名"
    assert (again.status_code, again.json()["code"]) == (409, "already-received")
    assert before.status_code == 422


async def test_a_party_that_waived_review_cannot_ask_for_one(
    client, app_headers, decided_case
) -> None:
    case = await decided_case()
    await deliver_to_every_party(client, case, app_headers, parties=[0])

    waived = await post(
        client, app_headers, f"/v1/cases/{case['id']}/review-requests", party=0, reason="有异议。"
    )

    assert (waived.status_code, waived.json()["code"]) == (422, "review-window-closed")


async def test_a_case_some_party_never_confirms_expires(
    client, app_headers, file_report, confirm_parties, session
) -> None:
    unconfirmed = (await file_report()).json()
    await confirm_parties(unconfirmed, [0])

    early = await expire_unconfirmed(session, now=utc_now(), expiry=timedelta(hours=24))
    late = await expire_unconfirmed(
        session, now=utc_now() + timedelta(hours=25), expiry=timedelta(hours=24)
    )
    await session.commit()
    record = (await client.get(f"/v1/cases/{unconfirmed['id']}", headers=app_headers)).json()
    events = (
        await client.get(f"/v1/cases/{unconfirmed['id']}/events", headers=app_headers)
    ).json()["items"]

    assert (early, late) == (0, 1)
    assert record["status"] == "expired"
    assert events[-1]["type"] == "case.expired"
    assert events[-1]["data"]["missing_confirmations"] == [1]


async def test_an_overdue_determination_is_flagged_in_the_queue_and_the_stats(
    client, queued_case, officer_headers, admin_headers, session
) -> None:
    from sqlmodel import update

    from accident_online.models.case import Case

    case = await queued_case()
    await session.exec(  # type: ignore[call-overload]
        update(Case)
        .where(Case.number == case["number"])
        .values(determination_due_at=utc_now() - timedelta(minutes=1))
    )
    await session.commit()

    queue = (await client.get("/v1/centers/dongchangfu/queue", headers=officer_headers)).json()
    stats = (await client.get("/v1/stats", headers=admin_headers)).json()
    metrics = (await client.get("/metrics")).text

    assert queue["items"][0]["determination_overdue"] is True
    assert stats["overall"]["overdue_determinations"] == 1
    assert 'accident_online_overdue_determinations{center="dongchangfu"} 1.0' in metrics
