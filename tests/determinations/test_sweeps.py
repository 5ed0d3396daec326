"""Housekeeping sweeps do not starve: a case a batch takes but cannot change (not due yet
for another reason) does not hold up the cases behind it, and more due cases than one
batch are all changed in one pass, batch after batch, up to the pass's bound."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.cases.determination_rules import limits_from
from accident_online.claims.rules import ClaimRules
from accident_online.decisions.tasks import run_deadlines
from accident_online.disputes.tasks import run_claim_deadlines
from accident_online.kit.sweeps import Batch, sweep
from accident_online.models.case import Case, CaseParty
from accident_online.models.dispute import ClaimLine, ClaimStatus, Compensation, CompensationBasis
from accident_online_testing.road import accept_the_calculation, confirm_every_party

BATCH = 3


async def statuses(client, headers, cases: list[dict[str, Any]]) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        (await client.get(f"/v1/cases/{case['id']}", headers=headers)).json()["status"]
        for case in cases
    ]


async def decided_in_order(
    session: AsyncSession, cases: list[dict[str, Any]], *, now: datetime
) -> None:
    """The cases' decisions a minute apart, three hours ago and earlier, the first the
    oldest: the order the sweeps take them in."""
    for age, case in enumerate(reversed(cases)):
        await session.exec(  # type: ignore[call-overload]
            update(Case)
            .where(col(Case.number) == case["number"])
            .values(decided_at=now - timedelta(hours=3, minutes=age))
        )


async def test_unconfirmed_cases_expire_past_those_waiting_for_photos_alone(
    client, database, settings, app_headers, file_report
) -> None:
    # Reported first, confirmed by every party, photos missing: never expired, and oldest.
    waiting = [(await file_report()).json() for _ in range(BATCH + 1)]
    for case in waiting:
        await confirm_every_party(client, case, app_headers)
    unconfirmed = [(await file_report()).json() for _ in range(2 * BATCH + 1)]
    for case in unconfirmed:
        await confirm_every_party(client, case, app_headers, [0])
    limits = dataclasses.replace(limits_from(settings), confirmation_expiry=timedelta(0))

    bounded = await run_deadlines(database, limits, batch=BATCH, max_batches=1)
    rest = await run_deadlines(database, limits, batch=BATCH)
    again = await run_deadlines(database, limits, batch=BATCH)

    assert (bounded, rest, again) == (BATCH, 2 * BATCH + 1 - BATCH, 0)
    assert await statuses(client, app_headers, unconfirmed) == ["expired"] * len(unconfirmed)
    assert await statuses(client, app_headers, waiting) == ["awaiting_evidence"] * len(waiting)


async def test_review_windows_lapse_past_cases_whose_last_window_is_open(
    client, database, session, settings, app_headers, decided_case
) -> None:
    window = timedelta(hours=1)
    now = datetime.now(UTC)
    cases = [await decided_case(f"officer.sweep{index}") for index in range(2 * BATCH + 2)]
    # The oldest decisions reached every party just now (their windows open for an hour);
    # the others two hours ago, so their windows have closed.
    open_ones, lapsed_ones = cases[: BATCH + 1], cases[BATCH + 1 :]
    await decided_in_order(session, cases, now=now)
    await session.commit()
    for received, group in ((now, open_ones), (now - 2 * window, lapsed_ones)):
        for case in group:
            for party in (0, 1):
                receipt = await client.post(
                    f"/v1/cases/{case['id']}/receipts",
                    json={
                        "party": party,
                        "received_at": received.isoformat(),
                        "signed": True,
                        "no_objection": False,
                    },
                    headers=app_headers,
                )
                assert receipt.status_code == 201, receipt.text
    limits = dataclasses.replace(limits_from(settings), review_window=window)

    lapsed = await run_deadlines(database, limits, batch=BATCH)

    assert lapsed == len(lapsed_ones)
    assert await statuses(client, app_headers, lapsed_ones) == ["final"] * len(lapsed_ones)
    assert await statuses(client, app_headers, open_ones) == ["decided"] * len(open_ones)


async def test_a_pass_repeats_batches_after_the_last_row_taken_up_to_its_bound(database) -> None:
    # The claim sweeps (disputes.tasks) use the same driver: rows 0..9 in the sweep's order,
    # the even ones due; each batch starts after the last row the one before took.
    start = datetime(2026, 12, 1, tzinfo=UTC)
    keys = [(start + timedelta(minutes=index), uuid.UUID(int=index)) for index in range(10)]
    taken: list[list[int]] = []

    async def batch(session, after):  # type: ignore[no-untyped-def]
        rows = [i for i, key in enumerate(keys) if after is None or key > after][:BATCH]
        taken.append(rows)
        return Batch(
            changed=sum(1 for i in rows if i % 2 == 0),
            taken=len(rows),
            last=keys[rows[-1]] if rows else None,
        )

    everything = await sweep(database, batch, limit=BATCH)
    rows_taken, taken[:] = [*taken], []
    bounded = await sweep(database, batch, limit=BATCH, max_batches=2)

    assert everything == 5
    assert rows_taken == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert (bounded, taken) == (3, [[0, 1, 2], [3, 4, 5]])


async def test_more_overdue_claims_than_one_batch_are_announced_in_one_pass(
    client, database, session, app_headers, file_report
) -> None:
    case = (await file_report()).json()
    compensation = Compensation(
        case_id=uuid.UUID(case["id"]), basis=CompensationBasis.calculation, amounts=[]
    )
    session.add(compensation)
    await session.flush()
    past = datetime.now(UTC) - timedelta(days=11)
    session.add_all(
        ClaimLine(
            case_id=compensation.case_id,
            compensation_id=compensation.id,
            basis=CompensationBasis.calculation,
            rule="compulsory",
            insurer_code="PICC",
            payee_party=index % 2,
            amount=Decimal("100.00"),
            status=ClaimStatus.open,
            requested_at=past,
            due_at=past + timedelta(days=10, minutes=index),
        )
        for index in range(2 * BATCH + 1)
    )
    await session.commit()

    bounded = await run_claim_deadlines(database, ClaimRules(), batch=BATCH, max_batches=1)
    rest = await run_claim_deadlines(database, ClaimRules(), batch=BATCH)
    again = await run_claim_deadlines(database, ClaimRules(), batch=BATCH)
    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()

    assert (bounded, rest, again) == (BATCH, BATCH + 1, 0)
    assert [e["type"] for e in events["items"]].count("claim.overdue") == 2 * BATCH + 1


async def test_accepted_cases_are_settled_past_older_ones_still_awaiting_a_loss(
    client, database, session, app_headers, decided_case
) -> None:
    # Every party accepted the calculation (insurer_claim) on each case; on the oldest
    # BATCH + 1 an insurer has still to assess a loss, the newer ones have every loss in
    # without the event that would have settled them (written straight to the rows).
    now = datetime.now(UTC)
    cases = [await decided_case(f"officer.settle{index}") for index in range(2 * BATCH + 2)]
    for case in cases:
        await accept_the_calculation(client, case, app_headers)
    waiting, assessed = cases[: BATCH + 1], cases[BATCH + 1 :]
    await decided_in_order(session, cases, now=now)
    for case in assessed:
        await session.exec(  # type: ignore[call-overload]
            update(CaseParty)
            .where(col(CaseParty.case_id) == uuid.UUID(case["id"]))
            .values(assessed_loss=Decimal("3000.00"))
        )
    await session.commit()

    # Two batches: the first takes only cases still waiting, the second starts after them.
    bounded = await run_claim_deadlines(database, ClaimRules(), batch=BATCH, max_batches=2)
    rest = await run_claim_deadlines(database, ClaimRules(), batch=BATCH)
    again = await run_claim_deadlines(database, ClaimRules(), batch=BATCH)

    settled = {
        str(row.case_id)
        for row in (await session.exec(select(Compensation))).all()
        if not row.withdrawn
    }

    # Batches of cases 0-2 and 3-5; then again 0-2, and 3, 6, 7 (4 and 5 were settled).
    assert (bounded, rest, again) == (2, 2, 0)
    assert settled == {case["id"] for case in assessed}
    assert not settled & {case["id"] for case in waiting}
