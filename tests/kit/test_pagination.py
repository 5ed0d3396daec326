"""Cursors and date ranges a hostile client makes up (kit.pagination, kit.time), on both
databases: a forged cursor is 400 invalid-cursor, a date-time no record has is 422,
never a 500 from the database or from datetime arithmetic."""

from __future__ import annotations

import uuid

import httpx
import pytest

from accident_online.kit.pagination import (
    InvalidCursor,
    decode_cursor,
    decode_keyset_cursor,
    decode_sequence_cursor,
    encode_cursor,
    encode_keyset_cursor,
    encode_sequence_cursor,
)

CASE_ID = uuid.uuid4()
FORGED_KEYSET = [
    encode_cursor(f"2026-11-28T08:15:00|{CASE_ID}"),  # naive
    encode_cursor(f"9999-12-31T23:59:59-14:00|{CASE_ID}"),  # year 10000 in UTC
    encode_cursor(f"0001-01-01T00:00:00+14:00|{CASE_ID}"),  # year 0 in UTC
    encode_cursor(f"2026-11-28T08:15:00+00:00|{CASE_ID}|extra"),
    encode_cursor("2026-11-28T08:15:00+00:00"),
    encode_cursor(f"2026-11-28T08:15:00+00:00\x00|{CASE_ID}"),
    encode_cursor(f"not a date|{CASE_ID}"),
]
FORGED_SEQUENCE = [
    encode_cursor(str(2**31)),
    encode_cursor(str(2**63)),
    encode_cursor(str(2**64 + 1)),
    encode_cursor("-1"),
    encode_cursor(" 5"),
    encode_cursor("٥"),  # an Arabic-Indic five: int() takes it
    encode_cursor("1_000"),
]
FORGED_TEXT = [encode_cursor("a\x00b"), encode_cursor("\x1b[2J"), "YR", "YQ==", "!!", "Y"]


def test_cursors_round_trip_and_forgeries_are_refused() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    at = datetime(2026, 11, 28, 8, 15, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    assert decode_keyset_cursor(encode_keyset_cursor(at, CASE_ID), uuid.UUID) == (at, CASE_ID)
    assert decode_keyset_cursor(encode_keyset_cursor(at, CASE_ID), uuid.UUID)[0].tzinfo == UTC
    assert decode_sequence_cursor(encode_sequence_cursor(2**31 - 1)) == 2**31 - 1
    assert decode_cursor(encode_cursor("officer.wang")) == "officer.wang"
    for cursor in FORGED_KEYSET:
        with pytest.raises(InvalidCursor):
            decode_keyset_cursor(cursor, uuid.UUID)
    for cursor in FORGED_SEQUENCE:
        with pytest.raises(InvalidCursor):
            decode_sequence_cursor(cursor)
    for cursor in FORGED_TEXT:
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor)


def invalid_cursor(response: httpx.Response) -> bool:
    return response.status_code == 400 and response.json()["code"] == "invalid-cursor"


async def test_forged_cursors_are_400_on_every_list(
    client: httpx.AsyncClient, admin_headers, file_report
) -> None:
    case = (await file_report()).json()
    lists = {
        "/v1/cases": FORGED_KEYSET + FORGED_TEXT,
        "/v1/deliveries": FORGED_KEYSET + FORGED_TEXT,
        "/v1/centers/dongchangfu/queue": FORGED_KEYSET + FORGED_TEXT,
        f"/v1/cases/{case['id']}/events": FORGED_SEQUENCE + FORGED_TEXT,
        "/v1/partners": FORGED_TEXT,
        "/v1/admin/users": FORGED_TEXT,
    }
    failures = []
    for path, cursors in lists.items():
        for cursor in cursors:
            response = await client.get(path, params={"cursor": cursor}, headers=admin_headers)
            if not invalid_cursor(response):
                failures.append((path, cursor, response.status_code, response.text[:200]))
    assert not failures


async def test_the_next_page_still_follows(
    client: httpx.AsyncClient, admin_headers, file_report, report_body
) -> None:
    for plate in ("鲁P10001", "鲁P10002", "鲁P10003"):
        body = report_body()
        body["parties"][0]["plate"] = plate  # type: ignore[index]
        assert (await file_report(body)).status_code == 201
    seen = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/cases", params=params, headers=admin_headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3
    case_id = seen[0]
    events = await client.get(
        f"/v1/cases/{case_id}/events", params={"limit": 1}, headers=admin_headers
    )
    following = await client.get(
        f"/v1/cases/{case_id}/events",
        params={"limit": 1, "cursor": events.json()["next_cursor"]},
        headers=admin_headers,
    )
    assert following.status_code == 200
    assert following.json()["items"][0]["seq"] == events.json()["items"][0]["seq"] + 1


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/cases", {"since": "9999-12-31T23:59:59-14:00"}),
        ("/v1/cases", {"since": "0001-01-01T00:00:00+14:00"}),
        ("/v1/stats", {"since": "9999-12-31T23:59:59-14:00"}),
        ("/v1/stats", {"until": "0001-01-01T00:00:30+00:00"}),
        ("/v1/stats", {"until": "9999-12-31T23:59:59+00:00"}),
        ("/v1/stats", {"since": "2026-12-02T00:00:00+08:00", "until": "2026-12-01T00:00:00+08:00"}),
        ("/v1/stats", {"since": "2026-12-01T00:00:00+08:00", "until": "2026-12-01T00:00:00+08:00"}),
    ],
)
async def test_dates_no_record_has_are_422(
    client: httpx.AsyncClient, admin_headers, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_occurred_at_no_record_has_is_422(file_report, report_body) -> None:
    response = await file_report(report_body(occurred_at="9999-12-31T23:59:59-14:00"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "occurred_at"]
