"""Filing a driver's report: eligibility, validation against live config, routing, the case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.service import SYSTEM_ACTOR, actor_of, append_event
from accident_online.centers import repository as centers_repository
from accident_online.centers.routing import (
    CENTER_TIME_ZONE,
    CenterSnapshot,
    RoutingDecision,
    ServiceHours,
    route_to_center,
)
from accident_online.intake.eligibility import NOT_ELIGIBLE_ADVICE, check_eligibility
from accident_online.intake.exceptions import NotEligible
from accident_online.intake.schemas import EligibilityRead, ReportCreate, occurred_at_window_errors
from accident_online.kit.problems import ProblemErrorItem, ValidationFailed
from accident_online.kit.time import utc_now
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.center import Center
from accident_online.models.partner import InsurerCode


def assess_eligibility(report: ReportCreate) -> EligibilityRead:
    result = check_eligibility(report.eligibility_answers())
    return EligibilityRead(
        eligible=result.eligible,
        reasons=list(result.reasons),
        detail=None if result.eligible else NOT_ELIGIBLE_ADVICE,
    )


def center_snapshot(center: Center, queue_depth: int) -> CenterSnapshot:
    return CenterSnapshot(
        id=center.id,
        districts=frozenset(center.districts),
        online=center.online,
        capacity=center.capacity,
        queue_depth=queue_depth,
        hours=ServiceHours(
            opens=time.fromisoformat(center.hours["opens"]),
            closes=time.fromisoformat(center.hours["closes"]),
        ),
    )


async def route(
    session: AsyncSession, *, district: str, at: datetime, centers: Sequence[Center]
) -> RoutingDecision:
    depths = await cases_repository.queue_depths(session)
    snapshots = [center_snapshot(center, depths.get(center.id, 0)) for center in centers]
    return route_to_center(district=district, at=at, centers=snapshots)


def _field_error(loc: Sequence[str | int], message: str) -> ValidationFailed:
    return ValidationFailed(errors=[ProblemErrorItem(loc=list(loc), msg=message)])


async def _check_against_config(
    session: AsyncSession, report: ReportCreate, *, now: datetime, max_age_hours: int
) -> Sequence[Center]:
    """Checks what depends on the clock and the centers' configuration; returns the centers."""
    problem = occurred_at_window_errors(report.occurred_at, now=now, max_age_hours=max_age_hours)
    if problem:
        raise _field_error(["body", "occurred_at"], problem)
    centers = await centers_repository.list_centers(session)
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
    await _check_against_config(session, report, now=utc_now(), max_age_hours=max_age_hours)
    return assess_eligibility(report)


async def file_report(
    session: AsyncSession, principal: Principal, report: ReportCreate, *, max_age_hours: int
) -> Case:
    """Stores an eligible report as a new case, routed to a center, awaiting its photos."""
    now = utc_now()
    centers = await _check_against_config(session, report, now=now, max_age_hours=max_age_hours)
    eligibility = assess_eligibility(report)
    if not eligibility.eligible:
        raise NotEligible(NOT_ELIGIBLE_ADVICE, reasons=eligibility.reasons)
    assert principal.partner_id is not None

    routing = await route(session, district=report.location.district, at=now, centers=centers)
    connected = await _insurer_partners(session, [party.insurer for party in report.parties])
    day = now.astimezone(CENTER_TIME_ZONE).strftime("%Y%m%d")
    serial = await cases_repository.next_case_number(session, day)
    case = Case(
        number=f"LC{day}-{serial:04d}",
        status=CaseStatus.awaiting_evidence,
        center_id=routing.center_id,
        home_center_id=routing.home_center_id,
        routing_reason=routing.reason.value,
        filed_by_partner_id=principal.partner_id,
        occurred_at=report.occurred_at,
        reported_at=now,
        latitude=report.location.lat,
        longitude=report.location.lon,
        address=report.location.address,
        district=report.location.district,
        description=report.description,
        eligibility_answers=report.model_dump(include=_ANSWER_FIELDS),
        agreed_liability=(
            [item.model_dump(mode="json") for item in report.agreed_liability]
            if report.agreed_liability
            else None
        ),
    )
    session.add(case)
    await session.flush()
    session.add_all(
        CaseParty(
            case_id=case.id,
            index=index,
            name=party.name,
            phone=party.phone,
            id_number=party.id_number,
            licence_number=party.licence_number,
            plate=party.plate,
            vehicle_type=party.vehicle_type,
            insurer_code=party.insurer,
            insurer_partner_id=connected.get(party.insurer),
            policy_number=party.policy_number,
            commercial_third_party_cover=(
                Decimal(party.commercial_third_party_cover)
                if party.commercial_third_party_cover is not None
                else None
            ),
        )
        for index, party in enumerate(report.parties)
    )
    await append_event(
        session,
        case,
        type="case.reported",
        actor=actor_of(principal),
        data={"number": case.number, "parties": len(report.parties)},
    )
    await append_event(
        session,
        case,
        type="case.routed",
        actor=SYSTEM_ACTOR,
        data={
            "center_id": routing.center_id,
            "home_center_id": routing.home_center_id,
            "reason": routing.reason.value,
        },
    )
    await session.flush()
    return case


_ANSWER_FIELDS = {
    "injuries",
    "all_vehicles_drivable",
    "alcohol_or_drugs",
    "all_drivers_licensed",
    "all_vehicles_registered",
    "all_vehicles_insured",
    "party_fled",
    "public_property_damage",
    "hazardous_goods",
    "deliberate",
}


async def _insurer_partners(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    rows = await session.exec(select(InsurerCode).where(col(InsurerCode.code).in_(set(codes))))
    return {row.code: row.partner_id for row in rows}
