"""Late reports (order 146 art. 18) at the officer's desk, through the API on both
databases: a late case is taken (then decided as usual) or referred offline; statistics
and metrics count late reports and the refused reports' reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DECISION = {
    "liabilities": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
    "facts": "乙车变更车道时与甲车刮擦。",
    "legal_basis": "《道路交通事故处理程序规定》第六十条",
}


def late_body(report_body, settings) -> dict:  # type: ignore[no-untyped-def]
    hours = settings.report_max_age_hours + 6
    return report_body(occurred_at=(datetime.now(UTC) - timedelta(hours=hours)).isoformat())


async def claimed(client, case, officer) -> dict:  # type: ignore[no-untyped-def]
    response = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_taken_late_report_goes_on_as_usual(
    client, queued_case, make_officer, report_body, settings, app_headers
) -> None:
    officer = await make_officer("officer.late")
    case = await queued_case(late_body(report_body, settings))
    held = await claimed(client, case, officer)
    path = f"/v1/cases/{case['id']}"

    too_soon = await client.post(
        f"{path}/decision", json=DECISION, headers=officer.with_version(held["version"])
    )
    taken = await client.post(
        f"{path}/late-report", json={"take": True}, headers=officer.with_version(held["version"])
    )
    again = await client.post(
        f"{path}/late-report",
        json={"take": True},
        headers=officer.with_version(taken.json()["version"]),
    )
    decided = await client.post(
        f"{path}/decision", json=DECISION, headers=officer.with_version(taken.json()["version"])
    )

    assert too_soon.status_code == 409
    assert too_soon.json()["code"] == "late-report-not-taken"
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "under_review"
    assert taken.json()["late_report"]["taken_at"] is not None
    assert taken.headers["etag"] == f'"{taken.json()["version"]}"'
    assert again.status_code == 409
    assert again.json()["code"] == "late-report-already-taken"
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "decided"
    events = (await client.get(f"{path}/events", headers=app_headers)).json()["items"]
    assert "case.late_report_taken" in [event["type"] for event in events]


async def test_a_late_report_not_taken_is_referred_offline_with_the_reason(
    client, queued_case, make_officer, report_body, settings
) -> None:
    officer = await make_officer("officer.late")
    case = await queued_case(late_body(report_body, settings))
    held = await claimed(client, case, officer)
    path = f"/v1/cases/{case['id']}/late-report"
    headers = officer.with_version(held["version"])

    no_reason = await client.post(path, json={"take": False}, headers=headers)
    referred = await client.post(
        path, json={"take": False, "reason": "撤离现场后无法核实事故经过"}, headers=headers
    )

    assert no_reason.status_code == 422
    assert referred.status_code == 200, referred.text
    assert referred.json()["status"] == "referred_offline"
    assert referred.json()["referral_reason"] == "撤离现场后无法核实事故经过"


async def test_a_case_reported_in_time_has_no_late_decision(
    client, queued_case, make_officer
) -> None:
    officer = await make_officer("officer.late")
    case = await queued_case()
    held = await claimed(client, case, officer)

    answer = await client.post(
        f"/v1/cases/{case['id']}/late-report",
        json={"take": True},
        headers=officer.with_version(held["version"]),
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "not-a-late-report"


async def test_stats_and_metrics_count_late_reports_and_exclusions(
    client, file_report, report_body, settings, admin_headers, make_officer
) -> None:
    await file_report(late_body(report_body, settings))
    await file_report(report_body(suspected_offence=True), key="refused-1")
    await file_report(report_body(suspected_offence=True), key="refused-1")  # a retry: once
    await file_report(
        report_body(school_bus_overload_speeding=True, injuries=True), key="refused-2"
    )
    elsewhere = report_body(suspected_offence=True)
    elsewhere["location"]["district"] = "371581"  # type: ignore[index]  (临清市)
    await file_report(elsewhere, key="refused-3")
    officer = await make_officer("officer.stats")  # 东昌府区

    as_admin = (await client.get("/v1/stats", headers=admin_headers)).json()
    as_officer = (await client.get("/v1/stats", headers=officer.headers)).json()
    metrics = (await client.get("/metrics")).text

    assert as_admin["overall"]["late_reports"] == 1
    assert as_admin["overall"]["late_reports_taken"] == 0
    dcf = next(c for c in as_admin["centers"] if c["center_id"] == "dongchangfu")
    assert dcf["late_reports"] == 1
    assert as_admin["refusals"]["reports"] == 3
    by_reason = as_admin["refusals"]["by_reason"]
    assert by_reason["suspected_offence"] == 2
    assert by_reason["school_bus_overload_speeding"] == 1
    assert by_reason["injuries"] == 1
    assert by_reason["deliberate"] == 0
    assert as_officer["refusals"]["reports"] == 2
    assert as_officer["refusals"]["by_reason"]["suspected_offence"] == 1
    assert 'accident_online_late_reports{center="dongchangfu",taken="false"} 1.0' in metrics
    assert "accident_online_refused_reports_total 3.0" in metrics
    assert 'accident_online_refused_report_reasons_total{reason="suspected_offence"} 2.0' in metrics
    assert (
        'accident_online_refused_report_reasons_total{reason="school_bus_overload_speeding"} 1.0'
        in metrics
    )
