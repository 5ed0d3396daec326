"""Times people read are on Beijing's clock: every date-time in an answer carries +08:00
(CONTRACT.md, additions of 2026-12-01); what is sent may carry any offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from accident_online.kit.time import BEIJING, in_beijing

RFC3339_BEIJING = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$")
DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _times(value: Any, at: str = "") -> dict[str, str]:
    """Every date-time text in an answer, by where it is."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _times(item, f"{at}.{key}").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in _times(item, f"{at}[{n}]").items()}
    if isinstance(value, str) and DATETIME_TEXT.match(value):
        return {at: value}
    return {}


async def test_case_queue_and_timeline_answer_in_beijing_time(
    client, queued_case, make_officer, report_body, app_headers
) -> None:
    officer = await make_officer("officer.wang")
    occurred = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    case = await queued_case(report_body(occurred_at=occurred.isoformat().replace("+00:00", "Z")))
    claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
    decided = await client.post(
        f"/v1/cases/{case['id']}/decision",
        json={
            "liabilities": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
            "facts": "乙车变更车道时未让甲车先行，与甲车右前侧发生刮擦。",
            "legal_basis": "《道路交通安全法实施条例》第四十四条",
        },
        headers=officer.with_version(claimed.json()["version"]),
    )
    record = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()
    listed = (await client.get("/v1/cases", headers=app_headers)).json()
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()
    body = report_body()
    body["parties"][0]["plate"] = "鲁P66666"  # type: ignore[index]
    queued = await queued_case(body)
    queue = (await client.get("/v1/centers/dongchangfu/queue", headers=officer.headers)).json()

    answers = {
        "report": case,
        "claim": claimed.json(),
        "decision": decided.json(),
        "record": record,
        "list": listed,
        "timeline": events,
        "queue": queue,
    }
    times = {
        f"{name}{at}": text
        for name, answer in answers.items()
        for at, text in _times(answer).items()
    }
    assert {at: text for at, text in times.items() if not RFC3339_BEIJING.match(text)} == {}
    for key in ("report.occurred_at", "record.occurred_at", "record.reported_at",
                "record.decided_at", "record.decision.decided_at",
                "claim.assigned_officer.claim_expires_at", "queue.items[0].queued_at",
                "timeline.items[0].at"):  # fmt: skip
        assert key in times
    assert datetime.fromisoformat(record["occurred_at"]) == occurred
    assert queue["items"][0]["id"] == queued["id"]


def test_in_beijing_is_the_same_instant_and_takes_naive_values_as_utc() -> None:
    noon_utc = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    assert in_beijing(noon_utc).isoformat() == "2026-12-01T20:00:00+08:00"
    assert in_beijing(noon_utc) == noon_utc
    assert in_beijing(noon_utc.replace(tzinfo=None)) == noon_utc
    assert in_beijing(noon_utc).utcoffset() == BEIJING.utcoffset(None)
