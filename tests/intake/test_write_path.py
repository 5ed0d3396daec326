"""Intake writes a case the way every other write does: its rows, events and messages
come from the shared helpers (cases.service.next_event, webhooks.outbox), not from a copy."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.models.case import Case, CaseEvent
from accident_online.models.user import Role
from accident_online.models.webhook import WebhookMessage
from accident_online.webhooks.outbox import enqueue_case_event

HOOKS = Principal(subject="partner:app-hooks", role=Role.app, partner_id="app-hooks")


def _as_written(message: WebhookMessage) -> tuple[object, ...]:
    """A message's fields but its (random) id."""
    return (
        message.partner_id,
        message.event_type,
        message.case_id,
        message.case_version,
        message.body,
        message.status,
        message.attempts,
        message.created_at,
        message.next_attempt_at,
    )


async def test_intakes_outbox_rows_are_those_enqueue_case_event_makes(
    client, session: AsyncSession, make_partner, auth_headers, report_body
) -> None:
    await make_partner("app-hooks", kind="app", webhook_url="https://app.example/hooks")
    await make_partner(
        "picc-hooks", kind="insurer", insurer_codes=["PICC"], webhook_url="https://picc.example/h"
    )
    await make_partner("cpic-quiet", kind="insurer", insurer_codes=["CPIC"])  # no URL
    headers = {**auth_headers(HOOKS), "Idempotency-Key": uuid.uuid4().hex}

    response = await client.post("/v1/reports", json=report_body(), headers=headers)

    assert response.status_code == 201, response.text
    case_id = uuid.UUID(response.json()["id"])
    case = await session.get(Case, case_id)
    assert case is not None
    events = (
        await session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
        )
    ).all()
    written = (
        await session.exec(select(WebhookMessage).where(WebhookMessage.case_id == str(case_id)))
    ).all()
    assert [(e.seq, e.type) for e in events] == [(1, "case.reported"), (2, "case.routed")]
    # One version per event, as append_event makes them.
    assert (case.last_event_seq, case.version) == (2, 3)
    assert response.json()["version"] == case.version
    assert response.headers["etag"] == f'"{case.version}"'

    # What every other write would have queued for case.reported, the case as it stood
    # with that event (its second version); nothing for case.routed.
    case.version = 2
    expected = await enqueue_case_event(session, case, events[0])
    expected += await enqueue_case_event(session, case, events[1])
    for message in expected:
        session.expunge(message)
    session.expunge(case)

    assert {m.partner_id for m in written} == {"app-hooks", "picc-hooks"}
    assert sorted(map(_as_written, written), key=str) == sorted(map(_as_written, expected), key=str)


async def test_intakes_answer_is_the_case_as_read_back(client, file_report, app_headers) -> None:
    filed = await file_report()

    read = await client.get(f"/v1/cases/{filed.json()['id']}", headers=app_headers)

    assert filed.status_code == 201
    assert read.status_code == 200
    assert filed.json() == read.json()
