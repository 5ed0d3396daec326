"""GET /v1/stats with known data, computed in SQL on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from accident_online.models.case import Case, CaseStatus

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def case(
    center: str, *, minutes: float | None, referred: bool = False, reported: datetime = T0
) -> Case:
    return Case(
        id=uuid.uuid4(),
        number=f"LC-{uuid.uuid4().hex[:12]}",
        status=CaseStatus.referred_offline
        if referred
        else (CaseStatus.decided if minutes is not None else CaseStatus.queued),
        center_id=center,
        home_center_id=center,
        routing_reason="jurisdiction",
        filed_by_partner_id="app-lc",
        occurred_at=reported - timedelta(minutes=5),
        reported_at=reported,
        queued_at=reported,
        decided_at=reported + timedelta(minutes=minutes) if minutes is not None else None,
        latitude=36.45,
        longitude=115.98,
        address="聊城",
        district="371502",
        eligibility_answers={},
    )


async def test_stats_per_center_and_overall(
    client, session, make_partner, admin_headers, make_officer
) -> None:
    await make_partner("app-lc", kind="app")
    # dongchangfu: decided after 10, 20, 30, 40 and 50 minutes; one referred; one queued.
    rows = [case("dongchangfu", minutes=m) for m in (10, 20, 30, 40, 50)]
    rows += [case("dongchangfu", minutes=None, referred=True), case("dongchangfu", minutes=None)]
    # linqing: decided after 5 minutes; one referred.
    rows += [case("linqing", minutes=5), case("linqing", minutes=None, referred=True)]
    # Outside the range: not counted.
    rows += [case("linqing", minutes=1, reported=T0 - timedelta(days=60))]
    session.add_all(rows)
    await session.commit()
    officer = await make_officer("officer.stats", center_id="linqing")
    params = {
        "since": (T0 - timedelta(days=1)).isoformat(),
        "until": (T0 + timedelta(days=1)).isoformat(),
    }

    as_admin = (await client.get("/v1/stats", params=params, headers=admin_headers)).json()
    as_officer = (await client.get("/v1/stats", params=params, headers=officer.headers)).json()

    centers = {c["center_id"]: c for c in as_admin["centers"]}
    dcf = centers["dongchangfu"]
    assert (dcf["reports"], dcf["decided_online"], dcf["referred_offline"]) == (7, 5, 1)
    assert dcf["share_online"] == round(5 / 6, 4)
    assert dcf["minutes_to_decision_median"] == 30.0
    assert dcf["minutes_to_decision_p90"] == 50.0
    assert dcf["queue_depth"] == 1
    assert centers["zones"]["reports"] == 0
    assert centers["zones"]["share_online"] is None
    overall = as_admin["overall"]
    assert (overall["reports"], overall["decided_online"], overall["referred_offline"]) == (9, 6, 2)
    assert overall["share_online"] == 0.75
    assert overall["minutes_to_decision_median"] == 20.0  # 5,10,20,30,40,50 → 3rd
    assert overall["minutes_to_decision_p90"] == 50.0
    assert as_admin["deliveries"] == {"pending": 0, "dead": 0}
    assert [c["center_id"] for c in as_officer["centers"]] == ["linqing"]
    assert as_officer["overall"]["reports"] == 2
    assert as_officer["deliveries"] is None


async def test_stats_refuse_partners_and_bad_ranges(
    client, auth_headers, admin_headers, make_partner
) -> None:
    from accident_online.auth.principal import Principal
    from accident_online.models.user import Role

    await make_partner("xx", kind="app")
    app = auth_headers(Principal(subject="partner:xx", role=Role.app, partner_id="xx"))
    refused = await client.get("/v1/stats", headers=app)
    backwards = await client.get(
        "/v1/stats",
        params={"since": "2026-11-02T00:00:00+08:00", "until": "2026-11-01T00:00:00+08:00"},
        headers=admin_headers,
    )
    assert refused.status_code == 403
    assert backwards.status_code == 422
