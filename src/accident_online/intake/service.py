"""Filing a driver's report: eligibility, validation against live config, routing, the case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from fastapi import status
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.access import parties_shown_in_full
from accident_online.cases.late_reports import LATE_REPORT_ADVICE
from accident_online.cases.service import SYSTEM_ACTOR, actor_of, case_record, next_event
from accident_online.centers import repository as centers_repository
from accident_online.centers.routing import (
    CENTER_TIME_ZONE,
    CenterSnapshot,
    ServiceHours,
    route_to_center,
)
from accident_online.intake import repository
from accident_online.intake.eligibility import (
    ANSWER_FIELDS,
    check_eligibility,
    refusal_advice,
    refusal_message,
)
from accident_online.intake.exceptions import NotEligible
from accident_online.intake.rows import insurer_codes, party_rows, refusal_rows, scene_columns
from accident_online.intake.schemas import (
    EligibilityRead,
    ReportCreate,
    is_late,
    occurred_at_in_future,
)
from accident_online.kit.db import insert_steps, new_row
from accident_online.kit.idempotency import KeyedRequest, StoredAnswer, stored_first
from accident_online.kit.problems import ProblemErrorItem, ValidationFailed
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseStatus
from accident_online.models.records import AgreedLiabilityRecord
from accident_online.partners import repository as partners_repository
from accident_online.webhooks.outbox import case_event_messages


def assess_eligibility(report: ReportCreate, *, late: bool) -> EligibilityRead:
    result = check_eligibility(report.eligibility_answers())
    if not result.eligible:
        detail: str | None = refusal_advice(result.reasons)
    else:
        detail = LATE_REPORT_ADVICE if late else None
    return EligibilityRead(
        eligible=result.eligible, reasons=list(result.reasons), late=late, detail=detail
    )


def center_snapshot(center: Any) -> CenterSnapshot:
    """A center row as routing sees it (see ``centers_repository.centers_for_routing``)."""
    return CenterSnapshot(
        id=center.id,
        districts=frozenset(center.districts),
        online=center.online,
        capacity=center.capacity,
        queue_depth=center.queue_depth,
        hours=ServiceHours(
            opens=time.fromisoformat(center.hours["opens"]),
            closes=time.fromisoformat(center.hours["closes"]),
        ),
    )


def _field_error(loc: Sequence[str | int], message: str) -> ValidationFailed:
    return ValidationFailed(errors=[ProblemErrorItem(loc=list(loc), msg=message)])


def _check_time(report: ReportCreate, *, now: datetime, max_age_hours: int) -> bool:
    """Whether the report is late (order 146 art. 18); 422 for an accident in the future."""
    problem = occurred_at_in_future(report.occurred_at, now=now)
    if problem:
        raise _field_error(["body", "occurred_at"], problem)
    return is_late(report.occurred_at, now=now, max_age_hours=max_age_hours)


async def _centers_serving(session: AsyncSession, report: ReportCreate) -> list[CenterSnapshot]:
    """Every center as routing sees it; 422 when none serves the report's district."""
    centers = [
        center_snapshot(row) for row in await centers_repository.centers_for_routing(session)
    ]
    if not any(report.location.district in center.districts for center in centers):
        raise _field_error(
            ["body", "location", "district"],
            f"district {report.location.district!r} is not served by any liability center",
        )
    return centers


async def check_report(
    session: AsyncSession, report: ReportCreate, *, max_age_hours: int
) -> EligibilityRead:
    """Everything a report is checked for, without storing anything."""
    late = _check_time(report, now=utc_now(), max_age_hours=max_age_hours)
    await _centers_serving(session, report)
    return assess_eligibility(report, late=late)


async def file_report(
    session: AsyncSession,
    principal: Principal,
    report: ReportCreate,
    *,
    key: KeyedRequest,
    max_age_hours: int,
) -> StoredAnswer:
    """Stores an eligible report as a new case, routed to a center, awaiting its photos.

    The case, its first two events and their messages are made as every other write
    makes them (``next_event``, ``case_event_messages``); the answer is built from them
    before anything is written, and the Idempotency-Key stored with it as the first write
    of one batch that writes them all.
    """
    now = utc_now()
    late = _check_time(report, now=now, max_age_hours=max_age_hours)
    eligibility = assess_eligibility(report, late=late)
    assert principal.partner_id is not None
    if not eligibility.eligible:
        # Only the reasons are kept, for statistics (NotEligible keeps its changes).
        await repository.record_refusal(
            session,
            refusal_rows(
                report,
                eligibility.reasons,
                partner_id=principal.partner_id,
                idempotency_key=key.key,
                at=now,
            ),
        )
        raise NotEligible(refusal_message(eligibility.reasons), reasons=eligibility.reasons)

    day = now.astimezone(CENTER_TIME_ZONE).strftime("%Y%m%d")
    # First, so that on PostgreSQL the day's counter is not held by this transaction.
    serial = await cases_repository.next_case_number(session, day)
    centers = await _centers_serving(session, report)
    routing = route_to_center(district=report.location.district, at=now, centers=centers)
    connected, with_url = await partners_repository.report_recipients(
        session,
        filer_id=principal.partner_id,
        insurer_codes=insurer_codes(report),
    )

    case = new_row(
        Case,
        number=f"LC{day}-{serial:04d}",
        status=CaseStatus.awaiting_evidence,
        center_id=routing.center_id,
        home_center_id=routing.home_center_id,
        routing_reason=routing.reason.value,
        filed_by_partner_id=principal.partner_id,
        occurred_at=report.occurred_at,
        reported_at=now,
        updated_at=now,
        latitude=report.location.lat,
        longitude=report.location.lon,
        address=report.location.address,
        district=report.location.district,
        description=report.description,
        **scene_columns(report, late=late),
        eligibility_answers=report.model_dump(include=set(ANSWER_FIELDS)),
        agreed_liability=(
            [
                # Every key, share_percent null where the parties gave none.
                AgreedLiabilityRecord(
                    party=item.party, grade=item.grade, share_percent=item.share_percent
                )
                for item in report.agreed_liability
            ]
            if report.agreed_liability
            else None
        ),
        requested_evidence=[],
        determination_requested=report.determination_requested,
        confirmations=[],
        receipts=[],
        revoked_decisions=[],
    )
    parties = party_rows(case.id, report, connected=connected)
    reported = next_event(
        case,
        type="case.reported",
        actor=actor_of(principal),
        data={"number": case.number, "parties": len(parties), "late": late},
        at=now,
    )
    # The messages of case.reported, from the case as it stands with that event.
    messages = case_event_messages(case, reported, parties=parties, with_url=with_url)
    routed = next_event(
        case,
        type="case.routed",
        actor=SYSTEM_ACTOR,
        data={
            "center_id": routing.center_id,
            "home_center_id": routing.home_center_id,
            "reason": routing.reason.value,
        },
        at=now,
    )
    messages += case_event_messages(case, routed, parties=parties, with_url=with_url)

    record = case_record(
        case,
        parties=parties,
        evidence=[],
        responses=[],
        officer=None,
        full=parties_shown_in_full(principal, case, parties),
        links=None,
    )
    answer = await stored_first(
        session,
        key,
        StoredAnswer(
            status_code=status.HTTP_201_CREATED,
            body=record.model_dump_json(),
            headers={"Location": f"/v1/cases/{case.id}", "ETag": f'"{case.version}"'},
        ),
        # One trip to the database, not one per table: measured against the session's
        # own flush in docs/BENCHMARKS.md ("One write path").
        effects=insert_steps([case], parties, [reported, routed], messages),
    )
    return answer
