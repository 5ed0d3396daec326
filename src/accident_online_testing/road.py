"""Steps of a case's road that many tests and benchmarks take over HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx


async def confirm_every_party(
    client: httpx.AsyncClient,
    case: Mapping[str, Any],
    headers: Mapping[str, str],
    parties: Iterable[int] | None = None,
) -> httpx.Response:
    """Each party (or those given) confirms the report on their own phone, as the app
    attests; returns the last answer. A case is queued only once every party confirmed."""
    answer = None
    for party in range(len(case["parties"])) if parties is None else parties:
        answer = await client.post(
            f"/v1/cases/{case['id']}/confirmations",
            json={
                "party": party,
                "method": "sms_code",
                "confirmed_at": datetime.now(UTC).isoformat(),
            },
            headers=dict(headers),
        )
        if answer.status_code != 201:
            raise AssertionError(f"confirmation refused: {answer.status_code} {answer.text}")
    if answer is None:
        raise ValueError("no party to confirm")
    return answer


async def deliver_to_every_party(
    client: httpx.AsyncClient,
    case: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    no_objection: bool = True,
    parties: Iterable[int] | None = None,
) -> httpx.Response:
    """The document reaches each party (or those given), who signs it; with
    ``no_objection`` every party waives review, so a determination is final at once."""
    answer = None
    for party in range(len(case["parties"])) if parties is None else parties:
        answer = await client.post(
            f"/v1/cases/{case['id']}/receipts",
            json={
                "party": party,
                "received_at": datetime.now(UTC).isoformat(),
                "signed": True,
                "no_objection": no_objection,
            },
            headers=dict(headers),
        )
        if answer.status_code != 201:
            raise AssertionError(f"receipt refused: {answer.status_code} {answer.text}")
    if answer is None:
        raise ValueError("no party to deliver to")
    return answer


async def accept_the_calculation(
    client: httpx.AsyncClient, case: Mapping[str, Any], headers: Mapping[str, str]
) -> dict[str, Any]:
    """The determination reaches every party, none objects, and each asks the insurers to
    settle (insurer_claim): the case is accepted. Returns the case as the last answer shows it."""
    await deliver_to_every_party(client, case, headers)
    answer = None
    for party in range(len(case["parties"])):
        answer = await client.post(
            f"/v1/cases/{case['id']}/responses",
            json={"party": party, "resolution": "insurer_claim"},
            headers=dict(headers),
        )
    if answer is None:
        raise ValueError("no party to answer")
    if answer.json().get("status") != "accepted":
        raise AssertionError(f"not accepted: {answer.status_code} {answer.text}")
    return dict(answer.json())
